"""Visible tests for Exercise 4.4 (schedules and fusion). Run: make phase4"""
import numpy as np
import pytest
from tinygrad import Tensor

from grader.target import exercise

sch = exercise("4.4")
rng = np.random.default_rng(0)
A = Tensor(rng.random((16, 16), dtype=np.float32)).realize()
B = Tensor(rng.random((16, 16), dtype=np.float32)).realize()
W = Tensor(rng.random((16, 4), dtype=np.float32)).realize()


def test_elementwise_chain_is_one_kernel_and_values_survive():
    t = ((A + 1) * 2).relu()
    assert sch.kernel_count(t) == 1
    np.testing.assert_allclose(t.numpy(), np.maximum((A.numpy() + 1) * 2, 0), rtol=1e-6)   # the schedule was run


def test_contiguous_costs_a_kernel():
    assert sch.kernel_count((A + 1).contiguous() * 2) == 2


def test_kernel_sources_are_c_functions():
    srcs = sch.kernel_sources((A * 3).sum())
    assert len(srcs) == 1 and isinstance(srcs[0], str)
    assert "void" in srcs[0] and "for (" in srcs[0]          # the CPU backend renders C with a loop


@pytest.mark.parametrize("name", list(sch.expressions(A, B, W)))
def test_prediction(name):
    predicted = sch.predict_kernel_counts()
    assert name in predicted, "predict every expression"
    assert predicted[name] == sch.kernel_count(sch.expressions(A, B, W)[name]())


def test_standardize_rows_matches_and_fits_the_budget():
    X = rng.normal(size=(8, 12)).astype(np.float32)
    got = sch.standardize_rows(Tensor(X).realize())      # your code first: a stub fails before any graph is built
    assert sch.kernel_count(got) <= sch.FUSED_BUDGET
    centered = X - X.mean(axis=1, keepdims=True)
    want = centered / np.sqrt((centered ** 2).mean(axis=1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-4, atol=1e-5)
