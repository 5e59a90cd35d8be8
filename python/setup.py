"""Build step: compiles the Swift library (product PixelwiseC) and puts it in the package as
pixelwise/_lib/libpixelwise.so.

The library is built self-contained (`-Xswiftc -static-stdlib`: the Swift runtime and Dispatch inside it),
so the installed package runs without the Swift toolchain. Where it comes from, in order:
1. PIXELWISE_LIBRARY=/path/to/libPixelwiseC.so (a library built elsewhere);
2. the repository this folder lives in (`swift build`, incremental: an up-to-date build is reused);
3. pixelwise/_lib/libpixelwise.so already present (an sdist that carries it).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools < 70.1
    from wheel.bdist_wheel import bdist_wheel

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCRATCH = ".build-python"
PRODUCT = "PixelwiseC"
LIBRARY = "libpixelwise.so"


def swift_build() -> Path:
    """Builds (or reuses) the release library; returns its path."""
    command = ["swift", "build", "-c", "release", "--scratch-path", SCRATCH, "--product", PRODUCT,
               "-Xswiftc", "-static-stdlib"]
    print("pixelwise: " + " ".join(command), flush=True)
    subprocess.run(command, cwd=ROOT, check=True)
    bin_path = subprocess.run(command[:6] + ["--show-bin-path"], cwd=ROOT, check=True, capture_output=True,
                              text=True).stdout.strip()
    built = Path(bin_path) / f"lib{PRODUCT}.so"
    if not built.exists():
        raise RuntimeError(f"pixelwise: swift build did not produce {built}")
    return built


def find_library() -> Path:
    override = os.environ.get("PIXELWISE_LIBRARY")
    if override:
        return Path(override)
    if (ROOT / "Package.swift").exists() and shutil.which("swift"):
        return swift_build()
    bundled = HERE / "pixelwise" / "_lib" / LIBRARY
    if bundled.exists():
        return bundled
    raise RuntimeError("pixelwise: no library: build from the repository (needs Swift 6 on PATH) or set "
                       "PIXELWISE_LIBRARY to a built libPixelwiseC.so")


class BuildPyWithLibrary(build_py):
    def run(self) -> None:
        super().run()
        source = find_library()
        target = Path(self.build_lib) / "pixelwise" / "_lib" / LIBRARY
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.resolve() != target.resolve():
            shutil.copyfile(source, target)
            os.chmod(target, 0o755)
            # Symbols and debug sections are not needed to run (about a third of the file).
            if shutil.which("strip"):
                subprocess.run(["strip", "--strip-unneeded", str(target)], check=False)


class PlatformWheel(bdist_wheel):
    """A platform wheel (the .so inside), but not tied to one Python version: ctypes, no extension module."""

    def finalize_options(self) -> None:
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self):
        _, _, platform = super().get_tag()
        return "py3", "none", platform


class BinaryDistribution(Distribution):
    def has_ext_modules(self) -> bool:
        return True


setup(cmdclass={"build_py": BuildPyWithLibrary, "bdist_wheel": PlatformWheel}, distclass=BinaryDistribution)
