/// A small JSON reader that remembers the line of every value, so that errors can point at it.
///
/// Kept instead of Foundation's readers for its messages, not its speed: on a 100,000-defect map (7 MB)
/// `JSONSerialization` took 0.57 s of CPU and `JSONDecoder` 0.5–0.6 s (release, measured 2026-12), fast
/// enough, but neither says on which line a value is wrong ("line 12: candidate 3: \"channel\" 4 is not …"),
/// and a user editing a map by hand needs that.
struct MapJSONParser {
    struct Value {
        indirect enum Kind {
            case object([(key: String, value: Value)])
            case array([Value])
            case string(String)
            case number(Double)
            case bool(Bool)
            case null
        }
        var kind: Kind
        var line: Int
    }

    let bytes: [UInt8]
    let source: String
    var index = 0
    var line = 1
    var depth = 0

    init(bytes: [UInt8], source: String) {
        self.bytes = bytes
        self.source = source
    }

    mutating func parseDocument() throws -> Value {
        // A UTF-8 byte-order mark is allowed before the document.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        let value = try parseValue()
        skipSpace()
        guard index == bytes.count else { throw error("unexpected text after the JSON document") }
        return value
    }

    func error(_ detail: String) -> DefectMapError {
        .badLine(path: source, line: line, detail: "invalid JSON: \(detail)")
    }

    mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\n"): line += 1; index += 1
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): index += 1
            default: return
            }
        }
    }

    mutating func expect(_ character: UInt8, _ what: String) throws {
        skipSpace()
        guard index < bytes.count, bytes[index] == character else {
            throw error(index < bytes.count ? "expected \(what)" : "the file ends early, expected \(what)")
        }
        index += 1
    }

    mutating func parseValue() throws -> Value {
        skipSpace()
        guard index < bytes.count else { throw error("the file ends where a value should be") }
        let startLine = line
        switch bytes[index] {
        case UInt8(ascii: "{"):
            depth += 1
            defer { depth -= 1 }
            guard depth < 200 else { throw error("nested too deeply") }
            index += 1
            var members = [(key: String, value: Value)]()
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return Value(kind: .object(members), line: startLine)
            }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a quoted member name") }
                let key = try parseString()
                try expect(UInt8(ascii: ":"), "':' after \"\(key)\"")
                members.append((key, try parseValue()))
                skipSpace()
                guard index < bytes.count else { throw error("the file ends inside an object, expected ',' or '}'") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; break }
                throw error("expected ',' or '}' after \"\(key)\"")
            }
            return Value(kind: .object(members), line: startLine)
        case UInt8(ascii: "["):
            depth += 1
            defer { depth -= 1 }
            guard depth < 200 else { throw error("nested too deeply") }
            index += 1
            var items = [Value]()
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return Value(kind: .array(items), line: startLine)
            }
            while true {
                items.append(try parseValue())
                skipSpace()
                guard index < bytes.count else { throw error("the file ends inside an array, expected ',' or ']'") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; break }
                throw error("expected ',' or ']'")
            }
            return Value(kind: .array(items), line: startLine)
        case UInt8(ascii: "\""):
            return Value(kind: .string(try parseString()), line: startLine)
        case UInt8(ascii: "t"): try literal("true"); return Value(kind: .bool(true), line: startLine)
        case UInt8(ascii: "f"): try literal("false"); return Value(kind: .bool(false), line: startLine)
        case UInt8(ascii: "n"): try literal("null"); return Value(kind: .null, line: startLine)
        default:
            return Value(kind: .number(try parseNumber()), line: startLine)
        }
    }

    mutating func literal(_ word: String) throws {
        let utf8 = Array(word.utf8)
        guard bytes.count - index >= utf8.count, Array(bytes[index..<index + utf8.count]) == utf8 else {
            throw error("unexpected character")
        }
        index += utf8.count
    }

    mutating func parseNumber() throws -> Double {
        let start = index
        func isNumberByte(_ b: UInt8) -> Bool {
            (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+")
                || b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
        }
        while index < bytes.count, isNumberByte(bytes[index]) { index += 1 }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        // JSON numbers: optional minus, digits without a leading zero, optional fraction and exponent.
        guard !text.isEmpty, isJSONNumber(text), let value = Double(text) else {
            throw error(text.isEmpty ? "unexpected character" : "'\(text)' is not a number")
        }
        return value
    }

    func isJSONNumber(_ text: String) -> Bool {
        var s = Substring(text)
        if s.first == "-" { s = s.dropFirst() }
        let integer = s.prefix(while: \.isASCIIDigit)
        guard !integer.isEmpty, integer == "0" || integer.first != "0" else { return false }
        s = s.dropFirst(integer.count)
        if s.first == "." {
            s = s.dropFirst()
            let fraction = s.prefix(while: \.isASCIIDigit)
            guard !fraction.isEmpty else { return false }
            s = s.dropFirst(fraction.count)
        }
        if s.first == "e" || s.first == "E" {
            s = s.dropFirst()
            if s.first == "+" || s.first == "-" { s = s.dropFirst() }
            let exponent = s.prefix(while: \.isASCIIDigit)
            guard !exponent.isEmpty else { return false }
            s = s.dropFirst(exponent.count)
        }
        return s.isEmpty
    }

    mutating func parseString() throws -> String {
        index += 1  // the opening quote
        var scalars = String.UnicodeScalarView()
        var run = [UInt8]()
        func flush() {
            if !run.isEmpty {
                scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
                run.removeAll(keepingCapacity: true)
            }
        }
        while index < bytes.count {
            let b = bytes[index]
            index += 1
            switch b {
            case UInt8(ascii: "\""):
                flush()
                return String(scalars)
            case UInt8(ascii: "\\"):
                flush()
                guard index < bytes.count else { break }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code), bytes.count - index >= 6,
                       bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                        index += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("bad \\u surrogate pair") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                default:
                    throw error("bad escape '\\\(Character(Unicode.Scalar(e)))' in a string")
                }
            case UInt8(ascii: "\n"):
                throw error("a string runs past the end of its line")
            default:
                run.append(b)
            }
        }
        throw error("the file ends inside a string")
    }

    mutating func hex4() throws -> UInt32 {
        guard bytes.count - index >= 4,
              let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16) else {
            throw error("bad \\u escape")
        }
        index += 4
        return value
    }
}

private extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
