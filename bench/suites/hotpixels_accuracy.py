"""Hot-pixel detection accuracy (seed 001, issue item 3): planted defects in synthetic photo stacks.

prepare() generates the stacks with bench/hotpixels/generate.py; report() runs `pixelwise hotpixels scan
--json` on each, scores it with bench/hotpixels/score.py, and does the same for the seed's lowest-variance
ranking (`--method variance`). No timed workloads: speed is the hotpixels_speed suite's business.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TITLE = "Hot-pixel detection accuracy (`pixelwise hotpixels scan`)"

HERE = Path(__file__).resolve().parent.parent / "hotpixels"
sys.path.insert(0, str(HERE))
import score as scoring  # noqa: E402  (bench/hotpixels/score.py)

# name, generate.py arguments, frame glob, extra scan arguments
CONFIGS = [
    ("JPEG q90, bilinear demosaic", ["--seed", "1", "--quality", "90"], "frame_*.jpg", []),
    ("JPEG q75, OpenCV demosaic", ["--seed", "2", "--quality", "75", "--demosaic", "opencv"], "frame_*.jpg", []),
    ("JPEG q95, OpenCV edge-aware demosaic", ["--seed", "3", "--quality", "95", "--demosaic", "opencv-ea"],
     "frame_*.jpg", []),
    ("JPEG q75/90/95 mixed, bilinear", ["--seed", "4", "--quality", "75,90,95"], "frame_*.jpg", []),
    ("PNG (lossless), bilinear", ["--seed", "5", "--format", "png"], "frame_*.png", []),
    ("raw RGGB mosaic, 16-bit NPY", ["--seed", "6", "--format", "none", "--raw", "npy"], "raw_*.npy",
     ["--cfa", "RGGB"]),
    # What a camera's own "fine" JPEGs look like: edge-aware demosaicing, sharpening, 4:2:2 chroma.
    ("JPEG q95 4:2:2, sharpened, edge-aware demosaic (camera-like)",
     ["--seed", "7", "--quality", "95", "--subsampling", "4:2:2", "--sharpen", "0.6", "--demosaic", "opencv-ea"],
     "frame_*.jpg", []),
]


# Long stacks (the user story has a few hundred photos): the same configurations as the first rows above, made with
# LONG_FRAMES frames and scanned on their first N frames for each N in LONG_PREFIXES.
LONG_CONFIGS = [CONFIGS[0], CONFIGS[1], CONFIGS[3], CONFIGS[6]]
LONG_FRAMES = 240
LONG_PREFIXES = [30, 60, 120, 240]


def _slug(name: str) -> str:
    words = "".join(c if c.isalnum() else " " for c in name.lower()).split()
    return "-".join(words)


def _size(ctx):
    return ("512", "384") if ctx.quick else ("1024", "768")


def prepare(ctx):
    width, height = _size(ctx)
    for name, args, _, _ in CONFIGS:
        folder = ctx.data / _slug(name)
        if (folder / "truth.json").exists():
            continue
        subprocess.run([ctx.python, str(HERE / "generate.py"), str(folder), "--frames", "30",
                        "--width", width, "--height", height] + args, check=True)
    for name, args, _, _ in LONG_CONFIGS:
        folder = ctx.data / (_slug(name) + f"-{LONG_FRAMES}-frames")
        if (folder / "truth.json").exists():
            continue
        subprocess.run([ctx.python, str(HERE / "generate.py"), str(folder), "--frames", str(LONG_FRAMES),
                        "--width", width, "--height", height] + args, check=True)


def workloads(ctx):
    return []


def _scan(argv: list[str]) -> tuple[dict | None, str]:
    try:
        process = subprocess.run([str(a) for a in argv], capture_output=True, text=True)
    except OSError as error:
        return None, str(error)
    if process.returncode != 0:
        message = (process.stderr.strip().splitlines() or ["(no message)"])[-1]
        return None, f"exit {process.returncode}: {message[:160]}"
    try:
        return json.loads(process.stdout), ""
    except ValueError as error:
        return None, f"unreadable JSON: {error}"


def _cell(result: dict | None, failure: str) -> list[str]:
    if result is None:
        return [f"failed ({failure})", "—", "—", "—"]
    kinds = ", ".join(f"{k} {v['found']}/{v['planted']}" for k, v in result["per_kind"].items())
    return [f"{result['recall']:.2f} ({result['found']}/{result['planted']})",
            f"{result['precision']:.2f} ({result['candidates'] - result['false_positives']}/{result['candidates']})",
            kinds, f"{result['kinds_right']}/{result['found']}"]


def report(ctx, results):
    width, height = _size(ctx)
    lines = [f"30-frame stacks of {width}×{height} frames from scikit-image's sample photos, RGGB mosaic, shot and "
             "read noise, 12 planted defects each (hot +0.5/+0.25/+0.15/+0.08, stuck 0.9/0.5/0.15, dead ×0/×0/×0.25, "
             "warm +0.04/+0.03, linear full scale), demosaiced and encoded as listed; see docs/hotpixels-accuracy.md. "
             "A candidate matches a defect within 2 px; duplicates count as false positives. "
             "Target: every planted defect found with precision ≥ 0.9. Kind right: found defects reported with their "
             "planted kind (hot and warm count as one; the variance ranking calls everything stuck).", "",
             "| stack | method | recall | precision | found per kind | kind right |",
             "| --- | --- | --- | --- | --- | --- |"]
    misses = []
    for name, _, pattern, extra in CONFIGS:
        folder = ctx.data / _slug(name)
        truth = json.loads((folder / "truth.json").read_text())
        frames = sorted(str(p) for p in folder.glob(pattern))
        planted = len(truth["defects"])
        runs = [("pixelwise scan (default threshold)", [ctx.pixelwise, "hotpixels", "scan", "--json"] + extra + frames),
                (f"seed: lowest variance, best {3 * planted}",
                 [ctx.pixelwise, "hotpixels", "scan", "--json", "--method", "variance", "--top", str(3 * planted)]
                 + extra + frames)]
        if name.startswith("JPEG q90"):
            runs.append((f"numpy residual baseline, best {planted}",
                         [ctx.python, str(HERE / "baseline.py"), "--top", str(planted)] + frames))
        for method, argv in runs:
            scan, failure = _scan(argv)
            result = scoring.score(truth, scan.get("candidates", []) if isinstance(scan, dict) else [],
                                   radius=2.0) if scan is not None else None
            lines.append(f"| {name} | {method} | " + " | ".join(_cell(result, failure)) + " |")
            if result and method.startswith("pixelwise"):
                misses += [f"{name}: missed {d['kind']} {d['strength']:g} at ({d['x']}, {d['y']}) channel "
                           f"{d['channel']}" + (f", mean shift {d['mean_shift']:g} levels" if "mean_shift" in d else "")
                           for d in result["missed"]]
            print(f"    {name} / {method}: " + " ".join(_cell(result, failure)), flush=True)
    lines += ["", f"Longer stacks: the first N frames of {LONG_FRAMES}-frame stacks made like the rows above (same "
              "seeds, so their first 30 frames are those stacks), `pixelwise hotpixels scan` at the default threshold; "
              "recall / precision, and the planted defects still missed at the longest.", "",
              "| stack | " + " | ".join(f"{n} frames" for n in LONG_PREFIXES) + " | missed at " + str(LONG_PREFIXES[-1])
              + " |", "| --- | " + " | ".join("---" for _ in LONG_PREFIXES) + " | --- |"]
    for name, _, pattern, extra in LONG_CONFIGS:
        folder = ctx.data / (_slug(name) + f"-{LONG_FRAMES}-frames")
        truth = json.loads((folder / "truth.json").read_text())
        frames = sorted(str(p) for p in folder.glob(pattern))
        cells, missed = [], "—"
        for count in LONG_PREFIXES:
            scan, failure = _scan([ctx.pixelwise, "hotpixels", "scan", "--json"] + extra + frames[:count])
            if scan is None:
                cells.append(f"failed ({failure})")
                missed = "—"
                continue
            result = scoring.score(truth, scan.get("candidates", []), radius=2.0)
            cells.append(f"{result['recall']:.2f} / {result['precision']:.2f}")
            missed = ", ".join(f"{d['kind']} {d['strength']:g} (channel {d['channel']})" for d in result["missed"]) or "none"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {missed} |")
        print(f"    {name}, longer stacks: " + " ".join(cells), flush=True)
    if misses:
        lines += ["", "Missed by pixelwise (mean shift: how much the defect moves the delivered files on average, "
                  "largest over its 3×3 window and channels, in 8-bit levels; see bench/hotpixels/generate.py):", ""]
        lines += [f"- {m}" for m in misses]
    return "\n".join(lines) + "\n"
