"""Hidden checks for Exercise 5.8: the VAE's pieces against NumPy formulas, a Monte-Carlo KL, gradients."""
import numpy as np
from tinygrad import Tensor

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.hidden.probes import attribute_uses, refuse_calls
from grader.numeric import numerical_gradient
from grader.target import exercise

mine = exercise("5.8")
BUILT_INS = ["binary_crossentropy_logits", "binary_crossentropy"]
RULE = "write the BCE with logits yourself (this exercise is that function)"


def _np_kl(mu, logvar):
    mu, logvar = np.asarray(mu, np.float64), np.asarray(logvar, np.float64)
    return -0.5 * (1 + logvar - mu ** 2 - np.exp(logvar)).sum(-1)


def _np_bce(logits, x):
    z, x = np.asarray(logits, np.float64), np.asarray(x, np.float64)
    return (np.maximum(z, 0) - z * x + np.log1p(np.exp(-np.abs(z)))).reshape(len(z), -1).sum(1)


def _latents(seed, n=4, d=3):
    rng = np.random.default_rng(seed)
    mu = rng.normal(0, 1.5, (n, d)).astype(np.float32)
    logvar = rng.uniform(-4, 4, (n, d)).astype(np.float32)
    return mu, logvar


def _batch(seed):
    """Four 'images' of 2 x 3 pixels with fractional targets and logits up to +-60."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (4, 2, 3)).astype(np.float32)
    x[0] = np.round(x[0])
    logits = rng.normal(0, 4, (4, 2, 3)).astype(np.float32)
    logits[1, 0] = [60.0, -60.0, 25.0]
    return x, logits


def test_kl_matches_the_closed_form():
    for seed in (1, 2):
        mu, logvar = _latents(seed)
        got = mine.gaussian_kl(Tensor(mu), Tensor(logvar)).numpy()
        assert_matches(got, _np_kl(mu, logvar).astype(np.float32),
                       what=f"gaussian_kl on 4 rows of 3 latent dims, logvar in [-4, 4] (seed {seed})", rtol=1e-4, atol=1e-5)


def test_kl_matches_a_monte_carlo_estimate():
    # KL(q || p) = E_q[log q(z) - log p(z)], estimated from 200,000 draws of z ~ q; 3 standard errors
    mu, logvar = np.array([[0.7, -1.2, 0.0]], np.float32), np.array([[0.5, -1.0, 1.2]], np.float32)
    got = mine.gaussian_kl(Tensor(mu), Tensor(logvar)).numpy()
    sigma = np.exp(0.5 * logvar.astype(np.float64))
    eps = np.random.default_rng(0).standard_normal((200_000, 3))
    z = mu + sigma * eps
    log_ratio = (-0.5 * eps ** 2 - np.log(sigma) + 0.5 * z ** 2).sum(1)
    se = log_ratio.std() / np.sqrt(len(log_ratio))
    assert_matches(np.asarray(got, np.float64).reshape(-1), np.array([log_ratio.mean()]),
                   what="gaussian_kl against a Monte-Carlo estimate of E_q[log q(z) - log p(z)] (3 standard errors)",
                   rtol=0, atol=3 * se, check_dtype=False)


def test_kl_is_per_row_and_nonnegative():
    mu, logvar = _latents(3)
    mu[2], logvar[2] = 0.0, 0.0
    got = mine.gaussian_kl(Tensor(mu), Tensor(logvar)).numpy()
    assert_matches(got, _np_kl(mu, logvar).astype(np.float32), what="gaussian_kl of 4 rows, row 2 equal to the prior",
                   rtol=1e-4, atol=1e-5)
    if np.any(got < -1e-5):
        raise Mismatch("gaussian_kl returned a negative value; a KL divergence is >= 0 (sign flipped?)")


def test_kl_of_one_code_is_a_scalar():
    mu, logvar = _latents(9)
    got = mine.gaussian_kl(Tensor(mu[1]), Tensor(logvar[1]))
    if tuple(got.shape) != ():
        raise Mismatch(f"gaussian_kl of a (3,) mu and logvar gave shape {tuple(got.shape)}. "
                       "The docstring promises a scalar (sum over the last axis).")
    assert_matches(np.array([got.item()], np.float32), _np_kl(mu[1:2], logvar[1:2]).astype(np.float32),
                   what="gaussian_kl of one (3,) code", rtol=1e-4, atol=1e-5)


def test_bce_matches_numpy_with_confident_logits():
    x, logits = _batch(4)
    with refuse_calls(Tensor, BUILT_INS, RULE):
        got = mine.bce_with_logits_sum(Tensor(logits), Tensor(x)).numpy()
    uses = attribute_uses(mine, BUILT_INS)
    if uses:
        raise Mismatch(f"the module calls tinygrad's BCE ({', '.join(uses)}): {RULE}")
    assert_matches(got, _np_bce(logits, x).astype(np.float32),
                   what="bce_with_logits_sum on 4 images of 2 x 3 pixels, logits up to +-60", rtol=1e-4, atol=1e-4)
    # flat rows (N, 784) are what training passes: the sum runs over every axis but the first
    flat = mine.bce_with_logits_sum(Tensor(logits.reshape(4, 6)), Tensor(x.reshape(4, 6))).numpy()
    assert_matches(flat, _np_bce(logits, x).astype(np.float32), rtol=1e-4, atol=1e-4,
                   what="bce_with_logits_sum on 4 flat rows of 6 pixels (sum over every axis but the first)")


def test_bce_is_exact_at_plus_minus_100():
    logits = np.array([[100.0, -100.0, 100.0, -100.0, 0.0, 3.0]] * 4, np.float32).reshape(4, 2, 3)
    x = np.array([[1, 0, 0, 1, 0.5, 0.25]] * 4, np.float32).reshape(4, 2, 3)
    t = Tensor(logits)
    got = mine.bce_with_logits_sum(t, Tensor(x))
    got.sum().backward()
    values = got.numpy()
    if not np.all(np.isfinite(values)):
        raise Mismatch("bce_with_logits_sum is not finite for logits of +-100 (log of sigmoid(100) == 1.0?)")
    assert_matches(values, _np_bce(logits, x).astype(np.float32), what="bce_with_logits_sum with logits of +-100",
                   rtol=1e-5, atol=1e-4)
    grad = t.grad.numpy() if t.grad is not None else None
    want = (1 / (1 + np.exp(-logits.astype(np.float64))) - x).astype(np.float32)
    if grad is None or not np.all(np.isfinite(grad)):
        raise Mismatch("the gradient of bce_with_logits_sum with respect to logits of +-100 is missing or not finite")
    # max(z, 0) has no derivative at z = 0 (any subgradient in [0, 1] is fine): compare the others only
    smooth = logits != 0
    assert_matches(grad[smooth], want[smooth], what="d bce / d logits (= sigmoid(z) - x) at logits of +-100",
                   rtol=1e-4, atol=1e-5)


def test_neg_elbo_is_the_batch_mean_of_pixel_sums_plus_kl():
    x, logits = _batch(5)
    mu, logvar = _latents(5)
    got = mine.neg_elbo(Tensor(x), Tensor(logits), Tensor(mu), Tensor(logvar))
    if tuple(got.shape) != ():
        raise Mismatch(f"neg_elbo returned shape {tuple(got.shape)}; expected a scalar (the mean over the batch)")
    want = (_np_bce(logits, x) + _np_kl(mu, logvar)).mean()
    assert_matches(np.array([got.item()]), np.array([want]),
                   what="neg_elbo of 4 images (sum over pixels, mean over images)", rtol=1e-4)


def test_reparameterize_values():
    mu, logvar = _latents(6)
    eps = np.random.default_rng(16).standard_normal(mu.shape).astype(np.float32)
    got = mine.reparameterize(Tensor(mu), Tensor(logvar), Tensor(eps)).numpy()
    want = (mu + np.exp(0.5 * logvar.astype(np.float64)) * eps).astype(np.float32)
    assert_matches(got, want, what="reparameterize(mu, logvar, eps) for logvar in [-4, 4]", rtol=1e-4, atol=1e-5)


def test_reparameterize_gradients_match_finite_differences():
    mu, logvar = _latents(7)
    eps = np.random.default_rng(17).standard_normal(mu.shape).astype(np.float32)
    weights = np.random.default_rng(27).normal(size=mu.shape).astype(np.float32)
    tm, tl = Tensor(mu), Tensor(logvar)
    (mine.reparameterize(tm, tl, Tensor(eps)) * Tensor(weights)).sum().backward()

    def loss(m, lv):
        return float((weights * (m + np.exp(0.5 * lv) * eps)).sum())
    want_mu = numerical_gradient(lambda m: loss(m, logvar.astype(np.float64)), mu)
    want_lv = numerical_gradient(lambda lv: loss(mu.astype(np.float64), lv), logvar)
    for name, t, want in (("mu", tm, want_mu), ("logvar", tl, want_lv)):
        if t.grad is None:
            raise Mismatch(f"no gradient reached {name} through reparameterize (is it detached or computed in NumPy?)")
        assert_matches(t.grad.numpy().astype(np.float64), want, what=f"d sum(w * z) / d {name} against central differences",
                       rtol=1e-3, atol=1e-4)


def _np_linear(layer, h):
    return h @ layer.weight.numpy().astype(np.float64).T + layer.bias.numpy().astype(np.float64)


def test_encoder_and_decoder_match_numpy():
    Tensor.manual_seed(8)
    encoder, decoder = mine.Encoder(6, 5, 3), mine.Decoder(3, 5, 6)
    x = np.random.default_rng(8).uniform(0, 1, (4, 2, 3)).astype(np.float32)
    mu, logvar = encoder(Tensor(x))
    h = np.maximum(_np_linear(encoder.hidden, x.reshape(4, 6)), 0)
    assert_matches(mu.numpy(), _np_linear(encoder.mu, h).astype(np.float32), what="encoder mu for 4 inputs of 2 x 3",
                   rtol=1e-4, atol=1e-5)
    assert_matches(logvar.numpy(), _np_linear(encoder.logvar, h).astype(np.float32),
                   what="encoder logvar (a raw linear head)", rtol=1e-4, atol=1e-5)
    z = np.random.default_rng(9).normal(size=(4, 3)).astype(np.float32)
    want = _np_linear(decoder.out, np.maximum(_np_linear(decoder.hidden, z), 0)).astype(np.float32)
    assert_matches(decoder(Tensor(z)).numpy(), want, what="decoder logits (raw, no sigmoid) for 4 codes",
                   rtol=1e-4, atol=1e-5)
    names = [[id(p) for p in m.parameters()] for m in (encoder, decoder)]
    expected = [[id(t) for layer in (encoder.hidden, encoder.mu, encoder.logvar) for t in (layer.weight, layer.bias)],
                [id(t) for layer in (decoder.hidden, decoder.out) for t in (layer.weight, layer.bias)]]
    if names != expected:
        raise Mismatch("parameters() must list each layer's weight then bias, in the documented order")


def test_sample_decodes_seeded_prior_codes():
    Tensor.manual_seed(10)
    decoder = mine.Decoder(3, 5, 6)
    got = mine.sample(decoder, 4, seed=12)
    if not isinstance(got, np.ndarray):
        raise Mismatch(f"sample returned {type(got).__name__}; the docstring promises a NumPy array")
    z = np.random.default_rng(12).standard_normal((4, 3)).astype(np.float32)
    want = decoder(Tensor(z)).sigmoid().numpy()
    assert_matches(got, want, what="sample(decoder, 4, seed=12): sigmoid of the decoded codes", rtol=1e-5, atol=1e-6)
    other = mine.sample(decoder, 4, seed=13)
    if np.allclose(other, got):
        raise Mismatch("sample gives the same images for seeds 12 and 13; the seed must choose the codes")


def test_latent_grid_walks_two_chosen_dims():
    Tensor.manual_seed(11)
    decoder = mine.Decoder(3, 5, 6)
    got = mine.latent_grid(decoder, n=2, span=1.5, dims=(2, 0))
    if not isinstance(got, np.ndarray):
        raise Mismatch(f"latent_grid returned {type(got).__name__}; the docstring promises a NumPy array")
    z = np.zeros((2, 2, 3), np.float32)
    z[:, :, 2] = [[-1.5, 1.5], [-1.5, 1.5]]     # columns
    z[:, :, 0] = [[-1.5, -1.5], [1.5, 1.5]]     # rows
    want = decoder(Tensor(z.reshape(4, 3))).sigmoid().numpy().reshape(2, 2, 6)
    assert_matches(got, want, what="latent_grid(decoder, n=2, span=1.5, dims=(2, 0))", rtol=1e-5, atol=1e-6)
    one = mine.latent_grid(decoder, n=1, span=1.5, dims=(2, 0))
    z1 = np.array([[-1.5, 0.0, -1.5]], np.float32)     # np.linspace(-1.5, 1.5, 1) == [-1.5]
    want1 = decoder(Tensor(z1)).sigmoid().numpy().reshape(1, 1, 6)
    assert_matches(one, want1, what="latent_grid(decoder, n=1, span=1.5): v = linspace(-span, span, 1)",
                   rtol=1e-5, atol=1e-6)


def test_bad_input():
    mu, logvar = _latents(1)
    mine.gaussian_kl(Tensor(mu), Tensor(logvar))
    assert_raises(ValueError, mine.gaussian_kl, Tensor(mu), Tensor(logvar[:, :2]), what="gaussian_kl with shapes (4, 3), (4, 2)")
    assert_raises(ValueError, mine.reparameterize, Tensor(mu), Tensor(logvar), Tensor(mu[:2]),
                  what="reparameterize with eps of another shape")
    assert_raises(ValueError, mine.bce_with_logits_sum, Tensor(mu), Tensor(mu[:, :2]), what="bce_with_logits_sum, shapes differ")
    assert_raises(ValueError, mine.Encoder, 6, 0, 3, what="Encoder with hidden=0")
    assert_raises(ValueError, mine.latent_grid, mine.Decoder(3, 5, 6), 2, 1.0, (1, 1), what="latent_grid with dims (1, 1)")
