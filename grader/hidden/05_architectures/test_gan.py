"""Hidden checks for Exercise 5.9: GAN losses against NumPy BCE, forward passes, step isolation, steps
against the reference on copied weights."""
import numpy as np
from tinygrad import Tensor, TinyJit
from tinygrad.nn.optim import SGD

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.hidden.probes import attribute_uses, refuse_calls
from grader.target import exercise, reference

mine, ref = exercise("5.9"), reference("5.9")
BUILT_INS = ["binary_crossentropy_logits", "binary_crossentropy"]
RULE = "write the losses from logits yourself (softplus or log-sigmoid identities)"
G_SIZES, D_SIZES = (3, 5, 6), (6, 5, 1)


def _softplus(u):
    u = np.asarray(u, np.float64)
    return np.maximum(u, 0) + np.log1p(np.exp(-np.abs(u)))


def _logits(seed, n):
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 3, (n, 1)).astype(np.float32)
    z[0, 0], z[1, 0] = 100.0, -100.0
    return z


def _nets(module, seed, weights_from=None):
    # weights realized in one schedule, so every later step graph starts from plain buffers
    Tensor.manual_seed(seed)
    G, D = module.Generator(G_SIZES), module.Discriminator(D_SIZES)
    if weights_from is not None:
        for net, source in zip((G, D), weights_from):
            for p, q in zip(net.parameters(), source.parameters()):
                p.replace(Tensor(q.numpy()))
    Tensor.realize(*G.parameters(), *D.parameters())
    return G, D


def _sgd(params, lr):
    # lr realized before the first step, so later steps reuse the first step's schedule
    opt = SGD(params, lr=lr)
    opt.lr.realize()
    return opt


def _inputs(*arrays):
    # inputs realized up front, so every step sees the same kind of graph
    tensors = [Tensor(a) for a in arrays]
    Tensor.realize(*tensors)
    return tensors


def _values(net):
    return [p.numpy().copy() for p in net.parameters()]


def test_losses_match_numpy_bce_with_extreme_logits():
    real, fake = _logits(1, 6), _logits(2, 4)
    with refuse_calls(Tensor, BUILT_INS, RULE):
        got_d = mine.d_loss(Tensor(real), Tensor(fake)).item()
        got_g = mine.g_loss(Tensor(fake)).item()
    uses = attribute_uses(mine, BUILT_INS)
    if uses:
        raise Mismatch(f"the module calls tinygrad's BCE ({', '.join(uses)}): {RULE}")
    want_d = _softplus(-real).mean() + _softplus(fake).mean()
    assert_matches(np.array([got_d]), np.array([want_d]),
                   what="d_loss for 6 real and 4 fake logits, some at +-100 (each batch averaged on its own)",
                   rtol=1e-5)
    assert_matches(np.array([got_g]), np.array([_softplus(-fake).mean()]),
                   what="g_loss for 4 fake logits, some at +-100", rtol=1e-5)


def test_generator_gradient_stays_large_when_d_rejects_the_fakes():
    # D(G(z)) = sigmoid(logit) -> 0: the non-saturating loss keeps a gradient of about -1/N per logit
    fake = np.array([[-100.0], [-20.0], [-8.0], [-3.0]], np.float32)
    t = Tensor(fake)
    mine.g_loss(t).backward()
    want = (-1 / (1 + np.exp(fake.astype(np.float64))) / len(fake)).astype(np.float32)
    if t.grad is None or not np.all(np.isfinite(t.grad.numpy())):
        raise Mismatch("the gradient of g_loss with respect to very negative logits is missing or not finite")
    assert_matches(t.grad.numpy(), want, what="d g_loss / d logits while D rejects the fakes (logits -100 .. -3)",
                   rtol=1e-4, atol=1e-7)


def test_d_loss_gradients_are_finite_and_exact_at_100():
    real, fake = Tensor([[100.0], [-100.0]]), Tensor([[100.0], [-100.0]])
    mine.d_loss(real, fake).backward()
    grads = [t.grad.numpy() if t.grad is not None else None for t in (real, fake)]
    sig = 1 / (1 + np.exp(-np.array([[100.0], [-100.0]])))
    for name, got, want in (("real", grads[0], (sig - 1) / 2), ("fake", grads[1], sig / 2)):
        if got is None or not np.all(np.isfinite(got)):
            raise Mismatch(f"d d_loss / d {name}_logits at +-100 is missing or not finite (sigmoid then log?)")
        assert_matches(got, want.astype(np.float32), what=f"d d_loss / d {name}_logits at +-100", rtol=1e-4, atol=1e-6)


