"""Mutants and alternatives for Exercise 6.2 (mixed precision, dynamic loss scaling)."""
from grader.mutants import Edit

STEP = """    if not found_inf:
        for p, g in zip(master, unscaled):
            p.grad = g
        with Context(TRAINING=1):
            optimizer.step()
"""
FOUND = "        bad = Tensor.stack(*[(g.isinf() | g.isnan()).any() for g in unscaled]).any()\n"
UPDATE = """        if found_inf:
            self.scale = max(self.scale * self.backoff_factor, self.min_scale)
            self.good_steps = 0
            self.skipped += 1
            return
        self.good_steps += 1
        if self.good_steps == self.growth_interval:
            self.scale = min(self.scale * self.growth_factor, self.max_scale)
            self.good_steps = 0
"""
UNDERFLOW = ("    stored = Tensor([value]).cast(dtype).contiguous().realize()\n"
             "    return value != 0 and stored.float().item() == 0.0\n")

MUTANTS = [
    Edit("underflow as |value| < smallest subnormal (ignores rounding up to it)",
         find=UNDERFLOW,
         replace="    import numpy as np\n"
                 "    tiny = float(np.finfo(np.float16 if dtype == dtypes.float16 else np.float32).smallest_subnormal)\n"
                 "    return value != 0 and abs(value) < tiny\n"),
    Edit("unscale divides in the gradients' dtype (float16: S = 2^27 gives 0)",
         find="        unscaled = [g.float() * inv for g in grads]\n",
         replace="        unscaled = [(g / self.scale).float() for g in grads]\n"),
    Edit("never skips: the optimizer steps on inf gradients", find="    if not found_inf:\n", replace="    if True:\n"),
    Edit("overflow handled by zeroing the gradients and stepping anyway", find=STEP,
         replace="""    for p, g in zip(master, unscaled):
        p.grad = g.zeros_like() if found_inf else g
    with Context(TRAINING=1):
        optimizer.step()
"""),
    Edit("scale grows on every clean step", find="        if self.good_steps == self.growth_interval:\n",
         replace="        if True:\n"),
    Edit("scale reset to its initial value after an overflow",
         find="        self.scale = float(init_scale)\n",
         replace="        self.scale = self.init_scale = float(init_scale)\n",
         then=Edit("", find="            self.scale = max(self.scale * self.backoff_factor, self.min_scale)\n",
                   replace="            self.scale = max(self.init_scale * self.backoff_factor, self.min_scale)\n")),
    Edit("clean-step counter not reset by an overflow",
         find="            self.good_steps = 0\n            self.skipped += 1\n", replace="            self.skipped += 1\n"),
    Edit("clean-step counter not reset after growing",
         find="            self.scale = min(self.scale * self.growth_factor, self.max_scale)\n            self.good_steps = 0\n",
         replace="            self.scale = min(self.scale * self.growth_factor, self.max_scale)\n"),
    Edit("gradients unscaled twice", find="    unscaled, found_inf = scaler.unscale(grads)\n",
         replace="    unscaled, found_inf = scaler.unscale(grads)\n    unscaled, _ = scaler.unscale(unscaled)\n"),
    Edit("master weights kept in float16 (the copy replaces them)",
         find="    copies = [p.detach().cast(dtype).contiguous() for p in master]\n",
         replace="    for p in master:\n        p.replace(p.detach().cast(dtype).contiguous())\n    copies = list(master)\n"),
    Edit("NaN not detected (inf only)", find=FOUND,
         replace="        bad = Tensor.stack(*[g.isinf().any() for g in unscaled]).any()\n"),
    Edit("min_scale ignored", find="            self.scale = max(self.scale * self.backoff_factor, self.min_scale)\n",
         replace="            self.scale = self.scale * self.backoff_factor\n"),
    Edit("max_scale ignored", find="            self.scale = min(self.scale * self.growth_factor, self.max_scale)\n",
         replace="            self.scale = self.scale * self.growth_factor\n"),
    Edit("loss scaled in float16 (2^16 * loss overflows)", find="        return loss.float() * scale\n",
         replace="        return loss * scale.cast(loss.dtype)\n"),
    Edit("no loss scaling (the gradients are still divided by S)", find="        return loss.float() * scale\n",
         replace="        return loss.float()\n"),
    Edit("compute copy left in float32", find="    copies = [p.detach().cast(dtype).contiguous() for p in master]\n",
         replace="    copies = [p.detach().contiguous() for p in master]\n"),
    Edit("skipped steps not counted", find="            self.good_steps = 0\n            self.skipped += 1\n",
         replace="            self.good_steps = 0\n"),
    Edit("scaler updated only on overflow (clean steps never counted, S never grows back)",
         find="    scaler.update(found_inf)\n    return", replace="    if found_inf:\n        scaler.update(True)\n    return"),
    Edit("dtype argument of the step ignored (always float16)", find="    copies = compute_copy(master, dtype)\n",
         replace="    copies = compute_copy(master)\n"),
    Edit("min_scale 0 accepted (S can back off to 0)",
         find="        if not (0 < min_scale <= init_scale <= max_scale) or growth_factor <= 1 \\\n",
         replace="        if not (0 <= min_scale <= init_scale <= max_scale) or growth_factor <= 1 \\\n"),
    Edit("loss returned after the update (recomputed with the new weights)",
         find="    return float(loss.float().item()), not found_inf\n",
         replace="    return float(loss_fn(compute_copy(master, dtype)).float().item()), not found_inf\n"),
    Edit("compute copy left as a lazy cast of the master (not detached, not realized)",
         find="    copies = [p.detach().cast(dtype).contiguous() for p in master]\n    Tensor.realize(*copies)\n",
         replace="    copies = [p.cast(dtype) for p in master]\n"),
    Edit("overflow found as |g| beyond float16's range (a finite float32 gradient counts as inf)",
         find="        bad = Tensor.stack(*[(g.isinf() | g.isnan()).any() for g in unscaled]).any()",
         replace="        bad = Tensor.stack(*[((g.abs() > 65504 * inv) | g.isnan()).any() for g in unscaled]).any()"),
]

