"""The bad-input matrix of issue 15: every case must fail cleanly.

Each case runs the CLI and checks: a non-zero exit that is not a signal, exactly one stderr line
"pixelwise: error: ..." naming the file or argument at fault, no output (nor temporary file) left in the
folder, and every input byte for byte unchanged. Bit-flipped files may also decode (exit 0): then only
"no signal" and "inputs unchanged" are required.
"""
import hashlib
import os
import shutil
import signal
import stat
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

FORMATS = ["png", "jpg", "tif", "npy", "ppm", "pgm"]


@pytest.fixture(scope="module")
def base(tmp_path_factory, pixelwise):
    """Valid small files of every format (from `generate scene`), a mask, frames and a state."""
    folder = tmp_path_factory.mktemp("bad-inputs-base")
    run = lambda *a: subprocess.run([pixelwise, *map(str, a)], check=True, capture_output=True)
    run("generate", "scene", "--size", "40x30", "-o", folder / "base.png")
    run("generate", "scene", "--size", "40x30", "--channels", "1", "-o", folder / "gray.png")
    for ext in ["jpg", "tif", "npy", "ppm"]:
        run("crop", folder / "base.png", "--region", "0,0,40,30", "-o", folder / f"base.{ext}")
    run("crop", folder / "gray.png", "--region", "0,0,40,30", "-o", folder / "base.pgm")
    frames = []
    for i in range(3):
        a = ((np.arange(30 * 40).reshape(30, 40) * (5 + i)) % 200).astype(np.uint8)
        np.save(folder / f"frame{i}.npy", a)
        frames.append(folder / f"frame{i}.npy")
    run("hotpixels", "scan", *frames, "--save-state", folder / "good.state")
    return folder


class Case:
    def __init__(self, tmp_path, base, run):
        self.dir = tmp_path
        self.base = base
        self.run_cli = run

    def copy(self, name, new=None):
        data = (self.base / name).read_bytes()
        target = self.dir / (new or name)
        target.write_bytes(data)
        return target

    def write(self, name, data):
        target = self.dir / name
        target.write_bytes(data if isinstance(data, bytes) else data.encode())
        return target

    def snapshot(self):
        files = {}
        for p in sorted(self.dir.rglob("*")):
            if p.is_file() and not stat.S_ISFIFO(p.stat().st_mode):
                files[p.relative_to(self.dir)] = hashlib.sha256(p.read_bytes()).hexdigest()
            elif p.is_dir() or stat.S_ISFIFO(p.stat().st_mode):
                files[p.relative_to(self.dir)] = "special"
        return files

    def refused(self, args, *fragments, may_succeed=False, timeout=60, env_prefix=None):
        before = self.snapshot()
        command = [self.run_cli, *map(str, args)]
        if env_prefix:
            command = env_prefix + command
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=self.dir)
        assert result.returncode >= 0, f"killed by signal {-result.returncode}: {result.stderr}"
        assert result.returncode < 128, f"exit {result.returncode} (a signal in a shell?): {result.stderr}"
        if may_succeed and result.returncode == 0:
            after = self.snapshot()
            for name, digest in before.items():
                assert after.get(name) == digest, f"input {name} changed"
            return result
        assert result.returncode in (1, 2), f"exit {result.returncode}: {result.stderr}"
        lines = [l for l in result.stderr.splitlines() if l.strip()]
        assert len(lines) == 1, f"expected one line: {result.stderr!r}"
        assert lines[0].startswith("pixelwise: error: "), lines[0]
        for fragment in fragments:
            assert str(fragment) in lines[0], f"{fragment!r} missing from {lines[0]!r}"
        after = self.snapshot()
        assert after == before, f"files changed: before {sorted(map(str, before))}, after {sorted(map(str, after))}"
        return result


@pytest.fixture
def case(tmp_path, base, pixelwise):
    return Case(tmp_path, base, pixelwise)


def crop(path, out="out.png"):
    return ["crop", path, "--region", "0,0,2,2", "-o", out]


