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


def adam(params, grads_of, steps, lr=0.001, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0):
    """Adam/AdamW with tinygrad.nn.optim's formulas (decoupled weight decay) in float64, from `params`;
    `grads_of(*params)` gives the gradients, `weight_decay` is one value or one per parameter. Returns
    the float32 parameters after each step."""
    ps = [np.asarray(p, np.float64).copy() for p in params]
    decays = np.broadcast_to(np.asarray(weight_decay, np.float64), (len(ps),))
    ms, vs, out = [np.zeros_like(p) for p in ps], [np.zeros_like(p) for p in ps], []
    for t in range(1, steps + 1):
        for p, m, v, g, wd in zip(ps, ms, vs, grads_of(*ps), decays):
            m[...] = b1 * m + (1 - b1) * g
            v[...] = b2 * v + (1 - b2) * g * g
            m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
            p -= lr * (m_hat / (np.sqrt(v_hat) + eps) + wd * p)
        out.append(tuple(p.astype(np.float32) for p in ps))
    return out
