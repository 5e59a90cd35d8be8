"""Crash safety (issue 15): SIGKILL at random moments never leaves a damaged state or output; Ctrl-C stops
a long command within a second and leaves no temporary file."""
import json
import random
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest


def frames(folder, count=40, width=64, height=48):
    rng = np.random.default_rng(5)
    paths = []
    for i in range(count):
        a = rng.integers(40, 200, (height, width, 3)).astype(np.uint8)
        a[9, 12, 0] = 255  # a hot pixel
        p = folder / f"frame{i:03d}.npy"
        np.save(p, a)
        paths.append(str(p))
    return paths


def temporaries(folder):
    return sorted(p.name for p in Path(folder).iterdir() if p.name.startswith(".") and p.name.endswith(".tmp"))


def test_sigkilled_checkpointed_scan_always_resumes_to_the_same_result(tmp_path, pixelwise):
    files = frames(tmp_path)
    reference = subprocess.run([pixelwise, "hotpixels", "scan", "--json", *files], capture_output=True, text=True, check=True).stdout
    start = time.monotonic()
    subprocess.run([pixelwise, "hotpixels", "scan", "--checkpoint", "3", "--save-state", tmp_path / "timing.state", *files],
                   capture_output=True, check=True)
    duration = time.monotonic() - start
    rng = random.Random(15)
    state = tmp_path / "s.state"
    outcomes = {"no state yet": 0, "killed with a state": 0, "finished": 0}
    for attempt in range(20):
        if state.exists():
            state.unlink()
        process = subprocess.Popen([pixelwise, "hotpixels", "scan", "--checkpoint", "3", "--save-state", state, *files],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.02, duration * 0.9))
        process.send_signal(signal.SIGKILL)
        code = process.wait()
        if code == 0:
            outcomes["finished"] += 1
        if not state.exists():
            outcomes["no state yet"] += 1
            continue
        if code != 0:
            outcomes["killed with a state"] += 1
        # The state loads (merge reads it whole, checksum included) ...
        loaded = subprocess.run([pixelwise, "hotpixels", "merge", state, "--json"], capture_output=True, text=True)
        assert loaded.returncode == 0, f"attempt {attempt}: {loaded.stderr}"
        # ... and resuming gives the uninterrupted scan's result.
        resumed = subprocess.run([pixelwise, "hotpixels", "scan", "--json", "--resume", state, "--save-state", state, *files],
                                 capture_output=True, text=True)
        assert resumed.returncode == 0, f"attempt {attempt}: {resumed.stderr}"
        assert json.loads(resumed.stdout) == json.loads(reference), f"attempt {attempt}"
    print(outcomes)
    assert outcomes["killed with a state"] >= 3, outcomes


def test_sigkilled_writes_leave_the_old_or_the_new_file(tmp_path, pixelwise):
    """A SIGKILL during a write leaves the target as it was or complete (a hidden temporary may remain)."""
    image = tmp_path / "in.npy"
    np.save(image, (np.arange(700 * 900 * 3) % 253).astype(np.uint8).reshape(700, 900, 3))
    for output in ["out.png", "out.npy", "out.tif"]:
        target = tmp_path / output
        subprocess.run([pixelwise, "blur", image, "--radius", "2", "-o", target], check=True, capture_output=True)
        new = target.read_bytes()
        target.write_bytes(b"old contents")
        start = time.monotonic()
        subprocess.run([pixelwise, "blur", image, "--radius", "2", "-o", target], check=True, capture_output=True)
        duration = time.monotonic() - start
        rng = random.Random(output)
        for attempt in range(5):
            target.write_bytes(b"old contents")
            process = subprocess.Popen([pixelwise, "blur", image, "--radius", "2", "-o", target],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0, duration))
            process.send_signal(signal.SIGKILL)
            process.wait()
            assert target.read_bytes() in (b"old contents", new), f"{output} attempt {attempt}: damaged"
        for name in temporaries(tmp_path):
            (tmp_path / name).unlink()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_stops_within_a_second_and_removes_temporaries(tmp_path, pixelwise, signum):
    image = tmp_path / "in.npy"
    np.save(image, (np.arange(3000 * 3000) % 251).astype(np.uint8).reshape(3000, 3000))
    process = subprocess.Popen([pixelwise, "blur", image, "--kernel", "gaussian", "--radius", "30", "--dtype", "float64",
                                "-o", tmp_path / "out.tif"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # Wait until the command has started computing (its input read), then interrupt it.
    time.sleep(1.0)
    assert process.poll() is None, "the command finished too soon for this test"
    sent = time.monotonic()
    process.send_signal(signum)
    code = process.wait(timeout=10)
    elapsed = time.monotonic() - sent
    assert elapsed < 1.0, f"took {elapsed:.2f} s to stop"
    assert code == 128 + signum, (code, process.stderr.read())
    assert "pixelwise: " in process.stderr.read()
    assert temporaries(tmp_path) == []
    assert not (tmp_path / "out.tif").exists()


def test_interrupt_removes_a_mapped_output_temporary(tmp_path, pixelwise):
    """The box mean into an NPY writes straight into the temporary file's memory map: Ctrl-C removes it."""
    image = tmp_path / "in.npy"
    np.save(image, (np.arange(4000 * 4000) % 251).astype(np.uint8).reshape(4000, 4000))
    radii = tmp_path / "r.npy"
    np.save(radii, np.full((4000, 4000), 7.5))
    process = subprocess.Popen([pixelwise, "blur", image, "--radius-map", radii, "--dtype", "float64", "-o", tmp_path / "out.npy"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not temporaries(tmp_path) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert process.poll() is None and temporaries(tmp_path), "no temporary output appeared while running"
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=5) == 130
    assert temporaries(tmp_path) == []
    assert not (tmp_path / "out.npy").exists()
