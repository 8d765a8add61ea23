"""Hidden checks for Exercise 6.4: pruning masks against NumPy sorts (global, per layer, ties,
structured norms), masks that survive Adam inside a TinyJit step against a float64 NumPy Adam with
the same masks, the cubic schedule against its closed form, and the distillation loss and its gradient
against NumPy."""
import numpy as np
from tinygrad import Tensor, nn
from tinygrad.nn.optim import Adam

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.numeric import numerical_gradient, relative_error
from grader.target import exercise

mine = exercise("6.4")

SHAPES = {"weights.0": (8, 6), "weights.1": (6, 4), "filters": (3, 2, 2, 2)}
SCALES = {"weights.0": 0.1, "weights.1": 1.0, "filters": 0.4}   # layers of different scale:
N, C = 5, 4                                                      # global and per-layer differ


class Net:
    """A 4.1-style MLP (weights stored (in, out), biases in a list) plus an unused filter bank."""

    def __init__(self, values: dict[str, np.ndarray], filters: bool = True):
        self.weights = [Tensor(values["weights.0"].astype(np.float32)), Tensor(values["weights.1"].astype(np.float32))]
        self.biases = [Tensor(np.zeros(6, np.float32)), Tensor(np.zeros(4, np.float32))]
        if filters:
            self.filters = Tensor(values["filters"].astype(np.float32))

    def __call__(self, x: Tensor) -> Tensor:
        return (x @ self.weights[0] + self.biases[0]).relu() @ self.weights[1] + self.biases[1]

    def named(self) -> dict[str, Tensor]:
        out = {"weights.0": self.weights[0], "weights.1": self.weights[1]}
        return {**out, "filters": self.filters} if hasattr(self, "filters") else out


def _values(rng, ties: bool = False) -> dict[str, np.ndarray]:
    if ties:          # few distinct magnitudes, both signs: many exact ties inside and across layers
        return {k: rng.choice([-2.0, -1.0, -0.5, 0.5, 1.0, 2.0], size=s) for k, s in SHAPES.items()}
    return {k: rng.normal(0.0, SCALES[k], s) for k, s in SHAPES.items()}


def _keep(magnitudes: np.ndarray, sparsity: float) -> np.ndarray:
    order = np.lexsort((np.arange(magnitudes.size), magnitudes))    # by magnitude, then position
    keep = np.ones(magnitudes.size, np.float32)
    keep[order[:round(sparsity * magnitudes.size)]] = 0.0
    return keep


def _np_masks(values: dict[str, np.ndarray], sparsity: float, scope: str) -> dict[str, np.ndarray]:
    flat = {k: np.abs(v.astype(np.float32)).ravel() for k, v in values.items()}
    if scope == "layer":
        return {k: _keep(f, sparsity).reshape(values[k].shape) for k, f in flat.items()}
    keep = _keep(np.concatenate(list(flat.values())), sparsity)
    out, at = {}, 0
    for k, f in flat.items():
        out[k], at = keep[at:at + f.size].reshape(values[k].shape), at + f.size
    return out


def _check_masks(got, values, sparsity, scope, what):
    if not isinstance(got, dict) or sorted(got) != sorted(values):
        raise Mismatch(f"{what}: expected a dict keyed by the names of the prunable tensors "
                       f"{sorted(values)}, got {sorted(got) if isinstance(got, dict) else type(got).__name__}")
    want = _np_masks(values, sparsity, scope)
    for k in values:
        assert_matches(got[k].numpy(), want[k], rtol=0, atol=0, what=f"{what}: mask of {k}")


def test_prunable_is_every_tensor_with_two_or_more_axes():
    model = Net(_values(np.random.default_rng(40)))
    got = mine.prunable(model)
    if not isinstance(got, dict) or list(got) != list(model.named()):
        raise Mismatch(f"prunable(model) of a model with two weight matrices, two biases and a 4-D "
                       f"filter bank: expected the names {list(model.named())} in state-dict order, "
                       f"got {list(got) if isinstance(got, dict) else type(got).__name__}")
    if any(got[k] is not t for k, t in model.named().items()):
        raise Mismatch("prunable(model) must return the model's own tensors, not copies")
    flat = Net(_values(np.random.default_rng(40)))
    flat.weights, flat.filters = [], Tensor(np.ones(3, np.float32))    # only 1-D tensors are left
    assert_raises(ValueError, mine.prunable, flat, what="prunable of a model whose tensors are all 1-D")


