import CBuildInfo

/// What this binary is, for `tally_build_info`, `--version` and the landing page.
public enum BuildInfo {
    public static let version = "0.1.0"

    /// The git revision of the checkout it was built from.
    public static var revision: String { String(cString: tally_build_revision()) }

    /// The Swift compiler that built it.
    public static let swiftVersion: String = {
        #if compiler(>=6.4)
            "6.4 or later"
        #elseif compiler(>=6.3.1)
            "6.3.1"
        #elseif compiler(>=6.3)
            "6.3"
        #else
            "6.2"
        #endif
    }()
}
