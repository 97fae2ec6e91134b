// The bytes the JSON scanner looks for: the special bytes of strings 64 at a time, and a number's
// digits 32 at a time, with the processor's vector compares where it has them (SSE2, on every
// x86-64), a word or a byte at a time elsewhere.
#ifndef FSEXPORT_JSON_SCAN_H
#define FSEXPORT_JSON_SCAN_H

#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/// Bit k set: bytes[k] is a quote, a backslash or a control byte (below 0x20). Reads 64 bytes.
/// A word at a time: a lane of a quote or backslash is zero after an exclusive or with it, and
/// a lane's high bit stays clear, through an addition that cannot carry out of it, only where
/// the lane is zero (or below 0x20, for control bytes).
static inline uint64_t fsx_json_special_mask_words(const uint8_t *bytes) {
    const uint64_t ones = 0x0101010101010101ULL, low7 = ones * 0x7F, high = ones * 0x80;
    uint64_t mask = 0;
    for (int word = 0; word < 8; word++) {
        uint64_t w;
        memcpy(&w, bytes + 8 * word, 8);
        uint64_t quotes = w ^ (ones * '"'), backslashes = w ^ (ones * '\\');
        uint64_t not_quote = ((quotes & low7) + low7) | quotes;
        uint64_t not_backslash = ((backslashes & low7) + low7) | backslashes;
        uint64_t not_control = ((w & low7) + ones * 0x60) | w;
        uint64_t special = ~(not_quote & not_backslash & not_control) & high;
        // The eight high bits, gathered into the top byte by one multiplication (little-endian).
        mask |= ((special * 0x0002040810204081ULL) >> 56) << (8 * word);
    }
    return mask;
}

/// The same mask, with vector compares where there are some.
static inline uint64_t fsx_json_special_mask(const uint8_t *bytes) {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i last_control = _mm_set1_epi8(0x1F);
    uint64_t mask = 0;
    for (int part = 0; part < 4; part++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(bytes + 16 * part));
        // Unsigned v <= 0x1F: min(v, 0x1F) == v.
        __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(v, last_control), v);
        __m128i special = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)), control);
        mask |= (uint64_t)(uint16_t)_mm_movemask_epi8(special) << (16 * part);
    }
    return mask;
#else
    return fsx_json_special_mask_words(bytes);
#endif
}

/// How many of the 32 bytes from `bytes` on are ASCII digits before the first that is not one
/// (32 when all are), a byte at a time. Reads 32 bytes.
static inline unsigned fsx_json_digit_run_bytes(const uint8_t *bytes) {
    unsigned run = 0;
    while (run < 32 && (uint8_t)(bytes[run] - '0') <= 9) run++;
    return run;
}

/// The same count, with vector compares where there are some: a number's run of digits (ids are
/// sixteen) in one step.
static inline unsigned fsx_json_digit_run(const uint8_t *bytes) {
#if defined(__SSE2__)
    const __m128i zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9);
    uint64_t not_digits = 1ULL << 32;  // a run of all 32 ends after them
    for (int part = 0; part < 2; part++) {
        // A digit is 0 to 9 after subtracting '0' (as unsigned): min(d, 9) == d.
        __m128i d = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(bytes + 16 * part)), zero);
        __m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(d, nine), d);
        not_digits |= (uint64_t)(uint16_t)~_mm_movemask_epi8(digit) << (16 * part);
    }
    return (unsigned)__builtin_ctzll(not_digits);
#else
    return fsx_json_digit_run_bytes(bytes);
#endif
}

#endif
