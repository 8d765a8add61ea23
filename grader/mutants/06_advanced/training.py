"""Mutants and alternatives for Exercise 6.1 (AdamW groups, schedules, accumulation, clipping)."""
from grader.mutants import Edit

UPDATE = "            update = (m / (1.0 - self.b1_t)) / ((v / (1.0 - self.b2_t)).sqrt() + self.eps)\n"
DECAY = "            if decays and self.wd > 0:\n                update = update + self.wd * p.detach()\n"
APPLY = "            p.assign((p.detach() - self.lr * update).cast(p.dtype))\n"
CLIP = """    total = sum(p.grad.float().square().sum() for p in with_grad).sqrt()
    factor = (max_norm / (total + 1e-6)).minimum(1.0)
    for p in with_grad:
        p.grad = (p.grad * factor).cast(p.grad.dtype)
"""
COSINE = "    return float(min_lr + (base_lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * q)))\n"

MUTANTS = [
    # AdamW
    Edit("L2 penalty added to the gradient instead of decoupled weight decay",
         find="            g = p.grad.float()\n",
         replace="            g = p.grad.float() + (self.wd * p.detach() if decays else 0.0)\n",
         then=Edit("", find=DECAY, replace="")),
    Edit("weight decay on every parameter (the groups are ignored)",
         find="            if decays and self.wd > 0:\n", replace="            if self.wd > 0:\n"),
    Edit("default rule decays vectors too (ndim >= 1)", find="    return t.ndim >= 2\n",
         replace="    return t.ndim >= 1\n"),
    Edit("weight decay not scaled by the learning rate", find=DECAY + APPLY,
         replace="            p.assign((p.detach() - self.lr * update - (self.wd * p.detach() if decays else 0.0))"
                 ".cast(p.dtype))\n"),
    Edit("set_lr replaces the Tensor (a captured TinyJit step keeps reading the old one)",
         find="        self.lr.assign(Tensor([float(lr)], device=self.lr.device)).realize()\n",
         replace="        self.lr = Tensor([float(lr)], device=self.lr.device).contiguous().realize()\n"),
    Edit("learning rate used as a Python float (frozen when TinyJit captures the step)",
         find="        self.lr.assign(Tensor([float(lr)], device=self.lr.device)).realize()\n",
         replace="        self.lr.assign(Tensor([float(lr)], device=self.lr.device)).realize()\n        self.lr_value = lr\n",
         then=Edit("", find=APPLY, replace="            p.assign((p.detach() - getattr(self, 'lr_value', self.lr.item()) * update)"
                   ".cast(p.dtype))\n")),
    Edit("bias correction from the Python step counter (frozen when TinyJit captures the step)",
         find=UPDATE, replace="            update = (m / (1.0 - self.b1 ** self.t)) / ((v / (1.0 - self.b2 ** self.t)).sqrt() + self.eps)\n"),
    Edit("a missing gradient treated as zero (the decay still moves the parameter)",
         find="            if p.grad is None:\n                continue\n            g = p.grad.float()\n",
         replace="            g = p.grad.float() if p.grad is not None else p.detach().zeros_like()\n"),
    # schedules
    Edit("warm-up starts one step late ((step + 1) / W)", find="        return float(base_lr * step / warmup_steps)\n",
         replace="        return float(base_lr * (step + 1) / warmup_steps)\n"),
    Edit("cosine progress measured over total_steps instead of the steps after the warm-up",
         find="    q = (step - warmup_steps) / (total_steps - warmup_steps)\n", replace="    q = step / total_steps\n"),
    Edit("the floor added on top of the cosine (it overshoots base_lr)", find=COSINE,
         replace="    return float(min_lr + base_lr * 0.5 * (1.0 + math.cos(math.pi * q)))\n"),
    Edit("step decay without the floor (a smooth exponential)",
         find="    return float(base_lr * gamma ** (int(step) // int(step_size)))\n",
         replace="    return float(base_lr * gamma ** (step / step_size))\n"),
    Edit("one-cycle with linear ramps", find="        return b + (a - b) * 0.5 * (1.0 + math.cos(math.pi * q))\n",
         replace="        return a + (b - a) * q\n"),
    Edit("one-cycle ends at the initial rate (final_div_factor ignored)",
         find="    lr_end = lr0 / final_div_factor\n", replace="    lr_end = lr0\n"),
    # accumulation
    Edit("micro-batch losses summed, not weighted (k times the gradient)",
         find="        (loss * (n / total)).backward()\n", replace="        loss.backward()\n"),
    Edit("gradients cleared before every micro-batch (only the last one counts)",
         find="        loss = loss_fn(*batch)\n",
         replace="        for p in params:\n            p.grad = None\n        loss = loss_fn(*batch)\n"),
    Edit("old gradients not cleared before the first micro-batch",
         find="    for p in params:\n        p.grad = None\n    mean_loss = 0.0\n", replace="    mean_loss = 0.0\n"),
    Edit("every micro-batch weighted 1/k, also a smaller last one",
         find="        (loss * (n / total)).backward()\n", replace="        (loss * (1 / len(batches))).backward()\n",
         then=Edit("", find="        mean_loss += loss.item() * n / total\n",
                   replace="        mean_loss += loss.item() / len(batches)\n")),
    Edit("returns the loss of the last micro-batch", find="        mean_loss += loss.item() * n / total\n",
         replace="        mean_loss = loss.item()\n"),
    # clipping
    Edit("each tensor clipped by its own norm", find=CLIP,
         replace="""    total = sum(p.grad.float().square().sum() for p in with_grad).sqrt()
    for p in with_grad:
        own = p.grad.float().square().sum().sqrt()
        p.grad = (p.grad * (max_norm / (own + 1e-6)).minimum(1.0)).cast(p.grad.dtype)
"""),
    Edit("always rescaled to max_norm (also scaled up below it)",
         find="    factor = (max_norm / (total + 1e-6)).minimum(1.0)\n", replace="    factor = max_norm / (total + 1e-6)\n"),
    Edit("returns the norm after clipping", find="    return float(total.item())\n",
         replace="    return float(sum(p.grad.float().square().sum() for p in with_grad).sqrt().item())\n"),
    Edit("global norm as the sum of the tensors' norms",
         find="    total = sum(p.grad.float().square().sum() for p in with_grad).sqrt()\n",
         replace="    total = sum(p.grad.float().square().sum().sqrt() for p in with_grad)\n"),
    Edit("clipped gradients not cast back (float16 grads become float32)",
         find="        p.grad = (p.grad * factor).cast(p.grad.dtype)\n", replace="        p.grad = p.grad * factor\n"),
    Edit("global norm summed in the gradients' dtype (float16 overflows)",
         find="    total = sum(p.grad.float().square().sum() for p in with_grad).sqrt()\n",
         replace="    total = sum(p.grad.square().sum() for p in with_grad).sqrt()\n"),
    Edit("step decay accepts gamma > 1",
         find="    if step < 0 or step_size < 1 or base_lr < 0 or not (0 < gamma <= 1):\n",
         replace="    if step < 0 or step_size < 1 or base_lr < 0 or gamma <= 0:\n"),
    Edit("moments built with zeros_like (float16 for a float16 parameter)",
         find="        self.m = [Tensor.zeros(*p.shape, device=p.device).contiguous() for p in self.params]\n"
              "        self.v = [Tensor.zeros(*p.shape, device=p.device).contiguous() for p in self.params]\n",
         replace="        self.m = [p.zeros_like().contiguous() for p in self.params]\n"
                 "        self.v = [p.zeros_like().contiguous() for p in self.params]\n"),
    Edit("parameters without a gradient get zeros", find="    with_grad = [p for p in params if p.grad is not None]\n",
         replace="    params = list(params)\n    for p in params:\n        if p.grad is None:\n            p.grad = p.detach().zeros_like()\n"
                 "    with_grad = params\n"),
    Edit("default rule decays only 2-D matrices (ndim == 2; convolution kernels escape)",
         find="    return t.ndim >= 2\n", replace="    return t.ndim == 2\n"),
    Edit("default rule skips only vectors (ndim != 1; scalars are decayed)",
         find="    return t.ndim >= 2\n", replace="    return t.ndim != 1\n"),
    Edit("one_cycle does not validate its div factors",
         find="            or div_factor <= 0 or final_div_factor <= 0):\n", replace="            ):\n"),
    Edit("warmup_cosine accepts a negative floor",
         find="            or not (0 <= min_lr <= base_lr)):\n", replace="            or not (min_lr <= base_lr)):\n"),
    Edit("eps inside the square root", find=UPDATE,
         replace="            update = (m / (1.0 - self.b1_t)) / ((v / (1.0 - self.b2_t) + self.eps).sqrt())\n"),
    Edit("micro-batch size taken as len(batch) (the number of tensors, not rows)",
         find="    sizes = [int(b[0].shape[0]) for b in batches]\n", replace="    sizes = [len(b) for b in batches]\n"),
    Edit("warmup_cosine rejects min_lr == base_lr (a flat schedule after the warm-up)",
         find="or not (0 <= min_lr <= base_lr)):", replace="or not (0 <= min_lr < base_lr)):"),
    Edit("step_decay rejects gamma = 1 (no decay)", find="not (0 < gamma <= 1):", replace="not (0 < gamma < 1):"),
    Edit("warm-up also from 0 when warmup_steps = 0 (lr(0) = 0)",
         find="    if step < warmup_steps:\n        return float(base_lr * step / warmup_steps)",
         replace="    if step < max(warmup_steps, 1):\n        return float(base_lr * step / max(warmup_steps, 1))"),
]

