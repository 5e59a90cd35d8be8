#!/usr/bin/env python3
"""Synthetic photo stacks with planted sensor defects, for the accuracy benchmark of `pixelwise hotpixels scan`.

Each frame is a different view of a real photograph (scikit-image's bundled sample data: astronaut, coffee,
chelsea, rocket, motorcycles, hubble, retina, ...): a random source, scale, crop, flip and exposure. The frame
goes through a simple camera model:

  sRGB photo -> linear light x exposure -> RGGB Bayer mosaic (one colour per photosite)
  -> shot + read noise -> planted defects at fixed photosites (the same in every frame)
  -> 16-bit raw (optional output: the CFA mosaic, for `--cfa` detection)
  -> demosaic (bilinear, or OpenCV's Bayer conversion) -> sRGB gamma -> 8 bit -> JPEG / PNG / NPY

Defects (strengths are in linear full-scale units, 1.0 = white clip):
  hot    value + strength        (strength 0.08 .. 0.5: a bright photosite, dark current)
  warm   value + strength        (strength 0.02 .. 0.04: a weak hot pixel)
  stuck  value = strength        (constant whatever the scene, 0.15 .. 0.95)
  dead   value * strength        (gain 0 = fully dead, up to 0.25 = strongly attenuated)

Writes into OUT: frame_0000.<ext> ... and truth.json:
  {"width", "height", "frames", "cfa": "RGGB", "seed", "demosaic", "format", "quality",
   "raw": "npy"|"png"|null, "files": [...], "raw_files": [...],
   "defects": [{"x", "y", "channel", "kind", "strength"}, ...]}
x is the column, y the row (image pixels = sensor photosites: demosaicing keeps the size), channel is the
RGB channel of the photosite's colour filter (0 red, 1 green, 2 blue). "mean_shift" says how much the defect
shifts the delivered files on average: against the same frames rendered without defects, the mean change over
the frames at each pixel and channel of its 3x3 window, largest in magnitude, in 8-bit levels (raw-only stacks:
16-bit / 257). A dead photosite in a dark scene, or a blue one under JPEG's chroma subsampling, shifts little;
a stuck pixel near the scene's average shifts little on average but has too little variance.

Deterministic: the same arguments and seed give byte-identical files.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import sys
from pathlib import Path

import numpy as np

try:
    import cv2
except ImportError:  # pragma: no cover
    cv2 = None
from PIL import Image

SOURCES = [
    "astronaut.png", "coffee.png", "chelsea.png", "rocket.jpg", "motorcycle_left.png",
    "motorcycle_right.png", "hubble_deep_field.jpg", "retina.jpg", "ihc.png", "color.png",
    # Gray textures, tinted at random: fine detail everywhere, unlike the upscaled photos.
    "brick.png", "gravel.png", "grass.png", "coins.png", "camera.png",
]

# Colour of each site of the 2x2 CFA tile, row-major: (0,0), (0,1), (1,0), (1,1).
CFA_TILES = {"RGGB": (0, 1, 1, 2), "BGGR": (2, 1, 1, 0), "GRBG": (1, 0, 2, 1), "GBRG": (1, 2, 0, 1)}
# OpenCV names Bayer patterns after the second row: its BG2RGB is our RGGB.
OPENCV_CODES = {"RGGB": "BG", "BGGR": "RG", "GRBG": "GB", "GBRG": "GR"}

DEFAULT_DEFECTS = "hot:0.5,hot:0.25,hot:0.15,hot:0.08,stuck:0.9,stuck:0.5,stuck:0.15,dead:0,dead:0,dead:0.25," \
                  "warm:0.04,warm:0.03"


def load_sources() -> list[np.ndarray]:
    """The sample photos as float32 linear-light RGB in [0, 1]."""
    from skimage import data
    folder = Path(os.path.dirname(data.__file__))
    photos = []
    tint_rng = np.random.default_rng(12345)
    for name in SOURCES:
        path = folder / name
        if not path.exists():
            continue
        with Image.open(path) as opened:
            mode = "L" if opened.mode in ("L", "1", "I", "I;16") else "RGB"
            image = np.asarray(opened.convert(mode), dtype=np.float32) / 255.0
        if image.ndim == 2:
            tint = tint_rng.uniform(0.55, 1.0, size=3).astype(np.float32)
            image = image[:, :, None] * tint[None, None, :]
        photos.append(np.power(image, 2.2, dtype=np.float32))  # undo the sRGB-like gamma
    if not photos:
        sys.exit("generate.py: error: no scikit-image sample photos found")
    return photos


def frame_scene(rng: np.random.Generator, sources: list[np.ndarray], width: int, height: int) -> np.ndarray:
    """One distinct view: random source, scale, crop, flips, exposure and white balance."""
    source = sources[rng.integers(len(sources))]
    if rng.random() < 0.5:
        source = source[:, ::-1]
    if rng.random() < 0.25:
        source = source[::-1, :]
    if rng.random() < 0.3:
        source = np.ascontiguousarray(np.rot90(source))
    h, w = source.shape[:2]
    scale = max(width / w, height / h) * rng.uniform(1.0, 1.8)
    new_w, new_h = max(width, int(np.ceil(w * scale))), max(height, int(np.ceil(h * scale)))
    resized = cv2.resize(np.ascontiguousarray(source), (new_w, new_h), interpolation=cv2.INTER_CUBIC)
    x0 = rng.integers(0, new_w - width + 1)
    y0 = rng.integers(0, new_h - height + 1)
    scene = resized[y0:y0 + height, x0:x0 + width]
    exposure = float(np.exp(rng.uniform(np.log(0.35), np.log(1.6))))
    balance = rng.uniform(0.85, 1.15, size=3).astype(np.float32)
    return np.clip(scene * (exposure * balance)[None, None, :], 0.0, 1.0)


def mosaic(scene: np.ndarray, cfa: str) -> np.ndarray:
    """The Bayer mosaic: each photosite keeps the channel its filter passes."""
    tile = CFA_TILES[cfa]
    raw = np.empty(scene.shape[:2], dtype=np.float32)
    for index, channel in enumerate(tile):
        dy, dx = divmod(index, 2)
        raw[dy::2, dx::2] = scene[dy::2, dx::2, channel]
    return raw


def channel_of(x: int, y: int, cfa: str) -> int:
    return CFA_TILES[cfa][(y % 2) * 2 + (x % 2)]


def demosaic_bilinear(raw: np.ndarray, cfa: str) -> np.ndarray:
    """Classic bilinear demosaic by normalised convolution (borders renormalised, known samples kept)."""
    height, width = raw.shape
    tile = CFA_TILES[cfa]
    kernel = np.array([[0.25, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 0.25]], dtype=np.float32)
    out = np.empty((height, width, 3), dtype=np.float32)
    for channel in range(3):
        mask = np.zeros((height, width), dtype=np.float32)
        for index, c in enumerate(tile):
            if c == channel:
                dy, dx = divmod(index, 2)
                mask[dy::2, dx::2] = 1.0
        k = kernel if channel != 1 else np.array([[0, 0.25, 0], [0.25, 1.0, 0.25], [0, 0.25, 0]], np.float32)
        num = cv2.filter2D(raw * mask, -1, k, borderType=cv2.BORDER_CONSTANT)
        den = cv2.filter2D(mask, -1, k, borderType=cv2.BORDER_CONSTANT)
        interpolated = num / np.maximum(den, 1e-6)
        out[:, :, channel] = np.where(mask > 0, raw, interpolated)
    return out


def demosaic(raw16: np.ndarray, cfa: str, method: str) -> np.ndarray:
    if method == "bilinear":
        return demosaic_bilinear(raw16.astype(np.float32) / 65535.0, cfa)
    code = {"opencv": "COLOR_Bayer%s2RGB", "opencv-ea": "COLOR_Bayer%s2RGB_EA"}[method] % OPENCV_CODES[cfa]
    return cv2.cvtColor(raw16, getattr(cv2, code)).astype(np.float32) / 65535.0


def parse_defects(spec: str) -> list[tuple[str, float]]:
    result = []
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        kind, _, strength = item.partition(":")
        if kind not in ("hot", "warm", "stuck", "dead") or not strength:
            sys.exit(f"generate.py: error: --defects: bad item {item!r} (want KIND:STRENGTH, KIND hot|warm|stuck|dead)")
        result.append((kind, float(strength)))
    return result


def place_defects(rng, specs, width, height, cfa, spacing, margin):
    """Positions at least `spacing` pixels apart (so that each defect is scored on its own)."""
    placed = []
    for kind, strength in specs:
        for _ in range(10000):
            x = int(rng.integers(margin, width - margin))
            y = int(rng.integers(margin, height - margin))
            if all(max(abs(x - d["x"]), abs(y - d["y"])) >= spacing for d in placed):
                break
        else:
            sys.exit("generate.py: error: cannot place the defects that far apart; use a larger frame")
        placed.append({"x": x, "y": y, "channel": channel_of(x, y, cfa), "kind": kind, "strength": strength})
    return placed


def apply_defects(raw: np.ndarray, defects) -> None:
    for d in defects:
        x, y, s = d["x"], d["y"], d["strength"]
        if d["kind"] in ("hot", "warm"):
            raw[y, x] = raw[y, x] + s
        elif d["kind"] == "stuck":
            raw[y, x] = s
        else:  # dead
            raw[y, x] = raw[y, x] * s


def encode_srgb8(rgb: np.ndarray) -> np.ndarray:
    return np.round(np.power(np.clip(rgb, 0.0, 1.0), 1 / 2.2) * 255.0).astype(np.uint8)


# PIL's `subsampling` codes for the chroma subsampling of a JPEG.
SUBSAMPLING = {"4:4:4": 0, "4:2:2": 1, "4:2:0": 2}


def sharpen(rgb8: np.ndarray, amount: float) -> np.ndarray:
    """In-camera sharpening before the JPEG: an unsharp mask of radius sigma 1 px on the 8-bit sRGB image.
    It rings around a defect (a dark halo beside a hot photosite), as cameras' own processing does."""
    if amount <= 0:
        return rgb8
    image = rgb8.astype(np.float32)
    blurred = cv2.GaussianBlur(image, (0, 0), 1.0)
    return np.clip(np.round(image + amount * (image - blurred)), 0, 255).astype(np.uint8)


