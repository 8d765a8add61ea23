"""Shapes on noise: a generated data set for semantic segmentation (NumPy only, no download).

    images, labels = shapes_on_noise(n, size=32, seed=0)
    images  float32 (n, 1, size, size)   grey values, noise around 0 on the background
    labels  int64   (n, size, size)      0 = background, 1 = disc, 2 = square, 3 = triangle

Each image holds 1 to `max_shapes` shapes (uniformly many), each of a uniformly drawn class, with a
"radius" r (half the side of the square, the disc's radius, half the base and height of the
triangle) between size / 8 and size / 4.5, centred so that it lies wholly inside the image, and an
intensity between 0.4 and 1.0 that does not depend on its class: only the outline tells the classes
apart. Triangles stand on their base, apex up. Occlusion: shapes are painted one after the other,
and a later shape covers the earlier ones in the image and in the labels alike. Gaussian noise
(standard deviation `noise`) is added to every pixel afterwards.

The same (n, size, seed, max_shapes, noise) always gives the same arrays, and the first k images
of a draw do not depend on n. About 0.5 s for 4,000 images of 32 x 32.
"""
from __future__ import annotations

import numpy as np

CLASSES = ("background", "disc", "square", "triangle")
N_CLASSES = len(CLASSES)


def _masks(kind: np.ndarray, cy: np.ndarray, cx: np.ndarray, r: np.ndarray, size: int) -> np.ndarray:
    """Boolean (n, size, size) pixel masks of one shape per image (class `kind`, centre, radius)."""
    y = np.arange(size, dtype=np.float64)[None, :, None] - cy[:, None, None]
    x = np.arange(size, dtype=np.float64)[None, None, :] - cx[:, None, None]
    r = r[:, None, None]
    disc = x * x + y * y <= r * r
    square = (np.abs(x) <= r) & (np.abs(y) <= r)
    triangle = (np.abs(y) <= r) & (np.abs(x) <= (y + r) / 2)  # apex (0, -r), base y = r of width 2r
    kind = kind[:, None, None]
    return np.where(kind == 1, disc, np.where(kind == 2, square, triangle))


def shapes_on_noise(n: int, size: int = 32, seed: int = 0, max_shapes: int = 3,
                    noise: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """`n` images (n, 1, size, size) float32 and their per-pixel labels (n, size, size) int64.

    Raises ValueError unless n >= 1, size >= 16, max_shapes >= 1 and noise >= 0.
    """
    if n < 1 or size < 16 or max_shapes < 1 or noise < 0:
        raise ValueError(f"need n >= 1, size >= 16, max_shapes >= 1, noise >= 0; "
                         f"got {n}, {size}, {max_shapes}, {noise}")
    shape_rng, noise_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    # one row of parameters per image, drawn image by image (so a prefix does not depend on n)
    params = shape_rng.random((n, 1 + 5 * max_shapes))
    count = 1 + np.minimum((params[:, 0] * max_shapes).astype(int), max_shapes - 1)
    image = np.zeros((n, size, size))
    labels = np.zeros((n, size, size), dtype=np.int64)
    for k in range(max_shapes):
        u_kind, u_r, u_y, u_x, u_level = params[:, 1 + 5 * k: 6 + 5 * k].T
        kind = 1 + np.minimum((u_kind * 3).astype(int), 2)
        r = size / 8 + u_r * (size / 4.5 - size / 8)
        cy = r + u_y * (size - 1 - 2 * r)
        cx = r + u_x * (size - 1 - 2 * r)
        mask = _masks(kind, cy, cx, r, size) & (k < count)[:, None, None]
        image = np.where(mask, (0.4 + 0.6 * u_level)[:, None, None], image)
        labels = np.where(mask, kind[:, None, None], labels)
    image += noise * noise_rng.standard_normal((n, size, size))
    return image[:, None].astype(np.float32), labels
