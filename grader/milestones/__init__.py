"""Milestones: real training on real data, gated by a threshold from the registry.

Each milestone module exposes `run(tier, out_dir) -> dict[str, float]` and keeps its bookkeeping in a
`Run`: progress within an epoch (steps) and across epochs, the training curves, and the timing fields
every milestone reports under the same names (`wall_s`, `cpu_s`). When the grader stops a run at its
CPU budget, the child process receives SIGTERM, `Stopped` is raised in the training loop, and the
runner saves what the current `Run` holds (curves so far and `status.json`) before exiting.

A smoke run answers one question, does the learner's model reach the gate, so its training loop ends
at the first evaluation that passes (`Run.gate_passed`), as time-to-target benchmarks do; a full run,
or one started outside the grader, always trains to the end.
"""
from __future__ import annotations

import json
import os
import textwrap
import time
from pathlib import Path
from typing import Callable, Iterable, Iterator, TypeVar

import numpy as np

T = TypeVar("T")
STATUS_FILE = "status.json"
STATUS_EVERY_S = 2.0
CURRENT: "Run | None" = None  # the run of this process, saved by the runner when it is stopped
GATE: "Callable[[float], bool] | None" = None  # set by the runner for a smoke run: does a value pass?


class Stopped(BaseException):
    """The grader stopped this run (its CPU budget is spent). A BaseException, like KeyboardInterrupt,
    so that an `except Exception` in the code being trained does not swallow it."""


def _interactive() -> bool:
    return not os.environ.get("CI") and os.isatty(2)


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """A rich progress bar over `items` (plain iteration when output is not a terminal or in CI)."""
    if not _interactive():
        yield from items
        return
    from rich.progress import track as rich_track
    yield from rich_track(items, description=description, total=total, transient=True)


class Run:
    """One milestone run: timing, progress (epoch and step), per-epoch history and curves.

    run = Run(out_dir, "MNIST MLP (smoke)", metric="test_accuracy", epochs=3)
    run.begin_epoch(steps=469); ...; run.advance(); ...; run.end_epoch(train_loss=..., test_accuracy=...)
    metrics = run.finish({...})      # adds wall_s and cpu_s, saves the curves and status.json
    """

    def __init__(self, out_dir: Path, title: str, metric: str, epochs: int = 1, xlabel: str = "epoch"):
        global CURRENT
        self.out_dir, self.title, self.metric, self.xlabel = Path(out_dir), title, metric, xlabel
        self.epochs, self.epoch, self.steps, self.step = epochs, 0, 0, 0
        self.history: list[dict] = []
        self.curves: dict[str, list[float]] = {}
        self._wall0, self._cpu0, self._written = time.perf_counter(), time.process_time(), 0.0
        self._bar = self._task = None
        self.out_dir.mkdir(parents=True, exist_ok=True)
        CURRENT = self

    # ------------------------------------------------------------ timing and progress

    def times(self) -> dict[str, float]:
        return {"wall_s": round(time.perf_counter() - self._wall0, 2), "cpu_s": round(time.process_time() - self._cpu0, 2)}

    def begin_epoch(self, steps: int) -> None:
        self.steps, self.step = steps, 0
        if _interactive():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), transient=True)
            self._task = self._bar.add_task(f"epoch {self.epoch + 1}/{self.epochs}", total=steps)
            self._bar.start()

    def advance(self, n: int = 1) -> None:
        self.step += n
        if self._bar is not None:
            self._bar.advance(self._task, n)
        if time.perf_counter() - self._written > STATUS_EVERY_S:
            self.write_status()

    def end_epoch(self, **row: float) -> dict:
        """Record one finished epoch: every value becomes a point of the curve of the same name."""
        self._stop_bar()
        self.epoch += 1
        row = {"epoch": self.epoch, **{k: float(v) for k, v in row.items()}, **self.times()}
        self.history.append(row)
        for key, value in row.items():
            if key not in ("epoch", "wall_s", "cpu_s"):
                self.curves.setdefault(key.replace("_", " "), []).append(value)
        # wrapped to 79 columns between values, never inside one (no-break spaces until printed)
        items = [f"{k.replace('_', ' ')} {v:.4g}" for k, v in row.items() if k not in ("epoch", "wall_s", "cpu_s")]
        line = (f"epoch {self.epoch}/{self.epochs}: " + ", ".join(item.replace(" ", "\xa0") for item in items)
                + f" ({row['cpu_s']:.0f}\xa0CPU\xa0s)")
        print(textwrap.fill(line, 79, subsequent_indent="    ").replace("\xa0", " "), flush=True)
        self.write_status()
        return row

    def gate_passed(self) -> bool:
        """Whether a smoke run's last finished epoch passed the gate, and training may stop there."""
        value = self.history[-1].get(self.metric) if self.history else None
        if GATE is None or value is None or not GATE(value):
            return False
        if self.epoch < self.epochs:
            print(f"{self.metric.replace('_', ' ')} {value:.4g} meets the smoke gate at epoch {self.epoch} of "
                  f"{self.epochs}; stopping", flush=True)
        return True

    def where(self) -> str:
        """How far the run got, e.g. "epoch 3 of 4, step 310/469"."""
        if self.steps and 0 < self.step < self.steps:
            return f"epoch {self.epoch + 1} of {self.epochs}, step {self.step}/{self.steps}"
        if self.epoch:
            return f"after epoch {self.epoch} of {self.epochs}"
        return "before its first epoch ended" if self.epochs > 1 else "before it finished"

    def _stop_bar(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    # ------------------------------------------------------------ output

    def status(self, stopped: bool = False) -> dict:
        so_far = {k: v for k, v in (self.history[-1] if self.history else {}).items() if k != "epoch"}
        return {"where": self.where(), "epoch": self.epoch, "epochs": self.epochs, "step": self.step,
                "steps": self.steps, "metric": self.metric, "so_far": so_far, "stopped": stopped,
                "history": self.history, **self.times()}

    def write_status(self, stopped: bool = False) -> None:
        path = self.out_dir / STATUS_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.status(stopped), indent=1))
        tmp.replace(path)
        self._written = time.perf_counter()

    def save_curves(self, **kwargs) -> Path | None:
        curves = {k: v for k, v in self.curves.items() if v}
        return save_curves(self.out_dir, curves, self.title, self.xlabel, **kwargs) if curves else None

    def finish(self, metrics: dict[str, float]) -> dict[str, float]:
        """The final metrics with the timing fields; saves the curves and the final status."""
        self._stop_bar()
        self.save_curves()
        self.write_status()
        return {**{k: float(v) for k, v in metrics.items()}, **self.times()}

    def save_partial(self) -> None:
        """What a stopped run leaves behind: the curves of the finished epochs and status.json."""
        self._stop_bar()
        self.write_status(stopped=True)
        self.save_curves()