def test_global_masks_rank_all_layers_together():
    rng = np.random.default_rng(41)
    values = _values(rng)
    model = Net(values)
    for s in (0.0, 0.35, 0.8, 0.93, 1.0):
        _check_masks(mine.magnitude_masks(model, s), values, s, "global",
                     f"magnitude_masks(model, {s}) (global) on 96 weights in 3 layers of different scale")
    got = mine.magnitude_masks(model, 0.6, scope="global")
    pruned = sum(int((m.numpy() == 0).sum()) for m in got.values())
    assert_matches(np.array([pruned]), np.array([round(0.6 * 96)]), rtol=0, atol=0,
                   what="number of weights pruned by a global 0.6 (exactly round(0.6 * 96))")
    if any(got[k].numpy().dtype != np.float32 for k in got):
        raise Mismatch("masks must be float32 Tensors of 0 and 1")
    threshold = np.quantile(np.concatenate([np.abs(v).ravel() for v in values.values()]), 0.6)
    for k, v in values.items():        # without ties: pruned exactly where |w| is below the quantile
        assert_matches(got[k].numpy(), (np.abs(v) > threshold).astype(np.float32), rtol=0, atol=0,
                       what=f"global 0.6 mask of {k} against np.quantile of all |w| together")
    for k, t in model.named().items():
        assert_matches(t.numpy(), values[k].astype(np.float32), rtol=0, atol=0,
                       what=f"{k} after magnitude_masks (computing masks must not change weights)")


def test_layer_masks_prune_each_layer_on_its_own():
    rng = np.random.default_rng(42)
    values = _values(rng)
    model = Net(values)
    for s in (0.35, 0.5, 0.9, 0.1875):          # 0.1875 * 24 = 4.5: round() goes to the even 4, not up
        _check_masks(mine.magnitude_masks(model, s, scope="layer"), values, s, "layer",
                     f"magnitude_masks(model, {s}, scope='layer')")
    assert_raises(ValueError, mine.magnitude_masks, model, 0.5, scope="row", what="magnitude_masks with scope='row'")
    assert_raises(ValueError, mine.magnitude_masks, model, 1.2, what="magnitude_masks with sparsity 1.2")


def test_ties_are_pruned_in_order_and_the_count_stays_exact():
    rng = np.random.default_rng(43)
    values = _values(rng, ties=True)
    model = Net(values)
    for scope in ("global", "layer"):
        for s in (0.25, 0.55):
            _check_masks(mine.magnitude_masks(model, s, scope=scope), values, s, scope,
                         f"magnitude_masks(model, {s}, scope={scope!r}) when many |w| are equal "
                         f"(the earlier weight is pruned first)")


def test_weights_already_zero_count_and_go_first():
    # a second pruning round: weights zeroed earlier are part of n and have the smallest magnitude
    values = _values(np.random.default_rng(48))
    values["weights.0"][:2] = 0.0
    values["filters"][0] = -0.0
    model = Net(values)
    for scope in ("global", "layer"):
        _check_masks(mine.magnitude_masks(model, 0.4, scope=scope), values, 0.4, scope,
                     f"magnitude_masks(model, 0.4, scope={scope!r}) when 20 weights are already zero (they count "
                     f"in round(sparsity * n) and are pruned first, not skipped)")


def _np_structured(w: np.ndarray, sparsity: float, axis: int) -> np.ndarray:
    others = tuple(a for a in range(w.ndim) if a != axis % w.ndim)
    keep = _keep(np.linalg.norm(w.astype(np.float32).astype(np.float64), axis=others)
                 if len(others) == 1 else np.sqrt((w.astype(np.float64) ** 2).sum(axis=others)), sparsity)
    shape = [1] * w.ndim
    shape[axis % w.ndim] = -1
    return np.broadcast_to(keep.reshape(shape), w.shape).astype(np.float32)


