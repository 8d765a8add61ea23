"""Visible tests for Exercise 6.4 (pruning and distillation). Run: make phase6"""
import numpy as np
from tinygrad import Tensor
from tinygrad.nn.optim import Adam

from grader.target import exercise

comp = exercise("6.4")


class TwoLayers:
    """x @ w1 + b1 -> ReLU -> @ w2 + b2, with the weights given as arrays."""

    def __init__(self, w1, w2):
        self.w1, self.w2 = Tensor(np.array(w1, np.float32)), Tensor(np.array(w2, np.float32))
        self.b1, self.b2 = Tensor(np.full(2, 0.5, np.float32)), Tensor(np.full(2, 0.5, np.float32))

    def __call__(self, x):
        return (x @ self.w1 + self.b1).relu() @ self.w2 + self.b2


def small_and_large():
    return TwoLayers([[0.1, -0.2], [0.3, 0.4]], [[1.0, -2.0], [3.0, 4.0]])


def test_prunable_skips_biases():
    assert list(comp.prunable(small_and_large())) == ["w1", "w2"]


def test_global_threshold_prunes_the_small_layer_first():
    masks = comp.magnitude_masks(small_and_large(), 0.5, scope="global")
    np.testing.assert_array_equal(masks["w1"].numpy(), [[0, 0], [0, 0]])   # all four smallest are here
    np.testing.assert_array_equal(masks["w2"].numpy(), [[1, 1], [1, 1]])


def test_per_layer_prunes_the_same_fraction_of_every_layer():
    masks = comp.magnitude_masks(small_and_large(), 0.5, scope="layer")
    np.testing.assert_array_equal(masks["w1"].numpy(), [[0, 0], [1, 1]])
    np.testing.assert_array_equal(masks["w2"].numpy(), [[0, 0], [1, 1]])


def test_ties_are_broken_by_position_so_the_count_is_exact():
    model = TwoLayers([[1.0, -1.0], [1.0, 1.0]], [[1.0, 1.0], [-1.0, 1.0]])
    masks = comp.magnitude_masks(model, 0.25, scope="global")            # 8 weights, 2 pruned
    np.testing.assert_array_equal(masks["w1"].numpy(), [[0, 0], [1, 1]])
    np.testing.assert_array_equal(masks["w2"].numpy(), [[1, 1], [1, 1]])


def test_apply_masks_zeroes_weights_but_never_biases():
    model = small_and_large()
    comp.apply_masks(model, comp.magnitude_masks(model, 0.75, scope="global"))
    np.testing.assert_allclose(model.w2.numpy(), [[0.0, 0.0], [3.0, 4.0]])
    assert comp.sparsity(model) == 0.75
    np.testing.assert_array_equal(model.b1.numpy(), [0.5, 0.5])


def test_structured_mask_removes_whole_rows_by_l2_norm():
    w = Tensor(np.array([[3.0, 4.0], [0.1, 0.0], [1.0, 1.0]], np.float32))   # row norms 5, 0.1, 1.41
    np.testing.assert_array_equal(comp.structured_mask(w, 1 / 3, axis=0).numpy(), [[1, 1], [0, 0], [1, 1]])
    # axis=1: the two columns, norms 3.17 and 4.12
    np.testing.assert_array_equal(comp.structured_mask(w, 0.5, axis=1).numpy(), [[0, 1], [0, 1], [0, 1]])


def test_cubic_schedule_rises_fast_then_flattens():
    at = [comp.gradual_sparsity(t, final=0.8, start=100, end=200) for t in (0, 100, 150, 200, 300)]
    np.testing.assert_allclose(at, [0.0, 0.0, 0.8 * (1 - 0.5 ** 3), 0.8, 0.8])


def test_masked_step_keeps_pruned_weights_at_zero_under_adam():
    model = small_and_large()
    masks = comp.magnitude_masks(model, 0.5, scope="layer")
    comp.apply_masks(model, masks)
    step = comp.make_masked_train_step(model, Adam([model.w1, model.b1, model.w2, model.b2], lr=0.1), masks)
    x, y = Tensor(np.array([[1.0, 2.0], [2.0, -1.0]], np.float32)), Tensor(np.array([0, 1], np.int32))
    for _ in range(4):
        step(x, y)
    assert (model.w1.numpy()[0] == 0).all() and (model.w2.numpy()[0] == 0).all()
    assert not np.allclose(model.w2.numpy()[1], [3.0, 4.0])              # the kept weights did train


def test_distillation_kl_term_with_temperature_squared():
    student = Tensor(np.zeros((1, 2), np.float32))                        # p_s = (0.5, 0.5)
    labels = Tensor(np.array([1], np.int32))
    kl = 0.25 * np.log(0.25 / 0.5) + 0.75 * np.log(0.75 / 0.5)
    teacher = Tensor(np.array([[0.0, np.log(3.0)]], np.float32))         # p_t = (0.25, 0.75) at T=1
    got = comp.distillation_loss(student, teacher, labels, temperature=1.0, alpha=1.0).item()
    np.testing.assert_allclose(got, kl, rtol=1e-5)
    teacher = Tensor(np.array([[0.0, 2 * np.log(3.0)]], np.float32))     # the same p_t at T=2
    got = comp.distillation_loss(student, teacher, labels, temperature=2.0, alpha=1.0).item()
    np.testing.assert_allclose(got, 4 * kl, rtol=1e-5)                    # times T^2 = 4


def test_distillation_with_alpha_zero_is_cross_entropy():
    student = Tensor(np.zeros((1, 2), np.float32))
    teacher = Tensor(np.array([[5.0, -5.0]], np.float32))
    got = comp.distillation_loss(student, teacher, Tensor(np.array([1], np.int32)), temperature=3.0, alpha=0.0)
    np.testing.assert_allclose(got.item(), np.log(2.0), rtol=1e-5)
