"""The Python package in process (issue 13): `pixelwise.<job>(array)` against the numpy / OpenCV code it
replaces, alternately on the same arrays in one interpreter. Each case runs in its own process
(bench/python_inprocess.py CASE), so the cases' inputs do not add up; the harness's whole-process
workloads are not used here."""
import json
import subprocess
import sys
from pathlib import Path

TITLE = "Python package, in process (`import pixelwise`)"

ROOT = Path(__file__).resolve().parent.parent.parent
RUNNER = ROOT / "bench" / "python_inprocess.py"

# (case, label, peer, repeats, target text, target ratio)
CASES = [
    ("sample-10k", "sample 10,000 points from 1000×1000×3 uint8 (the seed's case)", "numpy `img[y, x]`", 3,
     "≤ 1.0 ×", 1.0),
    ("sample-10M", "sample 10,000,000 points from 15000×15000×3 uint8", "numpy `img[y, x]`", 2, "≤ 0.5 ×", 0.5),
    ("blur-box", "variable box blur 15000×15000 uint8, uint8 radius map 1..255", "numpy summed-area table", 1,
     "≤ 0.05 ×", 0.05),
    ("quantize-centers", "12000×12000 float64 to 8 given centres (labels + values)",
     "`np.searchsorted` on midpoints + `np.take`", 2, "≤ 0.2 ×", 0.2),
    ("quantize-k8", "12000×12000 uint16 photo, K = 8 (labels + values)", "np.unique + cv2.kmeans + LUT", 1,
     "≤ 0.5 ×, objective ≤ theirs", 0.5),
    ("hotpixels-scan", "hot-pixel scan of 40 JPEGs 3872×2592 (`Scan.add_files` + `detect`)",
     "`pixelwise hotpixels scan` (CLI process)", 2, "≤ 1.1 ×", 1.1),
    ("threads", "two Python threads each blurring its own 4000×4000 uint8 (radius map 1..64)",
     "the same two calls one after the other", 2, "set_threads(1): ≤ 0.65 ×; default: ≤ 1.15 ×", None),
]


def prepare(ctx):
    try:
        subprocess.run([ctx.python, "-c", "import pixelwise"], check=True, capture_output=True)
    except subprocess.CalledProcessError:
        print("  installing the Python package into the benchmark virtualenv (pip install ./python)", flush=True)
        subprocess.run([ctx.python, "-m", "pip", "install", "--quiet", str(ROOT / "python")], check=True)


def workloads(ctx):
    return []


def _row(label, peer, r, target, ratio_target):
    ratio = r["ours_s"] / r["peer_s"]
    met = "—" if ratio_target is None else ("yes" if ratio <= ratio_target else "**no**")
    unit, scale = ("µs", 1e6) if r["peer_s"] < 0.01 else ("s", 1)
    return (f"| {label} | {r['ours_s'] * scale:.3f} {unit} | {peer} | {r['peer_s'] * scale:.3f} {unit} | {ratio:.3f} | "
            f"{r['ours_mb']:.0f} | {r['peer_mb']:.0f} | {target} | {met} |")


def report(ctx, results):
    rows = ["| workload | pixelwise | peer | peer time | ratio | pixelwise peak +MB | peer peak +MB | target | met |",
            "| --- | ---: | --- | ---: | ---: | ---: | ---: | --- | --- |"]
    notes = []
    saved = ctx.data / "results.json"
    everything = json.loads(saved.read_text()) if saved.exists() else {}
    for case, label, peer, repeats, target, ratio_target in CASES:
        out = ctx.data / f"{case}.json"
        argv = [ctx.python, RUNNER, case, "--repeats", str(1 if ctx.quick else repeats), "--pixelwise",
                str(ctx.pixelwise), "--json", out] + (["--quick"] if ctx.quick else [])
        print(f"  {case}", flush=True)
        process = subprocess.run([str(a) for a in argv], stdout=sys.stdout, stderr=sys.stderr)
        if process.returncode != 0:
            notes.append(f"- {case}: failed (exit {process.returncode}); see the run's log")
            continue
        everything[case] = json.loads(out.read_text())
    saved.write_text(json.dumps(everything, indent=1) + "\n")
    for case, label, peer, repeats, target, ratio_target in CASES:
        if case not in everything:
            continue
        entry = everything[case]
        if case == "threads":
            one, default = entry["results"]["one"], entry["results"]["default"]
            rows.append(_row(label + ", `set_threads(1)`", peer, one, "≤ 0.65 ×", 0.65))
            rows.append(_row(label + ", default threads", peer, default, "≤ 1.15 ×", 1.15))
        else:
            r = entry["results"]["case"]
            rows.append(_row(label, peer, r, target, ratio_target))
            if r.get("note"):
                notes.append(f"- {label}: {r['note'].strip('; ')}.")
        notes.append(f"- {case}: load average {entry['load']:.2f} at the end of its run; {repeats} alternating "
                     f"runs (median).")
    text = ["In one Python process per case: pixelwise and its peer are called alternately on the same arrays "
            "(inputs already in memory, not timed); times are medians; peak memory is the largest growth of the "
            "process's resident set during a call, sampled every 2 ms (the inputs are not counted). "
            "The release build of the library (`pip install ./python`), on a 2-core machine shared with other "
            "work: read the ratios, not the absolute times. `bench/run.sh python` reruns it.", ""]
    return "\n".join(text + rows + [""] + notes) + "\n"
