"""Exercise 6.2: mixed-precision training with float32 master weights and a dynamic loss scaler.

Half precision (float16) halves the memory of weights, activations and gradients, and on GPUs
with tensor cores it is several times faster. Its range is the catch: the largest float16 is
65504, the smallest positive one about 6e-8 (2^-24), and each number carries 11 significant
bits. Three things go wrong when a float32 recipe is simply cast to float16:

* Small gradients underflow to 0. Many weight gradients are below 2^-24 and vanish.
  Loss scaling multiplies the loss by S (e.g. 2^16) before the backward pass, which multiplies
  every gradient by S and lifts them into range; they are divided by S again, in float32,
  before the optimizer sees them.
* Too large a scale overflows: some gradient becomes inf (or NaN). A *dynamic* scaler detects
  it, skips that optimizer step entirely (parameters and optimizer state untouched), and halves
  S. After `growth_interval` consecutive clean steps it doubles S again, so S hovers near the
  largest value that does not overflow.
* Small updates are lost. In float16 the spacing of numbers near 1.0 is 2^-10 ~ 1e-3, so
  w + 1e-4 == w. The optimizer therefore updates float32 *master* weights, and each step
  computes with a fresh float16 *compute copy* of them.

bfloat16 has float32's exponent range (no underflow, so no scaling needed) but only 8
significant bits. Measured with tinygrad 0.14 on the x86 CPU with clang 14: float16 runs forward
and backward passes (more slowly than float32: the CPU has no fast half arithmetic, so the lesson
here is the numerics); a stored bfloat16 buffer does not compile ("__bf16 is not supported on this
target"), only casts to bfloat16 that stay inside one kernel run. The exercise therefore uses
float16 (`dtype` is a parameter). The loss itself is reduced and scaled in float32.

tinygrad fuses operations into kernels, and inside a kernel a value may never be rounded to
float16: `x.cast(float16).float()` can return x unchanged. Rounding happens where a float16 tensor
is stored (realized): the compute copies and the gradients are realized for that reason.
"""
from __future__ import annotations

from typing import Callable, Sequence

from tinygrad import Context, Tensor, dtypes
from tinygrad.dtype import DType
from tinygrad.nn.optim import Optimizer


def compute_copy(master: Sequence[Tensor], dtype: DType = dtypes.float16) -> list[Tensor]:
    """Realized low-precision copies (dtype `dtype`, same shapes) of the float32 master weights,
    detached from them: the forward and backward passes run on these, and a gradient with respect
    to a copy never reaches the master tensor. The master tensors are not changed."""
    raise NotImplementedError("Exercise 6.2: implement compute_copy (see its docstring)")


class DynamicLossScaler:
    """The loss scale S and the state machine that adapts it.

    State: `scale` (float, S), `good_steps` (int, consecutive clean steps since the last overflow
    or the last growth) and `skipped` (int, total steps skipped because of inf/NaN).
    `update(found_inf)` after every step:

        overflow (found_inf):  S <- max(S * backoff_factor, min_scale);  good_steps <- 0;
                               skipped += 1                               (the step is skipped)
        clean step:            good_steps += 1; if good_steps == growth_interval:
                               S <- min(S * growth_factor, max_scale);  good_steps <- 0

    Raises ValueError unless 0 < min_scale <= init_scale <= max_scale, growth_factor > 1,
    0 < backoff_factor < 1 and growth_interval >= 1.
    """

    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000,
                 min_scale: float = 1.0, max_scale: float = 2.0 ** 24):
        if not (0 < min_scale <= init_scale <= max_scale) or growth_factor <= 1 \
                or not (0 < backoff_factor < 1) or int(growth_interval) < 1:
            raise ValueError(f"invalid loss-scaler settings init_scale={init_scale}, growth_factor="
                             f"{growth_factor}, backoff_factor={backoff_factor}, growth_interval="
                             f"{growth_interval}, min_scale={min_scale}, max_scale={max_scale}")
        self.growth_factor, self.backoff_factor = float(growth_factor), float(backoff_factor)
        self.growth_interval = int(growth_interval)
        self.min_scale, self.max_scale = float(min_scale), float(max_scale)
        self.scale = float(init_scale)
        self.good_steps = 0
        self.skipped = 0

    def scale_loss(self, loss: Tensor) -> Tensor:
        """S * loss as a float32 scalar Tensor (loss is cast to float32 first: S = 2^16 is
        already beyond the float16 range). Backpropagating it gives S times each gradient."""
        raise NotImplementedError("Exercise 6.2: implement DynamicLossScaler.scale_loss (see its docstring)")

    def unscale(self, grads: Sequence[Tensor]) -> tuple[list[Tensor], bool]:
        """Divide scaled gradients (any float dtype) by S in float32 and look for inf or NaN.

        Returns (unscaled float32 gradients, realized, same shapes; found_inf) where found_inf is a
        Python bool, True when any entry of any gradient is inf or NaN. The state is not changed:
        `update` does that."""
        raise NotImplementedError("Exercise 6.2: implement DynamicLossScaler.unscale (see its docstring)")

    def update(self, found_inf: bool) -> None:
        """Advance the state machine by one step (see the class docstring)."""
        raise NotImplementedError("Exercise 6.2: implement DynamicLossScaler.update (see its docstring)")


def mixed_precision_step(loss_fn: Callable[[list[Tensor]], Tensor], master: Sequence[Tensor],
                         optimizer: Optimizer, scaler: DynamicLossScaler,
                         dtype: DType = dtypes.float16) -> tuple[float, bool]:
    """One training step in `dtype` with float32 master weights.

    1. copies = compute_copy(master, dtype); loss = loss_fn(copies) (a scalar; reduce it in
       float32 if you can);
    2. the gradients of scaler.scale_loss(loss) with respect to the copies, realized together with
       the loss (stored in `dtype`, where small ones underflow);
    3. scaler.unscale them; if no inf/NaN: set master[i].grad to the i-th float32 gradient and run
       optimizer.step() under Context(TRAINING=1) (an optimizer over the master tensors);
       otherwise skip the step: master weights and optimizer state stay exactly as they were;
    4. scaler.update(found_inf).

    Returns (loss as a Python float, computed before the update; True if the optimizer stepped).
    The master tensors stay float32.
    """
    raise NotImplementedError("Exercise 6.2: implement mixed_precision_step (see its docstring)")


def underflows(value: float, dtype: DType = dtypes.float16) -> bool:
    """True when the nonzero float `value` rounds to 0 when stored in a `dtype` buffer.
    float16's smallest positive number is 2^-24 ~ 6e-8, so underflows(1e-8) is True while
    underflows(1e-8 * 2^16) is False. Realize the cast before reading it back: inside one fused
    kernel, x.cast(float16).float() may be computed without ever rounding to float16."""
    raise NotImplementedError("Exercise 6.2: implement underflows (see its docstring)")

