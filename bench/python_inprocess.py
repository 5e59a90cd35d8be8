#!/usr/bin/env python3
"""In-process benchmarks of the Python package: `pixelwise.<job>(array)` against the numpy/OpenCV code a user
writes, called alternately on the same arrays in one interpreter (one process per case, so that the cases'
memory does not add up).

    python bench/python_inprocess.py CASE [--repeats N] [--quick] [--pixelwise CLI] [--json OUT]

Peak memory is the largest resident-set growth during each call above what the process held before it
(a thread samples /proc/self/statm every 2 ms): the inputs, already in memory, are not counted.
Cases: sample-10k, sample-10M, blur-box, quantize-centers, quantize-k8, hotpixels-scan, threads.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

import pixelwise
from pixelwise import hotpixels

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


class Peak:
    """Largest RSS growth (MB) while the block runs."""

    def __enter__(self):
        self.start = rss()
        self.peak = self.start
        self.running = True
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()
        return self

    def _poll(self):
        while self.running:
            self.peak = max(self.peak, rss())
            time.sleep(0.002)

    def __exit__(self, *exc):
        self.peak = max(self.peak, rss())
        self.running = False
        self.thread.join()
        self.mb = (self.peak - self.start) / 2**20


def measure(function):
    gc.collect()
    with Peak() as peak:
        start = time.perf_counter()
        result = function()
        seconds = time.perf_counter() - start
    return seconds, peak.mb, result


def alternate(ours, peer, repeats, check=None, inner=1):
    """Alternating runs (ours first on even rounds); `inner` calls per run (median per call) for tiny jobs."""
    times = {"ours": [], "peer": []}
    peaks = {"ours": [], "peer": []}
    note = ""
    for i in range(repeats):
        order = [("ours", ours), ("peer", peer)] if i % 2 == 0 else [("peer", peer), ("ours", ours)]
        results = {}
        for side, function in order:
            if inner > 1:
                per_call = []
                for _ in range(inner):
                    start = time.perf_counter()
                    function()
                    per_call.append(time.perf_counter() - start)
                _, peak, result = measure(function)
                seconds = statistics.median(per_call)
            else:
                seconds, peak, result = measure(function)
            times[side].append(seconds)
            peaks[side].append(peak)
            print(f"  {side:4s} run {i + 1}: {seconds:10.6f} s  +{peak:8.1f} MB", flush=True)
            results[side] = result if (i == 0 and check) else None
            del result
        if i == 0 and check:
            note = check(results["ours"], results["peer"]) or ""
        results.clear()
        gc.collect()
    return {
        "ours_s": statistics.median(times["ours"]), "peer_s": statistics.median(times["peer"]),
        "ours_runs": times["ours"], "peer_runs": times["peer"],
        "ours_mb": max(peaks["ours"]), "peer_mb": max(peaks["peer"]), "note": note, "repeats": repeats,
    }


def equal_check(what):
    def check(ours, peer):
        if isinstance(ours, tuple):
            same = all(np.array_equal(a, b) for a, b in zip(ours, peer))
        else:
            same = np.array_equal(np.asarray(ours), np.asarray(peer))
        if not same:
            raise RuntimeError(f"results differ from {what}")
        return f"results identical to {what}'s"
    return check


# ---- cases --------------------------------------------------------------------------------------------------
def case_sample_10k(args):
    # The seed's own case: image = randint(0, 256, (1000, 1000, 3)), 10,000 points as x and y arrays.
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, size=(1000, 1000, 3), dtype=np.uint8)
    x = rng.integers(0, 1000, 10_000)
    y = rng.integers(0, 1000, 10_000)
    points = np.stack([x, y], axis=1)
    result = alternate(lambda: pixelwise.sample(image, points), lambda: image[y, x], args.repeats,
                       equal_check("numpy fancy indexing"), inner=300)
    stacked = alternate(lambda: pixelwise.sample(image, np.stack([x, y], axis=1)), lambda: image[y, x],
                        args.repeats, inner=300)
    result["note"] += (f"; with the (N, 2) points array built from the seed's x and y arrays inside the timed call "
                       f"(np.stack): {stacked['ours_s'] * 1e6:.1f} µs vs {stacked['peer_s'] * 1e6:.1f} µs, ratio "
                       f"{stacked['ours_s'] / stacked['peer_s']:.3f}. Medians of 300 calls per run")
    return result


def case_sample_10m(args):
    n = 3000 if args.quick else 15000
    rng = np.random.default_rng(1)
    image = np.empty((n, n, 3), np.uint8)
    for top in range(0, n, 1000):
        image[top:top + 1000] = rng.integers(0, 256, size=image[top:top + 1000].shape, dtype=np.uint8)
    count = 400_000 if args.quick else 10_000_000
    x = rng.integers(0, n, count)
    y = rng.integers(0, n, count)
    points = np.stack([x, y], axis=1)
    return alternate(lambda: pixelwise.sample(image, points), lambda: image[y, x], args.repeats,
                     equal_check("numpy fancy indexing"))


def sat_blur(image, radius):
    """bench/peers/blur_numpy_sat.py's computation, in memory: int64 summed-area table, blocks of 512 rows."""
    h, w = image.shape
    sat = np.zeros((h + 1, w + 1), np.int64)
    np.cumsum(image, axis=0, dtype=np.int64, out=sat[1:, 1:])
    np.cumsum(sat[1:, 1:], axis=1, out=sat[1:, 1:])
    out = np.empty_like(image)
    xs = np.arange(w, dtype=np.int64)[None, :]
    block = 512
    for top in range(0, h, block):
        r = np.asarray(radius[top:top + block], dtype=np.int64)
        ys = np.arange(top, top + r.shape[0], dtype=np.int64)[:, None]
        y0, y1 = np.clip(ys - r, 0, h), np.clip(ys + r + 1, 0, h)
        x0, x1 = np.clip(xs - r, 0, w), np.clip(xs + r + 1, 0, w)
        s = sat[y1, x1] - sat[y0, x1] - sat[y1, x0] + sat[y0, x0]
        mean = s / ((y1 - y0) * (x1 - x0))
        out[top:top + r.shape[0]] = np.floor(mean + 0.5)
    return out


