/// The colours and fonts of a graph image, per `theme`. librrd's defaults (a
/// pink dotted grid, 3-D axis arrows, grey shades) are replaced throughout; the
/// page around the image uses the same background, so the two read as one.
public struct GraphTheme: Sendable {
    public let background: String
    public let text: String
    public let grid: String
    public let axis: String
    /// One colour per compared pair, the first for a single pair.
    public let lines: [String]
    public let band: String

    public static let light = GraphTheme(
        background: "#FFFFFF", text: "#3A3A3C", grid: "#E5E5EA", axis: "#C7C7CC",
        lines: ["#E8830C", "#2563EB", "#059669", "#9333EA"], band: "#F7931A38")
    public static let dark = GraphTheme(
        background: "#161618", text: "#D1D1D6", grid: "#2C2C30", axis: "#48484A",
        lines: ["#F7931A", "#60A5FA", "#34D399", "#C084FC"], band: "#F7931A40")

    public static func of(_ theme: GraphQuery.Theme) -> GraphTheme {
        theme == .dark ? .dark : .light
    }

    /// The shade of an alert period, by severity: faint, so the line stays readable.
    public func shade(_ severity: Severity) -> String {
        switch severity {
        case .critical: "#E5484D33"
        case .warning: "#F5A52433"
        case .info: "#3B82F62B"
        }
    }

    /// librrd's `--color`, `--font` and grid options for this theme.
    var options: [String] {
        let transparent = "#00000000"
        var options: [String] = []
        for (element, colour) in [
            ("BACK", background), ("CANVAS", background), ("SHADEA", background), ("SHADEB", background),
            ("FONT", text), ("GRID", grid), ("MGRID", grid), ("AXIS", axis),
            ("ARROW", transparent), ("FRAME", transparent),
        ] {
            options += ["--color", "\(element)\(colour)"]
        }
        // DejaVu Sans: in every Debian (fonts-dejavu-core, a dependency), so a
        // graph looks the same on every host. Solid hairlines, not dots.
        options += [
            "--font", "DEFAULT:8:DejaVu Sans", "--font", "LEGEND:8.5:DejaVu Sans",
            "--grid-dash", "1:0", "--border", "0", "--disable-rrdtool-tag",
        ]
        return options
    }
}
