"""The comparison helper names the mistake and never prints the expected values."""
import numpy as np
import pytest

from grader.compare import Mismatch, assert_matches, assert_raises, diagnose

rng = np.random.default_rng(0)
E = rng.normal(size=(4, 3)).astype(np.float32)
SQUARE = rng.normal(size=(3, 3))


@pytest.mark.parametrize("got, expected, phrase, n", [
    (-E, E, "negative", None),
    (E.T.copy(), E, "transposed", None),
    (SQUARE.T.copy(), SQUARE, "transpose", None),
    (E * 4, E, "4 times", 4),
    (E / 4, E, "divided by 4", 4),
    (E * 2, E, "twice", None),
    (E + 0.5, E, "constant offset", None),
    (E * 3.7, E, "constant factor", None),
    (np.where(E > 0, np.nan, E), E, "NaN or inf", None),
    (np.broadcast_to(E.mean(axis=0, keepdims=True), E.shape).copy(), E, "axis 0", None),
])
def test_known_relations_are_named_without_values(got, expected, phrase, n):
    with pytest.raises(Mismatch) as info:
        assert_matches(got.astype(expected.dtype), expected, what="f(x)", n=n)
    message = str(info.value)
    assert phrase in message, message
    for value in expected.ravel()[:4]:
        assert f"{value:.4f}"[:6] not in message, f"message reveals an expected value: {message}"


def test_shape_dtype_none_and_type_errors():
    with pytest.raises(Mismatch, match="shape"):
        assert_matches(np.zeros(3), np.zeros(4))
    with pytest.raises(Mismatch, match="float64"):
        assert_matches(np.zeros(3), np.zeros(3, dtype=np.float32))
    with pytest.raises(Mismatch, match="returned None"):
        assert_matches(None, np.zeros(3))
    with pytest.raises(Mismatch, match="expected a number"):
        assert_matches("0.5", 0.5)
    with pytest.raises(Mismatch, match="entries differ"):
        assert_matches(np.array([1, 2, 4]), np.array([1, 2, 3]))


def test_matching_values_pass_and_unrelated_values_get_no_false_diagnosis():
    assert_matches(E + 1e-7, E, rtol=1e-5, atol=1e-6)
    with pytest.raises(Mismatch) as info:
        assert_matches(rng.normal(size=E.shape).astype(np.float32), E)
    assert "max |difference|" in str(info.value)
    assert diagnose(rng.normal(size=(5,)), rng.normal(size=(5,))) is None


def test_the_difference_reported_skips_nan_and_inf_that_agree():
    expected = np.array([np.nan, np.inf, 1.0, 2.0])
    with pytest.raises(Mismatch) as info:
        assert_matches(np.array([np.nan, np.inf, 1.0, 2.5]), expected)
    assert "max |difference| 0.5 at index (3,), 1 of 4" in str(info.value), info.value
    with pytest.raises(Mismatch) as info:
        assert_matches(np.array([0.0, np.inf, 1.0, 2.5]), expected)
    assert "max |difference| inf at index (0,)" in str(info.value), "a NaN missing is the worst difference"


def test_assert_raises_reports_what_happened_instead():
    assert isinstance(assert_raises(ValueError, int, "x"), ValueError)
    with pytest.raises(Mismatch, match="returned normally"):
        assert_raises(ValueError, int, "3")
    with pytest.raises(Mismatch, match="got TypeError"):
        assert_raises(ValueError, int, None)
