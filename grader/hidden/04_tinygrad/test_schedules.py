"""Hidden checks for Exercise 4.4: kernel counting and sources against the reference; fusion within budget."""
import numpy as np
from tinygrad import Tensor

from grader.compare import Mismatch, assert_matches
from grader.target import exercise, reference

mine, ref = exercise("4.4"), reference("4.4")
rng = np.random.default_rng(44)
X = Tensor(rng.normal(size=(12, 20)).astype(np.float32)).realize()
Y = Tensor(rng.normal(size=(20, 6)).astype(np.float32)).realize()


X2, Y2 = Tensor(X.numpy()).realize(), Tensor(Y.numpy()).realize()   # separate buffers: identical graphs are shared
XN = X.numpy()


def twins():
    """Two kernels with one AST (x + 1 on two fresh equal-shaped buffers), then their product: 3 kernels."""
    return (Tensor(XN) + 1).contiguous() * (Tensor(XN[::-1].copy()) + 1).contiguous()


def cases(X, Y):
    return {
        "x.exp().sum(1)": lambda: X.exp().sum(axis=1),
        "(x @ y).relu().max()": lambda: (X @ Y).relu().max(),
        "x.log_softmax(1)": lambda: X.log_softmax(axis=1),
        "(x * 2).contiguous().sqrt().contiguous() + 1": lambda: (X * 2).contiguous().sqrt().contiguous() + 1,
        "an uploaded list times 2 (a copy is not a kernel)": lambda: Tensor([1.0, 2.0, 3.0]) * 2,
        "two identical forced kernels, then their product (each one counts)": twins,
    }


def test_kernel_count_matches_reference_and_runs_the_schedule():
    for (name, make), make_ref in zip(cases(X, Y).items(), cases(X2, Y2).values()):
        got_t, want_t = make(), make_ref()
        got = mine.kernel_count(got_t)
        want = ref.kernel_count(want_t)
        if got != want:
            raise Mismatch(f"kernel_count({name}) = {got}, which is wrong (count compute kernels only, not copies)")
        assert_matches(got_t.numpy(), want_t.numpy(), what=f"values of {name} after kernel_count (was the schedule run?)", rtol=1e-5, atol=1e-6)


def test_kernel_sources_one_per_compute_kernel():
    t = (X @ Y).relu().softmax(axis=1)
    srcs = mine.kernel_sources(t)
    want_srcs = ref.kernel_sources((X2 @ Y2).relu().softmax(axis=1))
    n = len(want_srcs)
    if not isinstance(srcs, list) or len(srcs) != n or not all(isinstance(s, str) and "void" in s for s in srcs):
        raise Mismatch(f"kernel_sources(softmax of a matmul) should give one C source string per compute kernel; got {len(srcs) if isinstance(srcs, list) else type(srcs).__name__}")
    if srcs != want_srcs:
        raise Mismatch("kernel_sources(softmax of a matmul): " + (
            "the right kernels in the wrong order (keep schedule order)" if sorted(srcs) == sorted(want_srcs) else
            "the strings are not the rendered C code (take the arg of the program's Ops.SOURCE src)"))
    want = np.asarray((X.numpy() @ Y.numpy()).clip(0))
    want = np.exp(want - want.max(1, keepdims=True)); want /= want.sum(1, keepdims=True)
    assert_matches(t.numpy(), want.astype(np.float32), what="the tensor after kernel_sources (was the schedule run?)", rtol=1e-4, atol=1e-6)
    got, want_srcs = mine.kernel_sources(twins()), ref.kernel_sources(twins())
    if got != want_srcs:
        count = len(got) if isinstance(got, list) else type(got).__name__
        raise Mismatch(f"kernel_sources of two identical kernels and their product gave {count} source(s), "
                       "not the same list as the schedule (one per SINK item, duplicates kept, schedule order)")
    copy = mine.kernel_sources(Tensor([1.0, 2.0]) + 1)
    if len(copy) != 1:
        raise Mismatch("kernel_sources of an uploaded list plus 1 should give 1 source (skip COPY items)")


def test_predictions_are_right():
    a = Tensor(rng.random((16, 16), dtype=np.float32)).realize()
    b = Tensor(rng.random((16, 16), dtype=np.float32)).realize()
    w = Tensor(rng.random((16, 4), dtype=np.float32)).realize()
    predicted = mine.predict_kernel_counts()
    wrong = [name for name, make in ref.expressions(a, b, w).items() if predicted.get(name) != ref.kernel_count(make())]
    if wrong:
        raise Mismatch(f"{len(wrong)} prediction(s) are wrong: {wrong}")


def test_standardize_rows_other_shapes_and_eps():
    for shape, eps in (((5, 33), 1e-5), ((3, 7), 0.5)):
        x = Tensor((rng.normal(size=shape) * 3 + 1).astype(np.float32)).realize()
        got = mine.standardize_rows(x, eps)
        n = mine.kernel_count(got)
        if n > ref.FUSED_BUDGET:
            raise Mismatch(f"standardize_rows on {shape} needs {n} kernels; the budget is {ref.FUSED_BUDGET}")
        if n == 0:
            raise Mismatch(f"standardize_rows on {shape} returned a tensor with nothing left to compute; "
                           "it should return a lazy Tensor (not realized, not computed in NumPy)")
        xn = x.numpy().astype(np.float64)
        want = (xn - xn.mean(1, keepdims=True)) / np.sqrt(xn.var(1, keepdims=True) + eps)
        assert_matches(got.numpy(), want.astype(np.float32), what=f"standardize_rows on {shape} with eps={eps}", rtol=1e-4, atol=1e-5)


def test_inspection_twice_and_the_tensor_stays_readable():
    for fn in ("kernel_count", "kernel_sources"):
        t = (X * 3 + 1).exp().sum(axis=1)
        first = getattr(mine, fn)(t)
        values = t.numpy()
        second = getattr(mine, fn)(t)
        if (second != 0) if fn == "kernel_count" else (second != []):
            raise Mismatch(f"{fn} called again on a tensor it already realized should give "
                           f"{'0' if fn == 'kernel_count' else 'an empty list'} (nothing is left to compute)")
        if (first == 0) if fn == "kernel_count" else (len(first) == 0):
            raise Mismatch(f"{fn} of an unrealized exp-sum found no kernel")
        want = np.exp(X.numpy().astype(np.float64) * 3 + 1).sum(axis=1).astype(np.float32)
        assert_matches(t.numpy(), want, what=f"the tensor read after {fn} ran twice on it", rtol=1e-5)
        assert_matches(values, want, what=f"the tensor read after {fn}", rtol=1e-5)


def test_standardize_rows_of_constant_rows():
    x = Tensor(np.array([[2.5] * 6, [-1.0] * 6, [0.0, 1, 2, 3, 4, 5]], np.float32)).realize()
    got = mine.standardize_rows(x).numpy()
    xn = x.numpy().astype(np.float64)
    want = (xn - xn.mean(1, keepdims=True)) / np.sqrt(xn.var(1, keepdims=True) + 1e-5)
    assert_matches(got, want.astype(np.float32), what="standardize_rows with constant rows (variance 0: eps keeps it finite)", rtol=1e-4, atol=1e-5)
