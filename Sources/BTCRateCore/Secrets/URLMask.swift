/// Notification URLs often carry their secret in the path (a Slack webhook's
/// token), the query or the user info. Printed or logged, they show only the
/// scheme, host and port: enough to tell which endpoint is meant.
public enum URLMask {
    public static func mask(_ url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://") else { return url.isEmpty ? "" : "(hidden)" }
        let scheme = url[..<schemeEnd.lowerBound]
        var rest = url[schemeEnd.upperBound...]
        if let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) {
            rest = rest[..<end]
        }
        let path = rest.count < url.count - scheme.count - 3 ? "/(hidden)" : ""
        if let at = rest.lastIndex(of: "@") {
            return "\(scheme)://(hidden)@\(rest[rest.index(after: at)...])" + path
        }
        return "\(scheme)://\(rest)" + path
    }
}