def test_structured_masks_remove_whole_slices_by_l2_norm():
    rng = np.random.default_rng(44)
    w = rng.normal(size=(6, 4)).astype(np.float32)
    w[4] = w[1][::-1]                              # rows 1 and 4 have the same norm: row 1 goes first
    w[2] *= 0.3                                    # a row with a small norm but one large |w|
    w[2, 0] = 3.0
    # 0.6 * 6 rows = 3.6 and 0.4 * 4 columns = 1.6: round, not truncate, the number of slices
    for s, axis in ((0.5, 0), (0.34, 0), (0.6, 0), (0.5, 1), (0.4, 1), (0.75, -1)):
        got = mine.structured_mask(Tensor(w), s, axis=axis)
        assert_matches(got.numpy(), _np_structured(w, s, axis), rtol=0, atol=0,
                       what=f"structured_mask of a (6, 4) weight, sparsity {s}, axis={axis}")
    f = rng.normal(size=(5, 3, 2, 2)).astype(np.float32)
    assert_matches(mine.structured_mask(Tensor(f), 0.4, axis=0).numpy(), _np_structured(f, 0.4, 0), rtol=0, atol=0,
                   what="structured_mask of (5, 3, 2, 2) conv filters, sparsity 0.4, axis=0 (whole filters)")
    assert_matches(mine.structured_mask(Tensor(f), 0.5, axis=0).numpy(), _np_structured(f, 0.5, 0), rtol=0, atol=0,
                   what="structured_mask of 5 conv filters, sparsity 0.5 (2.5 filters: round() rounds half to even)")
    assert_raises(ValueError, mine.structured_mask, Tensor(w), 0.5, axis=2, what="structured_mask with axis=2 of a matrix")


def test_apply_masks_and_sparsity_count_weights_only():
    rng = np.random.default_rng(45)
    values = _values(rng)
    values["weights.1"][0, :3] = 0.0               # weights that were zero before pruning count as well
    model = Net(values)
    masks = {k: (rng.random(v.shape) < 0.7).astype(np.float32) for k, v in values.items()}
    mine.apply_masks(model, {k: Tensor(m) for k, m in masks.items()})
    for k, t in model.named().items():
        assert_matches(t.numpy(), (values[k] * masks[k]).astype(np.float32), rtol=0, atol=0,
                       what=f"{k} after apply_masks")
    for i, b in enumerate(model.biases):
        assert_matches(b.numpy(), np.zeros(b.shape, np.float32), rtol=0, atol=0, what=f"biases.{i} after apply_masks")
    zeros = sum(int(((values[k] * masks[k]) == 0).sum()) for k in values)
    got = mine.sparsity(model)
    if not isinstance(got, float):
        raise Mismatch(f"sparsity(model) returned {type(got).__name__}; expected a Python float")
    assert_matches(np.array([got]), np.array([zeros / 96]), rtol=1e-12, atol=1e-12,
                   what="sparsity(model): zero weights over all 96 weights (the 10 zero biases do not count)")
    part = (rng.random(SHAPES["weights.1"]) < 0.5).astype(np.float32)
    mine.apply_masks(model, {"weights.1": Tensor(part)})   # masks for some tensors only: the rest stay
    for k, t in model.named().items():
        want = values[k] * masks[k] * (part if k == "weights.1" else 1.0)
        assert_matches(t.numpy(), want.astype(np.float32), rtol=0, atol=0,
                       what=f"{k} after apply_masks with a mask for weights.1 only (tensors not named "
                            f"keep their values)")


def test_gradual_schedule_matches_the_cubic_closed_form():
    rng = np.random.default_rng(46)
    for _ in range(3):
        start, length = int(rng.integers(0, 50)), int(rng.integers(5, 300))
        initial, final = float(rng.uniform(0, 0.3)), float(rng.uniform(0.5, 0.97))
        steps = np.unique(np.concatenate([[0, start, start + 1, start + length // 4, start + length // 2,
                                           start + length - 1, start + length, start + 2 * length],
                                          rng.integers(0, start + 2 * length, 8)]))
        got = [mine.gradual_sparsity(int(t), final, start, start + length, initial=initial) for t in steps]
        p = np.clip((steps - start) / length, 0.0, 1.0)
        want = final + (initial - final) * (1.0 - p) ** 3
        assert_matches(np.array(got, np.float64), want, rtol=1e-9, atol=1e-12,
                       what=f"gradual_sparsity from {initial:.3f} to {final:.3f} between steps "
                            f"{start} and {start + length}, at steps {steps.tolist()}")
    assert_raises(ValueError, mine.gradual_sparsity, 5, 0.9, 10, 10, what="gradual_sparsity with end == start")


