"""Exercise 5.8: a variational autoencoder (VAE) on MNIST, in tinygrad.

An autoencoder squeezes an image through a small code and rebuilds it. A VAE makes the code a
probability distribution, so that decoding a random code gives a new image. The encoder maps an image
x (784 pixels in [0, 1]) to the mean mu and the log-variance logvar of a diagonal Gaussian
q(z | x) = N(mu, diag(exp(logvar))) over a latent code z (20 numbers); the decoder maps a code z to
784 logits, one Bernoulli distribution p(x | z) per pixel.

Training maximises the evidence lower bound (ELBO) on log p(x); we minimise its negative, per image

    -ELBO(x) = E_q[-log p(x | z)] + KL(q(z | x) || N(0, I))
             ~ sum over pixels of BCE(logits(z), x)  +  closed-form KL,

with one sample z = mu + exp(logvar / 2) * eps, eps ~ N(0, I) (the reparameterisation trick: the
randomness sits in eps, so gradients flow to mu and logvar). The KL term is the Gaussian KL of
Exercise 1.3 with mu2 = 0, sigma2 = 1, summed over the latent dimensions. Both terms are in nats per
image; a batch's loss is their mean over the images.

Why logits: sigmoid then log loses everything for a confident pixel (sigmoid(100) == 1.0 in float32,
log(1 - 1) = -inf); the logits form max(z, 0) - z x + log(1 + exp(-|z|)) is exact and finite.
`Encoder` and `Decoder` use tinygrad's `nn.Linear` (taught in Phase 4).
"""
from __future__ import annotations

import numpy as np
from tinygrad import Tensor, nn


class Encoder:
    """x (N, n_in) -> (mu, logvar), each (N, latent), float32.

    One hidden layer: h = relu(hidden(x)), mu = mu_layer(h), logvar = logvar_layer(h) (no activation on
    the two heads: logvar may be any real number). Inputs of shape (N, ...) with prod(...) == n_in are
    flattened. Attributes: `hidden` = nn.Linear(n_in, hidden), `mu` = nn.Linear(hidden, latent),
    `logvar` = nn.Linear(hidden, latent), and the sizes `n_in`, `latent`.
    Raises ValueError when a size is not a positive integer.
    """

    def __init__(self, n_in: int = 784, hidden: int = 400, latent: int = 20):
        _check_sizes(n_in=n_in, hidden=hidden, latent=latent)
        self.n_in, self.latent = n_in, latent
        raise NotImplementedError("Exercise 5.8: implement Encoder.__init__ (see its docstring)")

    def __call__(self, x: Tensor) -> tuple[Tensor, Tensor]:
        raise NotImplementedError("Exercise 5.8: implement Encoder.__call__ (see its docstring)")

    def parameters(self) -> list[Tensor]:
        """[hidden.weight, hidden.bias, mu.weight, mu.bias, logvar.weight, logvar.bias]."""
        raise NotImplementedError("Exercise 5.8: implement Encoder.parameters (see its docstring)")


class Decoder:
    """z (N, latent) -> logits (N, n_out), float32: logits = out(relu(hidden(z))).

    The logits are raw (no sigmoid): sigmoid(logits) are the pixel probabilities. Attributes:
    `hidden` = nn.Linear(latent, hidden), `out` = nn.Linear(hidden, n_out), and the sizes `latent`,
    `n_out`. Raises ValueError when a size is not a positive integer.
    """

    def __init__(self, latent: int = 20, hidden: int = 400, n_out: int = 784):
        _check_sizes(latent=latent, hidden=hidden, n_out=n_out)
        self.latent, self.n_out = latent, n_out
        raise NotImplementedError("Exercise 5.8: implement Decoder.__init__ (see its docstring)")

    def __call__(self, z: Tensor) -> Tensor:
        raise NotImplementedError("Exercise 5.8: implement Decoder.__call__ (see its docstring)")

    def parameters(self) -> list[Tensor]:
        """[hidden.weight, hidden.bias, out.weight, out.bias]."""
        raise NotImplementedError("Exercise 5.8: implement Decoder.parameters (see its docstring)")


def _check_sizes(**sizes: int) -> None:
    for name, size in sizes.items():
        if not isinstance(size, int) or size < 1:
            raise ValueError(f"{name} must be a positive integer, got {size!r}")


def _check_same_shape(**tensors: Tensor) -> None:
    shapes = {name: tuple(t.shape) for name, t in tensors.items()}
    if len(set(shapes.values())) != 1:
        raise ValueError(f"shapes must match, got {shapes}")


