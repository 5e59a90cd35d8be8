"""Writes small valid DNGs as seeds for FuzzRAW (scripts/fuzz.sh calls it).

LibRaw refuses mosaics under 22 pixels a side and the TIFF seeds the other targets use are not camera RAW,
so without these FuzzRAW mutates files LibRaw rejects at once. The layout is the tests' `minimalDNG`
(Tests/PixelwiseIOTests/Support/CodecTestSupport.swift): one uncompressed 16-bit CFA strip.
"""

from __future__ import annotations

import random
import struct
import sys
from pathlib import Path

SHORT, LONG, ASCII, BYTE, SRATIONAL = 3, 4, 2, 1, 10
TYPE_SIZES = {BYTE: 1, ASCII: 1, SHORT: 2, LONG: 4, SRATIONAL: 8}


def minimal_dng(width: int, height: int, pattern: bytes, seed: int,
                active_area: tuple[int, int, int, int] | None = None) -> bytes:
    """A little-endian DNG of a random `width` × `height` mosaic with the 2×2 CFA `pattern`."""
    rng = random.Random(seed)
    pixels = b"".join(struct.pack("<H", rng.randrange(65536)) for _ in range(width * height))
    entries: list[tuple[int, int, bytes]] = []

    def add(tag: int, kind: int, values: list | bytes | str) -> None:
        if kind == ASCII:
            data = values.encode() + b"\0"
        elif kind == BYTE:
            data = bytes(values)
        elif kind == SHORT:
            data = b"".join(struct.pack("<H", v) for v in values)
        elif kind == LONG:
            data = b"".join(struct.pack("<I", v) for v in values)
        else:
            data = b"".join(struct.pack("<ii", n, d) for n, d in values)
        entries.append((tag, kind, data))

    add(254, LONG, [0])
    add(256, LONG, [width])
    add(257, LONG, [height])
    add(258, SHORT, [16])
    add(259, SHORT, [1])
    add(262, SHORT, [32803])
    add(271, ASCII, "Pixelwise")
    add(272, ASCII, "Fuzz")
    add(273, LONG, [0])  # patched below
    add(277, SHORT, [1])
    add(278, LONG, [height])
    add(279, LONG, [len(pixels)])
    add(33421, SHORT, [2, 2])
    add(33422, BYTE, pattern)
    add(50706, BYTE, [1, 4, 0, 0])
    add(50707, BYTE, [1, 1, 0, 0])
    add(50708, ASCII, "Pixelwise Fuzz")
    add(50717, SHORT, [65535])
    add(50721, SRATIONAL, [(1, 1), (0, 1), (0, 1), (0, 1), (1, 1), (0, 1), (0, 1), (0, 1), (1, 1)])
    add(50778, SHORT, [21])
    if active_area:
        add(50829, LONG, list(active_area))
    entries.sort()

    ifd_offset = 8
    ifd_size = 2 + 12 * len(entries) + 4
    extra_offset = ifd_offset + ifd_size
    extra = b""
    offsets = {}
    for tag, kind, data in entries:
        if len(data) > 4:
            offsets[tag] = extra_offset + len(extra)
            extra += data + (b"\0" if len(data) % 2 else b"")
    pixel_offset = extra_offset + len(extra)
    out = b"II*\0" + struct.pack("<I", ifd_offset) + struct.pack("<H", len(entries))
    for tag, kind, data in entries:
        if tag == 273:
            data = struct.pack("<I", pixel_offset)
        count = len(data) // TYPE_SIZES[kind]
        field = struct.pack("<I", offsets[tag]) if tag in offsets else data.ljust(4, b"\0")
        out += struct.pack("<HHI", tag, kind, count) + field
    return out + struct.pack("<I", 0) + extra + pixels


def main(folder: str) -> None:
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    for index, (name, pattern) in enumerate([("rggb", b"\0\1\1\2"), ("bggr", b"\2\1\1\0"), ("grbg", b"\1\0\2\1")]):
        (target / f"{name}.dng").write_bytes(minimal_dng(24 + 2 * index, 22 + index, pattern, seed=index))
    (target / "active-area.dng").write_bytes(minimal_dng(32, 26, b"\0\1\1\2", seed=9, active_area=(2, 4, 24, 28)))


if __name__ == "__main__":
    main(sys.argv[1])
