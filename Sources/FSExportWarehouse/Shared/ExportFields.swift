/// The fields the export documents (`shared/export-bundle-format.md`), each a column of a typed
/// table, named as the field in lower case: ids as bigint, times as timestamps, counts as
/// integers, the rest text.
enum ExportFields {
    static let columns: [(field: String, type: ColumnType)] = [
        ("EventStart", .timestamp), ("EventType", .text), ("EventCustomName", .text), ("EventTargetText", .text),
        ("EventTargetSelectorTok", .text), ("EventModFrustrated", .integer), ("EventModDead", .integer), ("EventModError", .integer),
        ("EventModSuspicious", .integer), ("IndvId", .bigint), ("UserId", .bigint), ("SessionId", .bigint), ("PageId", .bigint),
        ("PageClusterId", .bigint), ("UserCreated", .timestamp), ("SessionStart", .timestamp), ("PageStart", .timestamp),
        ("PageUrl", .text), ("PageRefererUrl", .text), ("PageIp", .text), ("PageAgent", .text), ("PageBrowser", .text),
        ("PageDevice", .text), ("PageOperatingSystem", .text), ("PageLatLong", .text), ("PageDuration", .integer),
        ("PageActiveDuration", .integer), ("PageNumInfos", .integer), ("PageNumWarnings", .integer), ("PageNumErrors", .integer),
        ("LoadDomContentTime", .integer), ("LoadFirstPaintTime", .integer), ("LoadEventTime", .integer), ("UserAppKey", .text),
        ("UserDisplayName", .text), ("UserEmail", .text),
    ]

    /// Custom variables (`user_plan_str`, `evt_total_real`, `page_…`): kept together in `extra`,
    /// never a column of their own.
    static func isCustomVariable(_ key: String) -> Bool {
        key.hasPrefix("user_") || key.hasPrefix("evt_") || key.hasPrefix("page_")
    }
}
