"""Self-test: the Phase 4 reference solutions against independent oracles (NumPy and tinygrad itself)."""
import collections

import numpy as np
from tinygrad import Context, Tensor
from tinygrad.nn import optim

from grader.target import reference

mlp, adam, ug, sch, bp, toy, co = (reference(f"4.{i}") for i in range(1, 8))


def test_mlp_forward_is_numpy_forward():
    Tensor.manual_seed(0)
    m = mlp.TinygradNN((5, 4, 3))
    x = np.random.default_rng(0).normal(size=(2, 5)).astype(np.float32)
    W = [w.numpy() for w in m.weights]
    np.testing.assert_allclose(m(Tensor(x)).numpy(), np.maximum(x @ W[0], 0) @ W[1], rtol=1e-5, atol=1e-6)


def test_adamw_equals_tinygrad_for_ten_steps():
    def run(make):
        w = Tensor(np.linspace(-1, 1, 6, dtype=np.float32)).contiguous()
        opt = make([w])
        with Context(TRAINING=1):
            for _ in range(10):
                opt.zero_grad(); (w.sin() * w).sum().backward(); opt.step()
        return w.numpy()
    np.testing.assert_allclose(run(lambda p: adam.AdamW(p, lr=0.03, weight_decay=0.2)),
                               run(lambda p: optim.AdamW(p, lr=0.03, weight_decay=0.2)), rtol=1e-5, atol=1e-6)


def test_topo_order_is_a_permutation_of_uop_toposort():
    x = Tensor.empty(3, 3)
    t = ((x @ x).relu() + x.sum(0)).exp().sum()
    assert set(ug.topo_order(t)) == set(t.uop.toposort())
    assert ug.count_ops(t) == dict(collections.Counter(u.op.name for u in t.uop.toposort()))


def test_simple_interpreter_equals_tinygrad():
    S = ug.SimpleUOp
    a = S("INPUT", arg="a")
    e = S("SUM", (S("WHERE", (S("CMPLT", (a, S("CONST", arg=0.0))), S("EXP2", (a,)), S("SQRT", (a,)))),), arg=0)
    A = np.random.default_rng(1).normal(size=(4, 3)).astype(np.float32)
    ta = Tensor(A)
    np.testing.assert_allclose(ug.evaluate(e, {"a": A}), (ta < 0).where(ta.exp2(), ta.abs().sqrt()).sum(0).numpy(), rtol=1e-5)


def test_kernel_count_equals_global_counters():
    from tinygrad import GlobalCounters
    a = Tensor.rand(16, 16).realize()
    GlobalCounters.reset(); a.softmax(1).realize(); n = GlobalCounters.kernel_count
    assert sch.kernel_count(a.softmax(1) + 0) == n


def test_tape_equals_tinygrad_grads():
    rng = np.random.default_rng(2)
    X, W = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    tape = bp.Tape(); wv = tape.var(W)
    tape.backward((tape.var(X) @ wv).relu().cross_entropy(np.array([0, 1, 1])))
    wt = Tensor(W.astype(np.float32))
    (Tensor(X.astype(np.float32)) @ wt).relu().sparse_categorical_crossentropy(Tensor([0, 1, 1])).backward()
    np.testing.assert_allclose(wv.grad, wt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_toy_device_equals_cpu():
    from grader import toy_device
    dev = toy_device.register(toy.interpret)
    A = np.random.default_rng(3).normal(size=(4, 4)).astype(np.float32)
    np.testing.assert_allclose((Tensor(A, device=dev) @ Tensor(A, device=dev)).log_softmax(1).numpy(),
                               (Tensor(A) @ Tensor(A)).log_softmax(1).numpy(), rtol=1e-5, atol=1e-6)


def test_softplus_equals_logaddexp_and_grad_sigmoid():
    xs = np.array([-50.0, -1.0, 0.0, 3.0, 60.0], np.float32)
    x = Tensor(xs).contiguous()
    y = co.softplus(x); y.sum().backward()
    np.testing.assert_allclose(y.numpy(), np.logaddexp(0, xs), rtol=1e-5, atol=1e-20)
    np.testing.assert_allclose(x.grad.numpy(), 1 / (1 + np.exp(-xs.astype(np.float64))), rtol=1e-5, atol=1e-20)
