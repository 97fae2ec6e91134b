/// Writes a bundle's JSON document (one array of flat event objects, sorted by `EventStart`) in
/// pieces, so that a bundle of any size is produced with constant memory.
///
/// The events follow the export format: integer ids below 2^53, RFC 3339 times with milliseconds,
/// fields left out where they do not apply, custom variables named `<scope>_<name>_<type>`, and
/// strings with escapes (`\n`, `\"`, `\\`, `\u00e9`) and raw UTF-8.
package struct EventGenerator {
    private var random: SplitMix64
    private let bundle: SimulatedDataset.Bundle
    private var emitted = 0
    private var buffer: [UInt8] = []

    package init(seed: UInt64, bundle: SimulatedDataset.Bundle) {
        self.random = SplitMix64(seed: seed ^ (UInt64(bitPattern: bundle.id) &* 0x2545_F491_4F6C_DD1D))
        self.bundle = bundle
        buffer.reserveCapacity(1 << 20)
    }

    /// Produces the whole document, handing out pieces of about `chunkSize` bytes.
    package mutating func generate(chunkSize: Int = 1 << 20, _ sink: ([UInt8]) throws -> Void) rethrows {
        append("[")
        while emitted < bundle.eventCount {
            if emitted > 0 { append(",\n") }
            writeEvent()
            emitted += 1
            if buffer.count >= chunkSize {
                try sink(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        append("]\n")
        try sink(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// What a segment export needs to know of an event besides its JSON.
    package struct EventFacts {
        package var milliseconds: Int64
        package var individualID: Int64
        /// The individual's record, as an individuals export lists it (from this event).
        package var individualJSON: String
    }

    /// Produces the same events as ``generate(chunkSize:_:)``, one at a time, each without separators.
    package mutating func forEachEvent(_ body: (EventFacts, [UInt8]) throws -> Void) rethrows {
        while emitted < bundle.eventCount {
            buffer.removeAll(keepingCapacity: true)
            let written = writeEvent()
            let userFields = String(decoding: buffer[written.userFields], as: UTF8.self)
            let individual = "{\"IndvId\":\(written.individual),\"UserId\":\(written.individual)\(userFields)}"
            try body(EventFacts(milliseconds: written.milliseconds, individualID: written.individual, individualJSON: individual), buffer)
            emitted += 1
        }
    }

    // MARK: - One event

    private static let eventTypes = ["click", "click", "click", "navigate", "seen", "change", "custom", "load", "custom_error", "uservar"]
    private static let browsers = ["Chrome", "Firefox", "Safari", "Edge", "Mobile Safari"]
    private static let systems = ["Windows", "Mac OS X", "Linux", "iOS", "Android"]
    private static let devices = ["Desktop", "Mobile", "Tablet"]
    private static let paths = ["/", "/pricing", "/checkout?step=2&coupon=SAVE10", "/search?q=caf%C3%A9", "/account/settings", "/blog/2019/07/why-we-export"]
    private static let targetTexts = [
        "Add to cart", "Buy now", "Café crème", "Sign in", "Say \\\"hello\\\"", "Line one\\nline two",
        "Prix: 10\\u00a0€", "C:\\\\Users\\\\demo", "日本語のボタン", "Emoji 🎉 party", "",
    ]
    private static let selectors = ["button.primary", "a#nav-home", "div.card > span", "input[name=\\\"email\\\"]", "li:nth-child(3)"]
    private static let customNames = ["Order Completed", "Signed Up", "Viewed Product", "Résumé Uploaded"]
    private static let names = ["Ada Lovelace", "Grace Hopper", "José Müller", "Zoë O\\u0027Brien", "李雷"]
    private static let plans = ["free", "pro", "enterprise"]

    /// Writes one event; returns its time, its individual and where that individual's fields are in the buffer.
    @discardableResult
    private mutating func writeEvent() -> (milliseconds: Int64, individual: Int64, userFields: Range<Int>) {
        let users = 1 + bundle.eventCount / 40
        let user = Int64(random.below(max(users, 1)))
        let session = user * 7 + Int64(random.below(3))
        let page = session * 11 + Int64(random.below(5))
        let type = random.pick(Self.eventTypes)
        let milliseconds = bundle.start * 1000 + (bundle.stop - bundle.start) * 1000 * Int64(emitted) / Int64(max(bundle.eventCount, 1))

        append("{")
        integer("IndvId", 5_066_549_580_791_808 + user * 17, first: true)
        integer("UserId", 5_066_549_580_791_808 + user * 17)
        integer("SessionId", 5_631_653_137_235_968 + session * 13)
        integer("PageId", 5_715_921_452_498_944 + page * 3)
        integer("PageClusterId", Int64(random.below(90)) + 10)
        text("EventStart", Self.rfc3339(milliseconds: milliseconds))
        text("EventType", type)
        switch type {
        case "custom":
            text("EventCustomName", random.pick(Self.customNames))
            real("evt_order.total_real", Double(random.below(100_000)) / 100)
            text("evt_currency_str", "EUR")
        case "click", "seen", "change":
            text("EventTargetText", random.pick(Self.targetTexts))
            text("EventTargetSelectorTok", random.pick(Self.selectors))
        case "load":
            integer("LoadDomContentTime", Int64(200 + random.below(3000)))
            integer("LoadFirstPaintTime", Int64(100 + random.below(2000)))
            integer("LoadEventTime", Int64(400 + random.below(5000)))
        case "uservar":
            text("user_plan_str", random.pick(Self.plans))
            append(",\"user_vip_bool\":\(random.chance(0.2))")
            append(",\"user_tags_strs\":[\"beta\",\"newsletter\"]")
        default:
            break
        }
        integer("EventModFrustrated", random.chance(0.05) ? 1 : 0)
        integer("EventModDead", random.chance(0.03) ? 1 : 0)
        integer("EventModError", random.chance(0.02) ? 1 : 0)
        integer("EventModSuspicious", 0)
        text("PageUrl", "https://www.example.com" + random.pick(Self.paths))
        text("PageRefererUrl", random.chance(0.5) ? "https://www.google.com/" : "")
        text("PageIp", random.chance(0.7) ? "" : "203.0.113.\(random.below(255))")
        text("PageAgent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36")
        text("PageBrowser", random.pick(Self.browsers))
        text("PageDevice", random.pick(Self.devices))
        text("PageOperatingSystem", random.pick(Self.systems))
        text("PageLatLong", "39.0481,-77.4728")
        integer("PageDuration", Int64(random.below(600_000)))
        integer("PageActiveDuration", Int64(random.below(300_000)))
        integer("PageNumInfos", Int64(random.below(4)))
        integer("PageNumWarnings", Int64(random.below(3)))
        integer("PageNumErrors", Int64(random.below(2)))
        let individual = 5_066_549_580_791_808 + user * 17
        let individualStart = buffer.count
        text("UserAppKey", "user-\(user)")
        text("UserDisplayName", random.pick(Self.names))
        text("UserEmail", random.chance(0.6) ? "" : "user\(user)@example.com")
        let userFields = individualStart..<buffer.count
        text("page_section_str", "checkout")
        append("}")
        return (milliseconds, individual, userFields)
    }

    private mutating func append(_ text: String) { buffer.append(contentsOf: text.utf8) }

    /// `value` must already be escaped for JSON.
    private mutating func text(_ key: String, _ value: String) {
        append(",\"\(key)\":\"\(value)\"")
    }

    private mutating func integer(_ key: String, _ value: Int64, first: Bool = false) {
        append(first ? "\"\(key)\":\(value)" : ",\"\(key)\":\(value)")
    }

    private mutating func real(_ key: String, _ value: Double) {
        append(",\"\(key)\":\(value)")
    }

    /// `2020-08-27T06:20:26.900Z`
    package static func rfc3339(milliseconds: Int64) -> String {
        let seconds = milliseconds / 1000
        let days = seconds / 86_400
        let secondOfDay = seconds % 86_400
        // Civil date from days since 1970-01-01 (Howard Hinnant).
        let z = days + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let millis = milliseconds % 1000
        let fraction = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(year)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)).\(fraction)Z"
    }
}
