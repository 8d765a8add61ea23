"""Milestone for Exercise 6.7: pre-train the learner's BERT on tiny shakespeare, then fine-tune it.

Two stages:
1. Masked-LM pre-training on windows of the training text ([CLS] + characters + [SEP]), masked by
   the learner's `mask_tokens` and trained on the learner's `mlm_loss`. The grader measures the
   masked-character accuracy itself: on fixed windows of the last 10% of the text, 15% of the
   characters (chosen by grader code) replaced by [MASK], argmax of the logits there.
2. Speaker identification: which of the K speakers with the most lines says a given line. The
   grader parses the "NAME:" blocks, keeps lines said by one speaker only, and splits each
   speaker's lines (seeded) into test and train, the same number per speaker, so no line is in
   both and guessing scores 1/K. Two classifiers with the same head initialisation, the same
   batches and the same steps are fine-tuned: one on the pre-trained encoder, one on a fresh
   encoder (from scratch). `finetune_gain` = test accuracy (pre-trained) - test accuracy
   (scratch), computed by the grader from the logits, is measured and reported.
The gate is the masked-character accuracy of stage 1: at this scale the gain is too noisy to gate
(see the figures below), while a model that ignores the context cannot beat always guessing the
space (0.149 of the validation characters). A smoke run under the grader checks the gate after
every pre-training round and ends at the first that meets it, before stage 2: the gain means
something only after the whole pre-training (below). The full tier, or a run started outside the
grader, trains both stages to the end.

Test lines are removed from the pre-training text (the encoder never reads them). The run writes
`curves.png` and `masked_sample.txt` (validation lines with [MASK]s and the model's fills).

smoke: 2 layers, d 64, 4 heads, context 32, batch 32; 500 pre-training steps (AdamW 3e-3, 15%
masking), 120 fine-tuning steps per classifier (AdamW 1e-3), K = 4 (chance 0.25). Measured with
`grader milestone 6.7 --reference` on 2 shared cores (load 5-8), seed 0: masked-char accuracy
0.11 / 0.14 / 0.22 after 100 / 300 / 500 steps (the model starts to use context near 500 steps);
test accuracy pre-trained 0.283 / 0.327 / 0.335 after 40 / 80 / 120 fine-tuning steps, scratch
0.250 / 0.253 / 0.250 (it still answers one speaker): finetune_gain 0.085; 207 CPU s for the
whole child (cold kernel cache), 537 s wall. Seed 1 (same code, run directly): masked-char
accuracy 0.171, accuracies 0.362 vs 0.318 (scratch starts to learn in its last 40 steps), gain
0.043, 191 CPU s. The first recipe tried (context 48, 300 pre-training steps at 2e-3, 150
fine-tuning steps) stopped at the unigram stage (masked-char accuracy 0.17) and gained nothing
(-0.012, 237 CPU s): the gain needs pre-training past that stage. The gain is fragile (0.085 and
0.043 on two seeds; each accuracy on 600 test lines has a standard error of about 0.02). Seeds 2
and 3 (run directly, 193 and 195 CPU s): masked-char accuracy 0.173 and 0.207, gain -0.028 and
0.077 (those masked-char figures are on 4 validation batches). So the gain is reported, and the
gate is masked-char accuracy >= 0.155 on 16 validation batches (about 2,500 masked characters,
standard error under 0.01): seed 2, the weakest pre-training above, scores 0.202 there (178 CPU s);
budget 540 CPU s. Stopped at the gate, seed 0 meets it after 300 steps (0.166): 59.5 CPU s for the
child from a cold kernel cache on 2 busy cores, against 94 for both stages in full.
full: 4 layers, d 128, 4 heads, context 64, 3000 pre-training steps, 600 fine-tuning steps.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from grader import data
from grader.milestones import Run
from grader.milestones.mnist_tinygrad import realized
from grader.target import exercise

TIERS = {
    "smoke": dict(layers=2, d=64, heads=4, context=32, batch=32, lr=3e-3, mask=0.15, pretrain=500, ft_lr=1e-3,
                  finetune=120, every=100, ft_every=40),
    "full": dict(layers=4, d=128, heads=4, context=64, batch=32, lr=1e-3, mask=0.15, pretrain=3000, ft_lr=5e-4,
                 finetune=600, every=250, ft_every=100),
}
SPEAKERS, TEST_PER_SPEAKER = 4, 150
VAL_BATCHES, MASK_RATE, SAMPLE_LINES = 16, 0.15, 6


def speaker_lines(text: str) -> dict[str, list[str]]:
    """Lines of each speaker: a block is "NAME:\\n" followed by lines up to a blank line. A line
    said by more than one speaker is dropped (its label would be ambiguous); duplicates go."""
    said = defaultdict(set)
    for block in text.split("\n\n"):
        head, *lines = block.strip("\n").split("\n")
        if lines and head.endswith(":"):
            for line in lines:
                if line.strip():
                    said[line].add(head[:-1])
    by_speaker = defaultdict(list)
    for line, names in said.items():
        if len(names) == 1:
            by_speaker[next(iter(names))].append(line)
    return {name: sorted(lines) for name, lines in by_speaker.items()}


def speaker_task(text: str, k: int, test_per: int, seed: int):
    """Balanced train and test sets for the k speakers with the most lines: (names, train lines,
    train labels, test lines, test labels); per speaker `test_per` test lines and the same number
    of train lines for every speaker (as many as the smallest of the k has left)."""
    lines = speaker_lines(text)
    names = sorted(lines, key=lambda n: (-len(lines[n]), n))[:k]
    rng = np.random.default_rng(seed)
    per = min(len(lines[n]) for n in names)
    train, test = [], []
    for label, name in enumerate(names):
        order = rng.permutation(lines[name])[:per]
        test += [(str(line), label) for line in order[:test_per]]
        train += [(str(line), label) for line in order[test_per:]]
    train = [train[i] for i in rng.permutation(len(train))]
    return (names, [t for t, _ in train], np.array([y for _, y in train], np.int32),
            [t for t, _ in test], np.array([y for _, y in test], np.int32))


def run(tier: str = "smoke", out_dir: Path = Path("milestone_out"), seed: int = 0) -> dict[str, float]:
    from tinygrad import Tensor, TinyJit, Context
    from tinygrad.nn.optim import AdamW

    cfg = TIERS[tier]
    bert = exercise("6.7")
    T, B = cfg["context"], cfg["batch"]
    train_text, val_text = data.tiny_shakespeare()
    names, tr_lines, tr_y, te_lines, te_y = speaker_task(train_text + val_text, SPEAKERS, TEST_PER_SPEAKER, seed)
    held_out = set(te_lines)
    keep = lambda text: "\n".join(line for line in text.split("\n") if line not in held_out)
    train_text, val_text = keep(train_text), keep(val_text)
    vocab = bert.CharVocab(train_text + val_text + "".join(te_lines))
    V, special = vocab.vocab_size, bert.N_SPECIAL
    chars = sorted(set(train_text + val_text + "".join(te_lines)))   # the grader encodes the text itself
    lookup = {c: special + i for i, c in enumerate(chars)}
    if vocab.encode(val_text[:500]) != [lookup[c] for c in val_text[:500]]:
        raise ValueError("CharVocab.encode disagrees with ids 4.. for the sorted characters")
    train = np.array([lookup[c] for c in train_text], np.int32)
    val = np.array([lookup[c] for c in val_text], np.int32)

    def windows(source: np.ndarray, starts: np.ndarray) -> np.ndarray:
        rows = np.full((len(starts), T), bert.SEP, np.int32)
        rows[:, 0] = bert.CLS
        rows[:, 1:T - 1] = source[starts[:, None] + np.arange(T - 2)]
        return rows

    check = np.random.default_rng(1000 + seed)
    val_rows = windows(val, check.integers(0, len(val) - T, size=VAL_BATCHES * B))
    val_chosen = (check.random(val_rows.shape) < MASK_RATE) & (val_rows >= special)
    val_inputs = np.where(val_chosen, bert.MASK, val_rows).astype(np.int32)

    Tensor.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = bert.Bert(V, T, cfg["d"], cfg["heads"], cfg["layers"])
    opt = realized(AdamW(model.parameters(), lr=cfg["lr"]))

    @TinyJit
    @Context(TRAINING=1)
    def mlm_step(x: Tensor, y: Tensor) -> Tensor:
        opt.zero_grad()
        loss = bert.mlm_loss(model(x), y).backward()
        return loss.realize(*opt.schedule_step())

    @TinyJit
    def predict(x: Tensor) -> Tensor:
        return model(x).argmax(-1).realize()

    def masked_predictions() -> np.ndarray:
        return np.concatenate([predict(Tensor(val_inputs[i:i + B])).numpy() for i in range(0, len(val_inputs), B)])

    rounds, ft_rounds = cfg["pretrain"] // cfg["every"], cfg["finetune"] // cfg["ft_every"]
    run = Run(out_dir, f"Exercise 6.7 BERT on tiny shakespeare ({tier})", "masked_char_accuracy", rounds + ft_rounds,
              xlabel="round")
    gated = False
    for _ in range(rounds):
        run.begin_epoch(cfg["every"])
        losses = []
        for i in range(cfg["every"]):
            x, y = bert.mask_tokens(windows(train, rng.integers(0, len(train) - T, size=B)), V, rng, cfg["mask"])
            loss = mlm_step(Tensor(np.asarray(x, np.int32)), Tensor(np.asarray(y, np.int32)))
            if i % 10 == 9:
                losses.append(loss.item())
            run.advance()
        mlm_accuracy = float((masked_predictions() == val_rows)[val_chosen].mean())
        run.end_epoch(mlm_loss=float(np.mean(losses)), masked_char_accuracy=mlm_accuracy)
        gated = run.gate_passed()
        if gated:
            break
    write_sample(Path(out_dir) / "masked_sample.txt", vocab, val_rows, val_inputs, masked_predictions(), val_chosen)
    pretrained = {"masked_char_accuracy": mlm_accuracy, "pretrain_steps": run.epoch * cfg["every"]}
    if gated:   # a smoke run ends at its gate; fine-tuning tells something only after full pre-training
        print("fine-tuning skipped (the smoke gate is met); the full tier reports finetune_gain", flush=True)
        return run.finish({**pretrained, "finetune_steps": 0})

    tr_ids, te_ids = vocab.pack(tr_lines, T), vocab.pack(te_lines, T)
    Tensor.manual_seed(seed + 1)
    scratch = bert.Bert(V, T, cfg["d"], cfg["heads"], cfg["layers"])
    runs = {}
    for name, encoder in (("pretrained", model), ("scratch", scratch)):
        Tensor.manual_seed(seed + 2)                  # the same head initialisation for both
        runs[name] = Finetune(bert.BertClassifier(encoder, SPEAKERS), AdamW, cfg["ft_lr"], B)
    order = np.random.default_rng(seed + 3)
    for _ in range(ft_rounds):
        run.begin_epoch(cfg["ft_every"])
        batches = [order.integers(0, len(tr_ids), size=B) for _ in range(cfg["ft_every"])]
        row = {}
        for name, ft in runs.items():
            row[f"{name}_loss"] = ft.train(tr_ids, tr_y, batches, run.advance if name == "scratch" else None)
            row[f"{name}_accuracy"] = ft.accuracy(te_ids, te_y)
        run.end_epoch(**row)
    last = run.history[-1]
    gain = last["pretrained_accuracy"] - last["scratch_accuracy"]
    return run.finish({"finetune_gain": gain, "pretrained_accuracy": last["pretrained_accuracy"],
                       "scratch_accuracy": last["scratch_accuracy"], **pretrained, "finetune_steps": cfg["finetune"]})


class Finetune:
    """One classifier's fine-tuning: a TinyJit step on batches of packed lines, test accuracy
    computed by the grader from the classifier's logits."""

    def __init__(self, classifier, optimizer, lr: float, batch: int):
        from tinygrad import Tensor, TinyJit, Context
        self.batch = batch
        opt = realized(optimizer(classifier.parameters(), lr=lr))

        @TinyJit
        @Context(TRAINING=1)
        def step(x: Tensor, y: Tensor) -> Tensor:
            opt.zero_grad()
            loss = classifier(x).sparse_categorical_crossentropy(y).backward()
            return loss.realize(*opt.schedule_step())

        @TinyJit
        def predict(x: Tensor) -> Tensor:
            return classifier(x).argmax(-1).realize()

        self.step, self.predict = step, predict

    def train(self, ids: np.ndarray, labels: np.ndarray, batches, advance=None) -> float:
        from tinygrad import Tensor
        losses = []
        for i, rows in enumerate(batches):
            loss = self.step(Tensor(ids[rows]), Tensor(labels[rows]))
            if i % 10 == 9:
                losses.append(loss.item())
            if advance:
                advance()
        return float(np.mean(losses))

    def accuracy(self, ids: np.ndarray, labels: np.ndarray) -> float:
        from tinygrad import Tensor
        B, n = self.batch, len(ids)
        padded = np.concatenate([ids, np.repeat(ids[:1], -n % B, axis=0)])   # whole batches, one shape
        guesses = np.concatenate([self.predict(Tensor(padded[i:i + B])).numpy() for i in range(0, len(padded), B)])
        return float((guesses[:n] == labels).mean())


def write_sample(path: Path, vocab, rows, inputs, guesses, chosen) -> None:
    """Validation windows three ways: the masked input (a [MASK] shown as '_'), the model's fills
    at the masked characters, and the original text."""
    out = []
    for r in range(SAMPLE_LINES):
        real = slice(1, len(rows[r]) - 1)
        shown = np.where(chosen[r], -1, rows[r])[real]
        filled = np.where(chosen[r], guesses[r], rows[r])[real]
        text = lambda ids: "".join("_" if i == -1 else vocab.decode([i]) if i >= 4 else "?" for i in ids)
        out += [f"masked:    {text(shown)!r}", f"predicted: {text(filled)!r}",
                f"original:  {text(rows[r][real])!r}", ""]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