# --- Damaged files of every format -------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_file(case, fmt):
    p = case.write(f"empty.{fmt}", b"")
    case.refused(crop(p), p.name)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("where", ["4", "20", "half", "minus1"])
def test_truncated_file(case, fmt, where):
    data = (case.base / f"base.{fmt}").read_bytes()
    n = {"4": 4, "20": 20, "half": len(data) // 2, "minus1": len(data) - 1}[where]
    if fmt in ("jpg", "png") and where == "minus1":
        # A JPEG missing only the end of its EOI marker, or a PNG the last byte of its IEND chunk's CRC, still
        # holds every pixel: decoding it is not a failure.
        p = case.write(f"cut.{fmt}", data[:n])
        case.refused(crop(p), p.name, may_succeed=True)
        return
    p = case.write(f"cut.{fmt}", data[:n])
    case.refused(crop(p), p.name)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("seed", range(4))
def test_bit_flipped_file(case, fmt, seed):
    data = bytearray((case.base / f"base.{fmt}").read_bytes())
    rng = np.random.default_rng(seed * 31 + FORMATS.index(fmt))
    # Flip bits in the first 64 bytes (headers) and a few anywhere.
    for i in list(rng.integers(0, min(64, len(data)), 3)) + list(rng.integers(0, len(data), 3)):
        data[int(i)] ^= 1 << int(rng.integers(0, 8))
    p = case.write(f"flip.{fmt}", bytes(data))
    case.refused(crop(p), p.name, may_succeed=True)
    case.refused(["info", p], p.name, may_succeed=True)


# --- Decompression bombs: headers that declare huge images -------------------------------------

def png_chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)


def png_bomb(width, height, extra=b""):
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1000)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + extra + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def tiff_bomb(width, height, rows_per_strip=None, tile=None):
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
               (277, 3, 1, 1)]
    if tile:
        entries += [(322, 4, 1, tile), (323, 4, 1, tile), (324, 4, 1, 8), (325, 4, 1, 16)]
    else:
        entries += [(273, 4, 1, 8), (278, 4, 1, rows_per_strip or height), (279, 4, 1, 16)]
    entries.sort()
    ifd = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", t, k, c, v) for t, k, c, v in entries) + b"\0\0\0\0"
    return b"II*\0" + struct.pack("<I", 24) + b"\0" * 16 + ifd


@pytest.mark.parametrize("kind", ["png", "png_wide", "png_ztxt", "tif_strips", "tif_tile", "tif_strip_count",
                                  "npy", "npy_negative", "pgm", "ppm", "jpg"])
def test_decompression_bomb(case, kind):
    if kind == "png":
        data = png_bomb(100000, 100000)
    elif kind == "png_wide":
        data = png_bomb(2**31 - 1, 1)
    elif kind == "png_ztxt":
        # A 1×1 image with a zTXt chunk whose text inflates to 64 MB.
        text = zlib.compress(b"\0" * (64 << 20), 9)
        data = png_bomb(1, 1, png_chunk(b"zTXt", b"Comment\0\0" + text))
        p = case.write("bomb.png", data)
        case.refused(crop(p, "out.npy"), p.name, may_succeed=True)
        return
    elif kind == "tif_strips":
        data = tiff_bomb(100000, 100000)
    elif kind == "tif_tile":
        data = tiff_bomb(64, 64, tile=1 << 30)
    elif kind == "tif_strip_count":
        data = tiff_bomb(16, 2**31 - 1, rows_per_strip=1)
    elif kind == "npy":
        header = b"{'descr': '|u1', 'fortran_order': False, 'shape': (100000, 100000), }"
        header += b" " * (118 - len(header)) + b"\n"
        data = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + b"\0" * 100
    elif kind == "npy_negative":
        header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (-5, 3), }"
        header += b" " * (118 - len(header)) + b"\n"
        data = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + b"\0" * 100
    elif kind == "pgm":
        data = b"P5\n100000 100000\n255\n" + b"\0" * 100
    elif kind == "ppm":
        data = b"P6\n99999999999999999999 3\n255\n" + b"\0" * 100
    elif kind == "jpg":
        base = bytearray((case.base / "base.jpg").read_bytes())
        i = base.find(b"\xff\xc0")
        if i < 0:
            i = base.find(b"\xff\xc2")
        base[i + 5:i + 9] = struct.pack(">HH", 65500, 65500)
        data = bytes(base)
    ext = {"png_wide": "png", "tif_strips": "tif", "tif_tile": "tif", "tif_strip_count": "tif",
           "npy_negative": "npy"}.get(kind, kind)
    p = case.write(f"bomb.{ext}", data)
    result = case.refused(crop(p), p.name)
    assert len(data) < 100_000


