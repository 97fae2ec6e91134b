/// The version of fsexport, for User-Agent headers and `--version`.
public enum FSExportVersion {
    public static let current = "0.1.0"
}
