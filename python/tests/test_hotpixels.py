"""pixelwise.hotpixels: Scan (add, add_files, merge, state bytes, detect), scan and fix, against the CLI."""
from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

import pixelwise
from pixelwise import hotpixels

from conftest import random_image, seed_of


def frames_with_defects(rng, count=10, shape=(40, 50), channels=1, dtype=np.uint8):
    frames = []
    for _ in range(count):
        frame = random_image(rng, np.uint8, *shape, channels).astype(np.float64) * 0.3 + 60
        if channels == 1:
            frame[5, 7] = 255       # hot
            frame[30, 40] = 0       # dead
        else:
            frame[5, 7, 1] = 255
            frame[30, 40, :] = 0
        if np.dtype(dtype) == np.uint16:
            frame *= 256
        frames.append(frame.astype(dtype))
    return frames


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_scan_finds_planted_defects(channels, dtype):
    rng = np.random.default_rng(seed_of(channels, dtype, "scan"))
    scan = hotpixels.Scan(50, 40, channels)
    for frame in frames_with_defects(rng, channels=channels, dtype=dtype):
        scan.add(frame)
    assert scan.frames == 10 and (scan.width, scan.height, scan.channels) == (50, 40, channels)
    assert scan.dtype == np.dtype(dtype)
    found = {(d.x, d.y) for d in scan.detect()}
    assert {(7, 5), (40, 30)} <= found
    defect = scan.detect(top=1)[0]
    assert isinstance(defect, hotpixels.Defect) and defect.kind in ("hot", "stuck", "dead", "flickering")


def test_add_equals_add_files_and_merge_equals_one_scan(tmp_path):
    rng = np.random.default_rng(3)
    frames = frames_with_defects(rng, count=12)
    paths = []
    for i, frame in enumerate(frames):
        paths.append(tmp_path / f"f{i:02d}.png")
        pixelwise.write(paths[-1], frame)
    whole = hotpixels.Scan()
    for frame in frames:
        whole.add(frame)
    from_files = hotpixels.Scan()
    assert from_files.add_files(paths) == []
    assert from_files.detect() == whole.detect()
    a, b = hotpixels.Scan(), hotpixels.Scan()
    assert a.add_files(paths[:5]) == [] and b.add_files(paths[5:]) == []
    a.merge(b)
    assert a.frames == 12 and b.frames == 7
    for ours, theirs in zip(a.detect(), whole.detect()):
        assert (ours.x, ours.y, ours.channel, ours.kind) == (theirs.x, theirs.y, theirs.channel, theirs.kind)
        assert ours.score == pytest.approx(theirs.score, rel=1e-6)


def test_state_bytes_round_trip_and_pickle():
    rng = np.random.default_rng(4)
    scan = hotpixels.Scan(method="variance")
    for frame in frames_with_defects(rng, count=5):
        scan.add(frame)
    data = scan.to_bytes()
    again = hotpixels.Scan.from_bytes(data)
    assert again.frames == 5 and again.method == "variance" and again.to_bytes() == data
    assert pickle.loads(pickle.dumps(scan)).detect() == scan.detect()
    assert hotpixels.Scan.from_bytes(bytearray(data)).frames == 5


def test_merge_bytes_equals_merge():
    rng = np.random.default_rng(15)
    frames = frames_with_defects(rng, count=6)
    a, b, c = hotpixels.Scan(), hotpixels.Scan(), hotpixels.Scan()
    for frame in frames[:3]:
        a.add(frame)
        c.add(frame)
    for frame in frames[3:]:
        b.add(frame)
    a.merge(b)
    c.merge_bytes(memoryview(b.to_bytes()))
    assert c.to_bytes() == a.to_bytes() and c.frames == 6
    empty = hotpixels.Scan()
    empty.merge_bytes(b.to_bytes())  # into an empty scan: decoded
    assert empty.to_bytes() == b.to_bytes()
    b.merge_bytes(hotpixels.Scan.from_bytes(a.to_bytes()).to_bytes(), earlier=True)
    assert b.frames == 9
    with pytest.raises(ValueError, match="other scan"):
        a.merge_bytes(_other_size_state())
    with pytest.raises(ValueError):
        a.merge_bytes(b.to_bytes()[:100])
    with pytest.raises(TypeError, match="data"):
        a.merge_bytes("text")


def _other_size_state() -> bytes:
    scan = hotpixels.Scan()
    scan.add(np.zeros((5, 7), np.uint8))
    return scan.to_bytes()


