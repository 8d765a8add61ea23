"""Hidden checks for Exercise 3.6: the training glue, run on the REFERENCE layers so 3.6 is graded alone."""
import numpy as np

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.numeric import numerical_gradient
from grader.target import exercise, reference

mine, ref, layers = exercise("3.6"), reference("3.6"), reference("3.5")
rng = np.random.default_rng(36)


def test_cross_entropy_value_gradient_and_stability():
    logits, y = rng.normal(0, 3, size=(7, 5)), rng.integers(0, 5, 7)
    loss, grad = mine.cross_entropy(logits, y)
    assert_matches(loss, ref.cross_entropy(logits, y)[0], what="cross_entropy loss (7 examples, 5 classes)", rtol=1e-10)
    numeric = numerical_gradient(lambda v: ref.cross_entropy(v, y)[0], logits)
    assert_matches(grad, numeric, what="cross_entropy gradient vs central differences", rtol=1e-5, atol=1e-9, n=7)
    big = np.array([[900.0, -900.0, 0.0]])
    with np.errstate(all="ignore"):
        got = mine.cross_entropy(big, np.array([2]))
    assert_matches(got[0], 900.0, what="cross_entropy of logits (900, -900, 0), label 2", rtol=1e-9)


def test_build_model_structure():
    for sizes in ((10, 8, 6, 4, 3), (5, 2)):
        a, b = mine.build_model(layers, sizes=sizes, dropout=0.2, seed=3), ref.build_model(layers, sizes=sizes, dropout=0.2, seed=3)
        if [type(m).__name__ for m in a] != [type(m).__name__ for m in b]:
            raise Mismatch(f"build_model(sizes={sizes}) has the wrong sequence of layers (Dense, BatchNorm, ReLU, Dropout per hidden layer, then Dense)")
        for i, (la, lb) in enumerate(zip(a, b)):
            for k in lb.params:
                assert_matches(la.params[k], lb.params[k], what=f"layer {i} parameter {k} (seeds as documented)", rtol=1e-12)
    assert_raises(ValueError, mine.build_model, layers, sizes=(5,), what="build_model with one size")


def test_forward_backward_and_sgd_step_match_reference():
    X, _ = rng.normal(size=(9, 6)), rng.integers(0, 3, 9)
    a, b = ref.build_model(layers, sizes=(6, 5, 3), dropout=0.0), ref.build_model(layers, sizes=(6, 5, 3), dropout=0.0)
    la, lb = mine.forward(a, X, training=True), ref.forward(b, X, training=True)
    assert_matches(la, lb, what="forward(model, X)", rtol=1e-10)
    G = rng.normal(size=la.shape)
    mine.backward(a, G)
    ref.backward(b, G)
    assert_matches(a[0].grads["W"], b[0].grads["W"], what="first Dense's dW after backward (layers run in reverse)", rtol=1e-9)
    sa = mine.sgd_step(a, lr=0.1, momentum=0.9, state=None)
    sb = ref.sgd_step(b, lr=0.1, momentum=0.9, state=None)
    sa = mine.sgd_step(a, lr=0.1, momentum=0.9, state=sa)
    ref.sgd_step(b, lr=0.1, momentum=0.9, state=sb)
    for i in (0, 4):
        assert_matches(a[i].params["W"], b[i].params["W"], what=f"layer {i} W after two momentum steps", rtol=1e-9)


def test_train_epoch_and_evaluate_match_reference():
    X = rng.normal(size=(90, 4))
    y = (X[:, 0] - X[:, 2] > 0).astype(np.int64) + (X[:, 1] > 1)
    a, b = ref.build_model(layers, sizes=(4, 8, 3), dropout=0.1, seed=1), ref.build_model(layers, sizes=(4, 8, 3), dropout=0.1, seed=1)
    sa = sb = None
    for epoch in range(2):
        loss_a, sa = mine.train_epoch(a, X, y, lr=0.05, batch_size=16, seed=epoch, state=sa)
        loss_b, sb = ref.train_epoch(b, X, y, lr=0.05, batch_size=16, seed=epoch, state=sb)
        assert_matches(loss_a, loss_b, what=f"train_epoch mean loss, epoch {epoch + 1} (90 examples, batch 16)", rtol=1e-8)
    got = mine.evaluate(a, X, y, batch_size=32)
    expected = ref.evaluate(b, X, y, batch_size=32)
    assert_matches(np.asarray(got, dtype=np.float64), np.asarray(expected), what="evaluate(model, X, y) = (loss, accuracy) in evaluation mode", rtol=1e-8)


def test_cross_entropy_gradient_at_huge_logits():
    logits, y = np.array([[900.0, -900.0, 0.0], [0.0, 1000.0, -5.0]]), np.array([2, 1])
    with np.errstate(all="ignore"):
        _, grad = mine.cross_entropy(logits, y)
    assert_matches(grad, ref.cross_entropy(logits, y)[1], what="cross_entropy gradient for logits of size 1000 (max-shift)", rtol=1e-9, atol=1e-15, n=2)


