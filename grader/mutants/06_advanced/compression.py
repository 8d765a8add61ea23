"""Mutants and alternatives for Exercise 6.4 (pruning and distillation)."""
from grader.mutants import Edit

KEEP = """    pruned = np.argsort(magnitudes, kind="stable")[:round(sparsity * magnitudes.size)]
    keep = np.ones(magnitudes.size, dtype=bool)
    keep[pruned] = False
    return keep"""
GLOBAL = """    if scope == "global":
        keep = _keep_mask(np.concatenate(magnitudes), sparsity)"""
KD = """    log_p_student = (student_logits / temperature).log_softmax(axis=1)
    log_p_teacher = (teacher_logits.detach() / temperature).log_softmax(axis=1)
    kl = (log_p_teacher.exp() * (log_p_teacher - log_p_student)).sum(axis=1).mean()
    ce = student_logits.sparse_categorical_crossentropy(labels)
    return alpha * temperature ** 2 * kl + (1.0 - alpha) * ce"""
STEP_TAIL = """        loss.realize(*optimizer.schedule_step())
        apply_masks(model, masks)
        return loss"""

MUTANTS = [
    Edit("biases pruned too (every parameter is prunable)",
         find="t in nn.state.get_state_dict(model).items() if t.ndim >= 2}",
         replace="t in nn.state.get_state_dict(model).items() if t.ndim >= 1}"),
    Edit("per-layer pruning when a global threshold was asked", find=GLOBAL,
         replace="""    if False:
        keep = _keep_mask(np.concatenate(magnitudes), sparsity)"""),
    Edit("threshold at the k-th smallest |w|, pruning every weight that ties with it", find=KEEP,
         replace="""    k = round(sparsity * magnitudes.size)
    if k == 0:
        return np.ones(magnitudes.size, dtype=bool)
    return magnitudes > np.sort(magnitudes)[k - 1]"""),
    Edit("count truncated: int(sparsity * n) weights pruned instead of round(sparsity * n)",
         find="[:round(sparsity * magnitudes.size)]", replace="[:int(sparsity * magnitudes.size)]"),
    Edit("global threshold from np.quantile: ties and the count are left to interpolation", find=KEEP,
         replace="""    if sparsity == 0:
        return np.ones(magnitudes.size, dtype=bool)
    return magnitudes > np.quantile(magnitudes, sparsity)"""),
    Edit("structured pruning ranks slices along the wrong axis (norm over axis instead of the others)",
         find="    norms = np.sqrt((w * w).sum(axis=others))\n    keep = _keep_mask(norms, sparsity).astype(np.float32)",
         replace="    norms = np.sqrt((w * w).sum(axis=axis))\n    keep = _keep_mask(norms, sparsity).astype(np.float32)\n"
                 "    axis = others[0]"),
    Edit("ranked by the signed value instead of the magnitude (the most negative weights go)",
         find="    magnitudes = [np.abs(w.numpy()).ravel() for w in weights.values()]",
         replace="    magnitudes = [w.numpy().ravel() for w in weights.values()]"),
    Edit("structured count truncated: int(sparsity * n_slices) slices pruned",
         find="    keep = _keep_mask(norms, sparsity).astype(np.float32)\n",
         replace="    order = np.argsort(norms, kind=\"stable\")\n    keep = np.ones(norms.size, np.float32)\n"
                 "    keep[order[:int(sparsity * norms.size)]] = 0.0\n"),
    Edit("structured pruning by the L1 norm", find="    norms = np.sqrt((w * w).sum(axis=others))",
         replace="    norms = np.abs(w).sum(axis=others)"),
    Edit("sparsity counts the zero biases too",
         find="    values = [w.numpy() for w in prunable(model).values()]",
         replace="    values = [w.numpy() for w in nn.state.get_state_dict(model).values()]"),
    Edit("schedule inverted: (progress)^3 instead of (1 - progress)^3",
         find="    return float(final + (initial - final) * (1.0 - progress) ** 3)",
         replace="    return float(initial + (final - initial) * progress ** 3)"),
    Edit("linear schedule instead of the cubic one",
         find="    return float(final + (initial - final) * (1.0 - progress) ** 3)",
         replace="    return float(final + (initial - final) * (1.0 - progress))"),
    Edit("schedule progress measured from step 0 instead of from start",
         find="    progress = min(max((step - start) / (end - start), 0.0), 1.0)",
         replace="    progress = min(max(step / end, 0.0), 1.0) if step >= start else 0.0"),
    Edit("masks applied once when the step is made, never after the updates", find=STEP_TAIL,
         replace="""        loss.realize(*optimizer.schedule_step())
        return loss
    apply_masks(model, masks)"""),
    Edit("only the gradients are masked (Adam's moments revive pruned weights)",
         find="""        loss = model(x).sparse_categorical_crossentropy(y).backward()
        loss.realize(*optimizer.schedule_step())
        apply_masks(model, masks)""",
         replace="""        loss = model(x).sparse_categorical_crossentropy(y).backward()
        weights = prunable(model)
        for name, mask in masks.items():
            weights[name].grad = weights[name].grad * mask
        loss.realize(*optimizer.schedule_step())"""),
    Edit("masks copied to NumPy constants when the step is made (later pruning rounds ignored)",
         find="    @TinyJit\n    @Context(TRAINING=1)\n    def step(x: Tensor, y: Tensor) -> Tensor:\n        optimizer.zero_grad()\n"
              "        loss = model(x).sparse_categorical_crossentropy(y).backward()\n        loss.realize(*optimizer.schedule_step())\n"
              "        apply_masks(model, masks)",
         replace="    frozen = {name: mask.numpy() for name, mask in masks.items()}\n\n"
                 "    @TinyJit\n    @Context(TRAINING=1)\n    def step(x: Tensor, y: Tensor) -> Tensor:\n        optimizer.zero_grad()\n"
                 "        loss = model(x).sparse_categorical_crossentropy(y).backward()\n        loss.realize(*optimizer.schedule_step())\n"
                 "        apply_masks(model, {name: Tensor(m) for name, m in frozen.items()})"),
    Edit("distillation without the T^2 factor", find="    return alpha * temperature ** 2 * kl + (1.0 - alpha) * ce",
         replace="    return alpha * kl + (1.0 - alpha) * ce"),
    Edit("KL in the wrong direction: KL(p_student || p_teacher)",
         find="    kl = (log_p_teacher.exp() * (log_p_teacher - log_p_student)).sum(axis=1).mean()",
         replace="    kl = (log_p_student.exp() * (log_p_student - log_p_teacher)).sum(axis=1).mean()"),
    Edit("KL averaged over the classes as well as the batch",
         find="    kl = (log_p_teacher.exp() * (log_p_teacher - log_p_student)).sum(axis=1).mean()",
         replace="    kl = (log_p_teacher.exp() * (log_p_teacher - log_p_student)).mean()"),
    Edit("temperature applied to the student only",
         find="    log_p_teacher = (teacher_logits.detach() / temperature).log_softmax(axis=1)",
         replace="    log_p_teacher = teacher_logits.detach().log_softmax(axis=1)"),
    Edit("cross-entropy on the softened student logits",
         find="    ce = student_logits.sparse_categorical_crossentropy(labels)",
         replace="    ce = (student_logits / temperature).sparse_categorical_crossentropy(labels)"),
    Edit("teacher not detached: the loss trains the teacher too",
         find="    log_p_teacher = (teacher_logits.detach() / temperature).log_softmax(axis=1)",
         replace="    log_p_teacher = (teacher_logits / temperature).log_softmax(axis=1)"),
    Edit("log of the softmax (underflows to log 0 for large logits)",
         find="    log_p_student = (student_logits / temperature).log_softmax(axis=1)",
         replace="    log_p_student = (student_logits / temperature).softmax(axis=1).log()"),
    Edit("alpha weights the cross-entropy instead of the KL term",
         find="    return alpha * temperature ** 2 * kl + (1.0 - alpha) * ce",
         replace="    return (1.0 - alpha) * temperature ** 2 * kl + alpha * ce"),
    Edit("sparsity counts near-zero weights as zero",
         find="    return sum(int((v == 0).sum()) for v in values) / sum(v.size for v in values)",
         replace="    return sum(int((np.abs(v) < 1e-2).sum()) for v in values) / sum(v.size for v in values)"),
    Edit("schedule gives 0 before start (initial ignored)",
         find="    progress = min(max((step - start) / (end - start), 0.0), 1.0)\n",
         replace="    if step < start:\n        return 0.0\n"
                 "    progress = min(max((step - start) / (end - start), 0.0), 1.0)\n"),
    Edit("prunable keeps only 2-D matrices (convolution filters escape)", find="if t.ndim >= 2}",
         replace="if t.ndim == 2}"),
    Edit("pruned count rounded up (ceil)", find=KEEP.splitlines()[0],
         replace=KEEP.splitlines()[0].replace("round(sparsity * magnitudes.size)",
                                              "int(np.ceil(sparsity * magnitudes.size))")),
    Edit("no zero_grad in the step (gradients accumulate across calls)", find="        optimizer.zero_grad()\n",
         replace=""),
    Edit("pruned count rounded half up (int(x + 0.5)) instead of round() to even",
         find="[:round(sparsity * magnitudes.size)]", replace="[:int(sparsity * magnitudes.size + 0.5)]"),
    Edit("apply_masks indexes masks by every prunable tensor (a partial dict fails)",
         find="    updated = [weights[name].assign(weights[name] * mask) for name, mask in masks.items()]",
         replace="    updated = [w.assign(w * masks[name]) for name, w in weights.items()]"),
    Edit("global ranking over the layers in sorted name order (ties across layers broken wrongly)",
         find="    magnitudes = [np.abs(w.numpy()).ravel() for w in weights.values()]",
         replace="    weights = dict(sorted(weights.items()))\n"
                 "    magnitudes = [np.abs(w.numpy()).ravel() for w in weights.values()]"),
    Edit("prunable returns an empty dict instead of raising for a model without matrices",
         find="    if not found:\n"
              "        raise ValueError(\"the model has no weight with two or more axes to prune\")\n", replace=""),
    Edit("weights already zero skipped: round(sparsity * nonzero) pruned among the nonzero ones", find=GLOBAL,
         replace="""    def _keep_mask(m, s):
        nz = np.flatnonzero(m)
        keep = np.ones(m.size, dtype=bool)
        keep[nz[np.argsort(m[nz], kind="stable")[:round(s * nz.size)]]] = False
        return keep
""" + GLOBAL),
    Edit("sparsity as the mean of the per-layer fractions (layers of different size weigh the same)",
         find="    return sum(int((v == 0).sum()) for v in values) / sum(v.size for v in values)",
         replace="    return float(np.mean([(v == 0).mean() for v in values]))"),
    Edit("apply_masks assigns lazily, never realized (inside the jit the assigns are not captured)",
         find="    if updated:\n        Tensor.realize(*updated)\n", replace=""),
    Edit("structured slices ranked from a reversed descending sort (equal norms: the later slice goes first)",
         find="    keep = _keep_mask(norms, sparsity).astype(np.float32)",
         replace="""    order = np.argsort(-norms, kind="stable")[::-1][:round(sparsity * norms.size)]
    keep = np.ones(norms.size, np.float32)
    keep[order] = 0.0"""),
    Edit("cross-entropy with the teacher in place of the KL (the teacher's entropy stays in the loss)",
         find="    kl = (log_p_teacher.exp() * (log_p_teacher - log_p_student)).sum(axis=1).mean()",
         replace="    kl = -(log_p_teacher.exp() * log_p_student).sum(axis=1).mean()"),
    Edit("masks applied before the update only (the update revives pruned weights)", find=STEP_TAIL,
         replace="""        apply_masks(model, masks)
        loss.realize(*optimizer.schedule_step())
        return loss"""),
]