# --- Special files, paths and permissions -----------------------------------------------------

def test_directory_as_image(case):
    d = case.dir / "folder.png"
    d.mkdir()
    case.refused(crop(d), "folder.png")


@pytest.mark.parametrize("role", ["image", "points", "map", "state", "radius_map"])
def test_fifo_as_file(case, role):
    fifo = case.dir / {"image": "pipe.png", "points": "pipe.csv", "map": "pipe.json", "state": "pipe.state",
                       "radius_map": "pipe.npy"}[role]
    os.mkfifo(fifo)
    img = case.copy("base.png")
    args = {"image": crop(fifo),
            "points": ["sample", img, "--points", fifo],
            "map": ["hotpixels", "fix", img, "--map", fifo, "-o", "out.png"],
            "state": ["hotpixels", "merge", fifo, "--map", "out.json"],
            "radius_map": ["blur", img, "--radius-map", fifo, "-o", "out.png"]}[role]
    case.refused(args, fifo.name, timeout=10)


def test_missing_file(case):
    case.refused(crop(case.dir / "nothing.png"), "nothing.png")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(case):
    p = case.copy("base.png")
    p.chmod(0)
    case.refused(crop(p), p.name)


def test_output_in_missing_folder(case):
    p = case.copy("base.png")
    case.refused(crop(p, case.dir / "no" / "such" / "out.png"), "out.png")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_output_in_read_only_folder(case):
    p = case.copy("base.png")
    d = case.dir / "ro"
    d.mkdir()
    d.chmod(0o555)
    case.refused(crop(p, d / "out.png"), "out.png")


def test_output_is_a_folder(case):
    p = case.copy("base.png")
    (case.dir / "out.png").mkdir()
    case.refused(crop(p, case.dir / "out.png"), "out.png")


@pytest.mark.parametrize("command", ["crop", "sample", "blur", "quantize", "fix", "sample_points", "blur_map", "scan_map"])
def test_output_equal_to_input(case, command):
    img = case.copy("base.npy")
    pts = case.write("p.csv", "1,1\n2,2\n")
    rmap = case.write("r.npy", b"")
    np.save(rmap, np.ones((30, 40)))
    frames = [case.copy(f"frame{i}.npy") for i in range(3)]
    args = {"crop": crop(img, img),
            "sample": ["sample", img, "--at", "1,1", "-o", img],
            "sample_points": ["sample", img, "--points", pts, "-o", pts],
            "blur": ["blur", img, "--radius", "2", "-o", img],
            "blur_map": ["blur", img, "--radius-map", rmap, "-o", rmap],
            "quantize": ["quantize", img, "--channel", "0", "-k", "2", "-o", img],
            "fix": ["hotpixels", "fix", img, "--pixel", "1,1", "-o", img],
            "scan_map": ["hotpixels", "scan", *frames, "--heatmap", frames[0]]}[command]
    case.refused(args, "is also")


