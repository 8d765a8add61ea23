"""NumPy oracles that several exercises' hidden checks share: plain float64 math, no tinygrad."""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def conv2d(x, w, b=None, stride=1, padding=0):
    """Cross-correlation of x (N, C, H, W) with w (O, C, kh, kw), zero padding on both sides, in float64."""
    x = np.pad(np.asarray(x, np.float64), ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = sliding_window_view(x, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
    out = np.einsum("nchwij,ocij->nohw", windows, w)
    return out if b is None else out + np.asarray(b)[None, :, None, None]


def max_pool2d(x, kernel=2, stride=None):
    """Max over kernel x kernel windows of x (N, C, H, W), `stride` apart (None: the kernel), no padding."""
    s = kernel if stride is None else stride
    return sliding_window_view(x, (kernel, kernel), axis=(2, 3))[:, :, ::s, ::s].max(axis=(4, 5))
