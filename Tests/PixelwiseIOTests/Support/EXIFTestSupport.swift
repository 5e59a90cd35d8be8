import Foundation

/// A camera-style EXIF stream built byte by byte, big-endian as many cameras write it: IFD0 (camera, date,
/// orientation, resolution), the EXIF IFD, the GPS IFD and a thumbnail IFD1, each directory followed by its
/// values longer than 4 bytes. Built here, not by libtiff, so that reading it tests libtiff against bytes
/// no library of ours wrote.
struct HandBuiltEXIF {
    struct Entry {
        var tag: UInt16
        var type: UInt16
        var count: Int
        /// Big-endian.
        var payload: [UInt8]
    }

    static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
    static func be32(_ value: UInt32) -> [UInt8] { (0..<4).reversed().map { UInt8((value >> (8 * $0)) & 0xFF) } }

    static func ascii(_ tag: UInt16, _ text: String) -> Entry {
        let payload = Array(text.utf8) + [0]
        return Entry(tag: tag, type: 2, count: payload.count, payload: payload)
    }
    static func shorts(_ tag: UInt16, _ values: [UInt16]) -> Entry {
        Entry(tag: tag, type: 3, count: values.count, payload: values.flatMap(be16))
    }
    static func longs(_ tag: UInt16, _ values: [UInt32]) -> Entry {
        Entry(tag: tag, type: 4, count: values.count, payload: values.flatMap(be32))
    }
    static func rationals(_ tag: UInt16, _ values: [(UInt32, UInt32)]) -> Entry {
        Entry(tag: tag, type: 5, count: values.count, payload: values.flatMap { be32($0.0) + be32($0.1) })
    }
    static func srationals(_ tag: UInt16, _ values: [(Int32, Int32)]) -> Entry {
        Entry(tag: tag, type: 10, count: values.count,
              payload: values.flatMap { be32(UInt32(bitPattern: $0.0)) + be32(UInt32(bitPattern: $0.1)) })
    }
    static func undefined(_ tag: UInt16, _ bytes: [UInt8]) -> Entry {
        Entry(tag: tag, type: 7, count: bytes.count, payload: bytes)
    }
    static func bytes(_ tag: UInt16, _ bytes: [UInt8]) -> Entry {
        Entry(tag: tag, type: 1, count: bytes.count, payload: bytes)
    }

    var ifd0: [Entry] = []
    var exif: [Entry] = []
    var gps: [Entry] = []
    var ifd1: [Entry] = []

    /// The stream: header, IFD0 (with ExifIFD and GPSInfo pointers added), EXIF IFD, GPS IFD, IFD1.
    func build() -> [UInt8] {
        let pointers = [Self.longs(34665, [0]), Self.longs(34853, [0])]
        let blocks = [ifd0 + pointers, exif, gps, ifd1].map { $0.sorted { $0.tag < $1.tag } }
        func size(_ entries: [Entry]) -> Int {
            2 + 12 * entries.count + 4 + entries.reduce(0) { $0 + ($1.payload.count > 4 ? ($1.payload.count + 1) / 2 * 2 : 0) }
        }
        var offsets = [8]
        for block in blocks.dropLast() { offsets.append(offsets.last! + size(block)) }
        var out: [UInt8] = Array("MM".utf8) + [0, 42] + Self.be32(8)
        for (index, block) in blocks.enumerated() {
            let start = offsets[index]
            var extra = [UInt8]()
            var directory = Self.be16(UInt16(block.count))
            for var entry in block {
                if index == 0, entry.tag == 34665 { entry.payload = Self.be32(UInt32(offsets[1])) }
                if index == 0, entry.tag == 34853 { entry.payload = Self.be32(UInt32(offsets[2])) }
                directory += Self.be16(entry.tag) + Self.be16(entry.type) + Self.be32(UInt32(entry.count))
                if entry.payload.count > 4 {
                    directory += Self.be32(UInt32(start + 2 + 12 * block.count + 4 + extra.count))
                    extra += entry.payload
                    if extra.count % 2 == 1 { extra.append(0) }
                } else {
                    directory += entry.payload + [UInt8](repeating: 0, count: 4 - entry.payload.count)
                }
            }
            // IFD0's next directory is the thumbnail's; the others end the chain.
            directory += Self.be32(index == 0 && !ifd1.isEmpty ? UInt32(offsets[3]) : 0)
            out += directory + extra
        }
        return out
    }

    /// What a camera writes: Canon-like camera, orientation 6 (rotate 90° to view), dates, exposure, and
    /// a position of 51° 30′ 26.46″ N, 0° 7′ 39.93″ W at 35.5 m.
    static let camera: HandBuiltEXIF = {
        var exif = HandBuiltEXIF()
        exif.ifd0 = [ascii(271, "Canon"), ascii(272, "Canon EOS 5D Mark IV"), shorts(274, [6]),
                     rationals(282, [(72, 1)]), rationals(283, [(72, 1)]), shorts(296, [2]),
                     ascii(305, "Firmware 1.2.3"), ascii(306, "2024:05:17 14:03:27"), shorts(531, [2])]
        exif.exif = [rationals(33434, [(1, 250)]), rationals(33437, [(28, 10)]), shorts(34855, [400]),
                     undefined(36864, Array("0231".utf8)), ascii(36867, "2024:05:17 14:03:27"),
                     ascii(36868, "2024:05:17 14:03:27"), srationals(37380, [(-1, 3)]),
                     rationals(37386, [(50, 1)]), undefined(37500, (0..<40).map { UInt8($0) }),
                     undefined(37510, Array("ASCII\0\0\0a sunny day".utf8)), shorts(40961, [1]),
                     longs(40962, [6720]), longs(40963, [4480]),
                     // Tags libtiff does not know: kept with their own types.
                     longs(0xC350, [123_456, 7]), srationals(0xC351, [(-7, 2)])]
        exif.gps = [bytes(0, [2, 3, 0, 0]), ascii(1, "N"), rationals(2, [(51, 1), (30, 1), (2646, 100)]),
                    ascii(3, "W"), rationals(4, [(0, 1), (7, 1), (3993, 100)]), bytes(5, [0]),
                    rationals(6, [(355, 10)]), ascii(18, "WGS-84")]
        exif.ifd1 = [shorts(259, [6]), longs(513, [0]), longs(514, [0])]
        return exif
    }()
}