ALTERNATIVES = [
    Edit("count from np.round (also half to even) and masks applied only where named",
         find="[:round(sparsity * magnitudes.size)]", replace="[:int(np.round(sparsity * magnitudes.size))]",
         then=Edit("apply loop over the model's tensors",
                   find="    updated = [weights[name].assign(weights[name] * mask) for name, mask in masks.items()]",
                   replace="    updated = [w.assign(w * masks[name])\n"
                           "               for name, w in weights.items() if name in masks]")),
    Edit("structured norms in tinygrad float32", find="    norms = np.sqrt((w * w).sum(axis=others))",
         replace="    norms = (weight.float() ** 2).sum(axis=others).sqrt().numpy()"),
    Edit("masks applied before the forward too", find="        optimizer.zero_grad()\n",
         replace="        optimizer.zero_grad()\n        apply_masks(model, masks)\n"),
    Edit("loss realized, then the optimizer's step() inside the jit", find=STEP_TAIL,
         replace="        loss.realize()\n        optimizer.step()\n"
                 "        apply_masks(model, masks)\n        return loss"),
    Edit("apply_masks by where on the mask tensor",
         find="    updated = [weights[name].assign(weights[name] * mask) for name, mask in masks.items()]\n",
         replace="    updated = [weights[name].assign((mask != 0).where(weights[name], 0.0))\n"
                 "               for name, mask in masks.items()]\n"),
    Edit("structured slices ranked by the squared norm (same order)",
         find="    norms = np.sqrt((w * w).sum(axis=others))\n", replace="    norms = (w * w).sum(axis=others)\n"),
    Edit("ranks from np.lexsort on (position, magnitude)", find=KEEP,
         replace="""    order = np.lexsort((np.arange(magnitudes.size), magnitudes))
    keep = np.ones(magnitudes.size, dtype=bool)
    keep[order[:round(sparsity * magnitudes.size)]] = False
    return keep"""),
    Edit("KL as cross-entropy minus the teacher's entropy, softmax probabilities in tinygrad", find=KD,
         replace="""    p_teacher = (teacher_logits.detach() / temperature).softmax(axis=1)
    log_p_teacher = (teacher_logits.detach() / temperature).log_softmax(axis=1)
    cross = -(p_teacher * (student_logits / temperature).log_softmax(axis=1)).sum(axis=1).mean()
    entropy = -(p_teacher * log_p_teacher).sum(axis=1).mean()
    hard = -(student_logits.log_softmax(axis=1) * labels.one_hot(student_logits.shape[1])).sum(axis=1).mean()
    return temperature * temperature * alpha * (cross - entropy) + (1 - alpha) * hard"""),
    Edit("masked step that also masks the gradients before the update", find=STEP_TAIL,
         replace="""        weights = prunable(model)
        for name, mask in masks.items():
            weights[name].grad = weights[name].grad * mask
        loss.realize(*optimizer.schedule_step())
        apply_masks(model, masks)
        return loss"""),
    Edit("structured norms with np.linalg.norm after moving the axis to the front",
         find="    norms = np.sqrt((w * w).sum(axis=others))",
         replace="    norms = np.linalg.norm(np.moveaxis(w, axis, 0).reshape(w.shape[axis], -1), axis=1)"),
    Edit("sparsity counted in tinygrad", find="""    values = [w.numpy() for w in prunable(model).values()]
    return sum(int((v == 0).sum()) for v in values) / sum(v.size for v in values)""",
         replace="""    weights = list(prunable(model).values())
    zeros = sum((w == 0).sum().item() for w in weights)
    return float(zeros / sum(w.numel() for w in weights))"""),
    Edit("masks applied after each call of the jitted update, outside the jit", find="""    @TinyJit
    @Context(TRAINING=1)
    def step(x: Tensor, y: Tensor) -> Tensor:
        optimizer.zero_grad()
        loss = model(x).sparse_categorical_crossentropy(y).backward()
""" + STEP_TAIL + """
    return step""", replace="""    @TinyJit
    @Context(TRAINING=1)
    def update(x: Tensor, y: Tensor) -> Tensor:
        optimizer.zero_grad()
        loss = model(x).sparse_categorical_crossentropy(y).backward()
        return loss.realize(*optimizer.schedule_step())

    def step(x: Tensor, y: Tensor) -> Tensor:
        loss = update(x, y)
        apply_masks(model, masks)
        return loss
    return step"""),
    Edit("cross-entropy from a one-hot mask and slices ranked by their RMS",
         find="    ce = student_logits.sparse_categorical_crossentropy(labels)",
         replace="    onehot = labels.one_hot(student_logits.shape[1])\n"
                 "    ce = -(student_logits.log_softmax(axis=1) * onehot).sum(axis=1).mean()",
         then=Edit("RMS of each slice (same order as the L2 norm)",
                   find="    norms = np.sqrt((w * w).sum(axis=others))",
                   replace="    norms = np.sqrt((w * w).mean(axis=others))")),
    Edit("schedule written as the rise from initial",
         find="    return float(final + (initial - final) * (1.0 - progress) ** 3)",
         replace="    return float(initial + (final - initial) * (1.0 - (1.0 - progress) ** 3))"),
]
