"""Hidden checks for Exercise 5.4: the learner's LSTMCell and LSTM against a NumPy oracle of the gate
equations, tinygrad's nn.LSTMCell with copied weights, and central differences through time."""
import math

import numpy as np
from tinygrad import Tensor, nn

from grader.compare import Mismatch, assert_matches
from grader.hidden.probes import attribute_uses, refuse_calls
from grader.numeric import numerical_gradient, relative_error
from grader.target import exercise

mine = exercise("5.4")
RULE = "Exercise 5.4 builds the LSTM cell from its equations; tinygrad.nn.LSTMCell is not allowed"


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def np_cell(p, x, h, c):
    """One LSTM step in float64; p = (W_ih, W_hh, b_ih or None, b_hh or None), gate order i, f, g, o."""
    W_ih, W_hh, b_ih, b_hh = p
    z = x @ W_ih.T + h @ W_hh.T
    if b_ih is not None:
        z = z + b_ih + b_hh
    i, f, g, o = np.split(z, 4, axis=1)
    c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    return _sigmoid(o) * np.tanh(c), c


def np_lstm(p, xs, h, c):
    hs = []
    for x in xs:
        h, c = np_cell(p, x, h, c)
        hs.append(h)
    return np.stack(hs), h, c


def _set(cell, rng, bias=True):
    """Random float32 weights (and biases) copied into the learner's cell; returns them as float64."""
    H, D = cell.hidden_size, cell.input_size
    p = [rng.normal(0, 0.6, size=s).astype(np.float32) for s in ((4 * H, D), (4 * H, H))]
    p += [rng.normal(0, 0.6, size=4 * H).astype(np.float32) for _ in range(2)] if bias else [None, None]
    for name, value in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), p):
        if value is not None:
            setattr(cell, name, Tensor(value).contiguous().realize())   # a call schedules its own kernels only
    return [None if v is None else v.astype(np.float64) for v in p]


def _state(rng, N, H, zero):
    return [np.zeros((N, H)) if zero else rng.normal(0, 1, size=(N, H)) for _ in range(2)]


def _f32(*arrays):
    return [Tensor(a.astype(np.float32)) for a in arrays]


def test_cell_matches_the_gate_equations_on_a_grid():
    rng = np.random.default_rng(0)
    # (batch, input, hidden, bias, zero initial state); the two (2, 3, 2) cases share their kernels
    for N, D, H, bias, zero in [(2, 3, 2, True, True), (4, 5, 3, False, False), (2, 3, 2, True, False)]:
        cell = mine.LSTMCell(D, H, bias=bias)
        p = _set(cell, rng, bias)
        x = rng.normal(0, 1, size=(N, D))
        h0, c0 = _state(rng, N, H, zero)
        with refuse_calls(nn.LSTMCell, ["__call__"], RULE):
            h, c = cell(*_f32(x), tuple(_f32(h0, c0)))
            Tensor.realize(h, c)   # one schedule for both
            got_h, got_c = h.numpy(), c.numpy()
        want_h, want_c = np_cell(p, x, h0, c0)
        what = f"LSTMCell({D}, {H}, bias={bias}) on a ({N}, {D}) x, {'zero' if zero else 'random'} state"
        assert_matches(got_c, want_c.astype(np.float32), what=f"c' of {what}", rtol=1e-4, atol=1e-5)
        assert_matches(got_h, want_h.astype(np.float32), what=f"h' of {what}", rtol=1e-4, atol=1e-5)
    # the cell reads its four attributes on every call: weights replaced after a call take effect
    p = _set(cell, rng, bias)
    with refuse_calls(nn.LSTMCell, ["__call__"], RULE):
        got_h, got_c = cell(*_f32(x), tuple(_f32(h0, c0)))
        Tensor.realize(got_h, got_c)   # the same schedule as the call before
    assert_matches(got_h.numpy(), np_cell(p, x, h0, c0)[0].astype(np.float32), rtol=1e-4, atol=1e-5,
                   what=f"h' of {what} after its weights were replaced\n(weights cached from an earlier call?)")


