"""Hidden checks for Exercise 2.3: optimisers, learner vs reference over several steps."""
import numpy as np
import pytest

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.target import exercise, reference

mine, ref = exercise("2.3"), reference("2.3")
CONFIGS = {
    "GradientDescent(lr=0.05)": lambda m: m.GradientDescent(lr=0.05),
    "Momentum(lr=0.02, beta=0.8)": lambda m: m.Momentum(lr=0.02, beta=0.8),
    "Adam(lr=0.01)": lambda m: m.Adam(lr=0.01),
    "Adam(lr=0.1, beta1=0.5, beta2=0.9, eps=1e-6)": lambda m: m.Adam(lr=0.1, beta1=0.5, beta2=0.9, eps=1e-6),
}


def _trajectory(module, make, steps):
    rng = np.random.default_rng(23)
    params = [rng.normal(size=(3, 2)), rng.normal(size=4)]
    held = list(params)
    opt, path = make(module), []
    for t in range(steps):
        grads = [2 * p + np.sin(t + p) for p in params]  # a gradient that depends on the current values
        opt.step(params, grads)
        for a, b in zip(params, held):
            if a is not b:
                raise Mismatch("step replaced the arrays in the params list instead of updating them in place")
        path.append([p.copy() for p in params])
    return path


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_trajectory_matches_reference(name):
    got, exp = _trajectory(mine, CONFIGS[name], 12), _trajectory(ref, CONFIGS[name], 12)
    for t in (0, 1, 11):
        for i in range(2):
            assert_matches(got[t][i], exp[t][i], what=f"{name}: parameter {i} after step {t + 1}", rtol=1e-7, atol=1e-10)


def test_params_are_updated_in_place():
    for name, make in CONFIGS.items():
        w = np.ones(3)
        view = w[:]
        make(mine).step([w], [np.array([1.0, -2.0, 0.5])])
        if np.array_equal(view, np.ones(3)):
            raise Mismatch(f"{name}: the caller's array did not change after step (use p -= ..., not p = p - ...)")


def test_adam_early_steps_are_bias_corrected():
    # tiny constant gradient: a corrected Adam moves by about lr per step from the first step on
    got, exp = np.array([0.0]), np.array([0.0])
    a, b = mine.Adam(lr=0.01), ref.Adam(lr=0.01)
    for t in range(3):
        a.step([got], [np.array([1e-3])])
        b.step([exp], [np.array([1e-3])])
        assert_matches(got, exp, what=f"Adam with a constant gradient 1e-3, parameter after step {t + 1} (bias correction of m and v?)", rtol=1e-6)


def test_shape_mismatch_raises():
    for name, make in CONFIGS.items():
        assert_raises(ValueError, make(mine).step, [np.zeros((2, 2))], [np.zeros(4)], what=f"{name}.step with a (4,) gradient for a (2, 2) parameter")
        assert_raises(ValueError, make(mine).step, [np.zeros(2)], [np.zeros(2), np.zeros(2)], what=f"{name}.step with 1 parameter and 2 gradients")
        # shapes that NumPy would broadcast silently still differ
        assert_raises(ValueError, make(mine).step, [np.zeros((3, 2))], [np.ones(2)],
                      what=f"{name}.step with a (2,) gradient for a (3, 2) parameter (NumPy broadcasting does "
                           "not make the shapes equal: compare them)")
        assert_raises(ValueError, make(mine).step, [np.zeros(3)], [np.ones(1)],
                      what=f"{name}.step with a (1,) gradient for a (3,) parameter")


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_a_rejected_step_changes_nothing(name):
    # a call that raises must leave the params and the state (velocities, moments, t) as they were
    def run(module, bad):
        rng = np.random.default_rng(11)
        params = [rng.normal(size=3), rng.normal(size=(2, 2))]
        opt = CONFIGS[name](module)
        for t in range(4):
            if t == 2 and bad:
                before = [p.copy() for p in params]
                assert_raises(ValueError, opt.step, params, [np.ones(3), np.ones(3)],
                              what=f"{name}.step with a (3,) gradient for the (2, 2) second parameter")
                if not all(np.array_equal(a, b) for a, b in zip(params, before)):
                    raise Mismatch(f"{name}: a step that raised ValueError still changed a parameter "
                                   "(check every shape before updating anything)")
            opt.step(params, [np.cos(t + p) for p in params])
        return params
    got, exp = run(mine, True), run(ref, False)
    for i in range(2):
        assert_matches(got[i], exp[i],
                       what=f"{name}: parameter {i} after a rejected step and 4 valid ones (did the rejected "
                            "call change the state, e.g. advance t or the moments?)", rtol=1e-7, atol=1e-10)