@pytest.mark.parametrize("command", ["crop", "blur", "scan_state"])
def test_disk_full(case, command):
    """`ulimit -f` (100 KB) stands for a full disk: a clean error, no partial file, no temporary left."""
    img = case.write("big.npy", b"")
    np.save(img, (np.arange(600 * 800) % 251).astype(np.uint8).reshape(600, 800))
    frames = []
    for i in range(2):
        f = case.dir / f"fr{i}.npy"
        np.save(f, ((np.arange(600 * 800) * (i + 3)) % 251).astype(np.uint8).reshape(600, 800))
        frames.append(f)
    args = {"crop": ["crop", img, "--region", "0,0,800,600", "-o", "out.tif", "--tiff-compression", "none"],
            "blur": ["blur", img, "--radius", "3", "--dtype", "float64", "-o", "out.npy"],
            "scan_state": ["hotpixels", "scan", *frames, "--save-state", "out.state"]}[command]
    case.refused(args, "out.", env_prefix=["bash", "-c", 'ulimit -f 100; exec "$0" "$@"'])


# --- Bad numbers: radius maps, points, centres, K -------------------------------------------------

@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1"])
def test_bad_radius_map_values(case, value):
    img = case.copy("base.png")
    r = np.ones((30, 40))
    r[7, 11] = float(value)
    np.save(case.dir / "r.npy", r)
    case.refused(["blur", img, "--radius-map", "r.npy", "-o", "out.png"], "r.npy", "(x 11, y 7)")


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "-inf"])
def test_bad_uniform_radius(case, value):
    img = case.copy("base.png")
    case.refused(["blur", img, f"--radius={value}", "-o", "out.png"], "--radius")


@pytest.mark.parametrize("option", ["--per-pixel=nan", "--per-pixel=-1", "--per-pixel=inf", "--max-radius=nan", "--max-radius=-2"])
def test_bad_distance_parameters(case, option):
    img = case.copy("base.png")
    mask = case.copy("gray.png", "mask.png")
    args = ["blur", img, "--distance-from", mask, "-o", "out.png"]
    if not option.startswith("--per-pixel"):
        args += ["--per-pixel", "1"]
    case.refused(args + [option], option.split("=")[0])


@pytest.mark.parametrize("text", ["nan,1\n", "1,inf\n", "-1e300,2\n", "1,\n", "a,b\n1\n", "0x,5\n"])
def test_bad_points_csv(case, text):
    img = case.copy("base.png")
    p = case.write("points.csv", "x,y\n2,2\n" + text)
    case.refused(["sample", img, "--points", p, "-o", "out.csv"], "points.csv")


@pytest.mark.parametrize("array", ["nan", "inf", "shape3", "outside", "int_outside", "string"])
def test_bad_points_npy(case, array):
    img = case.copy("base.png")
    values = {"nan": np.array([[1.0, np.nan]]), "inf": np.array([[np.inf, 1.0]]),
              "shape3": np.zeros((4, 3)), "outside": np.array([[39.6, 1.0]]),
              "int_outside": np.array([[1, 30]], dtype=np.int64), "string": np.array([["a", "b"]])}[array]
    np.save(case.dir / "points.npy", values)
    case.refused(["sample", img, "--points", "points.npy", "-o", "out.csv"], "points.npy")


@pytest.mark.parametrize("at", ["nan,1", "1,inf", "-1,2", "1", "1,2,3", "x,y", "1e400,1"])
def test_bad_point_arguments(case, at):
    img = case.copy("base.png")
    case.refused(["sample", img, f"--at={at}", "-o", "out.csv"], "--at")


@pytest.mark.parametrize("centers", ["nan,1", "1,inf", "1,2,nan", "1,,2", "a"])
def test_bad_centres(case, centers):
    img = case.copy("gray.png")
    case.refused(["quantize", img, f"--centers={centers}", "-o", "out.png"], "--centers")


@pytest.mark.parametrize("k", ["0", "-1", "70000", "auto:5-2", "auto:0-3", "x"])
def test_k_out_of_range(case, k):
    img = case.copy("gray.png")
    case.refused(["quantize", img, f"-k={k}", "-o", "out.png"], "-k")


# --- Mismatched sizes -----------------------------------------------------------------------------