def test_state_bytes_travel_without_copies():
    # Pickle protocol 5 (distributed's): the state bytes go out of band, as the library's own buffer, and are
    # read back from whatever buffer the receiver holds (memoryview, numpy array), not copied into bytes first.
    rng = np.random.default_rng(14)
    scan = hotpixels.Scan()
    for frame in frames_with_defects(rng, count=4):
        scan.add(frame)
    data = scan.to_bytes()
    buffers = []
    pickled = pickle.dumps(scan, protocol=5, buffer_callback=buffers.append)
    assert len(buffers) == 1 and buffers[0].raw().nbytes == len(data) and len(pickled) < 200
    assert bytes(buffers[0].raw()) == data
    back = pickle.loads(pickled, buffers=[memoryview(bytes(buffers[0].raw()))])
    assert back.to_bytes() == data and back.detect() == scan.detect()
    # In-band protocol 5 and older protocols still round-trip.
    for protocol in (2, 4, 5):
        assert pickle.loads(pickle.dumps(scan, protocol=protocol)).to_bytes() == data
    assert hotpixels.Scan.from_bytes(np.frombuffer(data, np.uint8)).to_bytes() == data
    assert hotpixels.Scan.from_bytes(memoryview(data)).to_bytes() == data
    # The view keeps the library's buffer alive after the scan is gone.
    view = scan._state_view()
    del scan
    assert bytes(view) == data
    with pytest.raises(TypeError, match="data"):
        hotpixels.Scan.from_bytes(np.frombuffer(data, np.uint8)[::2])
    with pytest.raises(ValueError):
        hotpixels.Scan.from_bytes(b"")


def test_skipped_files_are_reported(tmp_path):
    rng = np.random.default_rng(5)
    frames = frames_with_defects(rng, count=4)
    paths = []
    for i, frame in enumerate(frames):
        paths.append(str(tmp_path / f"f{i}.png"))
        pixelwise.write(paths[-1], frame)
    pixelwise.write(tmp_path / "small.png", np.zeros((3, 3), np.uint8))
    (tmp_path / "broken.png").write_bytes(b"not a png")
    scan = hotpixels.Scan()
    skipped = scan.add_files(paths + [str(tmp_path / "missing.png"), str(tmp_path / "small.png"),
                                      str(tmp_path / "broken.png")])
    assert scan.frames == 4
    assert [p for p, _ in skipped] == [str(tmp_path / n) for n in ("missing.png", "small.png", "broken.png")]
    assert all(reason for _, reason in skipped)


def test_scan_in_one_call_expands_folders_and_globs(tmp_path):
    rng = np.random.default_rng(6)
    for i, frame in enumerate(frames_with_defects(rng, count=8)):
        pixelwise.write(tmp_path / f"f{i}.png", frame)
    (tmp_path / "notes.txt").write_text("not a frame")
    by_folder = hotpixels.scan(tmp_path)
    by_glob = hotpixels.scan(str(tmp_path / "f*.png"))
    assert by_folder.frames == by_glob.frames == 8 and by_folder.skipped == []
    assert (by_folder.width, by_folder.height) == (50, 40)
    assert by_folder.candidates == by_glob.candidates
    assert isinstance(by_folder.state, hotpixels.Scan) and by_folder.state.frames == 8


@pytest.mark.parametrize("call,name,error", [
    (lambda: hotpixels.Scan(method="median"), "method", ValueError),
    (lambda: hotpixels.Scan(cfa="XYZW"), "cfa", ValueError),
    (lambda: hotpixels.Scan(-1, 5, 1), "width", ValueError),
    (lambda: hotpixels.Scan(5, 5, 9), "channels", ValueError),
    (lambda: hotpixels.Scan.from_bytes(b"garbage"), "", ValueError),
    (lambda: hotpixels.Scan.from_bytes("text"), "data", TypeError),
    (lambda: hotpixels.scan([]), "paths", ValueError),
    (lambda: hotpixels.Scan().detect(top=0), "top", ValueError),
    (lambda: hotpixels.Scan().add_files(["/nonexistent/a.png"]), "/nonexistent/a.png", OSError),
])
def test_scan_errors(call, name, error):
    with pytest.raises(error) as info:
        call()
    assert isinstance(info.value, pixelwise.Error)
    assert name in str(info.value), str(info.value)


def test_frames_that_do_not_match_raise_value_error():
    scan = hotpixels.Scan()
    scan.add(np.zeros((10, 12), np.uint8))
    for bad in (np.zeros((10, 13), np.uint8), np.zeros((10, 12, 3), np.uint8), np.zeros((10, 12), np.uint16)):
        with pytest.raises(ValueError) as info:
            scan.add(bad)
        assert "frame" in str(info.value)
    other = hotpixels.Scan()
    other.add(np.zeros((5, 5), np.uint8))
    with pytest.raises(ValueError):
        scan.merge(other)
    with pytest.raises(TypeError, match="other"):
        scan.merge("scan")
    assert scan.frames == 1


