"""Hidden checks for Exercise 3.3: every gradient of NeuralNetwork vs central differences (float64)."""
import numpy as np
import pytest

from grader.compare import assert_matches, assert_raises
from grader.numeric import numerical_gradient
from grader.target import exercise, reference

mine, ref = exercise("3.3"), reference("3.3")
rng = np.random.default_rng(33)


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_backward_vs_central_differences(activation):
    X, y = rng.normal(size=(5, 4)), rng.integers(0, 3, 5)
    net = mine.NeuralNetwork([4, 6, 5, 3], activation, seed=1)
    for b in net.biases:
        b += 0.1 * rng.normal(size=b.shape)
    net.forward(X)
    gW, gb = net.backward(y)
    for i in range(3):
        def loss_w(v, i=i):
            old, net.weights[i] = net.weights[i], v
            try:
                return net.loss(X, y)
            finally:
                net.weights[i] = old
        def loss_b(v, i=i):
            old, net.biases[i] = net.biases[i], v
            try:
                return net.loss(X, y)
            finally:
                net.biases[i] = old
        assert_matches(gW[i], numerical_gradient(loss_w, net.weights[i]), what=f"dL/dW{i} ({activation}, 5 examples)", rtol=1e-4, atol=1e-8, n=5)
        assert_matches(gb[i], numerical_gradient(loss_b, net.biases[i]), what=f"dL/db{i} ({activation}, 5 examples)", rtol=1e-4, atol=1e-8, n=5)


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_init_forward_and_loss_match_reference(activation):
    sizes = [7, 9, 4]
    a, b = mine.NeuralNetwork(sizes, activation, seed=5), ref.NeuralNetwork(sizes, activation, seed=5)
    for i in range(2):
        assert_matches(a.weights[i], b.weights[i], what=f"initial weights[{i}] ({activation}, seed 5)", rtol=1e-12)
        assert_matches(a.biases[i], b.biases[i], what=f"initial biases[{i}]")
    X, y = rng.normal(size=(6, 7)), rng.integers(0, 4, 6)
    assert_matches(a.forward(X), b.forward(X), what=f"forward ({activation})", rtol=1e-10)
    assert_matches(a.loss(X, y), b.loss(X, y), what=f"loss ({activation})", rtol=1e-10)
    assert_matches(a.predict(X), b.predict(X), what="predict")


def test_loss_is_stable_for_huge_logits():
    net = mine.NeuralNetwork([2, 3], "relu", seed=0)
    net.weights[0][:] = [[800.0, -800.0, 0.0], [0.0, 0.0, 0.0]]
    with np.errstate(all="ignore"):
        got = net.loss(np.array([[1.0, 0.0]]), np.array([1]))
    assert_matches(got, 1600.0, what="loss for logits (800, -800, 0) with label 1", rtol=1e-9)


def test_train_matches_reference():
    X, y = rng.normal(size=(37, 3)), rng.integers(0, 2, 37)
    a, b = mine.NeuralNetwork([3, 5, 2], "tanh", seed=2), ref.NeuralNetwork([3, 5, 2], "tanh", seed=2)
    la = a.train(X, y, epochs=3, lr=0.2, batch_size=8, seed=4)
    lb = b.train(X, y, epochs=3, lr=0.2, batch_size=8, seed=4)
    assert_matches(np.asarray(la, dtype=np.float64), np.asarray(lb), what="per-epoch losses of train(37 examples, batch 8)", rtol=1e-8)
    assert_matches(a.weights[0], b.weights[0], what="weights[0] after training", rtol=1e-8, atol=1e-12)


def test_parameter_count_and_errors():
    for sizes in ([3, 1], [10, 20, 30, 5], [784, 512, 256, 128, 10]):
        assert_matches(mine.NeuralNetwork(sizes, "relu").parameter_count(), ref.NeuralNetwork(sizes, "relu").parameter_count(), what=f"parameter_count for {sizes}")
    assert_raises(ValueError, mine.NeuralNetwork, [5], "relu", what="NeuralNetwork with one layer size")
    assert_raises(ValueError, mine.NeuralNetwork, [3, 2], "gelu",
                  what="NeuralNetwork with an unknown activation 'gelu'")
    assert_raises(RuntimeError, mine.NeuralNetwork([2, 2], "relu").backward, np.array([0]), what="backward before forward")


