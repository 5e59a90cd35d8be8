#!/usr/bin/env python3
"""Score a hot-pixel scan against the planted defects of a generated stack.

    score.py TRUTH.json SCAN.json [--radius 2] [--match-channel] [--json]

SCAN.json is the output of `pixelwise hotpixels scan --json` ({"candidates": [{"x", "y", "channel", "kind",
"score"}, ...], ...}; a bare list of candidates is accepted too; "-" reads standard input).

Matching: candidates are taken best first (the order of the list). A candidate matches the nearest planted
defect not yet matched whose Euclidean distance is at most --radius (default 2 px: demosaicing and JPEG smear
a defect over its neighbours, and a detector may settle one pixel off). With --match-channel the channels must
agree as well (off by default: a CFA scan reports channel 0, and a smeared defect may win in another channel).
A second candidate near an already matched defect is a duplicate and counts as a false positive: one defect
must be reported once.

  recall    = matched defects / planted defects
  precision = matched candidates / candidates    (1.0 when there is no candidate)

Prints a summary (or one JSON object with --json) and exits 0; exit 2 on unreadable input.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter


def load(path: str):
    try:
        text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
        return json.loads(text)
    except (OSError, ValueError) as error:
        print(f"score.py: error: {path}: {error}", file=sys.stderr)
        sys.exit(2)


# Kinds that name the same defect: a warm photosite is a weak hot one (the scan calls it warm when its residual
# is smaller than its own spread), so hot and warm are interchangeable when a found defect's kind is judged.
KIND_FAMILY = {"hot": "bright", "warm": "bright", "stuck": "stuck", "dead": "dead", "flickering": "flickering"}


def score(truth: dict, candidates: list, radius: float = 2.0, match_channel: bool = False) -> dict:
    defects = truth["defects"]
    matched_by = [None] * len(defects)   # candidate rank that found each defect
    true_positives = duplicates = 0
    for rank, c in enumerate(candidates):
        best, best_distance = None, math.inf
        near_matched = False
        for i, d in enumerate(defects):
            distance = math.hypot(c["x"] - d["x"], c["y"] - d["y"])
            if distance > radius:
                continue
            if match_channel and c.get("channel") is not None and c["channel"] != d["channel"]:
                continue
            if matched_by[i] is not None:
                near_matched = True
                continue
            if distance < best_distance:
                best, best_distance = i, distance
        if best is not None:
            matched_by[best] = rank
            true_positives += 1
        elif near_matched:
            duplicates += 1
    planted = Counter(d["kind"] for d in defects)
    found = Counter(d["kind"] for d, m in zip(defects, matched_by) if m is not None)
    wrong_kind = [(d, candidates[m]["kind"]) for d, m in zip(defects, matched_by)
                  if m is not None and KIND_FAMILY.get(candidates[m].get("kind")) != KIND_FAMILY[d["kind"]]]
    return {
        "planted": len(defects),
        "candidates": len(candidates),
        "found": sum(m is not None for m in matched_by),
        "recall": (sum(m is not None for m in matched_by) / len(defects)) if defects else 1.0,
        "precision": (true_positives / len(candidates)) if candidates else 1.0,
        "duplicates": duplicates,
        "false_positives": len(candidates) - true_positives,
        "per_kind": {k: {"planted": planted[k], "found": found[k]} for k in sorted(planted)},
        "missed": [d for d, m in zip(defects, matched_by) if m is None],
        "kinds_right": sum(m is not None for m in matched_by) - len(wrong_kind),
        "wrong_kind": [dict(d, reported=kind) for d, kind in wrong_kind],
        "radius": radius,
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("truth")
    p.add_argument("scan")
    p.add_argument("--radius", type=float, default=2.0, help="match distance in pixels (default 2)")
    p.add_argument("--match-channel", action="store_true", help="channels must agree too")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    truth = load(args.truth)
    scan = load(args.scan)
    candidates = scan if isinstance(scan, list) else scan.get("candidates")
    if not isinstance(truth, dict) or "defects" not in truth or not isinstance(candidates, list):
        print("score.py: error: want a truth.json with \"defects\" and a scan JSON with \"candidates\"",
              file=sys.stderr)
        return 2
    result = score(truth, candidates, args.radius, args.match_channel)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"recall {result['recall']:.3f} ({result['found']}/{result['planted']})  "
          f"precision {result['precision']:.3f} ({result['candidates'] - result['false_positives']}"
          f"/{result['candidates']}, {result['duplicates']} duplicates)  radius {args.radius:g} px")
    for kind, counts in result["per_kind"].items():
        print(f"  {kind:6s} {counts['found']}/{counts['planted']}")
    print(f"  kind right for {result['kinds_right']} of {result['found']} found (hot and warm count as one)")
    for d in result["wrong_kind"]:
        print(f"  reported {d['reported']}: {d['kind']} {d['strength']:g} at x={d['x']} y={d['y']}")
    for d in result["missed"]:
        shift = f", mean shift {d['mean_shift']:g} levels" if "mean_shift" in d else ""
        print(f"  missed {d['kind']} {d['strength']:g} at x={d['x']} y={d['y']} channel {d['channel']}{shift}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
