#!/usr/bin/env python3
"""Pixelwise benchmark harness: ours against the best Python peer, on the same files, in one run.

Each suite (bench/suites/<name>.py) makes its input files and lists workloads: a pixelwise command and a
peer command (a standalone Python program in bench/peers/, run as a user would: load, compute, save).
The harness runs them alternately, several times, measures wall time and peak resident memory of each
whole process, and writes medians and ratios to docs/benchmarks/<suite>.md and docs/BENCHMARKS.md.
Benchmarks are not tests: nothing here fails on a slow run; a missed target is reported as missed.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"


@dataclasses.dataclass
class Workload:
    """One comparison: `ours` and `peer` are argv lists producing the same result from the same files."""
    name: str
    ours: list[str]
    peer: list[str] | None = None
    peer_name: str = "numpy"
    repeats: int = 3
    target: str = ""                 # human-readable goal, e.g. "ours ≤ 1/2 of peer"
    target_ratio: float | None = None  # met when median(ours)/median(peer) ≤ this
    setup: object = None             # optional callable run before each timed run (e.g. remove outputs)
    check: object = None             # optional callable run after the first pair; returns a note or raises
    notes: str = ""


@dataclasses.dataclass
class Context:
    pixelwise: Path
    python: str
    data: Path
    peers: Path
    quick: bool


def run_measured(argv: list[str]) -> tuple[float, float, str]:
    """Runs argv to completion; returns (wall seconds, peak RSS in MB, stderr). Raises on failure.

    Peak memory comes from GNU time, which forks the command itself: a child forked straight from this
    (large) Python process would report Python's own resident size as its peak on Linux.
    """
    import tempfile
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        start = time.perf_counter()
        process = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report.name] + argv,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - start
        stderr = process.stderr.decode(errors="replace")
        if process.returncode != 0:
            raise RuntimeError(f"{' '.join(map(str, argv))} exited {process.returncode}: {stderr.strip()[-500:]}")
        lines = [line for line in open(report.name).read().split("\n") if line.strip()]
        peak_kib = float(lines[-1])
    return elapsed, peak_kib / 1024.0, stderr


def run_workload(w: Workload) -> dict:
    ours_times, peer_times, ours_mem, peer_mem = [], [], [], []
    print(f"  {w.name}", flush=True)
    for i in range(w.repeats):
        order = [("ours", w.ours), ("peer", w.peer)] if i % 2 == 0 else [("peer", w.peer), ("ours", w.ours)]
        for side, argv in order:
            if argv is None:
                continue
            if w.setup:
                w.setup()
            seconds, peak, _ = run_measured([str(a) for a in argv])
            (ours_times if side == "ours" else peer_times).append(seconds)
            (ours_mem if side == "ours" else peer_mem).append(peak)
            print(f"    {side:4s} run {i + 1}: {seconds:8.3f} s  {peak:8.1f} MB", flush=True)
        if i == 0 and w.check:
            note = w.check()
            if note:
                w.notes = (w.notes + " " + str(note)).strip()
    result = {
        "name": w.name,
        "peer_name": w.peer_name,
        "ours_median": statistics.median(ours_times),
        "ours_peak_mb": max(ours_mem),
        "peer_median": statistics.median(peer_times) if peer_times else None,
        "peer_peak_mb": max(peer_mem) if peer_mem else None,
        "repeats": w.repeats,
        "target": w.target,
        "notes": w.notes,
    }
    result["ratio"] = result["ours_median"] / result["peer_median"] if peer_times else None
    if w.target_ratio is not None and result["ratio"] is not None:
        result["met"] = result["ratio"] <= w.target_ratio
    else:
        result["met"] = None
    ratio = format_ratio(result["ratio"])
    print(f"    median ours {result['ours_median']:.3f} s, {w.peer_name} "
          f"{(result['peer_median'] or 0):.3f} s, ratio {ratio}"
          + ("" if result["met"] is None else (" (target met)" if result["met"] else " (TARGET MISSED)")), flush=True)
    return result


def format_ratio(ratio: float | None) -> str:
    """Three decimals, or three significant digits below 0.01 (a 0.0004 ratio must not print as 0.000)."""
    if ratio is None:
        return "—"
    return f"{ratio:.3f}" if ratio >= 0.01 else f"{ratio:.3g}"


def machine_line() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"


def render(title: str, suite: str, results: list[dict], extra: str, quick: bool) -> str:
    lines = [f"## {title}", "",
             f"Measured {datetime.date.today().isoformat()} on {machine_line()}, release build, "
             f"`bench/run.sh {'--quick ' if quick else ''}{suite}`. Whole processes (loading and saving included), "
             "median of alternating runs; ratio = ours / peer (below 1 means pixelwise is faster).", ""]
    if results:
        lines += ["| workload | pixelwise (s) | peer | peer (s) | ratio | pixelwise peak MB | peer peak MB | target | met |",
                  "| --- | ---: | --- | ---: | ---: | ---: | ---: | --- | --- |"]
        for r in results:
            def f(v, fmt):
                return format(v, fmt) if v is not None else "—"
            met = "—" if r["met"] is None else ("yes" if r["met"] else "**no**")
            lines.append(f"| {r['name']} | {f(r['ours_median'], '.3f')} | {r['peer_name']} | {f(r['peer_median'], '.3f')} "
                         f"| {format_ratio(r['ratio'])} | {f(r['ours_peak_mb'], '.0f')} | {f(r['peer_peak_mb'], '.0f')} "
                         f"| {r['target'] or '—'} | {met} |")
        notes = [f"- {r['name']}: {r['notes']}" for r in results if r.get("notes")]
        if notes:
            lines += [""] + notes
    if extra:
        lines += ["", extra.strip()]
    return "\n".join(lines) + "\n"


def regenerate_index() -> None:
    parts = ["# Benchmarks", "",
             "Generated by `bench/run.sh` (see bench/harness.py); each section is rewritten when its suite runs. "
             "Peers are the best Python tools for the job (numpy, scipy, OpenCV, numba) run as whole programs on "
             "the same files. These machines are shared and noisy: read ratios, not absolute seconds.", ""]
    for path in sorted((ROOT / "docs" / "benchmarks").glob("*.md")):
        parts.append(path.read_text().strip())
        parts.append("")
    (ROOT / "docs" / "BENCHMARKS.md").write_text("\n".join(parts))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suites", nargs="*", help="suite names (files in bench/suites); default: all")
    parser.add_argument("--quick", action="store_true", help="small inputs, one repeat: a smoke run")
    parser.add_argument("--pixelwise", default=str(ROOT / ".build" / "release" / "pixelwise"))
    parser.add_argument("--only", help="run only workloads whose name contains this text")
    args = parser.parse_args()
    sys.path.insert(0, str(BENCH))
    names = args.suites or sorted(p.stem for p in (BENCH / "suites").glob("*.py") if not p.stem.startswith("_"))
    for name in names:
        module = importlib.import_module(f"suites.{name}")
        data = BENCH / "data" / (name + ("-quick" if args.quick else ""))
        data.mkdir(parents=True, exist_ok=True)
        ctx = Context(pixelwise=Path(args.pixelwise), python=sys.executable, data=data, peers=BENCH / "peers",
                      quick=args.quick)
        print(f"[{name}] preparing inputs in {data}", flush=True)
        module.prepare(ctx)
        results = []
        for w in module.workloads(ctx):
            if args.only and args.only not in w.name:
                continue
            if args.quick:
                w.repeats = 1
            results.append(run_workload(w))
        extra = module.report(ctx, results) if hasattr(module, "report") else ""
        # Results are kept as JSON beside the table, so that a partial run (--only) replaces its own rows
        # and keeps the others from the last full run.
        saved = ROOT / "docs" / "benchmarks" / f"{name}.json"
        if args.only and saved.exists():
            fresh = {r["name"] for r in results}
            results = [r for r in json.loads(saved.read_text()) if r["name"] not in fresh] + results
        saved.write_text(json.dumps(results, indent=1) + "\n")
        out = ROOT / "docs" / "benchmarks" / f"{name}.md"
        out.write_text(render(getattr(module, "TITLE", name), name, results, extra or "", args.quick))
        print(f"[{name}] wrote {out.relative_to(ROOT)}", flush=True)
    regenerate_index()
    return 0


if __name__ == "__main__":
    sys.exit(main())
