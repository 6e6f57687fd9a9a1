import CRRD

/// One value of librrd's `rrd_info_t` list, copied out of C memory.
public enum RRDInfoValue: Sendable, Equatable {
    case number(Double)
    case count(UInt)
    case text(String)
    case integer(Int)
    case blob([UInt8])

    public var doubleValue: Double? {
        switch self {
        case .number(let value): value
        case .count(let value): Double(value)
        case .integer(let value): Double(value)
        case .text(let value): Double(value)
        case .blob: nil
        }
    }

    public var stringValue: String? {
        if case .text(let value) = self { return value }
        return nil
    }

    /// Walks the linked list; the caller still owns (and frees) it.
    static func dictionary(from list: UnsafeMutablePointer<rrd_info_t>?) -> [String: RRDInfoValue] {
        var result: [String: RRDInfoValue] = [:]
        var node = list
        while let current = node {
            let key = String(cString: current.pointee.key)
            let value = current.pointee.value
            switch current.pointee.type {
            case RD_I_VAL: result[key] = .number(value.u_val)
            case RD_I_CNT: result[key] = .count(value.u_cnt)
            case RD_I_STR: result[key] = .text(value.u_str.map { String(cString: $0) } ?? "")
            case RD_I_INT: result[key] = .integer(Int(value.u_int))
            case RD_I_BLO:
                let blob = value.u_blo
                if let bytes = blob.ptr, blob.size > 0 {
                    result[key] = .blob(Array(UnsafeBufferPointer(start: bytes, count: Int(blob.size))))
                } else {
                    result[key] = .blob([])
                }
            default: break
            }
            node = current.pointee.next
        }
        return result
    }
}