def test_cell_matches_tinygrad_lstmcell_with_copied_weights():
    rng = np.random.default_rng(1)
    cell, ref = mine.LSTMCell(3, 2), nn.LSTMCell(3, 2)
    _set(cell, rng)
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        setattr(ref, name, Tensor(getattr(cell, name).numpy()))
    x, h0, c0 = (rng.normal(0, 1, size=(2, k)).astype(np.float32) for k in (3, 2, 2))
    with refuse_calls(nn.LSTMCell, ["__call__"], RULE):
        got = cell(Tensor(x), (Tensor(h0), Tensor(c0)))
        Tensor.realize(*got)   # the graph of the grid's (2, 3, 2) cases
    want = ref(Tensor(x), (Tensor(h0), Tensor(c0)))
    Tensor.realize(*want)
    got, want = [t.numpy() for t in got], [t.numpy() for t in want]
    for name, g, w in zip(("h'", "c'"), got, want):
        assert_matches(g, w, what=f"{name} against nn.LSTMCell with the same weights (layout (4H, D), gates i, f, g, o)",
                       rtol=1e-4, atol=1e-5)


def test_initialisation_range_and_forget_bias():
    Tensor.manual_seed(3)
    H, D = 16, 8
    cell = mine.LSTMCell(D, H)
    Tensor.realize(cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)   # one schedule for all four
    bound = 1 / math.sqrt(H)
    for name, shape in (("weight_ih", (4 * H, D)), ("weight_hh", (4 * H, H))):
        w = getattr(cell, name).numpy()
        if w.shape != shape:
            raise Mismatch(f"{name} of LSTMCell({D}, {H}) has shape {w.shape}; expected (4H, ...) = {shape}")
        if np.abs(w).max() > bound * (1 + 1e-6):
            raise Mismatch(f"{name} has entries outside [-1/sqrt(H), 1/sqrt(H)]")
        assert_matches(np.array([float(w.std())]), np.array([bound / math.sqrt(3)]),
                       what=f"std of {name} (uniform on [-1/sqrt(H), 1/sqrt(H)])", rtol=0.15)
    total = cell.bias_ih.numpy() + cell.bias_hh.numpy()
    want = np.repeat(np.array([0, 1, 0, 0], np.float32), H)
    assert_matches(total, want, what="bias_ih + bias_hh at initialisation (blocks i, f, g, o; forget = 1)",
                   rtol=0, atol=1e-6)
    assert_matches(cell.bias_ih.numpy(), want, rtol=0, atol=1e-6,
                   what="bias_ih at initialisation (the forget-gate 1s live in bias_ih)")
    assert_matches(cell.bias_hh.numpy(), np.zeros(4 * H, np.float32), rtol=0, atol=0,
                   what="bias_hh at initialisation (all zero)")
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    lstm = mine.LSTM(D, H)
    for owner, holder, params in ((f"LSTMCell({D}, {H})", cell, cell.parameters()),
                                  (f"LSTM({D}, {H})", lstm.cell, lstm.parameters())):
        if [id(t) for t in params] != [id(getattr(holder, n)) for n in names]:
            raise Mismatch(f"{owner}.parameters() is not the attribute tensors in the\n"
                           "documented order [weight_ih, weight_hh, bias_ih, bias_hh].")
    Tensor.manual_seed(3)
    again = mine.LSTMCell(D, H)
    Tensor.realize(again.weight_ih, again.weight_hh, again.bias_ih, again.bias_hh)   # the first cell's schedule
    assert_matches(again.weight_hh.numpy(), cell.weight_hh.numpy(), what="weight_hh after the same Tensor.manual_seed",
                   rtol=0, atol=0)


def test_no_bias_means_no_bias_parameters():
    cell = mine.LSTMCell(3, 2, bias=False)
    shapes = sorted(tuple(p.shape) for p in cell.parameters())
    if shapes != [(8, 2), (8, 3)] or cell.bias_ih is not None or cell.bias_hh is not None:
        raise Mismatch(f"LSTMCell(3, 2, bias=False) has parameters of shapes {shapes}; expected the two weights only")


