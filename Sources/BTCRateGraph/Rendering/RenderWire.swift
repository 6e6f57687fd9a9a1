import BTCRateCore
import LibRRD

/// The bytes between the graph service and its render workers, over a
/// socket pair: frames of a 4-byte little-endian length and a payload.
///
/// Both ends are the same binary, so the format needs no versioning; it only
/// needs to be exact, bounded and quick for PNGs of megabytes and exports of
/// ten thousand rows, which JSON is not.
enum RenderWire {
    /// No frame is larger: a 3000 x 1500 PNG is a few MB, a 10,000-row export 250 KB.
    static let maxFrame = 64 << 20

    enum Tag: UInt8 {
        case hello = 1, graph = 2, export = 3, failed = 4
    }

    struct Malformed: Error, CustomStringConvertible {
        let what: String
        var description: String { "malformed render frame: \(what)" }
    }

    // MARK: jobs (service → worker)

    static func encode(_ job: RenderJob) -> [UInt8] {
        var writer = WireWriter()
        switch job {
        case .graph(let graph):
            writer.byte(Tag.graph.rawValue)
            writer.strings(graph.arguments)
            writer.string(graph.timeZone.name)
            if let probe = graph.probe {
                writer.byte(1)
                writer.strings(probe.arguments)
                writer.int(probe.plotHeight)
                writer.byte(probe.logarithmic ? 1 : 0)
            } else {
                writer.byte(0)
            }
        case .export(let arguments, let zone):
            writer.byte(Tag.export.rawValue)
            writer.strings(arguments)
            writer.string(zone.name)
        }
        return writer.bytes
    }

    static func decodeJob(_ payload: [UInt8]) throws -> RenderJob {
        var reader = WireReader(payload)
        let tag = try reader.byte()
        let arguments = try reader.strings()
        // The service checked the name; the worker checks it again before it
        // becomes TZ, since a frame is only bytes.
        let zoneName = try reader.string()
        guard let zone = TimeZoneName(zoneName) else { throw Malformed(what: "time zone '\(zoneName.prefix(64))'") }
        switch Tag(rawValue: tag) {
        case .graph:
            var probe: AxisProbe?
            if try reader.byte() == 1 {
                probe = AxisProbe(arguments: try reader.strings(), plotHeight: try reader.int(), logarithmic: try reader.byte() == 1)
            }
            return .graph(GraphArguments.Graph(arguments: arguments, probe: probe, timeZone: zone))
        case .export: return .export(arguments: arguments, timeZone: zone)
        default: throw Malformed(what: "job tag \(tag)")
        }
    }

    // MARK: replies (worker → service)

    /// The first frame a worker sends: it runs, and which process it is.
    static func hello(pid: Int32) -> [UInt8] {
        var writer = WireWriter()
        writer.byte(Tag.hello.rawValue)
        writer.int(Int(pid))
        return writer.bytes
    }

    static func decodeHello(_ payload: [UInt8]) throws -> Int32 {
        var reader = WireReader(payload)
        guard try reader.byte() == Tag.hello.rawValue else { throw Malformed(what: "no hello") }
        return Int32(truncatingIfNeeded: try reader.int())
    }

    static func encode(_ reply: RenderReply) -> [UInt8] {
        var writer = WireWriter()
        switch reply {
        case .graph(let result):
            writer.byte(Tag.graph.rawValue)
            writer.blob(result.image)
            // Numbers and texts only: the geometry and the legend. Blobs other than
            // the image are never asked for.
            let fields = result.fields.compactMap { key, value -> (String, RRDInfoValue)? in
                if case .blob = value { return nil }
                return (key, value)
            }
            writer.int(fields.count)
            for (key, value) in fields {
                writer.string(key)
                if let text = value.stringValue {
                    writer.byte(1)
                    writer.string(text)
                } else {
                    writer.byte(0)
                    writer.double(value.doubleValue ?? .nan)
                }
            }
        case .export(let series, let offsets):
            writer.byte(Tag.export.rawValue)
            writer.int(offsets.count)
            for offset in offsets { writer.int(offset) }
            writer.int(series.start)
            writer.int(series.end)
            writer.int(series.step)
            writer.strings(series.dataSources)
            writer.int(series.rows.count)
            for row in series.rows {
                for value in row { writer.double(value) }
            }
        case .failed(let message):
            writer.byte(Tag.failed.rawValue)
            writer.string(message)
        }
        return writer.bytes
    }

