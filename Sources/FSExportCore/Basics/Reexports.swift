// The basics the core's own API speaks (its clocks, a transfer's progress) live in a module below
// it that the HTTP layer shares without standing on the core; whoever imports the core gets them.
@_exported import FSExportBasics
