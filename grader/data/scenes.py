"""Generated detection scenes: MNIST digits on a blank canvas, with tight boxes and classes.

    digit_scenes(n, seed=0, size=64, split="train", digit_size=28) -> Scenes(images, boxes, classes)

The canvas is split into four quadrants of size // 2 pixels. Each quadrant holds one digit with
probability 1/2 (a scene with none gets one in a random quadrant), so a scene has 1 to 4 digits that
never overlap. A digit is cropped to its ink (the rows and columns with a pixel > 0) and placed at a
uniformly random position inside its quadrant; its box is that crop's extent in continuous pixel
coordinates (x1, y1, x2, y2): pixel (row r, column c) covers [c, c + 1) x [r, r + 1), so a crop of
width w starting at column x has x2 = x + w. The class is the digit. Training scenes use MNIST's
training digits and test scenes its test digits; the same (n, seed, size, split) gives the same
scenes. digit_size=14 shrinks every digit to 14x14 first (the mean of each 2x2 block), for small
canvases. MNIST's ink fits a 20x20 square (10x10 shrunk), so size >= 40 (>= 20 for shrunk
digits); ValueError otherwise, or when a digit's ink does not fit its quadrant.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from grader import data


class Scenes(NamedTuple):
    images: np.ndarray          # uint8 (n, size, size), 0 background .. 255 ink
    boxes: list[np.ndarray]     # per scene float64 (k, 4): x1, y1, x2, y2
    classes: list[np.ndarray]   # per scene int64 (k,): the digits


def ink_extent(images: np.ndarray) -> np.ndarray:
    """(first row, first column, height, width) of the pixels > 0 of each (N, H, W) image: int64 (N, 4)."""
    rows, cols = images.any(axis=2), images.any(axis=1)
    top, left = rows.argmax(axis=1), cols.argmax(axis=1)
    bottom = images.shape[1] - rows[:, ::-1].argmax(axis=1)
    right = images.shape[2] - cols[:, ::-1].argmax(axis=1)
    return np.stack([top, left, bottom - top, right - left], axis=1).astype(np.int64)


def digit_scenes(n: int, seed: int = 0, size: int = 64, split: str = "train", digit_size: int = 28) -> Scenes:
    """n scenes of size x size pixels with 1-4 MNIST digits each (see the module docstring)."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if digit_size not in (14, 28):
        raise ValueError(f"digit_size must be 28 or 14, got {digit_size}")
    if n < 1 or size < 40 * digit_size // 28:
        raise ValueError(f"need n >= 1 and size >= {40 * digit_size // 28}, got {n}, {size}")
    X_train, y_train, X_test, y_test = data.mnist()
    X, y = (X_train, y_train) if split == "train" else (X_test, y_test)
    rng = np.random.default_rng([seed, 0 if split == "train" else 1])
    half = size // 2
    present = rng.random((n, 4)) < 0.5
    fallback = rng.integers(0, 4, n)
    empty = np.flatnonzero(~present.any(axis=1))
    present[empty, fallback[empty]] = True
    digits = rng.integers(0, len(X), (n, 4))
    shift = rng.random((n, 4, 2))
    glyphs = X[digits.ravel()]
    if digit_size == 14:
        glyphs = glyphs.reshape(-1, 14, 2, 14, 2).mean(axis=(2, 4)).round().astype(np.uint8)
    glyphs = glyphs.reshape(n, 4, digit_size, digit_size)
    extent = ink_extent(glyphs.reshape(-1, digit_size, digit_size)).reshape(n, 4, 4)
    if extent[..., 2:].max() > half:
        raise ValueError(f"a digit's ink does not fit a {half}-pixel quadrant; use a larger size")
    images = np.zeros((n, size, size), dtype=np.uint8)
    boxes, classes = [], []
    for i in range(n):
        scene_boxes, scene_classes = [], []
        for q in np.flatnonzero(present[i]):
            top, left, h, w = extent[i, q]
            y0 = (q // 2) * half + int(shift[i, q, 0] * (half - h + 1))
            x0 = (q % 2) * half + int(shift[i, q, 1] * (half - w + 1))
            images[i, y0:y0 + h, x0:x0 + w] = glyphs[i, q, top:top + h, left:left + w]
            scene_boxes.append((x0, y0, x0 + w, y0 + h))
            scene_classes.append(y[digits[i, q]])
        boxes.append(np.array(scene_boxes, dtype=np.float64).reshape(-1, 4))
        classes.append(np.array(scene_classes, dtype=np.int64))
    return Scenes(images, boxes, classes)
