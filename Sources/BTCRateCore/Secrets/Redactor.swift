/// Removes secrets from any text before it reaches a log line, an error or a file.
///
/// Alpha Vantage echoes the key in its quota message ("We have detected your API
/// key as XXXX ..."), so both the known key and that phrase's argument are masked.
public struct Redactor: Sendable {
    public static let mask = "[REDACTED]"
    private let secrets: [String]

    public init(secrets: [String] = []) {
        // Very short "secrets" would mask ordinary words; real keys are longer.
        self.secrets = secrets.filter { $0.count >= 4 }
    }

    public func redact(_ text: String) -> String {
        var result = text
        for secret in secrets {
            result = result.replacingAll(secret, with: Self.mask)
        }
        return Self.maskEchoedKey(in: result)
    }

    /// "...your API key as ABC123 and..." -> "...your API key as [REDACTED] and..."
    /// and `apikey=ABC123` in any echoed URL.
    private static func maskEchoedKey(in text: String) -> String {
        var result = text
        for marker in ["API key as ", "api key as ", "apikey=", "apikey%3D"] {
            // Rebuilt from the pieces, never edited in place: no index outlives a change.
            var output = ""
            var rest = result[...]
            while let range = rest.firstRange(of: marker) {
                output += rest[..<range.upperBound]
                let value = rest[range.upperBound...]
                let valueEnd = value.firstIndex(where: { $0 == " " || $0 == "&" || $0 == "\"" || $0 == "," || $0 == "\n" }) ?? value.endIndex
                if valueEnd > range.upperBound { output += mask }
                rest = rest[valueEnd...]
            }
            result = output + rest
        }
        return result
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

import FoundationEssentials
import Glibc
