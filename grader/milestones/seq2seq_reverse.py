"""Milestone for Exercises 5.4 and 5.5: a Seq2Seq built from the learner's LSTMCell reverses digit strings.

The learner's `Seq2Seq` (5.5) is built with the learner's `LSTMCell` (5.4) as its cell and trained with
teacher forcing on batches from their `make_batch`, with a TinyJit step (Adam). The gate is the exact-
sequence accuracy of greedy decoding on 1000 strings that the grader draws itself (another seed), the
target being computed here (the source reversed). The decoded tokens are trusted only when they are the
model's own greedy answer: run teacher-forced on its own output, the model must predict that output
again at every position (a greedy decode is exactly the fixed point of teacher forcing). A string counts
as solved when it is reversed correctly and passes that test.

smoke: strings of 5 digits, embedding 32, hidden 64, batch 64, Adam 3e-3, 300 steps, evaluated every 75.
Measured with the reference (`grader milestone 5.5 --reference`, cold in-process kernel caches, load 15 on
2 cores): sequence accuracy 0.219 / 0.921 / 0.976 / 0.991 after 75 / 150 / 225 / 300 steps (token accuracy
0.996 at the end; 0.992 on the 838 held-out strings no training batch contained), 187 CPU-s for the whole
child, 1147 s wall. Gate 0.95, budget 470 CPU-s.
full: strings of 8 digits, hidden 128, batch 128, 1500 steps, gate 0.99 (not measured here: about 1.3-1.7
CPU-s per step on this CPU, so a GPU or an evening).
Writes curves.png and samples.txt (sources, decodes and targets of the first 20 held-out strings).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from grader.milestones import Run
from grader.milestones.mnist_tinygrad import realized
from grader.target import exercise

TIERS = {"smoke": dict(length=5, embed=32, hidden=64, batch=64, steps=300, lr=3e-3, evals=4),
         "full": dict(length=8, embed=32, hidden=128, batch=128, steps=1500, lr=3e-3, evals=6)}
EVAL_N = 1000


def held_out(n: int, length: int) -> np.ndarray:
    """The grader's own test strings: (n, length) int32 digits from a seed no training batch uses."""
    return np.random.default_rng(12345).integers(0, 10, size=(n, length)).astype(np.int32)


def score(model, s2s, source: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(decoded tokens, solved per string, token correctness) for the grader's sources."""
    from tinygrad import Tensor
    target = source[:, ::-1]
    decoded = np.asarray(model.greedy(Tensor(source), source.shape[1]).numpy())
    if decoded.shape != source.shape:
        raise ValueError(f"greedy returned shape {decoded.shape}; expected {source.shape}")
    decoded = decoded.astype(np.int64)
    feed = np.concatenate([np.full((len(source), 1), s2s.BOS), decoded[:, :-1]], axis=1).astype(np.int32)
    again = model(Tensor(source), Tensor(np.clip(feed, 0, s2s.BOS))).argmax(axis=-1).numpy()
    own_answer = (again == decoded).all(axis=1)
    correct = decoded == target
    return decoded, correct.all(axis=1) & own_answer, correct


def run(tier: str = "smoke", out_dir: Path = Path("milestone_out")) -> dict[str, float]:
    from tinygrad import Context, Tensor, TinyJit
    from tinygrad.nn.optim import Adam

    cfg = TIERS[tier]
    lstm, s2s = exercise("5.4"), exercise("5.5")
    Tensor.manual_seed(0)
    rng = np.random.default_rng(0)
    model = s2s.Seq2Seq(s2s.VOCAB, cfg["embed"], cfg["hidden"], cell=lstm.LSTMCell)
    opt = realized(Adam(model.parameters(), lr=cfg["lr"]))

    @TinyJit
    @Context(TRAINING=1)
    def step(source: Tensor, decoder_input: Tensor, target: Tensor) -> Tensor:
        opt.zero_grad()
        loss = s2s.sequence_loss(model(source, decoder_input), target).backward()
        return loss.realize(*opt.schedule_step())

    test_source = held_out(EVAL_N, cfg["length"])
    test_codes = set(test_source @ (10 ** np.arange(cfg["length"])))
    seen = set()
    every = cfg["steps"] // cfg["evals"]
    run = Run(out_dir, f"Exercise 5.5 Seq2Seq reversal ({tier})", "sequence_accuracy", cfg["evals"],
              xlabel=f"evaluation (every {every} steps)")
    for _ in range(cfg["evals"]):
        run.begin_epoch(every)
        losses = []
        for i in range(every):
            source, decoder_input, target = (np.asarray(a, dtype=np.int32) for a in
                                             s2s.make_batch(cfg["batch"], cfg["length"], rng))
            seen.update(set(source @ (10 ** np.arange(cfg["length"]))) & test_codes)
            loss = step(Tensor(source), Tensor(decoder_input), Tensor(target))
            if i % 10 == 0:
                losses.append(loss.item())
            run.advance()
        with Context(TRAINING=0):
            decoded, solved, correct = score(model, s2s, test_source)
        run.end_epoch(train_loss=float(np.mean(losses)), token_accuracy=float(correct.mean()),
                      sequence_accuracy=float(solved.mean()))
        if run.gate_passed():
            break
    codes = test_source @ (10 ** np.arange(cfg["length"]))
    unseen = np.array([c not in seen for c in codes])
    lines = [f"{'source':>12} {'decoded':>12} {'target':>12}"]
    for src, dec in zip(test_source[:20], decoded[:20]):
        mark = "" if (dec == src[::-1]).all() else "  wrong"
        lines.append(f"{''.join(map(str, src)):>12} {''.join(map(str, dec % 10)):>12} "
                     f"{''.join(map(str, src[::-1])):>12}{mark}")
    (Path(out_dir) / "samples.txt").write_text("\n".join(lines) + "\n")
    last = run.history[-1]
    return run.finish({"sequence_accuracy": last["sequence_accuracy"], "token_accuracy": last["token_accuracy"],
                       "unseen_sequence_accuracy": float(solved[unseen].mean()) if unseen.any() else 0.0,
                       "held_out_seen_in_training": float(1 - unseen.mean()), "steps": run.epoch * every})
