"""Hidden checks for Exercise 4.5: gradient-graph structure vs the reference; the tape vs tinygrad's .grad."""
import numpy as np
from tinygrad import Tensor

from grader.compare import Mismatch, assert_matches
from grader.numeric import numerical_gradient
from grader.target import exercise, reference

mine, ref = exercise("4.5"), reference("4.5")


def test_gradient_ops_of_an_mlp_loss():
    X, W1, b1, W2 = Tensor.empty(5, 4), Tensor.empty(4, 6), Tensor.empty(6), Tensor.empty(6, 3)
    loss = ((X @ W1 + b1).relu() @ W2).sparse_categorical_crossentropy(Tensor.empty(5, dtype="int32"))
    for wrt, name in (((W2,), "W2"), ((b1,), "b1"), ((W1, b1, W2), "W1, b1, W2")):
        got, want = mine.gradient_ops(loss, *wrt), ref.gradient_ops(loss, *wrt)
        if list(got) != want:
            raise Mismatch(f"gradient_ops(MLP loss, {name}): {len(got)} ops listed, expected {len(want)}; "
                           f"{'same ops, different order' if sorted(got) == sorted(want) else 'different ops'}")


def test_gradient_ops_of_shared_products():
    x, y = Tensor.empty(3), Tensor.empty(3)
    loss = (x * y * x + y.exp()).sum()
    for wrt in ((x,), (y,), (x, y)):
        got, want = mine.gradient_ops(loss, *wrt), ref.gradient_ops(loss, *wrt)
        if list(got) != want:
            raise Mismatch(f"gradient_ops(sum(x*y*x + exp(y)), {len(wrt)} input(s)): the op list differs")


def mlp_on_tape(tape_mod, X, y, W1, b1, W2, b2):
    tape = tape_mod.Tape()
    vs = [tape.var(p) for p in (W1, b1, W2, b2)]
    loss = ((tape.var(X) @ vs[0] + vs[1]).relu() @ vs[2] + vs[3]).cross_entropy(y)
    tape.backward(loss)
    return float(loss.value), [v.grad for v in vs]


def test_tape_mlp_gradients_match_tinygrad():
    rng = np.random.default_rng(45)
    X, y = rng.normal(size=(6, 5)), rng.integers(0, 4, size=6)
    params = [rng.normal(size=(5, 7)) * 0.7, rng.normal(size=7) * 0.1, rng.normal(size=(7, 4)) * 0.5, rng.normal(size=4) * 0.1]
    loss, grads = mlp_on_tape(mine, X, y, *params)
    ts = [Tensor(p.astype(np.float32)) for p in params]
    tl = ((Tensor(X.astype(np.float32)) @ ts[0] + ts[1]).relu() @ ts[2] + ts[3]).sparse_categorical_crossentropy(Tensor(y.astype(np.int32)))
    tl.backward()
    assert_matches(np.array([loss]), np.array([tl.item()]), what="MLP cross-entropy on the tape", rtol=1e-5)
    for name, g, t in zip(("W1", "b1", "W2", "b2"), grads, ts):
        assert_matches(np.asarray(g), t.grad.numpy().astype(np.float64), what=f"tape gradient of {name}", rtol=1e-4, atol=1e-6, n=6)


def test_tape_reuse_and_broadcast_against_finite_differences():
    rng = np.random.default_rng(7)
    A, c = rng.normal(size=(3, 4)), rng.normal(size=(1, 4))

    def f_np(a):
        h = a * c + a
        return float((np.maximum(h, 0) * a).sum())

    tape = mine.Tape()
    a, cv = tape.var(A), tape.var(c)
    h = a * cv + a
    tape.backward((h.relu() * a).sum())
    assert_matches(np.asarray(a.grad), numerical_gradient(f_np, A), what="tape gradient of sum(relu(a*c + a) * a) w.r.t. a (a used three times)", rtol=1e-5, atol=1e-7)
    c_num = numerical_gradient(lambda cc: float((np.maximum(A * cc + A, 0) * A).sum()), c)
    assert_matches(np.asarray(cv.grad), c_num, what="tape gradient w.r.t. the broadcast (1, 4) factor c", rtol=1e-5, atol=1e-7)


