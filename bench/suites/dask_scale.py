"""Past one machine (issue 14): `pixelwise.dask` on a 2-worker LocalCluster against `pixelwise` in one process.

Three cases, each in its own process (``python bench/suites/dask_scale.py CASE --json OUT``), so that their
inputs and clusters do not add up:

- ``blur-16k``: 16000×16000 uint8, uint8 radius map 1..64 (random), NPY in → NPY out. Ours: `pixelwise.dask.blur`
  on LocalCluster(n_workers=2, threads_per_worker=1) over 4000×4000 chunks (imread → blur → imwrite, the
  workers writing their chunks into the output file); peer: `pixelwise.blur` in one process (np.load with
  mmap → blur → np.save). Alternating runs, cluster started once before timing. Target ≤ 1.5 ×.
- ``blur-40k``: 40000×40000 uint8 (1.6 GB) tiled BigTIFF → blurred (radius map 1..64 made lazily from the
  coordinates) → zarr, on LocalCluster(2 workers, 1 thread, memory_limit 1 GB each): time, each worker's peak
  resident memory (polled every 0.2 s), bytes the workers sent (to each other and to this process), workers
  lost; three 1024² windows checked against `pixelwise.blur` of an in-memory crop with its halo.
- ``scan-200``: a 200-frame hot-pixel scan (`pixelwise generate stack`, 2048×1536 JPEG) in 8 partitions
  (`pixelwise.dask.hotpixels_scan`) against one `pixelwise hotpixels scan` process on the same files.
  Target ≤ 1.3 ×.

The harness's whole-process workloads are not used: cluster start-up (a few seconds, once per session) is
reported apart from the job's time.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

TITLE = "Past one machine (`pixelwise.dask` on a LocalCluster)"

ROOT = Path(__file__).resolve().parent.parent.parent
CASES = [
    ("blur-16k", "variable box blur 16000×16000 uint8, radius map 1..64, NPY → NPY",
     "`pixelwise.blur` in one process", "≤ 1.5 ×", 1.5),
    ("blur-40k", "out of core: 40000×40000 uint8 tiled BigTIFF → blur (radius 1..64) → zarr, 2 workers × 1 GB",
     "—", "no worker killed, no endless spilling", None),
    ("scan-200", "hot-pixel scan, 200 frames 2048×1536 JPEG, 8 partitions",
     "`pixelwise hotpixels scan` (CLI process)", "≤ 1.3 ×", 1.3),
]


# ---- the harness side -----------------------------------------------------------------------------------------
def prepare(ctx):
    check = "import pixelwise, pixelwise.dask, distributed, zarr, tifffile, psutil"
    try:
        subprocess.run([ctx.python, "-c", check], check=True, capture_output=True)
    except subprocess.CalledProcessError:
        print("  installing the Python package with its dask extra into the benchmark virtualenv", flush=True)
        subprocess.run([ctx.python, "-m", "pip", "install", "--quiet", f"{ROOT / 'python'}[dask]", "psutil"],
                       check=True)


def workloads(ctx):
    return []


def report(ctx, results):
    saved = ctx.data / "results.json"
    everything = json.loads(saved.read_text()) if saved.exists() else {}
    notes = []
    for case, *_ in CASES:
        out = ctx.data / f"{case}.json"
        argv = [ctx.python, __file__, case, "--data", ctx.data, "--pixelwise", ctx.pixelwise, "--json", out]
        argv += ["--quick"] if ctx.quick else []
        print(f"  {case}", flush=True)
        process = subprocess.run([str(a) for a in argv], stdout=sys.stdout, stderr=sys.stderr)
        if process.returncode != 0:
            notes.append(f"- {case}: failed (exit {process.returncode}); see the run's log")
            continue
        everything[case] = json.loads(out.read_text())
    saved.write_text(json.dumps(everything, indent=1) + "\n")
    return render(everything, notes)


def render(everything, notes):
    rows = ["| workload | pixelwise.dask (s) | peer | peer (s) | ratio | target | met |",
            "| --- | ---: | --- | ---: | ---: | --- | --- |"]
    details = []
    for case, label, peer, target, ratio_target in CASES:
        entry = everything.get(case)
        if not entry:
            continue
        r = entry["results"]
        if case == "blur-40k":
            rows.append(f"| {label} | {r['seconds']:.1f} | {peer} | — | — | {target} | "
                        f"{'yes' if r['workers_lost'] == 0 else '**no**'} |")
            details.append(
                f"- {case}: {r['seconds']:.1f} s ({r['pixels_per_second'] / 1e6:.0f} Mpixel/s); peak resident memory per "
                f"worker {', '.join(f'{m:.0f}' for m in r['worker_peak_mb'])} MB (limit 1000 MB); bytes sent by the "
                f"workers {r['bytes_moved'] / 1e6:.0f} MB (image {r['image_bytes'] / 1e6:.0f} MB); workers lost "
                f"{r['workers_lost']}; spilled to disk {r['spilled_mb']:.0f} MB; check: {r['check']}; "
                f"cluster start {r['cluster_start_s']:.1f} s.")
            continue
        ratio = r["ours_s"] / r["peer_s"]
        met = "yes" if ratio <= ratio_target else "**no**"
        rows.append(f"| {label} | {r['ours_s']:.2f} | {peer} | {r['peer_s']:.2f} | {ratio:.3f} | {target} | {met} |")
        details.append(f"- {case}: runs ours {', '.join(f'{t:.2f}' for t in r['ours_runs'])} s, peer "
                       f"{', '.join(f'{t:.2f}' for t in r['peer_runs'])} s; {r.get('note', '')}")
    machine = everything.get(CASES[0][0], {}).get("machine") or next(
        (e.get("machine") for e in everything.values() if e.get("machine")), "")
    head = [f"Measured on {machine}; `bench/run.sh dask_scale`. Times are the job inside one process (cluster "
            "already started, medians of alternating runs); see bench/suites/dask_scale.py.", ""]
    return "\n".join(head + rows + [""] + details + notes) + "\n"


# ---- the cases (run as a script) ------------------------------------------------------------------------------
def _machine():
    import platform
    cpu = platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"


def _blocks(path, shape, dtype, fill, seed, band=1000):
    import numpy as np
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    partial = path.with_suffix(".partial.npy")
    array = np.lib.format.open_memmap(partial, mode="w+", dtype=dtype, shape=shape)
    for y in range(0, shape[0], band):
        array[y:y + band] = fill(rng, (min(band, shape[0] - y),) + shape[1:])
    array.flush()
    del array
    partial.rename(path)
    return path


class _Memory:
    """Polls the workers' resident memory (psutil) until stopped; keeps each worker's peak."""

    def __init__(self, client, interval=0.2):
        self.client, self.interval, self.peaks = client, interval, {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        def rss():
            import psutil
            return psutil.Process().memory_info().rss
        while not self._stop.is_set():
            try:
                for worker, value in self.client.run(rss).items():
                    self.peaks[worker] = max(self.peaks.get(worker, 0), value)
            except Exception:
                pass
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _cluster(memory_limit="auto"):
    import distributed
    start = time.perf_counter()
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit=memory_limit,
                                       dashboard_address=None, silence_logs=40)
    client = distributed.Client(cluster)
    client.run(lambda: __import__("pixelwise.dask"))
    return cluster, client, time.perf_counter() - start


def _sent(client):
    return sum(client.run(lambda dask_worker: dask_worker.transfer_outgoing_bytes_total).values())


def case_blur_16k(args):
    import numpy as np
    import pixelwise
    import pixelwise.dask as pwd
    n = 4000 if args.quick else 16000
    chunk = 1000 if args.quick else 4000
    image = _blocks(args.data / f"dask-{n}.npy", (n, n), np.uint8,
                    lambda rng, s: rng.integers(0, 256, size=s, dtype=np.uint8), 21)
    radius = _blocks(args.data / f"dask-{n}-radius.npy", (n, n), np.uint8,
                     lambda rng, s: rng.integers(1, 65, size=s, dtype=np.uint8), 22)
    ours_out, peer_out = args.data / "dask-blur-ours.npy", args.data / "dask-blur-peer.npy"
    cluster, client, started = _cluster()

    def peer():
        out = pixelwise.blur(np.load(image, mmap_mode="r"), np.load(radius, mmap_mode="r"))
        np.save(peer_out, out)

    def ours():
        pwd.imwrite(ours_out, pwd.blur(pwd.imread(image, chunks=chunk), pwd.imread(radius, chunks=chunk)),
                    client=client)

    ours_runs, peer_runs = [], []
    with _Memory(client) as memory:
        for i in range(args.repeats):
            for side in (("ours", "peer") if i % 2 == 0 else ("peer", "ours")):
                start = time.perf_counter()
                (ours if side == "ours" else peer)()
                (ours_runs if side == "ours" else peer_runs).append(time.perf_counter() - start)
                print(f"    {side} run {i + 1}: {(ours_runs if side == 'ours' else peer_runs)[-1]:.3f} s", flush=True)
    a, b = np.load(ours_out, mmap_mode="r"), np.load(peer_out, mmap_mode="r")
    same = all(np.array_equal(a[y:y + 1000], b[y:y + 1000]) for y in range(0, n, 1000))
    client.close()
    cluster.close()
    return {"ours_s": statistics.median(ours_runs), "peer_s": statistics.median(peer_runs), "ours_runs": ours_runs,
            "peer_runs": peer_runs, "identical": same,
            "note": f"{n}² in {chunk}² chunks (halo 64); outputs {'identical' if same else '**DIFFERENT**'}; workers' "
                    f"peak resident memory {', '.join(f'{v / 2**20:.0f}' for v in memory.peaks.values())} MB; "
                    f"cluster start {started:.1f} s (not in the times)."}


def _radius_block(block_info=None):
    import numpy as np
    (y0, y1), (x0, x1) = block_info[None]["array-location"]
    yy, xx = np.mgrid[y0:y1, x0:x1]
    return (1 + (yy * 7 + xx * 13 + (yy // 97) * (xx // 89)) % 64).astype(np.uint8)


def case_blur_40k(args):
    import dask.array as da
    import numpy as np
    import tifffile
    import pixelwise
    import pixelwise.dask as pwd
    n = 8000 if args.quick else 40000
    tile = 512
    source = args.data / f"dask-{n}-tiled.tif"
    if not source.exists():
        rng = np.random.default_rng(23)
        partial = source.with_suffix(".partial.tif")

        def tiles():
            for y in range(0, n, tile):
                rows = min(tile, n - y)
                band = (rng.integers(0, 64, (rows, n), dtype=np.uint8)
                        + (np.arange(n, dtype=np.uint32)[None, :] // 157 % 192).astype(np.uint8))
                for x in range(0, n, tile):
                    piece = band[:, x:x + tile]
                    if piece.shape != (tile, tile):
                        piece = np.pad(piece, ((0, tile - piece.shape[0]), (0, tile - piece.shape[1])))
                    yield piece

        with tifffile.TiffWriter(partial, bigtiff=True) as writer:
            writer.write(tiles(), shape=(n, n), dtype=np.uint8, tile=(tile, tile), photometric="minisblack")
        partial.rename(source)
    target = args.data / "dask-blur-40k.zarr"
    shutil.rmtree(target, ignore_errors=True)
    cluster, client, started = _cluster(memory_limit="1GB")
    workers_before = set(client.scheduler_info()["workers"])
    image = pwd.imread(source, chunks=(2048, 2048))
    radius = da.map_blocks(_radius_block, dtype=np.uint8, chunks=image.chunks, meta=np.empty((0, 0), np.uint8))
    sent_before = _sent(client)
    start = time.perf_counter()
    with _Memory(client) as memory:
        pwd.imwrite(target, pwd.blur(image, radius), client=client)
    seconds = time.perf_counter() - start
    sent = _sent(client) - sent_before
    workers_after = set(client.scheduler_info()["workers"])

    def spilled(dask_worker):
        data = dask_worker.data
        return getattr(getattr(data, "slow", None), "total_weight", 0) if hasattr(data, "slow") else 0
    spilled_bytes = sum(client.run(spilled).values())
    # Check three windows against the in-memory blur of a crop with its halo (64: the largest radius).
    import zarr
    out = zarr.open(str(target), mode="r")
    raw = tifffile.imread(source, aszarr=True)
    full = zarr.open(raw, mode="r")
    checks = []
    for (y, x) in ((0, 0), (n // 2 - 517, n // 3 + 211), (n - 1024, n - 1024)):
        y0, x0 = max(0, y - 64), max(0, x - 64)
        y1, x1 = min(n, y + 1024 + 64), min(n, x + 1024 + 64)
        crop = np.asarray(full[y0:y1, x0:x1])
        r = _radius_block({None: {"array-location": [(y0, y1), (x0, x1)]}})
        want = pixelwise.blur(crop, r)[y - y0:y - y0 + 1024, x - x0:x - x0 + 1024]
        checks.append(np.array_equal(np.asarray(out[y:y + 1024, x:x + 1024]), want))
    client.close()
    cluster.close()
    return {"seconds": seconds, "pixels_per_second": n * n / seconds,
            "worker_peak_mb": [v / 2**20 for v in memory.peaks.values()], "bytes_moved": sent,
            "image_bytes": n * n, "workers_lost": len(workers_before - workers_after),
            "spilled_mb": spilled_bytes / 2**20, "cluster_start_s": started,
            "check": "3 windows of 1024² identical to in-memory" if all(checks) else f"**windows differ** {checks}"}


def case_scan_200(args):
    import pixelwise.dask as pwd
    frames = 40 if args.quick else 200
    size = "1024x768" if args.quick else "2048x1536"
    folder = args.data / f"dask-stack-{frames}-{size}"
    if not (folder / f"frame-{frames - 1:03d}.jpg").exists():
        subprocess.run([str(args.pixelwise), "generate", "stack", "--frames", str(frames), "--size", size,
                        "--defects", "12", "--output-dir", str(folder)], check=True)
    cluster, client, started = _cluster()
    ours_runs, peer_runs = [], []
    report = result = None
    for i in range(args.repeats):
        for side in (("ours", "peer") if i % 2 == 0 else ("peer", "ours")):
            start = time.perf_counter()
            if side == "ours":
                result = pwd.hotpixels_scan(str(folder), client=client, partitions=8, threads=args.threads)
            else:
                process = subprocess.run([str(args.pixelwise), "hotpixels", "scan", str(folder), "--json"],
                                         capture_output=True, text=True, check=True)
                report = json.loads(process.stdout)
            (ours_runs if side == "ours" else peer_runs).append(time.perf_counter() - start)
            print(f"    {side} run {i + 1}: {(ours_runs if side == 'ours' else peer_runs)[-1]:.3f} s", flush=True)
    same = ([(d.x, d.y, d.channel, d.kind) for d in result.candidates]
            == [(c["x"], c["y"], c.get("channel", 0), c["kind"]) for c in report["candidates"]])
    # The CLI's JSON prints scores with 4 significant digits (586.5, 1178): compare at that precision.
    worst = max((abs(d.score - c["score"]) / (0.5 * 10 ** (math.floor(math.log10(abs(c["score"]))) - 3))
                 for d, c in zip(result.candidates, report["candidates"]) if c["score"]), default=0.0)
    client.close()
    cluster.close()
    return {"ours_s": statistics.median(ours_runs), "peer_s": statistics.median(peer_runs), "ours_runs": ours_runs,
            "peer_runs": peer_runs,
            "note": f"{frames} frames {size}; candidates {'identical' if same else '**DIFFERENT**'} "
                    f"({len(result.candidates)}), scores {'equal to' if worst <= 1 else '**not** equal to'} the CLI's printed 4 "
                    f"significant digits; "
                    f"threads per worker {args.threads or 'library default'}; cluster start {started:.1f} s."}


def main():
    parser = argparse.ArgumentParser(description="One case of the dask benchmarks.")
    parser.add_argument("case", choices=[c[0] for c in CASES])
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "data" / "dask_scale")
    parser.add_argument("--pixelwise", type=Path, default=ROOT / ".build" / "release" / "pixelwise")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="pixelwise.set_threads on the workers (scan)")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    if args.quick:
        args.repeats = 1
    function = {"blur-16k": case_blur_16k, "blur-40k": case_blur_40k, "scan-200": case_scan_200}[args.case]
    results = function(args)
    entry = {"machine": _machine(), "date": time.strftime("%Y-%m-%d"), "quick": args.quick, "results": results}
    print(json.dumps(entry, indent=1))
    if args.json:
        args.json.write_text(json.dumps(entry, indent=1) + "\n")


if __name__ == "__main__":
    main()