def _np_linear(layer, h):
    return h @ layer.weight.numpy().astype(np.float64).T + layer.bias.numpy().astype(np.float64)


def test_generator_matches_numpy_and_stays_in_range():
    G, _ = _nets(mine, 3)
    z = np.random.default_rng(3).normal(0, 1, (4, 3)).astype(np.float32)
    z[0] *= 200                                                   # saturates tanh
    got = G(Tensor(z)).numpy()
    h = np.maximum(_np_linear(G.layers[0], z), 0)
    want = np.tanh(_np_linear(G.layers[1], h)).astype(np.float32)
    assert_matches(got, want, what="Generator((3, 5, 6)) on 4 codes, one of them huge", rtol=1e-4, atol=1e-5)
    if np.abs(got).max() > 1:
        raise Mismatch("the generator's output leaves [-1, 1]: the last layer needs tanh")


def test_discriminator_matches_numpy():
    _, D = _nets(mine, 4)
    x = np.random.default_rng(4).uniform(-1, 1, (4, 2, 3)).astype(np.float32) * 3
    got = D(Tensor(x)).numpy()
    h = _np_linear(D.layers[0], x.reshape(4, 6))
    h = np.where(h < 0, 0.2 * h, h)
    assert_matches(got, _np_linear(D.layers[1], h).astype(np.float32),
                   what="Discriminator((6, 5, 1)) logits (leaky ReLU 0.2, no sigmoid) on 4 inputs of 2 x 3",
                   rtol=1e-4, atol=1e-5)


def test_three_layer_nets_activate_every_hidden_layer():
    # with two layers "after the first layer" and "after every layer but the last" coincide
    Tensor.manual_seed(9)
    G, D = mine.Generator((3, 4, 5, 6)), mine.Discriminator((6, 5, 4, 1))
    Tensor.realize(*[t for layer in G.layers + D.layers for t in (layer.weight, layer.bias)])
    rng = np.random.default_rng(9)
    z = rng.normal(0, 2, (4, 3)).astype(np.float32)
    h = z.astype(np.float64)
    for layer in G.layers[:-1]:
        h = np.maximum(_np_linear(layer, h), 0)
    assert_matches(G(Tensor(z)).numpy(), np.tanh(_np_linear(G.layers[-1], h)).astype(np.float32), rtol=1e-4, atol=1e-5,
                   what="Generator((3, 4, 5, 6)) on 4 codes (ReLU after each of the two hidden layers)")
    x = rng.uniform(-3, 3, (4, 6)).astype(np.float32)
    h = x.astype(np.float64)
    for layer in D.layers[:-1]:
        h = _np_linear(layer, h)
        h = np.where(h < 0, 0.2 * h, h)
    assert_matches(D(Tensor(x)).numpy(), _np_linear(D.layers[-1], h).astype(np.float32), rtol=1e-4, atol=1e-5,
                   what="Discriminator((6, 5, 4, 1)) on 4 inputs (leaky ReLU 0.2 after each of the two hidden layers)")


def test_steps_are_isolated_bitwise():
    G, D = _nets(mine, 5)
    opt_g, opt_d = _sgd(G.parameters(), 0.2), _sgd(D.parameters(), 0.2)
    rng = np.random.default_rng(5)
    real, z = _inputs(rng.uniform(-1, 1, (4, 6)).astype(np.float32), rng.normal(size=(4, 3)).astype(np.float32))
    for p in G.parameters():
        p.grad = None
    before_g, before_d = _values(G), _values(D)
    mine.train_step_d(G, D, opt_d, real, z)
    for k, (b, p) in enumerate(zip(before_g, G.parameters())):
        assert_matches(p.numpy(), b, what=f"generator parameter {k} after train_step_d (must stay bitwise)",
                       rtol=0, atol=0)
        if p.grad is not None and np.any(p.grad.numpy() != 0):
            raise Mismatch("train_step_d sent gradients into the generator: detach its output in the D step")
    if all(np.array_equal(b, p.numpy()) for b, p in zip(before_d, D.parameters())):
        raise Mismatch("train_step_d left every discriminator parameter unchanged")
    before_d = _values(D)
    mine.train_step_g(G, D, opt_g, z)
    for k, (b, p) in enumerate(zip(before_d, D.parameters())):
        assert_matches(p.numpy(), b, what=f"discriminator parameter {k} after train_step_g (must stay bitwise)",
                       rtol=0, atol=0)
    if all(np.array_equal(b, p.numpy()) for b, p in zip(before_g, G.parameters())):
        raise Mismatch("train_step_g left every generator parameter unchanged")