def test_tape_relu_at_exactly_zero_passes_no_gradient():
    tape = mine.Tape()
    a = tape.var(np.array([[-1.0, 0.0, 2.0], [0.0, 3.0, -0.0]]))
    tape.backward(a.relu().sum())
    assert_matches(np.asarray(a.grad), np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]),
                   what="tape gradient of sum(relu(a)) at entries exactly 0 (documented: only where the input was > 0)", atol=0)


def test_gradient_ops_twice_gives_the_same_list():
    x, y = Tensor.empty(4), Tensor.empty(4)
    loss = (x * y + x.exp()).sum()
    first, second = list(mine.gradient_ops(loss, x, y)), list(mine.gradient_ops(loss, x, y))
    if second != first or not first:
        raise Mismatch(f"gradient_ops called twice on the same loss listed {len(first)} then {len(second)} ops (no state may be kept between calls)")
    if first != ref.gradient_ops(loss, x, y):
        raise Mismatch("gradient_ops(sum(x*y + exp(x)), x, y): the op list differs")
    if x.grad is not None or y.grad is not None:
        raise Mismatch("gradient_ops set .grad on the caller's tensors (backward()?); it should only build and read "
                       "loss.gradient(...), leaving accumulated gradients as they were")


def tape_grads(tape_mod, build, *values):
    """Gradients of build(*vars) on a fresh tape of `tape_mod`, one per value."""
    tape = tape_mod.Tape()
    vs = [tape.var(v) for v in values]
    tape.backward(build(*vs))
    return [np.asarray(v.grad) for v in vs]


def test_tape_broadcast_on_either_side_and_upstream_gradients():
    rng = np.random.default_rng(451)
    A, row, col, bias = rng.normal(size=(3, 4)), rng.normal(size=(1, 4)), rng.normal(size=(3, 1)), rng.normal(size=4)
    k = np.array(2.5)
    Z, y = rng.normal(size=(3, 4)), np.array([2, 0, 2])
    cases = {
        "sum(row * a), the broadcast (1, 4) factor on the left of *": (lambda r, a: (r * a).sum(), row, A),
        "sum(bias + a), the (4,) bias on the left of +": (lambda b, a: (b + a).sum(), bias, A),
        "sum(a * col + col) with a (3, 1) column (summed over the wrong axis?)":
            (lambda a, c: (a * c + c).sum(), A, col),
        "sum(a) * k (the upstream gradient of sum ignored?)": (lambda a, s: a.sum() * s, A, k),
        "cross_entropy(z) * k (the upstream gradient of cross_entropy ignored?)":
            (lambda z, s: z.cross_entropy(y) * s, Z, k),
        "cross_entropy of logits around +-1000 (softmax recomputed without the max-shift?)":
            (lambda z: z.cross_entropy(y), Z * 1000),
    }
    for name, (build, *values) in cases.items():
        try:
            got = tape_grads(mine, build, *values)
        except ValueError as e:  # numpy refusing a += of the wrong shape
            raise Mismatch(f"tape backward of {name} failed: {e} (a gradient not un-broadcast to its input's shape?)")
        for i, (g, want) in enumerate(zip(got, tape_grads(ref, build, *values))):
            assert_matches(g, want, what=f"tape gradient of input {i} in {name}", rtol=1e-6, atol=1e-9)


def test_tape_backward_twice_adds_into_the_leaves():
    # documented: backward adds into .grad; a second sweep over the same tape doubles a leaf's gradient
    for name, build in (("sum(a)", lambda a, b: a.sum()), ("a * b", lambda a, b: a * b)):
        A, B = np.array([[1.0, -2.0], [0.5, 3.0]]), np.array([[2.0, 1.0], [-1.0, 0.5]])
        got, want = [], []
        for mod, out in ((mine, got), (ref, want)):
            tape = mod.Tape()
            a, b = tape.var(A), tape.var(B)
            loss = build(a, b)
            tape.backward(loss)
            tape.backward(loss)
            out.append(np.asarray(a.grad))
        assert_matches(got[0], want[0], rtol=1e-12,
                       what=f"a.grad after two tape.backward calls on {name} (gradients zeroed by backward?)")