def _run(module, make, params, grad_seq):
    opt = make(module)
    for grads in grad_seq:
        opt.step(params, [np.array(g) for g in grads])
    return params


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_integer_gradients_and_float32_params(name):
    # sign-like integer gradients: state created like the gradient (zeros_like(g)) would be an int array
    grads = [[np.array([1, -1, 2]), np.array([[3, 0], [-2, 1]])], [np.array([-1, -1, 1]), np.array([[1, 1], [0, -3]])]] * 2
    start = [np.array([0.5, -0.25, 1.0]), np.array([[1.0, 2.0], [-1.0, 0.0]])]
    got = _run(mine, CONFIGS[name], [p.copy() for p in start], grads)
    exp = _run(ref, CONFIGS[name], [p.copy() for p in start], grads)
    for i in range(2):
        assert_matches(got[i], exp[i], what=f"{name}: parameter {i} after 4 steps with integer gradients (keep the state in "
                       "float64, not in the gradient's dtype)", rtol=1e-7, atol=1e-10)
    p32 = [p.astype(np.float32) for p in start]
    got = _run(mine, CONFIGS[name], p32, [[g.astype(np.float32) for g in gs] for gs in grads])
    for i in range(2):
        assert_matches(got[i], exp[i].astype(np.float32), what=f"{name}: float32 parameter {i} after 4 steps (it stays "
                       "float32, updated in place)", rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_two_optimisers_and_the_callers_gradients_are_independent(name):
    # two instances stepped in turn must each follow its own trajectory; no gradient array may change
    rng = np.random.default_rng(5)
    pa, pb = [rng.normal(size=3)], [rng.normal(size=3)]
    ea, eb = [pa[0].copy()], [pb[0].copy()]
    a, b, ra, rb = CONFIGS[name](mine), CONFIGS[name](mine), CONFIGS[name](ref), CONFIGS[name](ref)
    given = []
    for t in range(5):
        ga, gb = [np.sin(t + pa[0])], [np.cos(t - 2 * pb[0])]
        given.append((ga[0], ga[0].copy(), gb[0], gb[0].copy()))
        ra.step(ea, [g.copy() for g in ga])
        rb.step(eb, [g.copy() for g in gb])
        a.step(pa, ga)
        b.step(pb, gb)
    assert_matches(pa[0], ea[0], what=f"{name}: parameters of the first of two optimisers stepped in turn (state shared between "
                   "instances?)", rtol=1e-7, atol=1e-10)
    assert_matches(pb[0], eb[0], what=f"{name}: parameters of the second of two optimisers stepped in turn", rtol=1e-7, atol=1e-10)
    for t, (g1, c1, g2, c2) in enumerate(given):
        if not (np.array_equal(g1, c1) and np.array_equal(g2, c2)):
            raise Mismatch(f"{name}: the gradient array passed at step {t + 1} was changed by a later step (is a state "
                           "array the caller's gradient itself? copy it)")


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_zero_dimensional_parameter(name):
    # a scalar bias held as a 0-d array is a parameter like any other: p[:] and len(p) do not exist for it,
    # p -= ... and p[...] = ... do
    def run(module):
        params = [np.array(0.75), np.array([[1.0, -2.0]])]
        opt = CONFIGS[name](module)
        for t in range(3):
            opt.step(params, [np.array(np.cos(t + params[0])), np.sin(params[1] - t)])
        return params
    got, exp = run(mine), run(ref)
    for i, what in enumerate(("0-d parameter", "(1, 2) parameter next to it")):
        assert_matches(got[i], exp[i], what=f"{name}: the {what} after 3 steps (update a 0-d array in place with "
                       "p -= ... or p[...] = ..., not p[:])", rtol=1e-7, atol=1e-10)
