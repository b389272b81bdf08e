"""Area downsampling of square images: the lite scale's shorter sequences (14x14 MNIST: 196 steps).

Each output pixel is the mean of the input area it covers, partial input pixels weighted by the
fraction inside (a box filter; an exact 2x2 mean when the factor is 2), rounded half up to uint8.
One separable weight matrix per axis, so any side from 1 to the input's own is exact. Upsampling
is refused: it would lengthen the sequence without adding information.
"""

from __future__ import annotations

import numpy as np

CHUNK = 10_000  # images per matrix product: bounds the float64 temporaries (CIFAR: ~250 MB)


def area_weights(src: int, dst: int) -> np.ndarray:
    """``[dst, src]``: row ``i`` holds the overlap of input pixels with ``[i, i+1) * src/dst``,
    divided by that interval's length, so every row sums to 1."""
    if not 1 <= dst <= src:
        raise ValueError(f"area downsampling from {src} to {dst}: the side must be 1..{src}")
    scale = src / dst
    lo = np.arange(dst)[:, None] * scale
    hi = lo + scale
    left = np.arange(src)[None, :]
    overlap = np.clip(np.minimum(hi, left + 1) - np.maximum(lo, left), 0.0, None)
    return overlap / scale


def area_downsample(images: np.ndarray, side: int) -> np.ndarray:
    """uint8 ``[N, H, H, C]`` -> uint8 ``[N, side, side, C]`` (the input returned if side == H)."""
    n, h, w, c = images.shape
    if h != w:
        raise ValueError(f"area downsampling needs square images, got {h}x{w}")
    if side == h:
        return images
    weights = area_weights(h, side)
    out = np.empty((n, side, side, c), dtype=np.uint8)
    for start in range(0, n, CHUNK):
        block = images[start:start + CHUNK].astype(np.float64)
        mean = np.einsum("ih,nhwc,jw->nijc", weights, block, weights, optimize=True)
        out[start:start + CHUNK] = np.floor(mean + 0.5 + 1e-9).clip(0, 255)
    return out


def describe(src: int, side: int) -> str:
    """The manifest's account of what was done to the images."""
    if side == src:
        return f"none: the original {src}x{src}"
    return (f"area average of the {src}x{src} image to {side}x{side} (box filter, partial pixels "
            "weighted by coverage), rounded half up")
