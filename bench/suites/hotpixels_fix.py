"""Repairing listed pixels in a folder of photos (seed 001): `pixelwise hotpixels fix` against the seed's
Pillow program (bench/peers/hotpixels_fix_seed.py, its edge bug fixed so that both compute the same)."""
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image

from harness import Workload

TITLE = "Hot-pixel repair (`pixelwise hotpixels fix`)"
HERE = Path(__file__).resolve().parent.parent / "hotpixels"
PIXELS = ["1632,2255", "0,0", "3871,2591", "100,101", "101,101"]


def prepare(ctx):
    width, height, frames = (1936, 1296, 4) if ctx.quick else (3872, 2592, 8)
    ctx.stack = ctx.data / f"d80-{width}x{height}"
    if not (ctx.stack / "truth.json").exists():
        subprocess.run([ctx.python, str(HERE / "generate.py"), str(ctx.stack), "--frames", str(frames),
                        "--width", str(width), "--height", str(height), "--quality", "95",
                        "--defects", "hot:0.5", "--seed", "9"], check=True)
    ctx.pixels = [p for p in PIXELS if int(p.split(",")[0]) < width and int(p.split(",")[1]) < height]


def workloads(ctx):
    files = sorted(str(p) for p in ctx.stack.glob("frame_*.jpg"))
    ours_out, peer_out = ctx.data / "fixed-ours", ctx.data / "fixed-peer"
    ours = [ctx.pixelwise, "hotpixels", "fix", *files, "--output-dir", ours_out]
    for p in ctx.pixels:
        ours += ["--pixel", p]

    def check():
        worst = 0
        for name in files:
            a = np.asarray(Image.open(ours_out / Path(name).name), dtype=np.int16)
            b = np.asarray(Image.open(peer_out / Path(name).name), dtype=np.int16)
            worst = max(worst, int(np.abs(a - b).max()))
        return (f"ours recodes only the repaired blocks (no re-encode, bench/hotpixels/jpeg_repair.py), the seed re-encodes "
                f"at quality 95; largest difference between the two outputs {worst} levels")

    return [Workload(name=f"{len(ctx.pixels)} pixels in {len(files)} JPEGs of {ctx.stack.name.split('-')[1]}",
                     ours=ours, peer=[ctx.python, ctx.peers / "hotpixels_fix_seed.py", peer_out, ";".join(ctx.pixels), *files],
                     peer_name="seed (Pillow)", repeats=3, check=check,
                     target="faster than the seed's program", target_ratio=1.0)]