def reparameterize(mu: Tensor, logvar: Tensor, eps: Tensor) -> Tensor:
    """z = mu + sigma * eps with sigma = exp(logvar / 2), elementwise.

    logvar is log(sigma^2), so the standard deviation is exp(0.5 * logvar), not exp(logvar). eps is
    standard normal noise of the same shape, passed in by the caller (the training step draws it), so
    the function is deterministic and z is differentiable in mu and logvar:
    dz/dmu = 1, dz/dlogvar = 0.5 * sigma * eps. Raises ValueError when the three shapes differ.
    """
    _check_same_shape(mu=mu, logvar=logvar, eps=eps)
    raise NotImplementedError("Exercise 5.8: implement reparameterize (see its docstring)")


def gaussian_kl(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(N(mu, diag(sigma^2)) || N(0, I)) per row, summed over the last (latent) axis.

    For one dimension with sigma^2 = exp(logvar) (Exercise 1.3's formula with mu2 = 0, sigma2 = 1):
        KL = log(1 / sigma) + (sigma^2 + mu^2) / 2 - 1/2 = -1/2 * (1 + logvar - mu^2 - exp(logvar)) >= 0,
    zero exactly when mu = 0 and logvar = 0. mu, logvar: (N, d) -> (N,) float32 (a (d,) input gives a
    scalar). Raises ValueError when the shapes differ.
    """
    _check_same_shape(mu=mu, logvar=logvar)
    raise NotImplementedError("Exercise 5.8: implement gaussian_kl (see its docstring)")


def bce_with_logits_sum(logits: Tensor, x: Tensor) -> Tensor:
    """Binary cross-entropy of targets x in [0, 1] under probabilities sigmoid(logits), per row.

    Per element -[x log sigmoid(z) + (1 - x) log(1 - sigmoid(z))] = max(z, 0) - z * x + log(1 + exp(-|z|)),
    the form that stays finite and exact for any z (|z| = 100 included); summed over every axis but the
    first: (N, ...) -> (N,) float32, in nats. Do not call tinygrad's binary_crossentropy(_logits): this
    is that function. Raises ValueError when the shapes differ.
    """
    _check_same_shape(logits=logits, x=x)
    raise NotImplementedError("Exercise 5.8: implement bce_with_logits_sum (see its docstring)")


def neg_elbo(x: Tensor, logits: Tensor, mu: Tensor, logvar: Tensor) -> Tensor:
    """The VAE loss of a batch: the mean over its N images of
    (sum over pixels of BCE(logits, x)) + KL(q(z | x) || N(0, I)).

    x, logits: (N, ...) with the same shape; mu, logvar: (N, latent). Returns a scalar Tensor in
    nats per image (the mean over the batch, not the sum: the value must not depend on N).
    """
    raise NotImplementedError("Exercise 5.8: implement neg_elbo (see its docstring)")


def sample(decoder: Decoder, n: int, seed: int = 0) -> np.ndarray:
    """n new images: decode codes drawn from the prior N(0, I) and return sigmoid(logits).

    The codes are z = np.random.default_rng(seed).standard_normal((n, decoder.latent)) as float32 (the
    same seed gives the same images). Returns a float32 array (n, decoder.n_out) of pixel
    probabilities in [0, 1] (the mean image of each code, not a binary sample).
    Raises ValueError when n < 1.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    raise NotImplementedError("Exercise 5.8: implement sample (see its docstring)")


def latent_grid(decoder: Decoder, n: int = 15, span: float = 3.0, dims: tuple[int, int] = (0, 1)) -> np.ndarray:
    """Decode an n x n grid of codes that vary along two latent dimensions, all others 0.

    With v = np.linspace(-span, span, n), the image in grid row i and column j decodes the code with
    z[dims[0]] = v[j] (left to right) and z[dims[1]] = v[i] (top to bottom). Returns float32 pixel
    probabilities of shape (n, n, decoder.n_out). Raises ValueError when n < 1, the two dims are equal
    or one is not in [0, decoder.latent).
    """
    a, b = dims
    if n < 1 or a == b or not (0 <= a < decoder.latent and 0 <= b < decoder.latent):
        raise ValueError(f"need n >= 1 and two different dims in [0, {decoder.latent}), got n={n}, dims={dims}")
    raise NotImplementedError("Exercise 5.8: implement latent_grid (see its docstring)")
