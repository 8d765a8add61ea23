"""Mutants and alternatives for Exercise 6.5 (UNet, pixel_cross_entropy, iou, dice, mean_score)."""
from grader.mutants import Edit

UP_INIT = "        self.block = ConvBlock(2 * c_out, c_out)"
UP_CALL = "        return self.block(skip.cat(self.up(x), dim=1))"
IOU_RETURN = "    return np.where(union > 0, inter / np.maximum(union, 1), np.nan)"
DICE_RETURN = "    return np.where(total > 0, 2 * inter / np.maximum(total, 1), np.nan)"
LOSS_RETURN = ("    return logits.permute(0, 2, 3, 1).reshape(-1, n_classes)"
               ".sparse_categorical_crossentropy(labels.flatten())")

MUTANTS = [
    Edit("skip connection added instead of concatenated", find=UP_INIT,
         replace="        self.block = ConvBlock(c_out, c_out)",
         then=Edit("", find=UP_CALL, replace="        return self.block(skip + self.up(x))")),
    Edit("no skip connection: the decoder sees only the upsampled features", find=UP_INIT,
         replace="        self.block = ConvBlock(c_out, c_out)",
         then=Edit("", find=UP_CALL, replace="        return self.block(self.up(x))")),
    Edit("upsampled features first in the concatenation", find=UP_CALL,
         replace="        return self.block(self.up(x).cat(skip, dim=1))"),
    Edit("decoders meet the skips in encoder order (deepest decoder gets the top skip)",
         find="zip(self.decoders, reversed(skips))", replace="zip(self.decoders, skips)"),
    Edit("average pooling on the way down", find="            x = x.max_pool2d(2)",
         replace="            x = x.avg_pool2d(2)"),
    Edit("ReLU before BatchNorm in the blocks",
         find="        x = self.bn1(self.conv1(x)).relu()\n        return self.bn2(self.conv2(x)).relu()",
         replace="        x = self.bn1(self.conv1(x).relu())\n        return self.bn2(self.conv2(x).relu())"),
    Edit("no size check: tinygrad fails somewhere inside the decoder",
         find="        if x.shape[2] % step or x.shape[3] % step:\n", replace="        if False:\n"),
    Edit("head built before the encoders (Tensor.manual_seed gives other weights)",
         find="        self.head = nn.Conv2d(width, n_classes, 1)\n", replace="",
         then=Edit("", find="        channels = [in_channels] + [width * 2 ** i for i in range(depth)]\n",
                   replace="        self.head = nn.Conv2d(width, n_classes, 1)\n"
                           "        channels = [in_channels] + [width * 2 ** i for i in range(depth)]\n")),
    Edit("BatchNorm with momentum 0.01",
         find="        self.conv1, self.bn1 = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm(c_out)\n",
         replace="        self.conv1, self.bn1 = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), "
                 "nn.BatchNorm(c_out, momentum=0.01)\n",
         then=Edit("", find="        self.conv2, self.bn2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm(c_out)\n",
                   replace="        self.conv2, self.bn2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), "
                           "nn.BatchNorm(c_out, momentum=0.01)\n")),
    Edit("bottleneck skipped", find="        x = self.bottleneck(x)\n", replace=""),
    Edit("loss flattens the logits without moving the class axis last",
         find="logits.permute(0, 2, 3, 1).reshape(-1, n_classes)", replace="logits.reshape(-1, n_classes)"),
    Edit("loss summed over the pixels of an image, averaged over images",
         find=LOSS_RETURN,
         replace="    loss = logits.permute(0, 2, 3, 1).reshape(-1, n_classes).sparse_categorical_crossentropy(labels.flatten())\n"
                 "    return loss * (labels.numel() // labels.shape[0])"),
    Edit("dice without the factor 2", find=DICE_RETURN,
         replace="    return np.where(total > 0, inter / np.maximum(total, 1), np.nan)"),
    Edit("dice computed as IoU (intersection over union)",
         find="inter, total = (p & t).sum(axis=1), p.sum(axis=1) + t.sum(axis=1)",
         replace="inter, total = (p & t).sum(axis=1), (p | t).sum(axis=1)",
         then=Edit("", find=DICE_RETURN,
                   replace="    return np.where(total > 0, inter / np.maximum(total, 1), np.nan)")),
    Edit("iou divides by |P| + |T| (the intersection counted twice)",
         find="inter, union = (p & t).sum(axis=1), (p | t).sum(axis=1)",
         replace="inter, union = (p & t).sum(axis=1), p.sum(axis=1) + t.sum(axis=1)"),
    Edit("a class absent from both maps scores 0 instead of being left out", find=IOU_RETURN,
         replace="    return inter / np.maximum(union, 1)"),
    Edit("a class absent from both maps scores 1 (NaN never returned)", find=IOU_RETURN,
         replace="    return np.where(union > 0, inter / np.maximum(union, 1), 1.0)"),
    Edit("mean over classes includes the background although it is documented as left out",
         find="    scores = per_class if include_background else per_class[1:]",
         replace="    scores = per_class"),
    Edit("mean over classes with np.mean: one absent class makes it NaN",
         find="    scores = scores[~np.isnan(scores)]\n", replace=""),
    Edit("mean over classes counts absent classes as 0",
         find="    scores = scores[~np.isnan(scores)]", replace="    scores = np.nan_to_num(scores)"),
    Edit("BatchNorm with Keras's eps 1e-3",
         find="        self.conv1, self.bn1 = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm(c_out)\n",
         replace="        self.conv1, self.bn1 = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), "
                 "nn.BatchNorm(c_out, eps=1e-3)\n",
         then=Edit("", find="self.bn2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm(c_out)\n",
                   replace="self.bn2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), "
                           "nn.BatchNorm(c_out, eps=1e-3)\n")),
    Edit("overlapping 3x3 max-pooling with stride 2 (the same output size)", find="            x = x.max_pool2d(2)",
         replace="            x = x.max_pool2d(3, stride=2, padding=1)"),
    Edit("iou of each image, then averaged over the images",
         find="""    classes = np.arange(n_classes)[:, None]
    p, t = pred.ravel()[None] == classes, target.ravel()[None] == classes
    inter, union = (p & t).sum(axis=1), (p | t).sum(axis=1)
    return np.where(union > 0, inter / np.maximum(union, 1), np.nan)""",
         replace="""    import warnings
    classes, per_image = np.arange(n_classes)[:, None], []
    for pr, tr in zip(pred.reshape(len(pred), -1), target.reshape(len(target), -1)):
        p, t = pr[None] == classes, tr[None] == classes
        inter, union = (p & t).sum(axis=1), (p | t).sum(axis=1)
        per_image.append(np.where(union > 0, inter / np.maximum(union, 1), np.nan))
    with warnings.catch_warnings(action="ignore"):   # classes absent from every image
        return np.nanmean(np.array(per_image), axis=0)"""),
    Edit("loss as the log of the softmax (underflows to -inf for large logits)",
         find=LOSS_RETURN,
         replace="    onehot = labels.one_hot(n_classes).permute(0, 3, 1, 2)\n"
                 "    return -(logits.softmax(axis=1).log() * onehot).sum(axis=1).mean()"),
    Edit("iou returned as a Python list (a float64 array is declared)", find=IOU_RETURN,
         replace="    return np.where(union > 0, inter / np.maximum(union, 1), np.nan).tolist()"),
]

