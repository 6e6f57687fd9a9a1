/// The config file's format: INI-like, made for people.
///
/// ```
/// # a comment (also ; at the start of a line)
/// [section]
/// key = value
/// ```
/// Values run to the end of the line (a `#` inside a URL stays part of it), with
/// surrounding spaces trimmed.
public struct ConfigFile: Sendable {
    public struct Entry: Sendable, Equatable {
        public let section: String
        public let key: String
        public let value: String
        public let line: Int
    }

    public let entries: [Entry]

    public init(parsing text: String, name: String) throws(ConfigError) {
        var section = ""
        var entries: [Entry] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = rawLine.trimmedSpaces
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), line.count > 2 else {
                    throw ConfigError("\(name):\(number): a section header looks like [name]")
                }
                section = line.dropFirst().dropLast().trimmedSpaces
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigError("\(name):\(number): expected key = value")
            }
            let key = line[..<equals].trimmedSpaces
            let value = line[line.index(after: equals)...].trimmedSpaces
            guard !key.isEmpty else { throw ConfigError("\(name):\(number): the key before '=' is empty") }
            guard !section.isEmpty else {
                throw ConfigError("\(name):\(number): '\(key)' must be inside a [section]")
            }
            entries.append(Entry(section: section, key: key, value: value, line: number))
        }
        self.entries = entries
    }
}

import FoundationEssentials
import Glibc
