"""Visible tests for Exercise 5.5 (Seq2Seq on the reversal task). Run: make phase5"""
import math

import numpy as np
import pytest
from tinygrad import Tensor

from grader.target import exercise

s2s = exercise("5.5")


def test_make_batch_reverses_and_shifts():
    source, decoder_input, target = s2s.make_batch(4, 5, np.random.default_rng(0))
    assert source.shape == decoder_input.shape == target.shape == (4, 5)
    assert source.dtype == decoder_input.dtype == target.dtype == np.int32
    assert source.min() >= 0 and source.max() <= 9
    # e.g. source 3 1 4 1 5 -> target 5 1 4 1 3 -> decoder input BOS 5 1 4 1
    np.testing.assert_array_equal(target, source[:, ::-1])
    assert (decoder_input[:, 0] == s2s.BOS).all()
    np.testing.assert_array_equal(decoder_input[:, 1:], target[:, :-1])


def test_loss_of_uniform_logits_is_log_vocab():
    logits = Tensor.zeros(2, 3, s2s.VOCAB)
    target = Tensor(np.array([[0, 1, 2], [0, 0, 9]], np.int32))      # digit 0 is a token like any other
    assert s2s.sequence_loss(logits, target).item() == pytest.approx(math.log(s2s.VOCAB), rel=1e-6)


def _model():
    Tensor.manual_seed(0)
    return s2s.Seq2Seq(s2s.VOCAB, embed=4, hidden=5)


SOURCE = np.array([[3, 1, 4], [2, 7, 1]], np.int32)


def test_teacher_forced_logits_shape():
    model = _model()
    _, decoder_input, _ = s2s.make_batch(2, 3, np.random.default_rng(1))
    logits = model(Tensor(SOURCE), Tensor(decoder_input))
    assert logits.shape == (2, 3, s2s.VOCAB)                          # (N, L, vocab)
    assert logits.numpy().dtype == np.float32


def test_greedy_is_the_fixed_point_of_teacher_forcing():
    # fed its own greedy answer (after BOS), the teacher-forced model predicts that answer again
    model = _model()
    tokens = model.greedy(Tensor(SOURCE), 3).numpy()
    assert tokens.shape == (2, 3) and tokens.dtype == np.int32
    feed = np.concatenate([np.full((2, 1), s2s.BOS, np.int32), tokens[:, :-1]], axis=1)
    again = model(Tensor(SOURCE), Tensor(feed)).numpy().argmax(-1)
    np.testing.assert_array_equal(again, tokens)
