import FSExportClient
import FSExportCore

/// The settings of a `segments` source, from its section of the pipeline file.
enum SegmentSourceSettings {
    static func make(_ source: SourceSettings) throws -> SegmentExportSettings {
        guard let segment = source.segment else { throw ExportError.configuration("a segments source needs 'segment'") }
        var settings = SegmentExportSettings(segment: segment)
        if let text = source.exportType {
            guard let kind = SegmentExportSettings.Kind(rawValue: text) else { throw ExportError.configuration("export_type must be events or individuals") }
            settings.kind = kind
        }
        if let text = source.format {
            guard let format = SegmentExportSettings.Format(rawValue: text) else { throw ExportError.configuration("format must be json, ndjson or csv") }
            settings.format = format
        }
        if let text = source.window { settings.window = try window(text) }
        settings.fields = source.fields
        settings.scope = source.scope
        settings.timezone = source.timezone
        if let text = source.pollInterval {
            settings.pollInterval = try DurationText.parse(text)
            guard settings.pollInterval >= SegmentExportSettings.minimumPollInterval else {
                throw ExportError.configuration("poll_interval must be at least 1s, not \(text): each look at a running export is a call to the API")
            }
        }
        if let text = source.pollTimeout { settings.pollTimeout = try DurationText.parse(text) }
        try settings.validate()
        return settings
    }

    /// A window in whole seconds, 1h to 7d.
    static func window(_ text: String) throws -> Int64 {
        let duration = try DurationText.parse(text)
        let seconds = duration / .seconds(1)
        guard seconds == seconds.rounded(), SegmentExportSettings.windowRange.contains(Int64(seconds)) else {
            throw ExportError.configuration("a window is whole seconds from 1h to 7d, not \(text)")
        }
        return Int64(seconds)
    }
}