ALTERNATIVES = [
    Edit("bias correction folded into the step size and eps (the Adam paper's efficient form)", find=UPDATE,
         replace="            c2 = (1.0 - self.b2_t).sqrt()\n"
                 "            update = (m * c2 / (1.0 - self.b1_t)) / (v.sqrt() + self.eps * c2)\n"),
    Edit("one_cycle annealing written as cos^2",
         find="        return b + (a - b) * 0.5 * (1.0 + math.cos(math.pi * q))\n",
         replace="        return b + (a - b) * math.cos(math.pi * q / 2) ** 2\n"),
    Edit("decoupled decay written as a shrink factor (1 - lr * wd)", find=DECAY + APPLY,
         replace="            shrink = (1.0 - self.lr * self.wd) if decays else 1.0\n"
                 "            p.assign((p.detach() * shrink - self.lr * update).cast(p.dtype))\n"),
    Edit("cosine written as cos^2(pi q / 2)", find=COSINE,
         replace="    return float(min_lr + (base_lr - min_lr) * math.cos(math.pi * q / 2) ** 2)\n"),
    Edit("accumulation with Tensor.gradient and explicit sums",
         find="""        (loss * (n / total)).backward()
        Tensor.realize(loss, *[p.grad for p in params if p.grad is not None])
""",
         replace="""        used = [p for p in params if p.uop in loss.uop.toposort()]
        grads = (loss * (n / total)).gradient(*used) if used else []
        for p, g in zip(used, grads):
            p.grad = g if p.grad is None else p.grad + g
        Tensor.realize(loss, *[p.grad for p in params if p.grad is not None])
"""),
    Edit("clipping skipped when the norm is below max_norm",
         find="    for p in with_grad:\n        p.grad = (p.grad * factor).cast(p.grad.dtype)\n",
         replace="    if total.item() + 1e-6 > max_norm:\n        for p in with_grad:\n"
                 "            p.grad = (p.grad * factor).cast(p.grad.dtype)\n"),
    Edit("global norm and factor computed in NumPy", find=CLIP,
         replace="""    import numpy as np
    total = Tensor(float(np.sqrt(sum((p.grad.numpy().astype(np.float64) ** 2).sum() for p in with_grad))))
    factor = min(1.0, max_norm / (total.item() + 1e-6))
    for p in with_grad:
        p.grad = (p.grad * factor).cast(p.grad.dtype) if factor < 1.0 else p.grad
"""),
]
