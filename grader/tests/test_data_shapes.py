"""The generated shapes-on-noise segmentation set (grader/data/shapes.py)."""
import numpy as np
import pytest

from grader.data.shapes import CLASSES, N_CLASSES, shapes_on_noise


def test_arrays_are_deterministic_and_a_prefix_does_not_depend_on_n():
    X, y = shapes_on_noise(50, size=32, seed=3)
    assert X.shape == (50, 1, 32, 32) and X.dtype == np.float32
    assert y.shape == (50, 32, 32) and y.dtype == np.int64
    X2, y2 = shapes_on_noise(50, size=32, seed=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, y3 = shapes_on_noise(7, size=32, seed=3)
    np.testing.assert_array_equal(X[:7], X3)
    np.testing.assert_array_equal(y[:7], y3)
    assert not np.array_equal(y, shapes_on_noise(50, size=32, seed=4)[1])


def test_every_class_occurs_and_each_image_holds_a_shape():
    X, y = shapes_on_noise(300, size=48, seed=0)
    assert N_CLASSES == len(CLASSES) == 4
    assert set(np.unique(y)) == set(range(N_CLASSES))
    assert ((y > 0).sum(axis=(1, 2)) >= 36).all()          # the smallest shape (r = 6) has >= 36 pixels
    assert y[:, [0, -1], :].max() == 0 and y[:, :, [0, -1]].max() == 0   # shapes lie inside the image


def test_labels_follow_the_painted_pixels():
    X, y = shapes_on_noise(200, size=32, seed=1, noise=0.0)
    assert (X[:, 0][y == 0] == 0).all()                     # background is 0 without noise
    assert (X[:, 0][y > 0] >= 0.4).all() and (X <= 1.0).all()
    noisy = shapes_on_noise(200, size=32, seed=1, noise=0.1)
    np.testing.assert_array_equal(noisy[1], y)              # noise changes the pixels, not the labels
    assert 0.05 < np.std(noisy[0] - X) < 0.15


@pytest.mark.parametrize("bad", [dict(n=0), dict(n=3, size=8), dict(n=3, max_shapes=0), dict(n=3, noise=-1.0)])
def test_bad_arguments_raise(bad):
    with pytest.raises(ValueError):
        shapes_on_noise(**bad)