def _np_adam_run(values, x, y, masks_by_step, lr, b1=0.9, b2=0.999, eps=1e-8):
    """Masked Adam on the two-layer MLP in float64 NumPy: per step the weights times that step's
    masks (pruning), the loss before the update, the update, the weights times the masks again.
    Returns (weights, biases, losses)."""
    w = [values["weights.0"].astype(np.float32).astype(np.float64), values["weights.1"].astype(np.float32).astype(np.float64)]
    b = [np.zeros(6), np.zeros(4)]
    m, v = [np.zeros_like(p) for p in w + b], [np.zeros_like(p) for p in w + b]
    losses = []
    for t, masks in enumerate(masks_by_step, start=1):
        w = [w[0] * masks["weights.0"], w[1] * masks["weights.1"]]
        h = x @ w[0] + b[0]
        z = np.maximum(h, 0) @ w[1] + b[1]
        log_p = _np_log_softmax(z)
        losses.append(-log_p[np.arange(len(y)), y].mean())
        dz = (np.exp(log_p) - np.eye(z.shape[1])[y]) / len(y)
        dh = dz @ w[1].T * (h > 0)
        grads = [x.T @ dh, np.maximum(h, 0).T @ dz, dh.sum(axis=0), dz.sum(axis=0)]
        params = w + b
        for i, g in enumerate(grads):
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            params[i] = params[i] - lr * (m[i] / (1 - b1 ** t)) / (np.sqrt(v[i] / (1 - b2 ** t)) + eps)
        w, b = [params[0] * masks["weights.0"], params[1] * masks["weights.1"]], params[2:]
    return w, b, losses


def test_masks_survive_adam_steps_inside_the_jit():
    rng = np.random.default_rng(47)
    values = _values(rng)
    x, y = rng.normal(size=(N, 8)).astype(np.float32), rng.integers(0, 4, N)
    model = Net(values, filters=False)
    ones = {k: np.ones(t.shape, np.float32) for k, t in model.named().items()}
    masks = {k: Tensor(m) for k, m in ones.items()}
    opt = Adam(model.weights + model.biases, lr=0.05)
    X, Y = Tensor(x), Tensor(y.astype(np.int32))
    # all realized before the first step, so the jit's capture (step 2) reuses step 1's schedule
    Tensor.realize(*model.weights, *model.biases, *masks.values(), X, Y, *nn.state.get_state_dict(opt).values())
    step = mine.make_masked_train_step(model, opt, masks)
    losses = [step(X, Y).item() for _ in range(3)]     # unpruned: Adam's moments become non-zero
    pruned = {k: (rng.random(m.shape) >= 0.6).astype(np.float32) for k, m in ones.items()}
    # pruning writes into the step's mask tensors
    Tensor.realize(*[mask.assign(Tensor(pruned[k])) for k, mask in masks.items()])
    mine.apply_masks(model, masks)
    want_w, _, _ = _np_adam_run(values, x.astype(np.float64), y, [ones] * 3, 0.05)
    # read before the replays: an assign that apply_masks left pending is realized here, not in the jit
    for (k, t), want in zip(model.named().items(), want_w):
        assert_matches(t.numpy(), (want * pruned[k]).astype(np.float32), rtol=1e-3, atol=1e-4,
                       what=f"{k} after 3 Adam steps and apply_masks with the pruned masks")
    losses += [step(X, Y).item() for _ in range(4)]    # replays of the captured step
    want_w, want_b, want_losses = _np_adam_run(values, x.astype(np.float64), y, [ones] * 3 + [pruned] * 4, 0.05)
    for (k, t), want in zip(model.named().items(), want_w):
        got = t.numpy()
        if (got[pruned[k] == 0] != 0).any():
            raise Mismatch(f"{k}: pruned weights are non-zero after 4 masked Adam steps (the mask must "
                           f"be applied again after every update, inside the jitted step, and read as "
                           f"a tensor: new values assigned into it count)")
        assert_matches(got, want.astype(np.float32), rtol=1e-3, atol=1e-4,
                       what=f"{k} after 3 Adam steps, pruning and 4 masked Adam steps (lr 0.05)")
    for i, (bias, want) in enumerate(zip(model.biases, want_b)):
        assert_matches(bias.numpy(), want.astype(np.float32), rtol=1e-3, atol=1e-4,
                       what=f"biases.{i} after the 7 steps (biases are never masked)")
    assert_matches(np.array(losses), np.array(want_losses), rtol=1e-4, atol=1e-6,
                   what="losses returned by the 7 steps (each before its update)")


