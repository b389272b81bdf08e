"""Embedded image datasets: glyphs early in a long class-free background (see
:mod:`auxbench.data.embedded` for why).

Every image is

- a ``side x side`` canvas of background: greyscale = 0 plus Gaussian noise of standard deviation
  ``noise * 255`` (clipped to 0..255); colour = a random dark colour per image (each channel
  uniform in 0..90, drawn independently of the class) plus the same noise per channel;
- one glyph from a 5x7 dot-matrix font defined below (digits 0-9, then letters A-Z), scaled by a
  random integer factor (from half the largest factor that fits up to that factor), with a random
  1-pixel horizontal stroke thickening (p = 0.5), at a random position inside the **top region**
  (the first ``floor(region * side)`` rows; default half the image); glyph pixels get the glyph's
  ink (greyscale: uniform ``ink_min``..255, default 170; colour: see below) plus the same noise;
- ``font``: ``digits`` (default) draws the 5x7 strokes below; ``dots`` draws, per glyph, a fixed
  random 5x7 dot pattern (half the cells inked), which a reconstruction loss can only predict by
  remembering the glyph, where strokes are largely predictable from the previous pixel;
- ``levels``: the colour depth: every value (canvas, glyph and tail, each channel) is rounded to
  the nearest of ``levels`` evenly spaced values in 0..255, themselves rounded to integers
  (``round(k * 255 / (levels - 1))``; default 256: to integers); a few
  levels make each colour a token the embedding sees often, as constant ink does for greyscale;
- the image is read in raster order (row by row), then ``tail`` extra background steps (the same
  class-independent background process, no glyph) are appended: ``T = side² + tail``.

So every step after ``floor(region * side) * side`` carries no class information: its
distribution is the same for every class (the tests check this). Default ``embedded_mnist``
(side 16, region 0.5, tail 0): the evidence lies in steps 0..127 of 256, followed by >= 128 steps
of background; ``tail`` stretches the background to any length.

- ``embedded_mnist``: greyscale digit glyphs 0-9, 10 classes. Stands in for pixel MNIST.
- ``embedded_pmnist``: the same images with one fixed permutation of the ``side²`` image
  positions, ``RandomState(permutation_seed).permutation(side²)`` (a property of the dataset,
  stored as ``permutation.npy`` with its SHA-256 in the manifest); the tail is *not* permuted and
  stays at the end. As in pMNIST, the permutation spreads the evidence over the whole image part,
  so dependencies span the image rather than its top rows. Stands in for pMNIST.
- ``embedded_cifar``: colour (3 channels per step), 10 classes = 5 glyph shapes (digits 0-4) x 2
  colour families (red, blue): class ``k`` has shape ``k % 5`` and family ``k // 5``; a glyph's
  colour has its family's channels uniform in 180..255 and the others in 0..70, on the random dark
  background. Solving it needs both the shape and the colour. Stands in for sequential CIFAR-10
  (RGB, one step per pixel, 1024 steps at side 32).
- ``embedded_dogs``: the colour kind at any ``side`` up to 128 (T up to 16,384) and
  ``n_classes`` classes (default 10, at most 120): ``n_families = clip(ceil(n_classes / 20), 2, 6)``
  colour families (red, blue, green, yellow, magenta, cyan) x ``ceil(n_classes / n_families)``
  shapes. Stands in for Stanford Dogs at growing resolutions (Figure 3).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .embedded import (
    CIFAR_STREAM,
    DOGS_STREAM,
    GREY_STREAM,
    balanced_labels,
    generator_record,
    split_rng,
)
from .mnist import permutation, permutation_info
from .progress import Progress

# ---------------------------------------------------------------------------------- the font
_FONT_ROWS = {
    "0": ".###. #...# #..## #.#.# ##..# #...# .###.",
    "1": "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
    "2": ".###. #...# ....# ...#. ..#.. .#... #####",
    "3": "##### ...#. ..#.. ...#. ....# #...# .###.",
    "4": "...#. ..##. .#.#. #..#. ##### ...#. ...#.",
    "5": "##### #.... ####. ....# ....# #...# .###.",
    "6": "..##. .#... #.... ####. #...# #...# .###.",
    "7": "##### ....# ...#. ..#.. .#... .#... .#...",
    "8": ".###. #...# #...# .###. #...# #...# .###.",
    "9": ".###. #...# #...# .#### ....# ...#. .##..",
    "A": ".###. #...# #...# ##### #...# #...# #...#",
    "B": "####. #...# #...# ####. #...# #...# ####.",
    "C": ".###. #...# #.... #.... #.... #...# .###.",
    "D": "###.. #..#. #...# #...# #...# #..#. ###..",
    "E": "##### #.... #.... ####. #.... #.... #####",
    "F": "##### #.... #.... ####. #.... #.... #....",
    "G": ".###. #...# #.... #.### #...# #...# .####",
    "H": "#...# #...# #...# ##### #...# #...# #...#",
    "I": ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
    "J": "..### ...#. ...#. ...#. ...#. #..#. .##..",
    "K": "#...# #..#. #.#.. ##... #.#.. #..#. #...#",
    "L": "#.... #.... #.... #.... #.... #.... #####",
    "M": "#...# ##.## #.#.# #.#.# #...# #...# #...#",
    "N": "#...# #...# ##..# #.#.# #..## #...# #...#",
    "O": ".###. #...# #...# #...# #...# #...# .###.",
    "P": "####. #...# #...# ####. #.... #.... #....",
    "Q": ".###. #...# #...# #...# #.#.# #..#. .##.#",
    "R": "####. #...# #...# ####. #.#.. #..#. #...#",
    "S": ".#### #.... #.... .###. ....# ....# ####.",
    "T": "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
    "U": "#...# #...# #...# #...# #...# #...# .###.",
    "V": "#...# #...# #...# #...# #...# .#.#. ..#..",
    "W": "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.",
    "X": "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
    "Y": "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..",
    "Z": "##### ....# ...#. ..#.. .#... #.... #####",
}
GLYPH_CHARS = tuple(_FONT_ROWS)
GLYPH_H, GLYPH_W = 7, 5
FONT = np.array([[[c == "#" for c in row] for row in rows.split()]
                 for rows in _FONT_ROWS.values()], dtype=bool)  # [36, 7, 5]

# The "dots" font: per glyph a fixed random 7x5 pattern (half the cells inked). Unlike strokes,
# whose next pixel mostly repeats the previous one, a dot pattern can only be predicted by
# remembering which glyph it is: a reconstruction loss then rewards memory, not local smoothness.
DOTS = np.random.RandomState(20180301).rand(len(FONT), GLYPH_H, GLYPH_W) < 0.5
FONTS = {"digits": FONT, "dots": DOTS}

FAMILIES = ("red", "blue", "green", "yellow", "magenta", "cyan")
_FAMILY_MASK = np.array([[1, 0, 0], [0, 0, 1], [0, 1, 0], [1, 1, 0], [1, 0, 1], [0, 1, 1]],
                        dtype=bool)
_CHUNK_VALUES = 1 << 22  # float32 values per chunk (16 MiB)


def _stencils(font: np.ndarray, scale: int, thick: int) -> np.ndarray:
    """All glyphs scaled by ``scale`` (nearest), optionally thickened by one pixel: [36, h, w]."""
    g = font.repeat(scale, axis=1).repeat(scale, axis=2)
    if thick:
        pad = np.zeros((g.shape[0], g.shape[1], g.shape[2] + 1), dtype=bool)
        pad[:, :, :-1] |= g
        pad[:, :, 1:] |= g
        g = pad
    return g


def region_rows(side: int, region: float) -> int:
    return math.floor(region * side + 1e-9)


def render_images(rng: np.random.Generator, glyphs: np.ndarray, ink: np.ndarray, bg: np.ndarray,
                  side: int, region: float, noise: float, tail: int,
                  progress: Any = None, desc: str = "generate",
                  font: str = "digits", levels: int = 256) -> np.ndarray:
    """Render glyph images + tail: uint8 ``[n, side*side + tail, C]`` (C = ink.shape[1]).

    ``glyphs`` [n] font indices, ``ink`` [n, C] glyph colour, ``bg`` [n, C] background colour.
    Scale, thickness and position are drawn here from ``rng``; then the noise, chunk by chunk.
    """
    n, channels = ink.shape
    rows = region_rows(side, region)
    s_max = max(1, min(rows // GLYPH_H, side // (GLYPH_W + 1)))
    s_min = max(1, (s_max + 1) // 2)
    scale = rng.integers(s_min, s_max + 1, size=n)
    thick = rng.integers(0, 2, size=n)
    h = GLYPH_H * scale
    w = GLYPH_W * scale + thick
    r0 = (rng.random(n) * (rows - h + 1)).astype(np.int64)
    c0 = (rng.random(n) * (side - w + 1)).astype(np.int64)
    sigma = np.float32(noise * 255.0)
    steps = side * side + tail
    out = np.empty((n, steps, channels), dtype=np.uint8)
    chunk = max(1, _CHUNK_VALUES // (steps * channels))
    stencil_cache: dict[tuple[int, int], np.ndarray] = {}
    with Progress(n, desc, progress if n * steps * channels > 50_000_000 else "none",
                  unit="img") as bar:
        for i0 in range(0, n, chunk):
            i1 = min(n, i0 + chunk)
            m = i1 - i0
            canvas = rng.standard_normal((m, side, side, channels), dtype=np.float32)
            canvas *= sigma
            canvas += bg[i0:i1, None, None, :]
            for s, t in {(int(a), int(b)) for a, b in zip(scale[i0:i1], thick[i0:i1])}:
                sel = np.nonzero((scale[i0:i1] == s) & (thick[i0:i1] == t))[0]
                if (s, t) not in stencil_cache:
                    stencil_cache[(s, t)] = _stencils(FONTS[font], s, t)
                st = stencil_cache[(s, t)]
                gh, gw = st.shape[1], st.shape[2]
                k = sel[:, None, None]
                rr = r0[i0 + sel][:, None, None] + np.arange(gh)[None, :, None]
                cc = c0[i0 + sel][:, None, None] + np.arange(gw)[None, None, :]
                patch = canvas[k, rr, cc]  # [k, gh, gw, C]
                mask = st[glyphs[i0 + sel]][..., None]
                shift = (ink[i0 + sel] - bg[i0 + sel])[:, None, None, :]
                canvas[k, rr, cc] = np.where(mask, patch + shift, patch)
            _to_levels(canvas, levels)
            out[i0:i1, :side * side] = canvas.reshape(m, side * side, channels)
            if tail:
                tl = rng.standard_normal((m, tail, channels), dtype=np.float32)
                tl *= sigma
                tl += bg[i0:i1, None, :]
                _to_levels(tl, levels)
                out[i0:i1, side * side:] = tl
            bar.update(m)
    return out


def _to_levels(a: np.ndarray, levels: int) -> None:
    """Round float pixel values in place to the nearest of ``levels`` evenly spaced values in
    0..255, each then rounded to an integer (256: just to integers), clipping to 0..255."""
    if levels < 256:
        step = np.float32(255.0 / (levels - 1))
        a /= step
        np.rint(a, out=a)
        a *= step
    np.rint(a, out=a)
    np.clip(a, 0, 255, out=a)


def colour_classes(n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """(glyph index, colour family) of each class of the colour datasets."""
    n_fam = min(6, max(2, math.ceil(n_classes / 20)))
    n_shapes = math.ceil(n_classes / n_fam)
    k = np.arange(n_classes)
    return k % n_shapes, k // n_shapes


# ---------------------------------------------------------------------------------- images
def _grey_split(spec: dict, split: str, progress: Any) -> tuple[np.ndarray, np.ndarray]:
    n = spec[f"n_{split}"]
    rng = split_rng(spec["seed"], split, GREY_STREAM)
    y = balanced_labels(rng, n, 10)
    ink = rng.uniform(float(spec["ink_min"]), 255.0, size=(n, 1)).astype(np.float32)
    bg = np.zeros((n, 1), dtype=np.float32)
    x = render_images(rng, y, ink, bg, spec["side"], spec["region"], spec["noise"],
                      spec["tail"], progress, f"generate {spec['name']} {split}", spec["font"],
                      spec["levels"])
    return x, y


def _colour_split(spec: dict, split: str, n_classes: int, stream: int, progress: Any
                  ) -> tuple[np.ndarray, np.ndarray]:
    n = spec[f"n_{split}"]
    rng = split_rng(spec["seed"], split, stream)
    y = balanced_labels(rng, n, n_classes)
    shape_of, family_of = colour_classes(n_classes)
    fam = _FAMILY_MASK[family_of[y]]
    hi = rng.uniform(180.0, 255.0, size=(n, 3))
    lo = rng.uniform(0.0, 70.0, size=(n, 3))
    ink = np.where(fam, hi, lo).astype(np.float32)
    bg = rng.uniform(0.0, 90.0, size=(n, 3)).astype(np.float32)
    x = render_images(rng, shape_of[y], ink, bg, spec["side"], spec["region"], spec["noise"],
                      spec["tail"], progress, f"generate {spec['name']} {split}", spec["font"],
                      spec["levels"])
    return x, y


def _image_info(spec: dict, n_classes: int, class_names: list[str], channels: int) -> dict:
    side, tail = spec["side"], spec["tail"]
    rows = region_rows(side, spec["region"])
    return {
        "n_classes": n_classes, "pad_token": None, "class_names": class_names,
        "channels": channels, "sources": [],
        "generator": generator_record(spec["name"], __name__),
        "evidence": {
            "image_steps": side * side, "tail_steps": tail,
            "evidence_steps": rows * side,
            "background_steps_after_evidence": side * side - rows * side + tail,
            "note": "glyphs lie in the first evidence_steps steps (before any permutation); "
                    "all later steps are class-independent background",
        },
        "pixel_order": "raster",
    }


def _splits(make_split) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    for split in ("train", "test"):
        arrays[f"{split}_x"], arrays[f"{split}_y"] = make_split(split)
    return arrays


def build_mnist(spec: dict, progress: Any = None) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """``embedded_mnist``: greyscale digit glyphs 0-9, 10 classes."""
    arrays = _splits(lambda split: _grey_split(spec, split, progress))
    return arrays, _image_info(spec, 10, list(GLYPH_CHARS[:10]), 1)


def build_pmnist(spec: dict, progress: Any = None) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """``embedded_pmnist``: ``embedded_mnist``'s images with their image steps permuted."""
    arrays, info = build_mnist(spec, progress)
    s2 = spec["side"] ** 2
    perm = permutation(spec["permutation_seed"], s2)
    for split in ("train", "test"):
        x = arrays[f"{split}_x"]
        x[:, :s2] = x[:, perm]
    arrays["permutation"] = perm
    info.update({"pixel_order": "permuted image (step t holds raster pixel permutation[t]), "
                                "then the unpermuted tail",
                 **permutation_info(perm, spec["permutation_seed"])})
    return arrays, info


def _build_colour(spec: dict, n_classes: int, stream: int, progress: Any
                  ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    arrays = _splits(lambda split: _colour_split(spec, split, n_classes, stream, progress))
    shape_of, family_of = colour_classes(n_classes)
    names = [f"{FAMILIES[f]}-{GLYPH_CHARS[g]}" for g, f in zip(shape_of, family_of)]
    return arrays, _image_info(spec, n_classes, names, 3)


def build_cifar(spec: dict, progress: Any = None) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """``embedded_cifar``: colour glyphs, 10 classes (5 shapes x red, blue)."""
    return _build_colour(spec, 10, CIFAR_STREAM, progress)


def build_dogs(spec: dict, progress: Any = None) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """``embedded_dogs``: colour glyphs, ``n_classes`` classes, any side up to 128."""
    return _build_colour(spec, spec["n_classes"], DOGS_STREAM, progress)
