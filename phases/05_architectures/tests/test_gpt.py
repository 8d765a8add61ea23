"""Visible tests for Exercise 5.7 (a character-level GPT). Run: make phase5"""
import math

import numpy as np
import pytest
from tinygrad import Tensor

from grader.target import exercise

gpt = exercise("5.7")


def test_tokenizer_sorted_vocabulary_and_round_trip():
    tok = gpt.CharTokenizer("hello world")
    assert tok.chars == [" ", "d", "e", "h", "l", "o", "r", "w"]    # sorted by code point
    assert tok.vocab_size == 8
    assert tok.encode("hold") == [3, 5, 4, 1]
    assert tok.decode([3, 5, 4, 1]) == "hold"
    with pytest.raises(ValueError):
        tok.encode("help")                                          # 'p' is not in the text


def test_get_batch_targets_are_the_next_tokens():
    data = np.arange(100, 110)                                      # 10 tokens: 100, 101, ..., 109
    x, y = gpt.get_batch(data, 4, 3, np.random.default_rng(0))
    assert x.shape == y.shape == (3, 4)
    for row_x, row_y in zip(x, y):
        start = row_x[0] - 100
        assert 0 <= start <= 10 - 4 - 1                             # the last window ends at 108 -> 109
        assert row_x.tolist() == list(range(100 + start, 104 + start))
        assert row_y.tolist() == (row_x + 1).tolist()               # shifted by exactly one


def test_sample_next_greedy_and_top_k():
    logits = np.array([0.5, 3.0, -1.0, 2.5, 0.0], dtype=np.float32)
    assert gpt.sample_next(logits, 0, None, np.random.default_rng(0)) == 1       # temperature 0: argmax
    rng = np.random.default_rng(1)
    draws = {gpt.sample_next(logits, 1.0, 2, rng) for _ in range(100)}
    assert draws == {1, 3}                                          # only the two largest logits


def test_gpt_logits_shape_and_loss_at_init():
    Tensor.manual_seed(0)
    model = gpt.GPT(vocab_size=5, context=4, d_model=8, n_heads=2, n_layers=1)
    logits = model(Tensor(np.array([[0, 1, 2, 3]], dtype=np.int32)))
    assert logits.shape == (1, 4, 5)                                # (N, T, V)
    z = logits.numpy()[0]
    loss_per_target = np.log(np.exp(z).sum(-1, keepdims=True)) - z  # -log p(target) for every target
    assert loss_per_target.mean() == pytest.approx(math.log(5), abs=0.02)   # std 0.02: logits near 0


def test_generate_with_cache_equals_without():
    Tensor.manual_seed(0)
    model = gpt.GPT(vocab_size=5, context=4, d_model=8, n_heads=2, n_layers=1)
    for p in model.parameters():                    # larger weight matrices: a peaked distribution
        if p.ndim == 2:
            p.assign(p * 25).realize()
    cached = gpt.generate(model, [1, 2], 6, temperature=1.0, seed=3)          # 2 + 6 > context 4
    plain = gpt.generate(model, [1, 2], 6, temperature=1.0, seed=3, use_cache=False)
    assert len(cached) == 6 and cached == plain