def test_radius_map_of_another_size(case):
    img = case.copy("base.png")
    np.save(case.dir / "r.npy", np.ones((29, 40)))
    case.refused(["blur", img, "--radius-map", "r.npy", "-o", "out.png"], "r.npy")


def test_mask_of_another_size(case):
    img = case.copy("base.png")
    np.save(case.dir / "m.npy", np.ones((30, 41), dtype=np.uint8))
    case.refused(["blur", img, "--distance-from", "m.npy", "--per-pixel", "1", "-o", "out.png"], "m.npy")


def test_merge_states_of_other_sizes(case, pixelwise):
    a = case.copy("good.state", "a.state")
    frames = []
    for i in range(2):
        np.save(case.dir / f"s{i}.npy", np.full((10, 12), i * 7, dtype=np.uint8))
        frames.append(case.dir / f"s{i}.npy")
    subprocess.run([pixelwise, "hotpixels", "scan", *frames, "--save-state", case.dir / "b.state"], check=True, capture_output=True)
    for f in frames:
        f.unlink()
    case.refused(["hotpixels", "merge", a, case.dir / "b.state", "--map", "out.json"], "b.state")


def test_resume_with_frames_of_another_size(case):
    state = case.copy("good.state", "s.state")
    np.save(case.dir / "other.npy", np.zeros((5, 5), dtype=np.uint8))
    np.save(case.dir / "other2.npy", np.zeros((5, 5), dtype=np.uint8))
    result = subprocess.run([case.run_cli, "hotpixels", "scan", "--resume", state, "other.npy", "other2.npy", "--map", "out.json"],
                            capture_output=True, text=True, cwd=case.dir)
    assert result.returncode == 1 and "other.npy" in result.stderr and not (case.dir / "out.json").exists()


# --- State files ----------------------------------------------------------------------------------

@pytest.mark.parametrize("damage", ["empty", "magic", "version", "truncated_header", "truncated_half", "truncated_minus1",
                                    "flipped_array", "flipped_header_size", "appended", "text"])
def test_damaged_state(case, damage):
    data = bytearray((case.base / "good.state").read_bytes())
    if damage == "empty":
        data = b""
    elif damage == "magic":
        data[0] ^= 0xFF
    elif damage == "version":
        data[8:12] = struct.pack("<I", 99)
    elif damage == "truncated_header":
        data = data[:20]
    elif damage == "truncated_half":
        data = data[:len(data) // 2]
    elif damage == "truncated_minus1":
        data = data[:-1]
    elif damage == "flipped_array":
        data[len(data) // 2] ^= 0x10
    elif damage == "flipped_header_size":
        data[16] ^= 0x40
    elif damage == "appended":
        data += b"\0" * 9
    elif damage == "text":
        data = b"not a state at all\n"
    p = case.write("bad.state", bytes(data))
    case.refused(["hotpixels", "merge", p, "--map", "out.json"], "bad.state")
    case.refused(["hotpixels", "scan", "--resume", p, case.copy("frame0.npy"), case.copy("frame1.npy"), "--map", "out.json"], "bad.state")


# --- Defect maps ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name,text", [
    ("outside.json", '[{"x": 40, "y": 1}]'),
    ("outside.csv", "x,y\n1,30\n"),
    ("outside.txt", "39 31 0\n"),
    ("outside.badpixels", "100 100\n"),
    ("negative.csv", "x,y\n-1,2\n"),
    ("letters.csv", "x,y\na,b\n"),
    ("short.csv", "x,y\n1\n"),
    ("broken.json", '[{"x": 1, "y": '),
    ("wrongtype.json", '{"x": 1}'),
    ("float.json", '[{"x": 1.5, "y": 2}]'),
    ("huge.json", '[{"x": 1e30, "y": 2}]'),
    ("garbage.txt", "hello world\n"),
    ("binary.badpixels", "\x00\x01\x02\xff"),
    ("channel.json", '[{"x": 1, "y": 1, "channel": 9}]'),
])
def test_bad_defect_map(case, name, text):
    img = case.copy("base.png")
    p = case.write(name, text)
    case.refused(["hotpixels", "fix", img, "--map", p, "-o", "out.png"], name)


