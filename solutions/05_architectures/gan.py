"""Exercise 5.9: a generative adversarial network (GAN) on MNIST, in tinygrad.

Two networks play a game. The generator G maps noise z ~ N(0, I) to an image; the discriminator D maps
an image to one logit, its belief that the image is real (D(x) = sigmoid(logit)). D learns to tell
real images (label 1) from G's (label 0); G learns to make D say "real".

Both losses are binary cross-entropies written from logits, with softplus(u) = log(1 + e^u) (stable:
max(u, 0) + log(1 + e^-|u|)) and log sigmoid(u) = -softplus(-u):

    d_loss = mean softplus(-real_logits) + mean softplus(fake_logits)   (-log D(x) - log(1 - D(G(z))))
    g_loss = mean softplus(-fake_logits)                                (-log D(G(z)), non-saturating)

The original minimax generator loss, mean log(1 - D(G(z))) = -mean softplus(fake_logits), has a
gradient that vanishes exactly when G is losing (D(G(z)) -> 0, at the start of training); the
non-saturating form has a gradient of about -1 per sample there.

Training alternates: one D step on a real batch and a fake batch (G's output detached: no gradient
flows into G, whose weights stay bitwise unchanged), then one G step (D's weights stay unchanged, only
G's optimizer steps). Images are scaled to [-1, 1] to match G's tanh output. `Generator` and
`Discriminator` use tinygrad's `nn.Linear` (taught in Phase 4).
"""
from __future__ import annotations

from typing import Sequence

from tinygrad import Context, Tensor, nn
from tinygrad.nn.optim import Optimizer


def _check_sizes(sizes: Sequence[int]) -> tuple[int, ...]:
    sizes = tuple(sizes)
    if len(sizes) < 2 or any(not isinstance(s, int) or s < 1 for s in sizes):
        raise ValueError(f"sizes must list at least two positive integer layer widths, got {sizes}")
    return sizes


class Generator:
    """z (N, sizes[0]) -> images (N, sizes[-1]) in (-1, 1), float32.

    An MLP of nn.Linear layers (attribute `layers`, one per consecutive pair of `sizes`), ReLU after
    every layer but the last, tanh after the last. Attribute `latent` = sizes[0].
    Raises ValueError for fewer than two sizes or a size that is not a positive integer.
    """

    def __init__(self, sizes: Sequence[int] = (64, 256, 512, 784)):
        self.sizes = _check_sizes(sizes)
        self.latent = self.sizes[0]
        ### BEGIN SOLUTION
        self.layers = [nn.Linear(n_in, n_out) for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:])]
        ### END SOLUTION

    def __call__(self, z: Tensor) -> Tensor:
        ### BEGIN SOLUTION
        for layer in self.layers[:-1]:
            z = layer(z).relu()
        return self.layers[-1](z).tanh()
        ### END SOLUTION

    def parameters(self) -> list[Tensor]:
        """[layers[0].weight, layers[0].bias, layers[1].weight, ...]."""
        ### BEGIN SOLUTION
        return [t for layer in self.layers for t in (layer.weight, layer.bias)]
        ### END SOLUTION


class Discriminator:
    """images (N, ...) with prod(...) == sizes[0] -> logits (N, 1), float32.

    An MLP of nn.Linear layers (attribute `layers`; sizes[-1] must be 1), leaky ReLU with slope 0.2
    after every layer but the last, raw logits out (no sigmoid: the losses take logits). Inputs are
    flattened. Raises ValueError for bad sizes or sizes[-1] != 1.
    """

    def __init__(self, sizes: Sequence[int] = (784, 512, 256, 1)):
        self.sizes = _check_sizes(sizes)
        if self.sizes[-1] != 1:
            raise ValueError(f"the discriminator outputs one logit: sizes[-1] must be 1, got {self.sizes}")
        ### BEGIN SOLUTION
        self.layers = [nn.Linear(n_in, n_out) for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:])]
        ### END SOLUTION

    def __call__(self, x: Tensor) -> Tensor:
        ### BEGIN SOLUTION
        x = x.flatten(1)
        for layer in self.layers[:-1]:
            x = layer(x).leaky_relu(0.2)
        return self.layers[-1](x)
        ### END SOLUTION

    def parameters(self) -> list[Tensor]:
        """[layers[0].weight, layers[0].bias, layers[1].weight, ...]."""
        ### BEGIN SOLUTION
        return [t for layer in self.layers for t in (layer.weight, layer.bias)]
        ### END SOLUTION


def d_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """The discriminator's loss, a scalar: BCE of real logits against label 1 plus BCE of fake logits
    against label 0, each averaged over its own batch:

        mean(softplus(-real_logits)) + mean(softplus(fake_logits))

    Must stay finite and exact for logits of any size (+-100 included), and must not call tinygrad's
    binary_crossentropy(_logits). The two batches may differ in size.
    """
    ### BEGIN SOLUTION
    return _softplus(-real_logits).mean() + _softplus(fake_logits).mean()
    ### END SOLUTION


def g_loss(fake_logits: Tensor) -> Tensor:
    """The non-saturating generator loss, a scalar: mean(softplus(-fake_logits)) = -mean log D(G(z)).

    Not the minimax mean(log(1 - D(G(z)))), whose gradient vanishes when D confidently rejects the
    fakes. Finite for logits of any size.
    """
    ### BEGIN SOLUTION
    return _softplus(-fake_logits).mean()
    ### END SOLUTION


### BEGIN SOLUTION
def _softplus(u: Tensor) -> Tensor:
    """log(1 + e^u) without overflow: max(u, 0) + log(1 + e^-|u|)."""
    return u.maximum(0) + (-u.abs()).exp().add(1).log()
### END SOLUTION


def train_step_d(generator: Generator, discriminator: Discriminator, opt_d: Optimizer,
                 real: Tensor, z: Tensor) -> Tensor:
    """One discriminator update; returns d_loss (a realized scalar Tensor, its value before the update).

    Under Context(TRAINING=1): zero D's gradients, make fakes = generator(z) detached (no gradient may
    reach G: its weights, and its parameters' gradients, stay zero or untouched), compute
    d_loss(discriminator(real), discriminator(fakes)), backpropagate, and apply opt_d (which holds D's
    parameters only). Realize the loss together with the update, `loss.realize(*opt_d.schedule_step())`,
    so the returned value is the loss before the step. real: (N, ...) images in [-1, 1];
    z: (M, generator.latent). Use real and z only as Tensors (the caller may wrap the step in TinyJit).
    """
    ### BEGIN SOLUTION
    with Context(TRAINING=1):
        opt_d.zero_grad()
        fakes = generator(z).detach()
        loss = d_loss(discriminator(real), discriminator(fakes)).backward()
        return loss.realize(*opt_d.schedule_step())
    ### END SOLUTION


def train_step_g(generator: Generator, discriminator: Discriminator, opt_g: Optimizer, z: Tensor) -> Tensor:
    """One generator update; returns g_loss (a realized scalar Tensor, its value before the update).

    Under Context(TRAINING=1): zero G's gradients, compute g_loss(discriminator(generator(z))),
    backpropagate (through D into G), and apply opt_g (G's parameters only): D's weights stay bitwise
    unchanged. Realize the loss with the update, as in train_step_d.
    """
    ### BEGIN SOLUTION
    with Context(TRAINING=1):
        opt_g.zero_grad()
        loss = g_loss(discriminator(generator(z))).backward()
        return loss.realize(*opt_g.schedule_step())
    ### END SOLUTION