def _big_blur_inputs(n):
    rng = np.random.default_rng(10)
    image = np.empty((n, n), np.uint8)
    radius = np.empty((n, n), np.uint8)
    for top in range(0, n, 1000):
        image[top:top + 1000] = rng.integers(0, 256, size=image[top:top + 1000].shape, dtype=np.uint8)
        radius[top:top + 1000] = rng.integers(1, 256, size=radius[top:top + 1000].shape, dtype=np.uint8)
    return image, radius


def case_blur_box(args):
    image, radius = _big_blur_inputs(3000 if args.quick else 15000)
    return alternate(lambda: pixelwise.blur(image, radius), lambda: sat_blur(image, radius), args.repeats,
                     equal_check("the numpy summed-area table"))


def _quantize_data(args):
    sys.path.insert(0, str(BENCH))
    from suites import quantize as suite

    class Ctx:
        quick = args.quick
        data = BENCH / "data" / ("quantize-quick" if args.quick else "quantize")
    Ctx.data.mkdir(parents=True, exist_ok=True)
    return suite, Ctx


def case_quantize_centers(args):
    suite, ctx = _quantize_data(args)
    image = np.load(suite._float_image(ctx))
    centers = np.array([float(v) for v in suite.CENTERS.split(",")])

    def peer():
        midpoints = (centers[:-1] + centers[1:]) / 2
        labels = np.searchsorted(midpoints, image, side="left").astype(np.uint8)
        return labels, np.take(centers, labels)

    def ours():
        q = pixelwise.quantize(image, centers=centers)
        return q.labels, q.image

    def check(a, b):
        differ = int(np.count_nonzero(a[0] != b[0]))
        if differ:
            return f"labels differ at {differ} pixels (midpoint rounding: ours are exact nearest-centre)"
        if not np.array_equal(a[1], b[1]):
            raise RuntimeError("values differ")
        return "labels and values identical to searchsorted + take"
    return alternate(ours, peer, args.repeats, check)