def test_backward_is_stable_for_huge_logits():
    a, b = mine.NeuralNetwork([2, 3], "relu", seed=0), ref.NeuralNetwork([2, 3], "relu", seed=0)
    for net in (a, b):
        net.weights[0][:] = [[800.0, -800.0, 0.0], [0.0, 0.0, 0.0]]
    X, y = np.array([[1.0, 0.0], [0.5, 1.0]]), np.array([1, 0])
    with np.errstate(all="ignore"):
        a.forward(X)
        got = a.backward(y)
    b.forward(X)
    want = b.backward(y)
    assert_matches(got[0][0], want[0][0], what="dL/dW0 for logits of size 800 (softmax needs the max-shift)", rtol=1e-9, atol=1e-12, n=2)


def test_max_shift_is_per_row_when_rows_differ_in_scale():
    # one max over the whole batch underflows every exp of a row whose logits are all far below it (0/0, log 0)
    a, b = mine.NeuralNetwork([2, 3], "relu", seed=0), ref.NeuralNetwork([2, 3], "relu", seed=0)
    for net in (a, b):
        net.weights[0][:] = [[800.0, -800.0, 0.0], [0.0, 0.0, 0.0]]
    X, y = np.array([[1.0, 0.0], [0.0, 1.0], [0.001, 0.0]]), np.array([0, 2, 1])
    with np.errstate(all="ignore"):
        got = a.loss(X, y)
        a.forward(X)
        got_grads = a.backward(y)
    assert_matches(got, b.loss(X, y), rtol=1e-9,
                   what="loss of a batch with logits near 800 in one row and near 0 in others (max-shift per row?)")
    b.forward(X)
    want_grads = b.backward(y)
    assert_matches(got_grads[0][0], want_grads[0][0], rtol=1e-9, atol=1e-12, n=3,
                   what="dL/dW0 for a batch mixing logits near 800 and near 0 (max-shift per row, not per batch?)")


def test_relu_derivative_at_exactly_zero():
    # an all-zero input row with zero biases puts every first-layer pre-activation at exactly 0
    a, b = mine.NeuralNetwork([3, 4, 2], "relu", seed=6), ref.NeuralNetwork([3, 4, 2], "relu", seed=6)
    X, y = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 0.5]]), np.array([1, 0])
    a.forward(X)
    b.forward(X)
    (_, gb_a), (_, gb_b) = a.backward(y), b.backward(y)
    assert_matches(gb_a[0], gb_b[0], what="dL/db0 where pre-activations are exactly 0 (documented: relu' = 0 there)", rtol=1e-9, atol=1e-15, n=2)


def test_backward_uses_the_last_forward_and_training_twice_continues():
    a, b = mine.NeuralNetwork([3, 5, 2], "sigmoid", seed=7), ref.NeuralNetwork([3, 5, 2], "sigmoid", seed=7)
    X1, X2, y2 = rng.normal(size=(4, 3)), rng.normal(size=(6, 3)), rng.integers(0, 2, 6)
    a.forward(X1)
    a.forward(X2)
    b.forward(X2)
    assert_matches(a.backward(y2)[0][0], b.backward(y2)[0][0], what="dL/dW0 after forward(X1) then forward(X2) (the last pass counts)", rtol=1e-9, n=6)
    X, y = rng.normal(size=(20, 3)), rng.integers(0, 2, 20)
    a = mine.NeuralNetwork([3, 5, 2], "sigmoid", seed=7)
    got = list(a.train(X, y, epochs=1, lr=0.3, batch_size=6, seed=1)) + list(a.train(X, y, epochs=1, lr=0.3, batch_size=6, seed=2))
    b = ref.NeuralNetwork([3, 5, 2], "sigmoid", seed=7)
    want = list(b.train(X, y, epochs=1, lr=0.3, batch_size=6, seed=1)) + list(b.train(X, y, epochs=1, lr=0.3, batch_size=6, seed=2))
    assert_matches(np.asarray(got, dtype=np.float64), np.asarray(want), what="losses of two successive train() calls on one network (the second continues)", rtol=1e-8)


def test_backward_leaves_the_forward_logits_alone_and_can_be_repeated():
    # the max-shift of the softmax must work on a copy: the cached last-layer output is what forward returned
    net = mine.NeuralNetwork([3, 4, 3], "tanh", seed=8)
    X, y = rng.normal(size=(5, 3)), rng.integers(0, 3, 5)
    logits = net.forward(X)
    before = np.array(logits, dtype=np.float64, copy=True)
    first = net.backward(y)
    assert_matches(np.asarray(logits, dtype=np.float64), before, atol=0,
                   what="the logits forward returned, after backward (shifted in place by the softmax?)")
    second = net.backward(y)
    for i in range(2):
        assert_matches(second[0][i], first[0][i], rtol=1e-12,
                       what=f"dL/dW{i} from a second backward after the same forward")