ALTERNATIVES = [
    Edit("inf found as |g| == inf",
         find="        bad = Tensor.stack(*[(g.isinf() | g.isnan()).any() for g in unscaled]).any()",
         replace="        bad = Tensor.stack(*[((g.abs() == float('inf')) | g.isnan()).any()\n"
                 "                             for g in unscaled]).any()"),
    Edit("compute copy through a NumPy round trip",
         find="    copies = [p.detach().cast(dtype).contiguous() for p in master]\n",
         replace="    copies = [Tensor(p.numpy(), device=p.device).cast(dtype).contiguous() for p in master]\n"),
    Edit("compute copy without detach (realizing it already cuts the graph)",
         find="    copies = [p.detach().cast(dtype).contiguous() for p in master]\n",
         replace="    copies = [p.cast(dtype).contiguous() for p in master]\n"),
    Edit("unscale by a Python reciprocal, NaN found as x != x",
         find="        unscaled = [g.float() * inv for g in grads]\n" + FOUND,
         replace="        unscaled = [g.float() * (1.0 / self.scale) for g in grads]\n"
                 "        bad = Tensor.stack(*[((g != g) | (g.abs() == float('inf'))).any() for g in unscaled]).any()\n"),
    Edit("scale kept as a Python float in the graph (recompiles when S changes)",
         find="        scale = Tensor([self.scale], device=loss.device).reshape(())   # a buffer, not a constant\n"
              "        return loss.float() * scale\n",
         replace="        return loss.float() * self.scale\n",
         then=Edit("", find="        unscaled = [g.float() * inv for g in grads]\n",
                   replace="        unscaled = [g.float() / self.scale for g in grads]\n")),
    Edit("inf/NaN found with NumPy", find=FOUND + "        Tensor.realize(bad, *unscaled)\n"
                                         "        return unscaled, bool(bad.item())\n",
         replace="        import numpy as np\n        Tensor.realize(*unscaled)\n"
                 "        return unscaled, not all(np.isfinite(u.numpy()).all() for u in unscaled)\n"),
    Edit("state machine written from the clean branch first", find=UPDATE,
         replace="""        if not found_inf:
            self.good_steps += 1
            if self.good_steps >= self.growth_interval:
                self.good_steps = 0
                self.scale = min(self.max_scale, self.scale * self.growth_factor)
        else:
            self.good_steps, self.skipped = 0, self.skipped + 1
            self.scale = max(self.min_scale, self.scale * self.backoff_factor)
"""),
    Edit("underflow checked by a NumPy cast",
         find=UNDERFLOW,
         replace="    import numpy as np\n"
                 "    np_dt = {dtypes.float16: np.float16, dtypes.float32: np.float32, dtypes.float64: np.float64}[dtype]\n"
                 "    return value != 0 and float(np_dt(value)) == 0.0\n"),
    Edit("gradients through backward() and .grad",
         find="    grads = scaler.scale_loss(loss).gradient(*copies)\n",
         replace="    scaler.scale_loss(loss).backward()\n    grads = [c.grad for c in copies]\n"),
]