def case_quantize_k8(args):
    import cv2
    suite, ctx = _quantize_data(args)
    image = np.load(suite._photo16(ctx)[0])
    objectives = {}

    def peer():
        unique_values = np.unique(image)
        z = unique_values.astype(np.float32).reshape(-1, 1)
        criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 100, 0.05)
        _, _, centers = cv2.kmeans(z, 8, None, criteria, 20, cv2.KMEANS_RANDOM_CENTERS)
        centers = np.sort(centers.ravel().astype(np.float64))
        midpoints = (centers[:-1] + centers[1:]) / 2
        domain = np.arange(65536, dtype=np.float64)
        label_table = np.searchsorted(midpoints, domain, side="left").astype(np.uint8)
        value_table = np.clip(np.rint(centers), 0, 65535).astype(np.uint16)[label_table]
        u = unique_values.astype(np.float64)
        objectives["peer"] = float(((u - centers[np.searchsorted(midpoints, u, side="left")]) ** 2).sum())
        return np.take(label_table, image), np.take(value_table, image)

    def ours():
        q = pixelwise.quantize(image, 8)
        objectives["ours"] = q.objective
        return q.labels, q.image

    def check(a, b):
        return (f"objective (sum of squared distances over the distinct values) ours {objectives['ours']:.6g}, "
                f"theirs {objectives['peer']:.6g} (ratio {objectives['ours'] / objectives['peer']:.4f})")
    result = alternate(ours, peer, args.repeats, check)
    result["objective_ours"], result["objective_peer"] = objectives["ours"], objectives["peer"]
    return result


def case_hotpixels_scan(args):
    import resource
    sys.path.insert(0, str(BENCH))
    from suites import hotpixels as suite
    frames, (width, height) = (8, (1936, 1296)) if args.quick else (40, (3872, 2592))
    folder = BENCH / "data" / ("hotpixels-quick" if args.quick else "hotpixels") / f"d80-{frames}x{width}x{height}"
    suite._make_stack(folder, frames, width, height)
    paths = sorted(str(p) for p in folder.glob("frame_*.jpg"))
    cli_peak = []

    def ours():
        scan = hotpixels.Scan()
        skipped = scan.add_files(paths)
        assert not skipped, skipped
        return scan.detect()

    def peer():
        out = subprocess.run(["/usr/bin/time", "-f", "%M", args.pixelwise, "hotpixels", "scan", str(folder), "--json"],
                             check=True, capture_output=True, text=True)
        cli_peak.append(float(out.stderr.strip().splitlines()[-1]) / 1024)
        return json.loads(out.stdout)

    def check(ours_defects, report):
        theirs = [(c["x"], c["y"], c.get("channel", 0), c["kind"]) for c in report["candidates"]]
        mine = [(d.x, d.y, d.channel, d.kind) for d in ours_defects]
        if mine != theirs:
            raise RuntimeError("candidates differ from the CLI's")
        return f"candidates identical to the CLI's ({len(mine)})"
    result = alternate(ours, peer, args.repeats, check)
    result["peer_mb"] = max(cli_peak)
    result["note"] += "; the CLI's figure is its whole process (start-up included), its peak RSS from GNU time"
    return result


def case_threads(args):
    n = 1000 if args.quick else 4000
    rng = np.random.default_rng(3)
    images = [rng.integers(0, 256, size=(n, n), dtype=np.uint8) for _ in range(2)]
    radii = [rng.integers(1, 65, size=(n, n), dtype=np.uint8) for _ in range(2)]

    def sequential():
        return [pixelwise.blur(images[i], radii[i]) for i in range(2)]

    def concurrent():
        results = [None, None]

        def work(i):
            results[i] = pixelwise.blur(images[i], radii[i])
        threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return results

    out = {}
    for label, threads in (("one", 1), ("default", 0)):
        pixelwise.set_threads(threads)
        print(f" set_threads({threads}): library threads per call {pixelwise.get_threads()}", flush=True)
        out[label] = alternate(concurrent, sequential, args.repeats, equal_check("one after the other"))
    pixelwise.set_threads(0)
    return out


CASES = {
    "sample-10k": case_sample_10k, "sample-10M": case_sample_10m, "blur-box": case_blur_box,
    "quantize-centers": case_quantize_centers, "quantize-k8": case_quantize_k8,
    "hotpixels-scan": case_hotpixels_scan, "threads": case_threads,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--pixelwise", default=str(ROOT / ".build" / "release" / "pixelwise"))
    parser.add_argument("--json")
    args = parser.parse_args()
    print(f"[{args.case}] pixelwise {pixelwise.library_version}, {pixelwise.get_threads()} threads, "
          f"load {os.getloadavg()[0]:.2f}", flush=True)
    result = CASES[args.case](args)
    result = result if args.case == "threads" else {"case": result}
    for name, r in result.items():
        print(f"[{args.case}] {name}: ours {r['ours_s']:.6f} s +{r['ours_mb']:.0f} MB, peer {r['peer_s']:.6f} s "
              f"+{r['peer_mb']:.0f} MB, ratio {r['ours_s'] / r['peer_s']:.3f} {r['note']}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"case": args.case, "load": os.getloadavg()[0], "results": result},
                                              indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