# ---- fix -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
@pytest.mark.parametrize("channels", [1, 3])
def test_fix_changes_only_listed_pixels_and_not_the_input(dtype, channels):
    rng = np.random.default_rng(seed_of(dtype, channels, "fix"))
    image = random_image(rng, np.uint8, 30, 40, channels).astype(dtype)
    image[10, 12] = 255
    before = image.copy()
    fixed = hotpixels.fix(image, np.array([[12, 10], [0, 0]]))
    assert np.array_equal(image, before)
    assert fixed.dtype == image.dtype and fixed.shape == image.shape
    changed = np.argwhere(np.any((fixed != image).reshape(30, 40, -1), axis=2))
    assert {tuple(p) for p in changed} <= {(10, 12), (0, 0)}



def test_fix_with_defects_list_and_radius_and_views():
    image = np.full((20, 20, 3), 50, np.uint8)
    image[5, 6] = 250
    defects = [hotpixels.Defect(6, 5, 1, "hot", 10.0)]
    all_channels = hotpixels.fix(image, defects)
    assert all_channels[5, 6].tolist() == [50, 50, 50]
    listed = hotpixels.fix(image, defects, listed_channel_only=True)
    assert listed[5, 6].tolist() == [250, 50, 250]
    square = hotpixels.fix(image[2:, 1:], [[5, 3]], radius=1)
    assert square[3, 5].tolist() == [50, 50, 50]
    assert hotpixels.fix(image, np.empty((0, 2), int)).tolist() == image.tolist()


@pytest.mark.parametrize("pixels,name", [
    ([[20, 0]], "20"),
    ([[0, -1]], "-1"),
    ([[0, 0, 3]], "channel"),
    ([[0]], "pixels"),
    ([[0.5, 1]], "pixels"),
])
def test_fix_errors(pixels, name):
    image = np.zeros((20, 20, 3), np.uint8)
    with pytest.raises((ValueError, TypeError)) as info:
        hotpixels.fix(image, pixels)
    assert isinstance(info.value, pixelwise.Error)
    assert name in str(info.value), str(info.value)
    with pytest.raises(ValueError, match="radius"):
        hotpixels.fix(image, [[0, 0]], radius=-1)
    with pytest.raises(ValueError, match="cfa"):
        hotpixels.fix(image, [[0, 0]], cfa="RGBW")


# ---- the CLI on the same files --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def stack(tmp_path_factory, cli):
    import subprocess
    folder = tmp_path_factory.mktemp("stack")
    subprocess.run([cli, "generate", "stack", "--frames", "12", "--size", "160x120", "--defects", "5", "--seed", "4",
                    "--output-dir", str(folder)], check=True, capture_output=True)
    return folder


def test_scan_equals_the_cli(stack, run, tmp_path):
    report = json.loads(run("hotpixels", "scan", stack, "--json", "--save-state", tmp_path / "cli.state").stdout)
    ours = hotpixels.scan(stack)
    assert ours.frames == report["frames"] and ours.width == report["width"] and ours.height == report["height"]
    assert [(d.x, d.y, d.channel, d.kind) for d in ours.candidates] == \
        [(c["x"], c["y"], c.get("channel", 0), c["kind"]) for c in report["candidates"]]
    for d, c in zip(ours.candidates, report["candidates"]):
        assert d.score == pytest.approx(c["score"], abs=0.05)      # the CLI's JSON rounds to 0.1
    # the CLI's state file and ours mix: the same detection from either
    cli_state = hotpixels.Scan.from_bytes((tmp_path / "cli.state").read_bytes())
    assert cli_state.detect() == ours.state.detect()
    (tmp_path / "py.state").write_bytes(ours.state.to_bytes())
    merged = json.loads(run("hotpixels", "merge", tmp_path / "py.state", "--json").stdout)
    assert [(c["x"], c["y"]) for c in merged["candidates"]] == [(d.x, d.y) for d in ours.candidates]


def test_fix_equals_the_cli(stack, run, tmp_path):
    frame = sorted(stack.glob("*.jpg"))[0]
    image = pixelwise.read(frame)
    run("hotpixels", "fix", frame, "--pixel", "10,12", "--pixel", "100,50", "--radius", "1", "-o", tmp_path / "f.png")
    ours = hotpixels.fix(image, [[10, 12], [100, 50]], radius=1)
    assert np.array_equal(ours, pixelwise.read(tmp_path / "f.png"))