def test_duplicate_defect_lines_are_fine(case):
    img = case.copy("base.png")
    p = case.write("dup.csv", "x,y\n3,4\n3,4\n")
    result = subprocess.run([case.run_cli, "hotpixels", "fix", img, "--map", p, "-o", "out.png"], capture_output=True, text=True, cwd=case.dir)
    assert result.returncode == 0, result.stderr


# --- Conflicting or missing flags -----------------------------------------------------------------

@pytest.mark.parametrize("args,fragment", [
    (["blur", "IMG", "--radius", "2", "--radius-map", "IMG", "-o", "out.png"], "only one of"),
    (["blur", "IMG", "--radius", "2", "-o", "out.png", "--output-dir", "."], "either -o or --output-dir"),
    (["blur", "IMG", "--radius", "2", "--per-pixel", "1", "-o", "out.png"], "--per-pixel"),
    (["blur", "IMG", "-o", "out.png"], "--radius"),
    (["sample", "IMG", "--at", "1,1", "--points", "p.csv"], "not both"),
    (["sample", "IMG"], "--points"),
    (["quantize", "IMG", "-k", "2", "--centers", "1,2", "-o", "out.png"], "-k and --centers"),
    (["hotpixels", "fix", "IMG", "--pixel", "1,1", "-o", "out.png", "--in-place"], "exactly one of"),
    (["hotpixels", "fix", "IMG", "--pixel", "1,1", "--map", "m.json", "-o", "out.png"], "either --pixel or --map"),
    (["hotpixels", "scan", "IMG", "IMG", "--checkpoint", "2"], "--checkpoint"),
    (["hotpixels", "scan", "IMG", "IMG", "--checkpoint", "0", "--save-state", "s.state"], "--checkpoint"),
    (["crop", "IMG", "--region", "0,0,0,5", "-o", "out.png"], "--region"),
    (["crop", "IMG", "--region", "30,20,20,20", "-o", "out.png"], "--region"),
    (["crop", "IMG", "--region", "0,0,5,5", "-o", "out.xyz"], "-o"),
])
def test_conflicting_flags(case, args, fragment):
    img = case.copy("base.png")
    case.write("p.csv", "1,1\n")
    case.write("m.json", "[]")
    case.refused([img if a == "IMG" else a for a in args], fragment)


# --- Resource limits: --max-memory, and images declared bigger than they are ----------------------

def gigabyte_file(kind):
    """About 100 bytes declaring a 32768×32768 one-channel uint8 image (1 GiB), under --max-pixels."""
    side = 32768
    if kind == "png":
        ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
        return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(b"\0" * 100)) + png_chunk(b"IEND", b"")
    if kind == "tif":
        return tiff_bomb(side, side)
    if kind == "npy":
        header = b"{'descr': '|u1', 'fortran_order': False, 'shape': (32768, 32768), }"
        header += b" " * (118 - len(header)) + b"\n"
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header
    return b"P5\n32768 32768\n255\n" + b"\0" * 80


MEMORY_COMMANDS = {
    "crop": lambda img: ["crop", img, "--region", "0,0,2,2", "-o", "out.png"],
    "blur": lambda img: ["blur", img, "--radius", "2", "-o", "out.png"],
    "blur_gaussian": lambda img: ["blur", img, "--kernel", "gaussian", "--radius", "2", "-o", "out.tif"],
    "sample": lambda img: ["sample", img, "--at", "1,1", "-o", "out.csv"],
    "quantize": lambda img: ["quantize", img, "-k", "2", "--labels", "labels.png"],
    "fix": lambda img: ["hotpixels", "fix", img, "--pixel", "1,1", "-o", "out.png"],
    "scan": lambda img: ["hotpixels", "scan", img, img, "--map", "out.json"],
}


