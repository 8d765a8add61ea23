"""Hidden checks for Exercise 5.9: GAN losses against NumPy BCE, forward passes, step isolation, steps
against a float64 NumPy oracle of the reference's D and G steps."""
import numpy as np
from tinygrad import Tensor, TinyJit
from tinygrad.nn.optim import SGD

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.hidden.probes import attribute_uses, refuse_calls
from grader.target import exercise

mine = exercise("5.9")
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


def _weights(net, rng):
    # seeded NumPy weights for net.layers (no random-number kernels), realized at once; float64 copies
    params = [t for layer in net.layers for t in (layer.weight, layer.bias)]
    ws = [rng.uniform(-0.7, 0.7, p.shape).astype(np.float32) for p in params]
    for p, w in zip(params, ws):
        p.replace(Tensor(w))
    Tensor.realize(*params)
    return [w.astype(np.float64) for w in ws]


def _nets(module, seed):
    rng = np.random.default_rng(seed)
    G, D = module.Generator(G_SIZES), module.Discriminator(D_SIZES)
    return G, D, _NumpyGan(_weights(G, rng), _weights(D, rng))


def _sigmoid(u):
    return 1 / (1 + np.exp(-u))


def _forward(ws, x, slope, tanh_out):
    # an MLP of [W0, b0, W1, b1, ...]: (leaky) ReLU after each hidden layer, tanh or nothing after the last
    acts, pres = [x], []
    for i in range(0, len(ws), 2):
        h = acts[-1] @ ws[i].T + ws[i + 1]
        pres.append(h)
        last = i == len(ws) - 2
        acts.append((np.tanh(h) if tanh_out else h) if last else np.where(h < 0, slope * h, h))
    return acts, pres


def _backward(ws, acts, pres, g, slope, tanh_out):
    # gradients of the weights and of the input, given g = d loss / d output
    grads = [None] * len(ws)
    for i in reversed(range(0, len(ws), 2)):
        j = i // 2
        if i == len(ws) - 2:
            g = g * (1 - acts[j + 1] ** 2) if tanh_out else g
        else:
            g = g * np.where(pres[j] < 0, slope, 1.0)
        grads[i], grads[i + 1] = g.T @ acts[j], g.sum(0)
        g = g @ ws[i]
    return grads, g


class _NumpyGan:
    """The reference D and G steps with SGD in float64: the oracle the learner's steps are compared to."""

    def __init__(self, g, d):
        self.g, self.d = g, d

    def step_d(self, real, z, lr):
        fake = _forward(self.g, z.astype(np.float64), 0.0, True)[0][-1]
        real_acts, real_pres = _forward(self.d, real.reshape(len(real), -1).astype(np.float64), 0.2, False)
        fake_acts, fake_pres = _forward(self.d, fake, 0.2, False)
        r, f = real_acts[-1], fake_acts[-1]
        loss = _softplus(-r).mean() + _softplus(f).mean()
        g_real = _backward(self.d, real_acts, real_pres, -_sigmoid(-r) / len(r), 0.2, False)[0]
        g_fake = _backward(self.d, fake_acts, fake_pres, _sigmoid(f) / len(f), 0.2, False)[0]
        self.d = [w - lr * (a + b) for w, a, b in zip(self.d, g_real, g_fake)]
        return loss

    def step_g(self, z, lr):
        g_acts, g_pres = _forward(self.g, z.astype(np.float64), 0.0, True)
        d_acts, d_pres = _forward(self.d, g_acts[-1], 0.2, False)
        f = d_acts[-1]
        loss = _softplus(-f).mean()
        g_in = _backward(self.d, d_acts, d_pres, -_sigmoid(-f) / len(f), 0.2, False)[1]
        grads = _backward(self.g, g_acts, g_pres, g_in, 0.0, True)[0]
        self.g = [w - lr * gw for w, gw in zip(self.g, grads)]
        return loss


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


def test_generator_matches_numpy_and_stays_in_range():
    rng = np.random.default_rng(3)
    G = mine.Generator(G_SIZES)
    ws = _weights(G, rng)
    z = rng.normal(0, 1, (4, 3)).astype(np.float32)
    z[0] *= 200                                                   # saturates tanh
    got = G(Tensor(z)).numpy()
    want = _forward(ws, z.astype(np.float64), 0.0, True)[0][-1].astype(np.float32)
    assert_matches(got, want, what="Generator((3, 5, 6)) on 4 codes, one of them huge", rtol=1e-4, atol=1e-5)
    if np.abs(got).max() > 1:
        raise Mismatch("the generator's output leaves [-1, 1]: the last layer needs tanh")


def test_discriminator_matches_numpy():
    rng = np.random.default_rng(4)
    D = mine.Discriminator(D_SIZES)
    ws = _weights(D, rng)
    x = rng.uniform(-3, 3, (4, 2, 3)).astype(np.float32)
    got = D(Tensor(x)).numpy()
    assert_matches(got, _forward(ws, x.reshape(4, 6).astype(np.float64), 0.2, False)[0][-1].astype(np.float32),
                   what="Discriminator((6, 5, 1)) logits (leaky ReLU 0.2, no sigmoid) on 4 inputs of 2 x 3",
                   rtol=1e-4, atol=1e-5)