def describe_stop(status: dict) -> str:
    """A sentence from a stopped run's status.json: how far it got and the gated metric so far."""
    where = status.get("where", "?")
    text = f"stopped {'in ' if where.startswith('epoch') else ''}{where}"
    value = status.get("so_far", {}).get(status.get("metric"))
    if isinstance(value, (int, float)):
        text += f"; {status['metric']} so far {value:.4g}"
    return text


def save_curves(out_dir: Path, curves: dict[str, list[float]], title: str, xlabel: str = "epoch",
                filename: str = "curves.png") -> Path:
    """Plot each named series against its index, one panel per series, and save a PNG in out_dir."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, len(curves), figsize=(4.5 * len(curves), 3.4), squeeze=False)
    for ax, (name, values) in zip(axes[0], curves.items()):
        ax.plot(range(1, len(values) + 1), values, marker="o" if len(values) <= 30 else None)
        ax.set_title(name)
        ax.set_xlabel(xlabel)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    path = out_dir / filename
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def flat_pixels(images: np.ndarray) -> np.ndarray:
    """uint8 images (N, H, W) -> float32 rows (N, H * W) in [0, 1]."""
    return np.asarray(images, dtype=np.float32).reshape(len(images), -1) / 255.0


def tile(images: np.ndarray, rows: int, cols: int, side: int = 28) -> np.ndarray:
    """rows * cols square images (flat or not) -> one (rows * side, cols * side) picture, row by row."""
    return images.reshape(rows, cols, side, side).transpose(0, 2, 1, 3).reshape(rows * side, cols * side)


def save_picture(path: Path, picture: np.ndarray, title: str) -> Path:
    """A grey-scale picture with values in [0, 1] (e.g. from `tile`) saved as a PNG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 6))
    ax.imshow(picture, cmap="gray", vmin=0, vmax=1)
    ax.set_title(title)
    ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