    static func decodeReply(_ payload: [UInt8]) throws -> RenderReply {
        var reader = WireReader(payload)
        let tag = try reader.byte()
        switch Tag(rawValue: tag) {
        case .graph:
            let image = try reader.blob()
            var fields: [String: RRDInfoValue] = [:]
            for _ in 0..<(try reader.count(atMost: 100_000)) {
                let key = try reader.string()
                fields[key] = try reader.byte() == 1 ? .text(try reader.string()) : .number(try reader.double())
            }
            return .graph(RRDGraphResult(image: image, fields: fields))
        case .export:
            let offsets = try (0..<(try reader.count(atMost: 10_000_000))).map { _ in try reader.int() }
            let start = try reader.int(), end = try reader.int(), step = try reader.int()
            let sources = try reader.strings()
            let rowCount = try reader.count(atMost: 10_000_000)
            var rows: [[Double]] = []
            rows.reserveCapacity(rowCount)
            for _ in 0..<rowCount {
                rows.append(try sources.map { _ in try reader.double() })
            }
            return .export(RRDSeries(start: start, end: end, step: step, dataSources: sources, rows: rows), utcOffsets: offsets)
        case .failed:
            return .failed(try reader.string())
        default:
            throw Malformed(what: "reply tag \(tag)")
        }
    }

    /// A frame's 4-byte header for a payload of `count` bytes.
    static func header(_ count: Int) -> [UInt8] {
        let value = UInt32(count)
        return [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)]
    }

    /// The payload length a header announces, refused past `maxFrame`.
    static func length(ofHeader bytes: [UInt8]) throws -> Int {
        let value = bytes.enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard value <= maxFrame else { throw Malformed(what: "a frame of \(value) bytes") }
        return value
    }
}

/// Appends little-endian numbers, length-prefixed strings and blobs.
struct WireWriter {
    private(set) var bytes: [UInt8] = []

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    mutating func int(_ value: Int) {
        let raw = UInt64(bitPattern: Int64(value))
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(raw >> UInt64(shift) & 0xFF)) }
    }

    mutating func double(_ value: Double) { int(Int(Int64(bitPattern: value.bitPattern))) }

    mutating func blob(_ value: [UInt8]) {
        int(value.count)
        bytes.append(contentsOf: value)
    }

    mutating func string(_ value: String) { blob(Array(value.utf8)) }

    mutating func strings(_ values: [String]) {
        int(values.count)
        for value in values { string(value) }
    }
}

/// Reads what `WireWriter` wrote; every read is bounds-checked.
struct WireReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw RenderWire.Malformed(what: "truncated") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func int() throws -> Int {
        guard bytes.count - offset >= 8 else { throw RenderWire.Malformed(what: "truncated") }
        var raw: UInt64 = 0
        for index in 0..<8 { raw |= UInt64(bytes[offset + index]) << UInt64(8 * index) }
        offset += 8
        return Int(Int64(bitPattern: raw))
    }

    mutating func double() throws -> Double { Double(bitPattern: UInt64(bitPattern: Int64(try int()))) }

    /// A count that must be plausible before anything is allocated for it.
    mutating func count(atMost limit: Int) throws -> Int {
        let value = try int()
        guard (0...limit).contains(value) else { throw RenderWire.Malformed(what: "a count of \(value)") }
        return value
    }

    mutating func blob() throws -> [UInt8] {
        let length = try count(atMost: bytes.count - offset)
        defer { offset += length }
        return Array(bytes[offset..<offset + length])
    }

    mutating func string() throws -> String { String(decoding: try blob(), as: UTF8.self) }

    mutating func strings() throws -> [String] {
        try (0..<(try count(atMost: 100_000))).map { _ in try string() }
    }
}