@pytest.mark.parametrize("kind", ["png", "tif", "npy", "pgm"])
@pytest.mark.parametrize("limit", [None, "512M"])
def test_gigabyte_declared_in_100_bytes_allocates_nothing(case, tmp_path_factory, kind, limit):
    """Refused from the header (with --max-memory 512M: by the estimate; without: as truncated or corrupt),
    peak RSS no more than the program's own (the 1 GiB is never touched)."""
    time = shutil.which("time") or "/usr/bin/time"
    if not os.path.exists(time):
        pytest.skip("needs /usr/bin/time for the peak RSS")
    data = gigabyte_file(kind)
    assert len(data) <= 140
    p = case.write(f"gig.{kind}", data)
    report = tmp_path_factory.mktemp("rss") / "rss.txt"
    args = crop(p) + (["--max-memory", limit] if limit else [])
    case.refused(args, p.name, env_prefix=[time, "-f", "%M", "-o", str(report)])
    peak_kb = int(report.read_text().split()[-1])
    assert peak_kb < 100 * 1024, f"peak RSS {peak_kb} kB"


@pytest.mark.parametrize("command", sorted(MEMORY_COMMANDS))
def test_small_max_memory_refuses(case, command):
    img = case.copy("gray.png")
    case.refused(MEMORY_COMMANDS[command](img) + ["--max-memory", "1K"], "--max-memory 1.0 KiB", "gray.png", "needs about")


@pytest.mark.parametrize("command", sorted(MEMORY_COMMANDS))
def test_sufficient_max_memory_runs(case, command):
    img = case.copy("gray.png")
    result = subprocess.run([case.run_cli, *map(str, MEMORY_COMMANDS[command](img) + ["--max-memory", "1G"])],
                            capture_output=True, text=True, cwd=case.dir, timeout=60)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("kind", ["scene", "mask"])
def test_generate_checks_the_size_asked_for(case, kind):
    case.refused(["generate", kind, "--size", "100000x100000", "-o", "g.png", "--max-memory", "4G"], "--max-memory 4.0 GiB", "needs about")


@pytest.mark.parametrize("value", ["0", "-1", "abc", "1e400", "", "1.5.5", "10Q", "inf", "0.25"])
def test_bad_max_memory(case, value):
    img = case.copy("base.png")
    case.refused(crop(img) + [f"--max-memory={value}"], "--max-memory")


def test_radius_map_output_that_cannot_hold_floats_is_refused_before_the_blur(case):
    """A NaN in the map would stop the blur itself: the output check must come first."""
    img = case.copy("base.png")
    r = np.ones((30, 40), dtype=np.float32)
    r[3, 4] = np.nan
    np.save(case.dir / "r.npy", r)
    case.refused(["blur", img, "--radius-map", "r.npy", "--save-radius-map", "map.png", "-o", "out.tif"], "map.png", "float32")
    case.refused(["blur", img, "--radius-map", "r.npy", "--dtype", "float32", "-o", "out.png"], "out.png", "float32")


def test_huge_per_pixel_ratio_is_clamped(case):
    img = case.copy("base.png")
    mask = np.zeros((30, 40), dtype=np.uint8)
    mask[5, 6] = 1
    np.save(case.dir / "mask.npy", mask)
    outputs = []
    for ratio in ["1e20", "1e308", "1.7976931348623157e308"]:
        run = subprocess.run([case.run_cli, "blur", str(img), "--distance-from", "mask.npy", "--per-pixel", ratio,
                              "-o", f"out{len(outputs)}.npy", "--dtype", "float64"], capture_output=True, text=True, cwd=case.dir)
        assert run.returncode == 0, f"{ratio}: {run.stderr}"
        outputs.append(np.load(case.dir / f"out{len(outputs)}.npy"))
    assert all(np.array_equal(outputs[0], o) for o in outputs[1:])


@pytest.mark.parametrize("args", [["--centers=", "-o", "out.png"], ["-o", "out.png", "--centers="], ["--centers", "", "-o", "out.png"]])
def test_empty_centres(case, args):
    img = case.copy("gray.png")
    case.refused(["quantize", img, *args], "--centers")
