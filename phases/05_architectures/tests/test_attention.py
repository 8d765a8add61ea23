"""Visible tests for Exercise 5.6 (attention). Run: make phase5"""
import math

import numpy as np
import pytest
from tinygrad import Tensor

from grader.target import exercise

att = exercise("5.6")

# one value matrix for the attention tests: 3 keys, d_v = 2
V = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=np.float32)


def attend(q, k, mask=None):
    mask = None if mask is None else Tensor(np.array(mask, dtype=bool))
    return att.scaled_dot_product_attention(Tensor(np.float32(q)), Tensor(np.float32(k)), Tensor(V), mask).numpy()


def test_causal_mask_is_the_lower_triangle_with_its_diagonal():
    assert att.causal_mask(3).numpy().tolist() == [[True, False, False],
                                                   [True, True, False],
                                                   [True, True, True]]


def test_padding_mask_marks_the_real_tokens():
    mask = att.padding_mask([2, 3, 0], 3)
    assert mask.shape == (3, 1, 3)
    assert mask.numpy()[:, 0].tolist() == [[True, True, False],
                                           [True, True, True],
                                           [False, False, False]]


def test_equal_scores_give_the_plain_average_of_the_values():
    k = np.arange(12).reshape(3, 4)
    out = attend(np.zeros((2, 4)), k)           # q = 0: every score is 0, every weight 1/3
    np.testing.assert_allclose(out, [[3.0, 4.0], [3.0, 4.0]], rtol=1e-6)


def test_scores_are_divided_by_sqrt_d():
    q = [[2.0, 0.0, 0.0, 0.0]]
    k = [[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]
    # scores q.k / sqrt(4) = [1, 0, 0]; weights [e, 1, 1] / (e + 2)
    w = np.array([math.e, 1.0, 1.0]) / (math.e + 2)
    np.testing.assert_allclose(attend(q, k), [w @ V], rtol=1e-5)


def test_a_masked_key_gets_no_weight():
    out = attend(np.zeros((1, 4)), np.zeros((3, 4)), mask=[[True, False, True]])
    np.testing.assert_allclose(out, [[3.0, 4.0]], rtol=1e-6)      # mean of values 0 and 2


def test_causal_attention_first_query_sees_only_the_first_key():
    out = attend(np.ones((3, 4)), np.ones((3, 4)), mask=att.causal_mask(3).numpy())
    np.testing.assert_allclose(out, [[1.0, 2.0], [2.0, 3.0], [3.0, 4.0]], rtol=1e-6)


def test_a_fully_masked_row_outputs_zeros_not_nan():
    out = attend(np.ones((2, 4)), np.ones((3, 4)), mask=[[False, False, False], [True, True, True]])
    np.testing.assert_array_equal(out[0], [0.0, 0.0])
    np.testing.assert_allclose(out[1], [3.0, 4.0], rtol=1e-6)


def test_huge_scores_stay_finite():
    q = [[200.0, 0.0, 0.0, 0.0]]
    k = [[100.0, 0.0, 0.0, 0.0], [99.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]
    # scores 10000, 9900, 0: exp(10000) overflows unless the row maximum is subtracted first
    np.testing.assert_allclose(attend(q, k), [[1.0, 2.0]], rtol=1e-6)


def test_split_heads_gives_each_head_its_own_columns():
    mha = att.MultiHeadAttention(4, 2)
    x = np.arange(8, dtype=np.float32).reshape(1, 2, 4)    # 1 sequence, 2 positions, d_model 4
    heads = mha.split_heads(Tensor(x)).numpy()
    assert heads.shape == (1, 2, 2, 2)                     # (N, H, T, d_head)
    assert heads[0, 0].tolist() == [[0, 1], [4, 5]]         # head 0: columns 0-1 of both positions
    assert heads[0, 1].tolist() == [[2, 3], [6, 7]]         # head 1: columns 2-3
    np.testing.assert_array_equal(mha.merge_heads(Tensor(heads)).numpy(), x)


def test_multi_head_attention_shapes_and_bad_head_count():
    mha = att.MultiHeadAttention(8, 2)
    assert mha.q_proj.weight.shape == (8, 8) and mha.out_proj.weight.shape == (8, 8)
    out = mha(Tensor.ones(2, 5, 8), att.causal_mask(5))
    assert out.shape == (2, 5, 8)
    with pytest.raises(ValueError):
        att.MultiHeadAttention(8, 3)


def test_sinusoidal_positions_first_rows():
    table = att.sinusoidal_positions(2, 4).numpy()
    # row p: [sin(p), cos(p), sin(p / 100), cos(p / 100)]  (10000^(2/4) = 100)
    np.testing.assert_allclose(table, [[0.0, 1.0, 0.0, 1.0],
                                       [math.sin(1), math.cos(1), math.sin(0.01), math.cos(0.01)]], atol=1e-6)


def test_learned_positions_add_one_row_per_position():
    Tensor.manual_seed(0)
    pos = att.LearnedPositions(16, 8)
    w = pos.weight.numpy()
    assert w.shape == (16, 8) and 0.01 < w.std() < 0.03
    np.testing.assert_allclose(pos(Tensor.zeros(2, 5, 8)).numpy(), np.stack([w[:5], w[:5]]), rtol=1e-6)
    with pytest.raises(ValueError):
        pos(Tensor.zeros(1, 17, 8))


def test_block_with_silent_branches_is_the_identity():
    block = att.TransformerBlock(8, 2, 16)
    for layer in (block.attn.q_proj, block.attn.k_proj, block.attn.v_proj, block.fc1):
        layer.weight = Tensor(np.full(layer.weight.shape, 0.1, np.float32))
        layer.bias = Tensor(np.full(layer.bias.shape, 0.1, np.float32))
    for layer in (block.attn.out_proj, block.fc2):          # both residual branches now output 0
        layer.weight = Tensor(np.zeros(layer.weight.shape, np.float32))
        layer.bias = Tensor(np.zeros(layer.bias.shape, np.float32))
    x = np.linspace(-1, 1, 80, dtype=np.float32).reshape(2, 5, 8)
    np.testing.assert_allclose(block(Tensor(x), att.causal_mask(5)).numpy(), x, rtol=1e-6)
