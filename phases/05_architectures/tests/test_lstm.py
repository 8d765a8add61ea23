"""Visible tests for Exercise 5.4 (LSTMCell and LSTM). Run: make phase5"""
import math

import numpy as np
from tinygrad import Tensor

from grader.target import exercise

lstm = exercise("5.4")


def test_parameter_layout_and_forget_bias():
    cell = lstm.LSTMCell(3, 2)
    assert cell.weight_ih.shape == (8, 3)          # (4H, D): rows i, f, g, o
    assert cell.weight_hh.shape == (8, 2)          # (4H, H)
    assert (np.abs(cell.weight_ih.numpy()) <= 1 / math.sqrt(2)).all()
    bias = cell.bias_ih.numpy() + cell.bias_hh.numpy()
    assert bias.tolist() == [0, 0, 1, 1, 0, 0, 0, 0]   # only the forget gate starts at 1
    assert len(cell.parameters()) == 4
    no_bias = lstm.LSTMCell(3, 2, bias=False)
    assert no_bias.bias_ih is None and len(no_bias.parameters()) == 2


def _zero_weights(cell):
    cell.weight_ih.assign(Tensor.zeros(*cell.weight_ih.shape)).realize()
    cell.weight_hh.assign(Tensor.zeros(*cell.weight_hh.shape)).realize()


def test_one_step_by_hand():
    # zero weights: every gate sees only its bias, i = o = sigmoid(0) = 0.5, f = sigmoid(1), g = tanh(0) = 0
    cell = lstm.LSTMCell(3, 2)
    _zero_weights(cell)
    x = Tensor(np.ones((1, 3), np.float32))
    h, c = cell(x, (Tensor([[0.5, -1.0]]), Tensor([[2.0, -4.0]])))
    f = 1 / (1 + math.exp(-1))
    np.testing.assert_allclose(c.numpy(), [[2 * f, -4 * f]], rtol=1e-5)              # c' = f c + i g
    np.testing.assert_allclose(h.numpy(), [[0.5 * math.tanh(2 * f), 0.5 * math.tanh(-4 * f)]], rtol=1e-5)


def test_no_state_means_zero_state():
    Tensor.manual_seed(0)
    cell = lstm.LSTMCell(3, 2)
    x = Tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3))
    h, c = cell(x)
    h0, c0 = cell(x, (Tensor.zeros(2, 2), Tensor.zeros(2, 2)))
    np.testing.assert_allclose(h.numpy(), h0.numpy(), rtol=1e-6)
    np.testing.assert_allclose(c.numpy(), c0.numpy(), rtol=1e-6)


def test_lstm_is_the_cell_applied_step_by_step():
    Tensor.manual_seed(1)
    model = lstm.LSTM(3, 2)
    xs = np.linspace(-1, 1, 12, dtype=np.float32).reshape(2, 2, 3)     # T=2, N=2, D=3
    hs, (h, c) = model(Tensor(xs))
    assert hs.shape == (2, 2, 2) and h.shape == (2, 2) and c.shape == (2, 2)
    h1, c1 = model.cell(Tensor(xs[0]))
    h2, c2 = model.cell(Tensor(xs[1]), (h1, c1))                       # step 2 starts from step 1
    np.testing.assert_allclose(hs.numpy(), np.stack([h1.numpy(), h2.numpy()]), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h.numpy(), h2.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c.numpy(), c2.numpy(), rtol=1e-5, atol=1e-6)
