"""Compare a learner's result with the reference and explain a difference without revealing the answer.

`assert_matches(got, expected, what="softmax(x)")` checks, in order: type, shape, dtype, non-finite
values, then values within tolerance. When values differ it looks for a known relation between the two
arrays (negated, transposed, scaled by a constant such as the batch size, shifted by a constant, doubled,
...) and names it. Messages state structure (shapes, dtypes, max |difference| and its index), never the
expected values.
"""
from __future__ import annotations

import numpy as np


class Mismatch(AssertionError):
    pass


def _as_array(x):
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):  # tinygrad / torch tensors
        x = x.numpy()
    if hasattr(x, "tolist") and not isinstance(x, np.ndarray):
        x = x.tolist()
    return np.asarray(x)


def _close(a, b, rtol, atol) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))


def diagnose(got: np.ndarray, expected: np.ndarray, rtol: float = 1e-5, atol: float = 1e-8, n: int | None = None) -> str | None:
    """Name a simple relation that maps `expected` onto `got`, or None. `n` is a known count (batch size, N)."""
    g, e = got.astype(np.float64), expected.astype(np.float64)
    if np.isfinite(e).all() and not np.isfinite(g).all():
        return "your result has NaN or inf where the reference is finite (overflow? a missing max-shift or clip?)"
    if e.ndim == 2 and g.shape == e.shape[::-1] and e.shape[0] != e.shape[1]:
        return "your result looks transposed (shape is the reverse of the expected shape)"
    if g.shape != e.shape:
        return None
    if e.ndim == 2 and e.shape[0] == e.shape[1] and not _close(e, e.T, rtol, atol) and _close(g, e.T, rtol, atol):
        return "your result is the transpose of the expected one"
    if not np.any(e) and np.any(g):
        return None
    if _close(g, -e, rtol, atol):
        return "your result is the negative of the expected one (a sign error)"
    candidates = {2.0: "twice the expected values (accumulated or counted twice?)",
                  0.5: "half the expected values (a missing factor of 2?)"}
    if n and n > 1:
        candidates[float(n)] = f"{n} times the expected values (a missing 1/N: sum instead of mean?)"
        candidates[1.0 / n] = f"the expected values divided by {n} (an extra 1/N: mean instead of sum?)"
    for factor, text in candidates.items():
        if _close(g, factor * e, rtol, atol):
            return "your result is " + text
    mask = np.abs(e) > atol
    if mask.sum() >= 2:
        ratio = g[mask] / e[mask]
        if np.allclose(ratio, ratio[0], rtol=1e-6) and np.allclose(g[~mask], 0, atol=atol):
            return f"your result is the expected one scaled by a constant factor ({ratio[0]:.4g})"
    if g.size >= 2:
        shift = (g - e).ravel()
        if np.allclose(shift, shift[0], rtol=1e-6, atol=atol) and abs(shift[0]) > atol:
            return "your result differs from the expected one by a constant offset"
        for axis in range(e.ndim):
            if e.shape[axis] > 1 and _close(g, np.broadcast_to(e.mean(axis=axis, keepdims=True), e.shape), rtol, atol):
                return f"your result is constant along axis {axis} (reduced or broadcast along the wrong axis?)"
    return None


def assert_matches(got, expected, what: str = "result", rtol: float = 1e-5, atol: float = 1e-8,
                   check_dtype: bool = True, n: int | None = None) -> None:
    """Raise `Mismatch` with a structural explanation unless `got` matches `expected`."""
    if got is None:
        raise Mismatch(f"{what}: returned None (a missing `return`?)")
    if isinstance(expected, (bool, int, float, np.number)) and not isinstance(got, (bool, int, float, np.number, np.ndarray)):
        raise Mismatch(f"{what}: expected a number, got {type(got).__name__}")
    g, e = _as_array(got), _as_array(expected)
    if g.dtype == object or (g.dtype.kind not in "biufc" and e.dtype.kind in "biufc"):
        raise Mismatch(f"{what}: expected numeric values, got {type(got).__name__} of {g.dtype}")
    if g.shape != e.shape:
        hint = diagnose(g, e, rtol, atol, n) if g.size == e.size else None
        raise Mismatch(f"{what}: shape {g.shape}, expected {e.shape}" + (f"; {hint}" if hint else ""))
    if check_dtype and isinstance(expected, np.ndarray) and g.dtype != e.dtype:
        raise Mismatch(f"{what}: dtype {g.dtype}, expected {e.dtype}"
                       + (" (computed in float64 where float32 was asked?)" if (g.dtype, e.dtype) == (np.float64, np.float32) else ""))
    if e.dtype.kind in "biu" and g.dtype.kind in "biu":
        if not np.array_equal(g, e):
            wrong = np.argwhere(g != e)
            raise Mismatch(f"{what}: {len(wrong)} of {e.size} entries differ; first at index {tuple(int(i) for i in wrong[0])}")
        return
    if _close(g, e, rtol, atol):
        return
    g64, e64 = g.astype(np.float64), e.astype(np.float64)
    with np.errstate(invalid="ignore"):   # inf - inf: settled below
        diff = np.array(np.abs(g64 - e64), dtype=np.float64)  # an array even for 0-d inputs (np.abs gives a scalar)
    diff[np.isnan(diff)] = np.inf                                # NaN on one side, or inf - inf
    diff[(g64 == e64) | (np.isnan(g64) & np.isnan(e64))] = 0.0    # the same inf, or NaN on both sides
    where = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape)) if diff.ndim else ()
    bad = int((~np.isclose(g64, e64, rtol=rtol, atol=atol, equal_nan=True)).sum())
    if e.size == 1:  # for one number the size of the difference would give the answer away
        relative = diff.max() / max(abs(float(e64.ravel()[0])), 1e-12)
        size = f" (relative difference about 1e{np.floor(np.log10(relative + 1e-300)):.0f})" if np.isfinite(relative) else ""
        message = f"{what}: value differs from the reference{size}"
    else:
        message = f"{what}: values differ; max |difference| {diff.max():.3g} at index {where}, {bad} of {e.size} entries outside tolerance"
    with np.errstate(all="ignore"):       # NaN and inf in the arrays rule a relation out, quietly
        hint = diagnose(g, e, rtol, atol, n)
    raise Mismatch(message + (f"; {hint}" if hint else ""))


def assert_raises(exc_type, fn, *args, what: str = "call", **kwargs) -> BaseException:
    """Assert that fn(*args, **kwargs) raises `exc_type`; say what happened instead."""
    try:
        fn(*args, **kwargs)
    except exc_type as e:
        return e
    except NotImplementedError:
        raise
    except Exception as e:  # noqa: BLE001 - reported to the learner
        raise Mismatch(f"{what}: expected {exc_type.__name__}, got {type(e).__name__}: {e}") from None
    raise Mismatch(f"{what}: expected {exc_type.__name__}, but it returned normally")
