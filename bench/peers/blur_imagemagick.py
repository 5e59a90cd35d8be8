#!/usr/bin/env python3
"""ImageMagick's variable blur (`-compose blur`), the one widely installed tool that has one.

    blur_imagemagick.py IMAGE.png SIGMA_MAP.png SIGMA_MAX OUT.png

Runs `convert IMAGE MAP -compose blur -define compose:args=SxS -composite OUT`: the map's grey level
(0..255) scales the maximum σ S. Whole process: ImageMagick reads PNG, blurs, writes PNG.
"""
import subprocess
import sys


def main(image, sigma_map, sigma_max, out):
    subprocess.run(["convert", image, sigma_map, "-compose", "blur",
                    "-define", f"compose:args={sigma_max}x{sigma_max}", "-composite", out], check=True)


if __name__ == "__main__":
    main(*sys.argv[1:5])
