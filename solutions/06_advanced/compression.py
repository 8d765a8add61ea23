"""Exercise 6.4: model compression by magnitude pruning and knowledge distillation.

Pruning sets the weights that matter least to zero and keeps them there. The simplest measure of
"matters least" is the magnitude |w|:

  * unstructured pruning zeroes single weights. With a *global* threshold one cut-off is chosen over
    all layers together, so a layer whose weights are small loses more of them; *per-layer* pruning
    removes the same fraction from every layer, which hurts the small layers that need all their
    weights (on MNIST, 90 % per-layer sparsity costs far more accuracy than 90 % global sparsity);
  * structured pruning removes whole output units (rows of an nn.Linear weight, filters of a
    convolution) ranked by their L2 norm: the matrix really becomes smaller, unlike a sparse one.

Only weight matrices and filters (tensors with two or more axes) are pruned; biases and other 1-D
tensors are few and cheap, and zeroing them only costs accuracy.

Pruning a trained network all at once loses accuracy that fine-tuning must win back. The gradual
schedule of Zhu & Gupta (2017) raises the sparsity along a cubic curve, fast at first (while many
weights are redundant) and slowly near the end:

    s_t = s_f + (s_i - s_f) (1 - (t - t_0) / n)^3     for t_0 <= t <= t_0 + n.

During fine-tuning the pruned weights must stay zero. Masking the gradient is not enough: Adam's
moment estimates (and weight decay) move a weight whose gradient is zero, so the mask is multiplied
into the weights again after every optimizer update, inside the TinyJit step.

Distillation (Hinton et al. 2015) trains a small student to match the softened output distribution
of a large teacher, p^T = softmax(z / T). The temperature T > 1 exposes how the teacher ranks the
wrong classes ("dark knowledge"). The loss mixes that with the ordinary cross-entropy:

    L = alpha T^2 KL(p_teacher^T || p_student^T) + (1 - alpha) CE(student logits, y).

The gradient of the KL term with respect to the student's logits is (p_s^T - p_t^T) / T, so the
factor T^2 keeps its size comparable to the cross-entropy's whatever the temperature.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from tinygrad import Context, Tensor, TinyJit, nn
from tinygrad.nn.optim import Optimizer

SCOPES = ("global", "layer")


def _check_sparsity(sparsity: float) -> float:
    if not 0.0 <= float(sparsity) <= 1.0:
        raise ValueError(f"sparsity must be in [0, 1], got {sparsity}")
    return float(sparsity)


def prunable(model) -> dict[str, Tensor]:
    """The tensors that pruning acts on: every tensor of `nn.state.get_state_dict(model)` with two
    or more axes (weight matrices, convolution filters), keyed by its state-dict name, in the
    state dict's order. 1-D tensors (biases, normalisation scales) are never pruned.

    Raises ValueError when the model has no such tensor.
    """
    ### BEGIN SOLUTION
    found = {name: t for name, t in nn.state.get_state_dict(model).items() if t.ndim >= 2}
    if not found:
        raise ValueError("the model has no weight with two or more axes to prune")
    return found
    ### END SOLUTION


### BEGIN SOLUTION
def _keep_mask(magnitudes: np.ndarray, sparsity: float) -> np.ndarray:
    """Boolean keep-mask of a 1-D array: False for the round(sparsity * n) smallest entries,
    the earlier entry first among equal ones (a stable sort)."""
    pruned = np.argsort(magnitudes, kind="stable")[:round(sparsity * magnitudes.size)]
    keep = np.ones(magnitudes.size, dtype=bool)
    keep[pruned] = False
    return keep
### END SOLUTION


def magnitude_masks(model, sparsity: float, scope: str = "global") -> dict[str, Tensor]:
    """0/1 masks (float32 Tensors shaped like the weights) that prune the smallest |w| of
    `prunable(model)`, keyed like it. Nothing is modified: `apply_masks` zeroes the weights.

    scope="global": the weights of all layers are ranked together (flattened row-major, layers in
    `prunable` order) and exactly k = round(sparsity * total) of them (the nearest integer) get a
    0, the smallest magnitudes first. scope="layer": every layer on its own loses
    round(sparsity * n_layer).
    Ties: among equal magnitudes the one that comes first in that order is pruned first, so the
    count is always exact. sparsity 0 keeps everything, 1 prunes everything.

    Raises ValueError when sparsity is outside [0, 1] or scope is not "global" or "layer".
    """
    sparsity = _check_sparsity(sparsity)
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, got {scope!r}")
    ### BEGIN SOLUTION
    weights = prunable(model)
    magnitudes = [np.abs(w.numpy()).ravel() for w in weights.values()]
    if scope == "global":
        keep = _keep_mask(np.concatenate(magnitudes), sparsity)
        pieces = np.split(keep, np.cumsum([m.size for m in magnitudes])[:-1])
    else:
        pieces = [_keep_mask(m, sparsity) for m in magnitudes]
    return {name: Tensor(piece.reshape(w.shape).astype(np.float32))
            for (name, w), piece in zip(weights.items(), pieces)}
    ### END SOLUTION


def structured_mask(weight: Tensor, sparsity: float, axis: int = 0) -> Tensor:
    """A 0/1 float32 mask shaped like `weight` that zeroes whole slices along `axis`.

    Slice i is weight's index i on `axis`: with axis=0 a row of an nn.Linear weight (out, in) is
    one output unit, and weight[i] of a convolution (out, in, kh, kw) is one filter; for a weight
    stored as (in, out), such as x @ W, the output units are axis=1. Slices are ranked by their
    L2 norm sqrt(sum of squares over all the other axes); the round(sparsity * n_slices) smallest
    get 0, the lower index first among equal norms. Negative axes count from the end.

    Raises ValueError when weight has fewer than two axes, axis is out of range or sparsity is
    outside [0, 1].
    """
    sparsity = _check_sparsity(sparsity)
    if weight.ndim < 2:
        raise ValueError(f"structured pruning needs a weight with two or more axes, got shape {weight.shape}")
    if not -weight.ndim <= axis < weight.ndim:
        raise ValueError(f"axis {axis} is out of range for shape {weight.shape}")
    ### BEGIN SOLUTION
    w = weight.numpy().astype(np.float64)
    axis = axis % w.ndim
    others = tuple(a for a in range(w.ndim) if a != axis)
    norms = np.sqrt((w * w).sum(axis=others))
    keep = _keep_mask(norms, sparsity).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = w.shape[axis]
    return Tensor(np.broadcast_to(keep.reshape(shape), w.shape).copy())
    ### END SOLUTION


def apply_masks(model, masks: dict[str, Tensor]) -> None:
    """Multiply every tensor of `prunable(model)` named in `masks` by its mask, in place (assign),
    and realize them. Works inside a TinyJit function: the masks are read as tensors, so new
    values assigned into the same mask tensors later take effect in every replay.

    Raises ValueError when a name is not a prunable tensor of the model or a mask's shape differs
    from its weight's.
    """
    weights = prunable(model)
    for name, mask in masks.items():
        if name not in weights:
            raise ValueError(f"mask {name!r} names no prunable tensor of the model")
        if tuple(mask.shape) != tuple(weights[name].shape):
            raise ValueError(f"mask {name!r} has shape {mask.shape}, its weight {weights[name].shape}")
    ### BEGIN SOLUTION
    updated = [weights[name].assign(weights[name] * mask) for name, mask in masks.items()]
    if updated:
        Tensor.realize(*updated)
    ### END SOLUTION


def sparsity(model) -> float:
    """The fraction of zero entries over all tensors of `prunable(model)` together (biases do not
    count), as a Python float in [0, 1]."""
    ### BEGIN SOLUTION
    values = [w.numpy() for w in prunable(model).values()]
    return sum(int((v == 0).sum()) for v in values) / sum(v.size for v in values)
    ### END SOLUTION


def gradual_sparsity(step: int, final: float, start: int, end: int, initial: float = 0.0) -> float:
    """The cubic sparsity schedule of Zhu & Gupta (2017) at training step `step`:

        initial                                             for step <= start,
        final + (initial - final) (1 - (step - start) / (end - start))^3   between,
        final                                               for step >= end.

    It rises fast right after `start` and flattens towards `final`. Returns a Python float.
    Raises ValueError when end <= start or a sparsity is outside [0, 1].
    """
    initial, final = _check_sparsity(initial), _check_sparsity(final)
    if end <= start:
        raise ValueError(f"end ({end}) must come after start ({start})")
    ### BEGIN SOLUTION
    progress = min(max((step - start) / (end - start), 0.0), 1.0)
    return float(final + (initial - final) * (1.0 - progress) ** 3)
    ### END SOLUTION


def make_masked_train_step(model, optimizer: Optimizer, masks: dict[str, Tensor]) -> Callable[[Tensor, Tensor], Tensor]:
    """A TinyJit `step(x, y) -> loss` that trains with the pruned weights held at zero.

    One call, under Context(TRAINING=1): zero the gradients, mean cross-entropy of `model(x)`
    against the integer labels y, backward, one optimizer update, then `apply_masks(model, masks)`
    so that whatever the update (momentum, Adam's moments, weight decay) did to a pruned weight is
    undone. Returns the loss before the update (a realized scalar Tensor). The step keeps the mask
    tensors it was given: to change the sparsity during training, assign new values into them.
    """
    ### BEGIN SOLUTION
    @TinyJit
    @Context(TRAINING=1)
    def step(x: Tensor, y: Tensor) -> Tensor:
        optimizer.zero_grad()
        loss = model(x).sparse_categorical_crossentropy(y).backward()
        loss.realize(*optimizer.schedule_step())
        apply_masks(model, masks)
        return loss
    return step
    ### END SOLUTION


def distillation_loss(student_logits: Tensor, teacher_logits: Tensor, labels: Tensor,
                      temperature: float = 4.0, alpha: float = 0.9) -> Tensor:
    """Knowledge-distillation loss (Hinton et al. 2015), a scalar Tensor:

        alpha T^2 mean_n KL(p_t || p_s) + (1 - alpha) mean_n CE(student_logits_n, y_n),
        p_t = softmax(teacher_logits / T),  p_s = softmax(student_logits / T),
        KL(p_t || p_s) = sum_c p_t,c (log p_t,c - log p_s,c).

    Both distributions use the temperature T; the cross-entropy uses the student's raw logits.
    Logs come from a log-softmax (no log of an underflowed softmax), so logits in the hundreds
    stay finite. The teacher is a constant: no gradient flows into teacher_logits or whatever
    computed them. alpha = 0 is plain cross-entropy, alpha = 1 uses no labels.

    Shapes: logits (N, C) float32, labels (N,) int. Raises ValueError when the logits' shapes
    differ or are not 2-D, labels are not N long, temperature <= 0, or alpha is outside [0, 1].
    """
    if student_logits.ndim != 2 or tuple(student_logits.shape) != tuple(teacher_logits.shape):
        raise ValueError(f"student and teacher logits must both be (N, C), got {student_logits.shape} "
                         f"and {teacher_logits.shape}")
    if tuple(labels.shape) != (student_logits.shape[0],):
        raise ValueError(f"labels must have shape ({student_logits.shape[0]},), got {labels.shape}")
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    ### BEGIN SOLUTION
    log_p_student = (student_logits / temperature).log_softmax(axis=1)
    log_p_teacher = (teacher_logits.detach() / temperature).log_softmax(axis=1)
    kl = (log_p_teacher.exp() * (log_p_teacher - log_p_student)).sum(axis=1).mean()
    ce = student_logits.sparse_categorical_crossentropy(labels)
    return alpha * temperature ** 2 * kl + (1.0 - alpha) * ce
    ### END SOLUTION