def test_three_layer_nets_activate_every_hidden_layer():
    # with two layers "after the first layer" and "after every layer but the last" coincide
    rng = np.random.default_rng(9)
    G, D = mine.Generator((3, 4, 5, 6)), mine.Discriminator((6, 5, 4, 1))
    g_ws, d_ws = _weights(G, rng), _weights(D, rng)
    z = rng.normal(0, 2, (4, 3)).astype(np.float32)
    x = rng.uniform(-3, 3, (4, 6)).astype(np.float32)
    got_g, got_d = G(Tensor(z)), D(Tensor(x))
    Tensor.realize(got_g, got_d)
    assert_matches(got_g.numpy(), _forward(g_ws, z.astype(np.float64), 0.0, True)[0][-1].astype(np.float32),
                   what="Generator((3, 4, 5, 6)) on 4 codes (ReLU after each of the two hidden layers)",
                   rtol=1e-4, atol=1e-5)
    assert_matches(got_d.numpy(), _forward(d_ws, x.astype(np.float64), 0.2, False)[0][-1].astype(np.float32),
                   what="Discriminator((6, 5, 4, 1)) on 4 inputs (leaky ReLU 0.2 after each of the two hidden layers)",
                   rtol=1e-4, atol=1e-5)


def test_steps_are_isolated_bitwise():
    G, D, _ = _nets(mine, 5)
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


def _match_weights(nets, oracle, what):
    for name, net, want in (("G", nets[0], oracle.g), ("D", nets[1], oracle.d)):
        for k, (p, w) in enumerate(zip(net.parameters(), want)):
            assert_matches(p.numpy(), w.astype(np.float32), what=f"{name} parameter {k} after {what}",
                           rtol=1e-4, atol=1e-5)


def test_alternating_steps_match_the_reference():
    # D, G, D, G steps with SGD from the same weights, against a float64 NumPy oracle: stale gradients,
    # missing zero_grad, a loss read after the update or the wrong labels all change a weight or a loss
    G, D, oracle = _nets(mine, 6)
    opt_g, opt_d = _sgd(G.parameters(), 0.2), _sgd(D.parameters(), 0.2)
    rng = np.random.default_rng(6)
    for i, kind in enumerate(("D", "G", "D", "G")):
        real = rng.uniform(-1, 1, (4, 6)).astype(np.float32)
        z = rng.normal(size=(4, 3)).astype(np.float32)
        real_t, z_t = _inputs(real, z)
        if kind == "D":
            got, want = mine.train_step_d(G, D, opt_d, real_t, z_t).item(), oracle.step_d(real, z, 0.2)
        else:
            got, want = mine.train_step_g(G, D, opt_g, z_t).item(), oracle.step_g(z, 0.2)
        assert_matches(np.array([got]), np.array([want]),
                       what=f"loss returned by step {i + 1} ({kind}), its value before the update", rtol=1e-4)
        _match_weights((G, D), oracle, f"step {i + 1} ({kind}) of D, G, D, G with SGD")


def test_steps_work_inside_tiny_jit():
    # the docstring: use real and z only as Tensors, the caller may wrap the step in TinyJit (the
    # milestone does); a NumPy round trip inside the step is frozen into the replayed kernels
    G, D, oracle = _nets(mine, 8)
    opt_g, opt_d = _sgd(G.parameters(), 0.2), _sgd(D.parameters(), 0.2)

    @TinyJit
    def step(real, z):
        return mine.train_step_d(G, D, opt_d, real, z), mine.train_step_g(G, D, opt_g, z)

    rng = np.random.default_rng(8)
    for i in range(4):
        real = rng.uniform(-1, 1, (4, 6)).astype(np.float32)
        z = rng.normal(size=(4, 3)).astype(np.float32)
        got = [t.item() for t in step(*_inputs(real, z))]
        want = [oracle.step_d(real, z, 0.2), oracle.step_g(z, 0.2)]
        assert_matches(np.array(got), np.array(want),
                       what=f"(d_loss, g_loss) of call {i + 1} of a TinyJit-wrapped D then G step. "
                            "Use real and z only as Tensors", rtol=1e-4)
    _match_weights((G, D), oracle, "4 TinyJit calls of D, G steps")


def test_discriminator_loss_decreases_on_a_fixed_batch():
    G, D, _ = _nets(mine, 7)
    opt_d = _sgd(D.parameters(), 1.0)
    rng = np.random.default_rng(7)
    real, z = _inputs(rng.uniform(-1, 1, (4, 6)).astype(np.float32), rng.normal(size=(4, 3)).astype(np.float32))
    losses = [mine.train_step_d(G, D, opt_d, real, z).item() for _ in range(6)]   # 1.50 -> 0.79 here
    if not losses[-1] < 0.6 * losses[0]:
        raise Mismatch(f"6 D steps on one fixed batch took d_loss from {losses[0]:.3f} to {losses[-1]:.3f}; "
                       "it should fall well below its start")


def test_bad_sizes():
    mine.Generator(G_SIZES)
    assert_raises(ValueError, mine.Discriminator, (6, 5, 2), what="Discriminator with two outputs")
    assert_raises(ValueError, mine.Generator, (3,), what="Generator with one size")