def test_gradient_through_time_matches_central_differences():
    rng = np.random.default_rng(4)
    T, N, D, H = 2, 2, 3, 2   # two steps: one state hand-over, forward and backward
    model = mine.LSTM(D, H)
    p = _set(model.cell, rng)
    xs = rng.normal(0, 1, size=(T, N, D))
    h0, c0 = _state(rng, N, H, zero=False)
    R, S = rng.normal(0, 1, size=(T, N, H)), rng.normal(0, 1, size=(N, H))   # loss weights

    leaves = _f32(xs, h0, c0)
    with refuse_calls(nn.LSTMCell, ["__call__"], RULE):
        hs, (hT, cT) = model(leaves[0], (leaves[1], leaves[2]))
        loss = (hs * Tensor(R.astype(np.float32))).sum() + (cT * Tensor(S.astype(np.float32))).sum()
        loss.backward()
    cell = model.cell
    grads = [cell.weight_ih.grad, cell.weight_hh.grad, cell.bias_ih.grad, *(t.grad for t in leaves)]
    Tensor.realize(hs, hT, cT, *(g for g in grads if g is not None))   # one schedule for values and gradients
    want_hs, want_h, want_c = np_lstm(p, xs, h0, c0)
    assert_matches(hs.numpy(), want_hs.astype(np.float32), what=f"hs of a {T}-step LSTM from a random state",
                   rtol=1e-4, atol=1e-5)
    assert_matches(hT.numpy(), want_h.astype(np.float32), what=f"final h of a {T}-step LSTM", rtol=1e-4, atol=1e-5)
    assert_matches(cT.numpy(), want_c.astype(np.float32), what=f"final c of a {T}-step LSTM", rtol=1e-4, atol=1e-5)

    def loss_of(**change):
        args = {**dict(W_ih=p[0], W_hh=p[1], b_ih=p[2], xs=xs, h0=h0, c0=c0), **change}
        hs_, _, c_ = np_lstm((args["W_ih"], args["W_hh"], args["b_ih"], p[3]), args["xs"], args["h0"], args["c0"])
        return float((hs_ * R).sum() + (c_ * S).sum())

    for name, got, value in zip(("weight_ih", "weight_hh", "bias_ih", "xs", "h0", "c0"), grads,
                                (p[0], p[1], p[2], xs, h0, c0)):
        key = {"weight_ih": "W_ih", "weight_hh": "W_hh", "bias_ih": "b_ih"}.get(name, name)
        want = numerical_gradient(lambda v: loss_of(**{key: v}), value)
        if got is None:
            raise Mismatch(f"d loss / d {name} is None after backward(): is {name} part of the graph?")
        err = relative_error(got.numpy(), want)
        if not err < 2e-3:
            raise Mismatch(f"d loss / d {name} through {T} steps differs from central differences "
                           f"(relative error {err:.2g}); is the state carried from step to step?")


def test_lstm_default_state_is_zero_and_one_step_works():
    rng = np.random.default_rng(5)
    model = mine.LSTM(3, 2)
    p = _set(model.cell, rng)
    xs = rng.normal(0, 1, size=(1, 2, 3))
    with refuse_calls(nn.LSTMCell, ["__call__"], RULE):
        hs, (h, c) = model(Tensor(xs.astype(np.float32)))
        Tensor.realize(hs, h, c)
        got = hs.numpy(), h.numpy(), c.numpy()
    want_hs, want_h, want_c = np_lstm(p, xs, np.zeros((2, 2)), np.zeros((2, 2)))
    for name, g, w in zip(("hs", "final h", "final c"), got, (want_hs, want_h, want_c)):
        assert_matches(g, w.astype(np.float32), what=f"{name} of a 1-step LSTM with no initial state",
                       rtol=1e-4, atol=1e-5)
    # hc=None means zeros on every call: nothing is carried over from an earlier call
    with refuse_calls(nn.LSTMCell, ["__call__"], RULE):
        again, (h, c) = model(Tensor(xs.astype(np.float32)))
        Tensor.realize(again, h, c)   # the first call's schedule
    assert_matches(again.numpy(), want_hs.astype(np.float32), rtol=1e-4, atol=1e-5,
                   what="hs of a second call with hc=None\n(the zero state, not the last call's)")


def test_tinygrad_lstmcell_is_not_used():
    with refuse_calls(nn.LSTMCell, ["__call__"], RULE):   # a call is refused as the graph is built: no need to realize
        mine.LSTM(3, 2)(Tensor(np.ones((1, 2, 3), np.float32)))
    found = attribute_uses(mine, ["LSTMCell"])
    if found:
        raise Mismatch(f"the module reaches an LSTMCell attribute ({', '.join(found)}): {RULE}")