def _np_log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _np_kd(s, t, y, T, alpha):
    ls, lt = _np_log_softmax(s / T), _np_log_softmax(t / T)
    kl = (np.exp(lt) * (lt - ls)).sum(axis=1).mean()
    ce = -_np_log_softmax(s)[np.arange(len(y)), y].mean()
    return alpha * T * T * kl + (1 - alpha) * ce


def _np_kd_grad(s, t, y, T, alpha):
    soft = lambda z: np.exp(_np_log_softmax(z))  # noqa: E731
    onehot = np.eye(s.shape[1])[y]
    return (alpha * T * (soft(s / T) - soft(t / T)) + (1 - alpha) * (soft(s) - onehot)) / len(y)


def test_distillation_loss_matches_numpy():
    rng = np.random.default_rng(49)
    s, t = rng.normal(0, 3, (N, C)), rng.normal(0, 3, (N, C))
    y = rng.integers(0, C, N)
    big = np.array([[300.0, -300.0, 0.0, 10.0]] * N)
    S, Tt, Y = Tensor(s.astype(np.float32)), Tensor(t.astype(np.float32)), Tensor(y.astype(np.int32))
    B, NB = Tensor(big.astype(np.float32)), Tensor(-big.astype(np.float32))
    Tensor.realize(S, Tt, Y, B, NB)           # realized once: the losses schedule their own graphs only
    # the logits of +-300 first: T=1, alpha=0.5 after it reuses its schedule
    cases = [(NB, B, -big, big, 1.0, 0.5, 1e-8, "with logits of +-300 at T=1 (a log-softmax, not log(softmax))")]
    cases += [(S, Tt, s, t, T, alpha, 1e-6, f"for {N}x{C} logits, T={T}, alpha={alpha}")
              for T, alpha in ((1.0, 0.5), (2.5, 1.0), (2.5, 0.0), (4.0, 0.7))]
    for student, teacher, s_np, t_np, T, alpha, atol, what in cases:
        got = mine.distillation_loss(student, teacher, Y, temperature=T, alpha=alpha)
        if not isinstance(got, Tensor) or got.shape != ():
            raise Mismatch(f"distillation_loss must return a scalar Tensor, got {type(got).__name__} "
                           f"of shape {getattr(got, 'shape', None)}")
        assert_matches(np.array([got.item()]), np.array([_np_kd(s_np, t_np, y, T, alpha)]), rtol=1e-4, atol=atol,
                       what=f"distillation_loss {what}")
    for bad, what in ((dict(temperature=0.0), "temperature 0"), (dict(alpha=1.5), "alpha 1.5")):
        assert_raises(ValueError, mine.distillation_loss, S, Tt, Y, what=f"distillation_loss with {what}", **bad)


def test_distillation_gradient_reaches_the_student_only():
    rng = np.random.default_rng(50)
    s, x = rng.normal(0, 2, (N, C)), rng.normal(0, 1, (N, 3))
    w_teacher = rng.normal(0, 2, (3, C))
    y = rng.integers(0, C, N)
    t = x.astype(np.float32).astype(np.float64) @ w_teacher.astype(np.float32).astype(np.float64)
    oracle = _np_kd_grad(s, t, y, 3.0, 0.6)
    numeric = numerical_gradient(lambda z: _np_kd(z, t, y, 3.0, 0.6), s)
    if relative_error(oracle, numeric) > 1e-6:           # the grader's own formula, checked first
        raise AssertionError("internal: the analytic distillation gradient disagrees with differences")
    student, teacher_w = Tensor(s.astype(np.float32)), Tensor(w_teacher.astype(np.float32))
    X, Y = Tensor(x.astype(np.float32)), Tensor(y.astype(np.int32))
    Tensor.realize(student, teacher_w, X, Y)        # realized once; the gradients are reset per case
    for T, alpha in ((3.0, 0.6), (5.0, 1.0)):
        student.grad = teacher_w.grad = None
        mine.distillation_loss(student, X @ teacher_w, Y, temperature=T, alpha=alpha).backward()
        assert_matches(student.grad.numpy(), _np_kd_grad(s, t, y, T, alpha).astype(np.float32), rtol=1e-3, atol=1e-6,
                       n=N, what=f"d loss / d student logits, T={T}, alpha={alpha}")
        if teacher_w.grad is not None and np.abs(teacher_w.grad.numpy()).max() > 0:
            raise Mismatch("the teacher's weights received a gradient from the distillation loss; "
                           "the teacher must be a constant (detach its logits)")