def jpeg_round_trip(rgb8: np.ndarray, quality: int, subsampling: str = "4:2:0") -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(rgb8).save(buffer, format="JPEG", quality=quality, subsampling=SUBSAMPLING[subsampling])
    buffer.seek(0)
    return np.asarray(Image.open(buffer).convert("RGB"))


def add_visibility(totals, defects, delivered, clean) -> None:
    """Adds, per defect, the signed change (delivered - clean, 8-bit levels) over its 3x3 window and channels;
    visibility is then the largest |mean change|: a consistent shift survives averaging over the frames,
    JPEG's block-wide requantisation noise (either sign) does not."""
    height, width = delivered.shape[:2]
    for i, d in enumerate(defects):
        y0, y1, x0, x1 = max(0, d["y"] - 1), min(height, d["y"] + 2), max(0, d["x"] - 1), min(width, d["x"] + 2)
        window = np.zeros((3, 3, delivered.shape[2]))
        window[:y1 - y0, :x1 - x0] = delivered[y0:y1, x0:x1].astype(np.float64) - clean[y0:y1, x0:x1].astype(np.float64)
        totals[i] = window if isinstance(totals[i], float) else totals[i] + window


def write_frame(path: Path, rgb8: np.ndarray, fmt: str, quality: int, subsampling: str = "4:2:0") -> None:
    if fmt == "npy":
        np.save(path, rgb8)
    elif fmt == "png":
        Image.fromarray(rgb8).save(path, compress_level=1)
    else:
        # 4:2:0 by default (PIL's default below quality 100); cameras' "fine" JPEGs are often 4:2:2.
        Image.fromarray(rgb8).save(path, quality=quality, subsampling=SUBSAMPLING[subsampling])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", type=Path, help="output folder (created)")
    p.add_argument("--frames", type=int, default=30)
    p.add_argument("--width", type=int, default=1024)
    p.add_argument("--height", type=int, default=768)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--cfa", choices=sorted(CFA_TILES), default="RGGB")
    p.add_argument("--demosaic", choices=["bilinear", "opencv", "opencv-ea"], default="bilinear")
    p.add_argument("--format", choices=["jpg", "png", "npy", "none"], default="jpg",
                   help="demosaiced frames (none: only the raw mosaic, needs --raw)")
    p.add_argument("--quality", default="90", help="JPEG quality, or a comma list cycled over the frames")
    p.add_argument("--subsampling", choices=sorted(SUBSAMPLING), default="4:2:0", help="JPEG chroma subsampling")
    p.add_argument("--sharpen", type=float, default=0.0,
                   help="in-camera sharpening before encoding: unsharp mask amount (sigma 1 px); 0 = none")
    p.add_argument("--write-clean", action="store_true",
                   help="also write each frame rendered without the defects (clean_0000.<ext>: same noise, same "
                        "encoding), to measure a repair against (bench/hotpixels/fix_quality.py)")
    p.add_argument("--raw", choices=["npy", "png"], default=None,
                   help="also write the 16-bit raw CFA mosaic, raw_0000.npy/.png (gray, uint16)")
    p.add_argument("--defects", default=DEFAULT_DEFECTS,
                   help="comma list KIND:STRENGTH, one defect each (default: %(default)s)")
    p.add_argument("--spacing", type=int, default=12, help="minimum distance between defects (Chebyshev)")
    p.add_argument("--margin", type=int, default=0, help="keep defects this far from the border")
    p.add_argument("--read-noise", type=float, default=0.002, help="read noise, linear full scale (sigma)")
    p.add_argument("--full-well", type=float, default=8000.0,
                   help="electrons at full scale (shot noise sigma = sqrt(value*full_well)/full_well)")
    args = p.parse_args(argv)
    if args.format == "none" and args.raw is None:
        p.error("--format none needs --raw")
    if args.width < 4 or args.height < 4 or args.frames < 1:
        p.error("--width/--height must be at least 4 and --frames at least 1")
    qualities = [int(q) for q in args.quality.split(",")]

    rng = np.random.default_rng(args.seed)
    sources = load_sources()
    defects = place_defects(rng, parse_defects(args.defects), args.width, args.height, args.cfa,
                            args.spacing, args.margin)
    args.out.mkdir(parents=True, exist_ok=True)
    files, raw_files = [], []
    visibility = [0.0] * len(defects)   # per defect: the summed 3x3xC change, see add_visibility
    for index in range(args.frames):
        scene = frame_scene(rng, sources, args.width, args.height)
        raw = mosaic(scene, args.cfa)
        shot = np.sqrt(np.maximum(raw, 0) / args.full_well)
        raw = raw + rng.standard_normal(raw.shape, dtype=np.float32) * (shot + args.read_noise)
        clean16 = np.round(np.clip(raw, 0.0, 1.0) * 65535.0).astype(np.uint16)
        apply_defects(raw, defects)
        raw16 = np.round(np.clip(raw, 0.0, 1.0) * 65535.0).astype(np.uint16)
        if args.raw:
            name = f"raw_{index:04d}.{args.raw}"
            if args.raw == "npy":
                np.save(args.out / name, raw16)
            else:
                cv2.imwrite(str(args.out / name), raw16)  # 16-bit gray PNG
            raw_files.append(name)
        if args.format != "none":
            rgb8 = sharpen(encode_srgb8(demosaic(raw16, args.cfa, args.demosaic)), args.sharpen)
            name = f"frame_{index:04d}.{args.format}"
            quality = qualities[index % len(qualities)]
            write_frame(args.out / name, rgb8, args.format, quality, args.subsampling)
            files.append(name)
            # What the defects change in the delivered file: the same frame rendered without them.
            clean8 = sharpen(encode_srgb8(demosaic(clean16, args.cfa, args.demosaic)), args.sharpen)
            if args.write_clean:
                write_frame(args.out / f"clean_{index:04d}.{args.format}", clean8, args.format, quality, args.subsampling)
            if args.format == "jpg":
                delivered = np.asarray(Image.open(args.out / name).convert("RGB"))
                clean8 = jpeg_round_trip(clean8, quality, args.subsampling)
            else:
                delivered = rgb8
            add_visibility(visibility, defects, delivered, clean8)
        else:
            add_visibility(visibility, defects, raw16[:, :, None] / 257.0, clean16[:, :, None] / 257.0)
    for d, total in zip(defects, visibility):
        d["mean_shift"] = round(float(np.abs(np.asarray(total) / args.frames).max()), 2)

    truth = {
        "width": args.width, "height": args.height, "frames": args.frames, "cfa": args.cfa, "seed": args.seed,
        "demosaic": args.demosaic, "format": args.format,
        "quality": qualities if args.format == "jpg" else None, "raw": args.raw,
        "subsampling": args.subsampling if args.format == "jpg" else None, "sharpen": args.sharpen,
        "files": files, "raw_files": raw_files,
        "strength_units": "hot/warm: added, stuck: constant value, dead: gain; linear light, 1.0 = full scale",
        "defects": defects,
    }
    tmp = args.out / "truth.json.tmp"
    tmp.write_text(json.dumps(truth, indent=1) + "\n")
    os.replace(tmp, args.out / "truth.json")
    print(f"wrote {len(files) or len(raw_files)} frames and {len(defects)} defects to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
