"""Milestones: real training on real data, gated by a threshold from the registry.

Each milestone module exposes `run(tier, out_dir) -> dict[str, float]`. The helpers below give every
milestone the same progress bar and the same training-curve figure.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """A rich progress bar over `items` (plain iteration when output is not a terminal or in CI)."""
    if os.environ.get("CI") or not os.isatty(2):
        yield from items
        return
    from rich.progress import track as rich_track
    yield from rich_track(items, description=description, total=total, transient=True)


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