ALTERNATIVES = [
    Edit("concatenation written as Tensor.cat with a list", find=UP_CALL,
         replace="        parts = [skip, self.up(x)]\n        return self.block(Tensor.cat(*parts, dim=1))"),
    Edit("loss by log_softmax over axis 1 and a one-hot mask",
         find=LOSS_RETURN,
         replace="    onehot = labels.one_hot(n_classes).permute(0, 3, 1, 2)\n"
                 "    return -(logits.log_softmax(axis=1) * onehot).sum(axis=1).mean()"),
    Edit("iou from a confusion matrix (np.bincount)",
         find="""    classes = np.arange(n_classes)[:, None]
    p, t = pred.ravel()[None] == classes, target.ravel()[None] == classes
    inter, union = (p & t).sum(axis=1), (p | t).sum(axis=1)
""",
         replace="""    counts = np.bincount(target.ravel() * n_classes + pred.ravel(), minlength=n_classes ** 2)
    confusion = counts.reshape(n_classes, n_classes)
    inter = np.diag(confusion)
    union = confusion.sum(axis=0) + confusion.sum(axis=1) - inter
"""),
    Edit("dice from iou: 2 IoU / (1 + IoU)",
         find="""    classes = np.arange(n_classes)[:, None]
    p, t = pred.ravel()[None] == classes, target.ravel()[None] == classes
    inter, total = (p & t).sum(axis=1), p.sum(axis=1) + t.sum(axis=1)
    return np.where(total > 0, 2 * inter / np.maximum(total, 1), np.nan)""",
         replace="""    j = iou(pred, target, n_classes)
    return 2 * j / (1 + j)"""),
    Edit("mean over classes with np.nanmean (and a guard for none left)",
         find="""    scores = scores[~np.isnan(scores)]
    return float(scores.mean()) if len(scores) else float("nan")""",
         replace="""    if np.isnan(scores).all():
        return float("nan")
    return float(np.nanmean(scores))"""),
    Edit("skips paired by index from the end",
         find="""        for decoder, skip in zip(self.decoders, reversed(skips)):
            x = decoder(x, skip)""",
         replace="""        for j, decoder in enumerate(self.decoders):
            x = decoder(x, skips[-1 - j])"""),
    Edit("dice without a guard: 0 / 0 gives the NaN of an absent class", find=DICE_RETURN,
         replace="    with np.errstate(invalid=\"ignore\"):\n        return 2 * inter / total"),
    Edit("loss with the class axis swapped last by transpose, labels transposed to match",
         find=LOSS_RETURN,
         replace="    flat = logits.transpose(1, 3).reshape(-1, n_classes)\n"
                 "    return flat.sparse_categorical_crossentropy(labels.transpose(1, 2).flatten())"),
    Edit("skips popped from a stack",
         find="""        for decoder, skip in zip(self.decoders, reversed(skips)):
            x = decoder(x, skip)""",
         replace="""        for decoder in self.decoders:
            x = decoder(x, skips.pop())"""),
]