def test_alternating_steps_match_the_reference():
    # D, G, D, G steps with SGD from the same weights: stale gradients, missing zero_grad, a loss read
    # after the update or the wrong labels all change a weight or a returned loss
    G, D = _nets(mine, 6)
    G_ref, D_ref = _nets(ref, 6, weights_from=(G, D))
    opts = [(_sgd(G.parameters(), 0.2), _sgd(D.parameters(), 0.2)),
            (_sgd(G_ref.parameters(), 0.2), _sgd(D_ref.parameters(), 0.2))]
    rng = np.random.default_rng(6)
    for i, kind in enumerate(("D", "G", "D", "G")):
        real = rng.uniform(-1, 1, (4, 6)).astype(np.float32)
        z = rng.normal(size=(4, 3)).astype(np.float32)
        real_1, z_1, real_2, z_2 = _inputs(real, z, real, z)
        if kind == "D":
            got = mine.train_step_d(G, D, opts[0][1], real_1, z_1).item()
            want = ref.train_step_d(G_ref, D_ref, opts[1][1], real_2, z_2).item()
        else:
            got = mine.train_step_g(G, D, opts[0][0], z_1).item()
            want = ref.train_step_g(G_ref, D_ref, opts[1][0], z_2).item()
        assert_matches(np.array([got]), np.array([want]),
                       what=f"loss returned by step {i + 1} ({kind}), its value before the update", rtol=1e-4)
        for name, net, net_ref in (("G", G, G_ref), ("D", D, D_ref)):
            for k, (p, q) in enumerate(zip(net.parameters(), net_ref.parameters())):
                assert_matches(p.numpy(), q.numpy(),
                               what=f"{name} parameter {k} after step {i + 1} ({kind}) of D, G, D, G with SGD",
                               rtol=1e-4, atol=1e-5)


def test_steps_work_inside_tiny_jit():
    # the docstring: use real and z only as Tensors, the caller may wrap the step in TinyJit (the
    # milestone does); a NumPy round trip inside the step is frozen into the replayed kernels
    G, D = _nets(mine, 8)
    G_ref, D_ref = _nets(ref, 8, weights_from=(G, D))
    opt_g, opt_d = _sgd(G.parameters(), 0.2), _sgd(D.parameters(), 0.2)
    opt_g_ref, opt_d_ref = _sgd(G_ref.parameters(), 0.2), _sgd(D_ref.parameters(), 0.2)

    @TinyJit
    def step(real, z):
        return mine.train_step_d(G, D, opt_d, real, z), mine.train_step_g(G, D, opt_g, z)

    rng = np.random.default_rng(8)
    for i in range(4):
        real = rng.uniform(-1, 1, (4, 6)).astype(np.float32)
        z = rng.normal(size=(4, 3)).astype(np.float32)
        real_1, z_1, real_2, z_2, z_3 = _inputs(real, z, real, z, z)
        got = [t.item() for t in step(real_1, z_1)]
        want = [ref.train_step_d(G_ref, D_ref, opt_d_ref, real_2, z_2).item(),
                ref.train_step_g(G_ref, D_ref, opt_g_ref, z_3).item()]
        assert_matches(np.array(got), np.array(want),
                       what=f"(d_loss, g_loss) of call {i + 1} of a TinyJit-wrapped D then G step. "
                            "Use real and z only as Tensors", rtol=1e-4)
    for name, net, net_ref in (("G", G, G_ref), ("D", D, D_ref)):
        for k, (p, q) in enumerate(zip(net.parameters(), net_ref.parameters())):
            assert_matches(p.numpy(), q.numpy(), what=f"{name} parameter {k} after 4 TinyJit calls of D, G steps",
                           rtol=1e-4, atol=1e-5)


def test_discriminator_loss_decreases_on_a_fixed_batch():
    G, D = _nets(mine, 7)
    opt_d = _sgd(D.parameters(), 2.0)
    rng = np.random.default_rng(7)
    real, z = _inputs(rng.uniform(-1, 1, (4, 6)).astype(np.float32), rng.normal(size=(4, 3)).astype(np.float32))
    losses = [mine.train_step_d(G, D, opt_d, real, z).item() for _ in range(8)]
    if not losses[-1] < 0.6 * losses[0]:
        raise Mismatch(f"8 D steps on one fixed batch took d_loss from {losses[0]:.3f} to {losses[-1]:.3f}; "
                       "it should fall well below its start")


def test_bad_sizes():
    mine.Generator(G_SIZES)
    assert_raises(ValueError, mine.Discriminator, (6, 5, 2), what="Discriminator with two outputs")
    assert_raises(ValueError, mine.Generator, (3,), what="Generator with one size")
