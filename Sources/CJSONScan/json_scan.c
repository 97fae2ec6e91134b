// Everything is inline in include/json_scan.h; SwiftPM builds a C target from at least one file.
#include "json_scan.h"
