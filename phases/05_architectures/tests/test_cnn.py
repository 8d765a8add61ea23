"""Visible tests for Exercise 5.2 (MnistCNN). Run: make phase5"""
import numpy as np
from tinygrad import Context, Tensor, nn
from tinygrad.nn.optim import Adam

from grader.target import exercise

cnn = exercise("5.2")


def _set(t: Tensor, value) -> None:
    t.assign(Tensor(np.asarray(value, np.float32).reshape(t.shape))).realize()


def _images(n: int = 4) -> np.ndarray:      # one batch shape everywhere: its kernels compile once
    return np.random.default_rng(0).random((n, 1, 28, 28), dtype=np.float32)


def test_layer_shapes():
    model = cnn.MnistCNN((4, 6), dropout=0.5)
    assert model.conv1.weight.shape == (4, 1, 5, 5)
    assert model.conv2.weight.shape == (6, 4, 5, 5)
    assert model.fc.weight.shape == (10, 6 * 4 * 4)      # 28 -conv-> 24 -pool-> 12 -conv-> 8 -pool-> 4
    assert model.bn1.running_mean.shape == (4,) and model.bn2.running_var.shape == (6,)
    assert model(Tensor(_images())).shape == (4, 10)


def test_inference_is_deterministic_and_leaves_batchnorm_alone():
    Tensor.manual_seed(1)
    model = cnn.MnistCNN((4, 6), dropout=0.5)
    x = Tensor(_images())
    a, b = model(x).numpy(), model(x).numpy()            # dropout off outside TRAINING
    np.testing.assert_array_equal(a, b)
    assert (model.bn1.running_mean.numpy() == 0).all()   # running statistics untouched


def test_dropout_scales_the_survivors_in_training():
    model = cnn.MnistCNN((4, 6), dropout=0.5)
    # conv2 outputs 0 everywhere, bn2 then outputs its bias 1: every one of the 96 features is 1
    for t, v in [(model.conv2.weight, 0.0), (model.conv2.bias, 0.0), (model.bn2.bias, 1.0), (model.fc.bias, 0.0)]:
        _set(t, np.full(t.shape, v))
    _set(model.fc.weight, np.ones((10, 96)))             # every logit is the sum of the 96 features
    x = Tensor(_images())
    assert np.allclose(model(x).numpy(), 96.0)           # inference: no dropout
    with Context(TRAINING=1):
        sums = model(x).numpy()
    kept = sums * (1 - 0.5)                              # survivors are scaled by 1 / (1 - p) = 2
    assert np.allclose(kept, np.round(kept), atol=1e-3)
    assert not np.allclose(sums, 96.0)                   # some features were dropped


def test_train_step_lowers_the_loss_of_its_batch():
    Tensor.manual_seed(2)
    model = cnn.MnistCNN((4, 6), dropout=0.0)
    step = cnn.make_train_step(model, Adam(nn.state.get_parameters(model), lr=0.01))
    x, y = Tensor(_images()), Tensor(np.array([0, 1, 2, 1], dtype=np.int32))
    before = step(x, y).item()                           # the loss before the update
    with Context(TRAINING=1):
        after = model(x).sparse_categorical_crossentropy(y).item()
    assert after < before
    assert not (model.bn1.running_mean.numpy() == 0).all()   # training updated the running statistics


def test_evaluate_counts_every_row_of_a_partial_last_batch():
    model = cnn.MnistCNN((4, 6), dropout=0.5)
    _set(model.fc.weight, np.zeros((10, 96)))
    _set(model.fc.bias, np.eye(10)[3])                   # always predicts 3
    y = np.array([3, 3, 1, 3, 0, 3, 3])                 # batches of 4 and 3 rows
    assert cnn.evaluate(model, _images(7), y, batch_size=4) == 5 / 7


def test_confusion_matrix_rows_are_true_classes():
    cm = cnn.confusion_matrix(np.array([0, 1, 1, 2]), np.array([0, 2, 1, 2]), n_classes=4)
    assert cm.dtype == np.int64
    np.testing.assert_array_equal(cm, [[1, 0, 0, 0],
                                       [0, 1, 1, 0],
                                       [0, 0, 1, 0],
                                       [0, 0, 0, 0]])


def test_normalize_filters_per_filter_and_constant_filter():
    w = np.array([[[0.0, 1.0], [2.0, 4.0]],
                  [[-1.0, -1.0], [-1.0, -1.0]],
                  [[10.0, 20.0], [30.0, 50.0]]])
    np.testing.assert_allclose(cnn.normalize_filters(w), [[[0.0, 0.25], [0.5, 1.0]],
                                                          [[0.0, 0.0], [0.0, 0.0]],
                                                          [[0.0, 0.25], [0.5, 1.0]]])


def test_first_layer_filters_are_images_in_unit_range():
    model = cnn.MnistCNN((4, 6))
    f = cnn.first_layer_filters(model)
    assert f.shape == (4, 5, 5) and f.dtype == np.float32
    assert np.allclose(f.min(axis=(1, 2)), 0.0) and np.allclose(f.max(axis=(1, 2)), 1.0)