def test_float32_model_stays_float32():
    model = mine.build_model(layers, sizes=(6, 5, 4, 3), dropout=0.1, seed=2, dtype=np.float32)
    for i, layer in enumerate(model):
        for k, v in layer.params.items():
            if np.asarray(v).dtype != np.float32:
                raise Mismatch(f"build_model(dtype=float32): layer {i} ({type(layer).__name__}) parameter {k} is {np.asarray(v).dtype}")
    X = rng.normal(size=(8, 6)).astype(np.float32)
    expected = ref.forward(ref.build_model(layers, sizes=(6, 5, 4, 3), dropout=0.1, seed=2, dtype=np.float32), X, training=False)
    assert_matches(mine.forward(model, X, training=False), expected, what="logits of a float32 model on a float32 X", rtol=1e-4, atol=1e-5)


def test_evaluate_twice_leaves_the_model_unchanged():
    X = rng.normal(size=(40, 4))
    y = (X[:, 0] > 0).astype(np.int64)
    model = ref.build_model(layers, sizes=(4, 6, 2), dropout=0.3, seed=4)
    ref.train_epoch(model, X, y, lr=0.05, batch_size=10, seed=0)
    stats = model[1].running_mean.copy(), model[1].running_var.copy()
    first, second = mine.evaluate(model, X, y, batch_size=15), mine.evaluate(model, X, y, batch_size=15)
    assert_matches(np.asarray(second, dtype=np.float64), np.asarray(first, dtype=np.float64), what="evaluate called twice (evaluation mode is deterministic)", atol=0)
    assert_matches(model[1].running_mean, stats[0], what="BatchNorm running_mean after evaluate (must not change)", atol=0)


def test_build_model_dropout_layers_draw_their_documented_masks():
    # Dropout has no parameters, so only a training-mode pass shows its rate and seed (one generator per layer)
    X = rng.normal(size=(6, 10))
    a = mine.build_model(layers, sizes=(10, 8, 6, 3), dropout=0.3, seed=2)
    b = ref.build_model(layers, sizes=(10, 8, 6, 3), dropout=0.3, seed=2)
    for call in (1, 2):
        assert_matches(ref.forward(a, X, training=True), ref.forward(b, X, training=True), rtol=1e-10,
                       what=f"training-mode logits of build_model(dropout=0.3, seed=2), call {call} "
                            "(Dropout i gets p=dropout and seed + 100 + i)")


def test_sgd_step_velocity_state_with_other_momentum_and_a_changed_lr():
    # the state holds v = momentum v + g, so a learning rate changed between calls scales the whole step
    a, b = ref.build_model(layers, sizes=(6, 5, 3), dropout=0.0), ref.build_model(layers, sizes=(6, 5, 3), dropout=0.0)
    sa = sb = None
    for lr in (0.1, 0.02):
        for la, lb in zip(a, b):
            for k in lb.params:
                la.grads[k] = lb.grads[k] = rng.normal(size=lb.params[k].shape)
        sa = mine.sgd_step(a, lr=lr, momentum=0.5, state=sa)
        sb = ref.sgd_step(b, lr=lr, momentum=0.5, state=sb)
    steps = "after two steps (momentum 0.5, lr 0.1 then 0.02)"
    for i in (0, 4):
        assert_matches(a[i].params["W"], b[i].params["W"], what=f"layer {i} W {steps}", rtol=1e-9)
    for key in sb:
        if key not in sa:
            raise Mismatch(f"sgd_step state has no entry {key!r} (layer i's velocity of `name` is state[(i, name)])")
        assert_matches(np.asarray(sa[key]), sb[key], what=f"velocity state[{key!r}] {steps}", rtol=1e-9)


def test_cross_entropy_leaves_the_logits_alone():
    logits, y = rng.normal(0, 2, size=(4, 3)), np.array([0, 2, 1, 2])
    before = logits.copy()
    mine.cross_entropy(logits, y)
    assert_matches(logits, before, what="the caller's logits after cross_entropy (max-shift done in place?)", atol=0)


def test_sgd_step_updates_the_parameter_arrays_in_place():
    # a ResidualBlock's params is a fresh dict of its inner layers' arrays: only an in-place update reaches them
    X, G = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    a, b = ([layers.ResidualBlock([layers.Dense(3, 3, seed=1)]), layers.Dense(3, 2, seed=2)] for _ in range(2))
    for model in (a, b):
        ref.forward(model, X)
        ref.backward(model, G)
    held = a[1].params["W"]
    mine.sgd_step(a, lr=0.1, momentum=0.9, state=None)
    ref.sgd_step(b, lr=0.1, momentum=0.9, state=None)
    assert_matches(a[0].params["0.W"], b[0].params["0.W"], rtol=1e-9,
                   what="a ResidualBlock's inner W after sgd_step (p -= lr * v in place, not a new array in the dict)")
    assert_matches(held, b[1].params["W"], rtol=1e-9,
                   what="the array that was params['W'] before sgd_step (updated in place?)")
