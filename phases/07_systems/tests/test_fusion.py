"""Visible tests for Exercise 7.1 (kernel fusion). Run: make phase7"""
import math

import numpy as np
from tinygrad import Tensor

from grader.target import exercise

fu = exercise("7.1")
rng = np.random.default_rng(7)
X = rng.normal(size=(16, 64)).astype(np.float32)                     # softmax and layer norm rows
W, B = rng.normal(size=64).astype(np.float32), rng.normal(size=64).astype(np.float32)
XM = rng.normal(size=(64, 32)).astype(np.float32)                    # the MLP: 32 -> 64 -> 32
MLP = [(rng.normal(size=s) * 0.2).astype(np.float32) for s in ((32, 64), (64,), (64, 32), (32,))]
Q, K = rng.normal(size=(2, 2, 32, 8)).astype(np.float32), rng.normal(size=(2, 2, 32, 8)).astype(np.float32)
CAUSAL = np.tril(np.ones((32, 32), bool))


def tensors(*arrays):
    return [Tensor(a) for a in arrays]


def gelu(h):
    return 0.5 * h * (1 + np.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h ** 3)))


def test_schedule_stats_counts_kernels_and_bytes():
    a = Tensor(X)
    stats = fu.schedule_stats(lambda a: (a + 1).contiguous() * 2, a)
    assert stats["kernels"] == 2                          # .contiguous() forces a second kernel
    assert stats["bytes"] == 4 * X.nbytes                 # each kernel reads 4 KiB and writes 4 KiB
    assert stats["flops"] == 2 * X.size                   # one add and one multiply per element
    assert fu.schedule_stats(lambda: Tensor([1.0, 2.0, 3.0]) * 2)["kernels"] == 1   # an upload is a copy


def test_softmax_keeps_the_max_shift():
    x = np.array([[0.0, 1.0], [1000.0, 1001.0]], np.float32)   # exp(1000) overflows float32
    e = math.e
    np.testing.assert_allclose(fu.softmax(Tensor(x)).numpy(), [[1 / (1 + e), e / (1 + e)]] * 2, rtol=1e-4)


def test_softmax_fits_its_budgets():
    fused = fu.schedule_stats(fu.softmax, Tensor(X))
    unfused = fu.schedule_stats(fu.softmax_unfused, Tensor(X))
    assert unfused["kernels"] == 5
    assert fused["kernels"] <= fu.KERNEL_BUDGETS["softmax"] == 3
    assert fused["bytes"] <= fu.TRAFFIC_RATIOS["softmax"] * unfused["bytes"]


def test_layer_norm_values_and_budgets():
    x = np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 5.0, 5.0, 5.0]], np.float32)
    got = fu.layer_norm(*tensors(x, np.ones(4, np.float32), np.full(4, 0.5, np.float32))).numpy()
    want = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5) + 0.5
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)          # a constant row gives b
    fused = fu.schedule_stats(fu.layer_norm, *tensors(X, W, B))
    unfused = fu.schedule_stats(fu.layer_norm_unfused, *tensors(X, W, B))
    assert fused["kernels"] <= fu.KERNEL_BUDGETS["layer_norm"] == 3 < unfused["kernels"] == 7
    assert fused["bytes"] <= fu.TRAFFIC_RATIOS["layer_norm"] * unfused["bytes"]


def test_gelu_mlp_values_and_budgets():
    got = fu.gelu_mlp(*tensors(XM, *MLP)).numpy()
    W1, b1, W2, b2 = MLP
    np.testing.assert_allclose(got, gelu(XM @ W1 + b1) @ W2 + b2, rtol=1e-4, atol=1e-5)
    assert fu.schedule_stats(fu.gelu_mlp, *tensors(XM, *MLP))["kernels"] <= fu.KERNEL_BUDGETS["gelu_mlp"] == 2


def test_attention_scores_values_and_budgets():
    got = fu.attention_scores(*tensors(Q, K), Tensor(CAUSAL)).numpy()
    s = np.where(CAUSAL, Q @ K.swapaxes(-1, -2) / math.sqrt(8), -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    np.testing.assert_allclose(got, p / p.sum(-1, keepdims=True), rtol=1e-4, atol=1e-6)
    assert got[0, 0, 0, 1] == 0.0 and got[0, 0, 0, 0] == 1.0          # the first query sees only key 0
    fused = fu.schedule_stats(fu.attention_scores, *tensors(Q, K), Tensor(CAUSAL))
    assert fused["kernels"] <= fu.KERNEL_BUDGETS["attention_scores"] == 4


def test_training_block_cuts_the_backward_flops():
    G = Tensor(rng.normal(size=(64, 32)).astype(np.float32))     # loss = sum(y * G), so dy = G

    def step(block):
        def run(x, W1, b1, W2, b2):
            loss = (block(x, W1, b1, W2, b2) * G).sum()
            return (loss, *loss.gradient(W1, b1, W2, b2))
        return run

    def plain_block(x, W1, b1, W2, b2):   # written here: your gelu_mlp may store its activation
        return (x @ W1 + b1).gelu() @ W2 + b2

    params = tensors(XM, *MLP)
    trained = fu.schedule_stats(step(fu.gelu_mlp_for_training), *params)
    plain = fu.schedule_stats(step(plain_block), *params)
    assert trained["flops"] <= fu.BACKWARD_FLOP_RATIO * plain["flops"]
