"""`make bench`: how fast the learner's loop and the milestone steps run on this machine, with PyTorch
CPU on the same recipes for scale. It prints figures and asserts nothing (speed goals live here, never
in timed tests).

CPU seconds (user + system of the child processes) are the figures to compare: on a busy machine wall
time grows with the load, CPU time much less. Step times are milliseconds per training step, CPU and
wall, with the threads each child gets (grader/childenv.py): PyTorch spreads a step over its threads
(more CPU, less wall), tinygrad's kernels for these shapes run on one.

The 4.1 step is measured twice: with the kernels a milestone run uses (tinygrad's default optimizer
with wider tiles for matrix products, grader/tiling.py), and with BEAM=2, which times candidate
optimisations of every kernel and keeps the fastest. The first run searches (about 3 CPU minutes for
4.1); tinygrad caches the choices, here in a file per thread count (a choice made for 2 threads fails
under 1: "too many threads"). Measured on the 4.1 step, one thread, before the wider tiles: default
kernels 7.0 ms, BEAM=1 4.9, BEAM=2 4.2, BEAM=4 4.5 (a wider search is not a better one here, and
costs 4.6 CPU minutes); with them 4.7-5.0 ms, BEAM=2 4.6. A learner's milestone run cannot keep such
a search (it writes a private copy of the kernel cache), and it would save less than it costs.

PyTorch is never a dependency of the project: it goes into a separate environment, .venv-bench, created
on the first run from the CPU-only wheels (download.pytorch.org/whl/cpu, or a local wheel that pip is
configured to find). Where that fails the PyTorch columns say why and the rest is still printed.
"""
from __future__ import annotations

import inspect
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader import childenv, registry, sandbox

BENCH_VENV = registry.ROOT / ".venv-bench"
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
STEPS = 100          # training steps per timed epoch
REPEATS = 5          # timed epochs per recipe; the median is reported (PyTorch's step alone moves by 30%)
BATCH = 128

# One training step of each recipe, in PyTorch: the same layers, batch, optimiser and data handling.
TORCH_SCRIPT = r"""
import json, sys, time
import torch
from torch import nn
recipe, steps, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(int(sys.argv[4]))
torch.manual_seed(0)
X, y = torch.rand(steps * batch, 784), torch.randint(0, 10, (steps * batch,))
if recipe == "3.6":   # 784-256-128-64-10, BatchNorm, ReLU, dropout 0.1; SGD momentum 0.9, loss read every step
    layers = []
    for a, b in ((784, 256), (256, 128), (128, 64)):
        layers += [nn.Linear(a, b), nn.BatchNorm1d(b), nn.ReLU(), nn.Dropout(0.1)]
    model = nn.Sequential(*layers, nn.Linear(64, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
else:                 # 784-256-128-10 ReLU; Adam 1e-3; losses summed, read once
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
def epoch():
    total = torch.zeros(())
    for i in torch.randperm(len(X)).split(batch):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(X[i]), y[i])
        loss.backward()
        opt.step()
        if recipe == "3.6":
            loss.item()
        else:
            total += loss.detach()
    return total.item()
epoch()
print(json.dumps(timed_epochs(epoch, int(sys.argv[5]))))   # defined above this script (bench.py)
"""


def _ours_step(recipe: str, steps: int, batch: int) -> dict[str, list[float]]:
    """CPU and wall seconds of epochs of `steps` training steps of the reference on random MNIST-shaped
    data (runs in a child)."""
    import numpy as np

    from grader import tiling
    from grader.target import reference
    tiling.install()   # as in a milestone run
    rng = np.random.default_rng(0)
    X, y = rng.random((steps * batch, 784), dtype=np.float32), rng.integers(0, 10, steps * batch).astype(np.int32)
    if recipe == "3.6":
        from grader.milestones.mnist_numpy import TIERS
        cfg, mlp = TIERS["smoke"], reference("3.6")
        model = mlp.build_model(reference("3.5"), sizes=cfg["sizes"], dropout=cfg["dropout"], seed=0, dtype=np.float32)
        state = mlp.train_epoch(model, X, y, lr=cfg["lr"], batch_size=batch, seed=0)[1]

        def epoch():
            mlp.train_epoch(model, X, y, lr=cfg["lr"], batch_size=batch, seed=1, state=state)
    else:
        from tinygrad.nn.optim import Adam

        from grader.milestones.mnist_tinygrad import DeviceLoop
        mlp = reference("4.1")
        model = mlp.TinygradNN((784, 256, 128, 10))
        loop = DeviceLoop(mlp.make_train_step(model, Adam(model.parameters(), lr=1e-3)), X, y, batch)

        def epoch():
            loop.epoch(rng.permutation(len(X)))
        epoch()  # compiles, then captures the JIT
    return timed_epochs(epoch, REPEATS)


def timed_epochs(epoch, repeats: int) -> dict[str, list[float]]:
    """CPU and wall seconds of each of `repeats` calls of `epoch` (also the PyTorch script's timer)."""
    import time
    cpu, wall = [], []
    for _ in range(repeats):
        c, w = time.process_time(), time.perf_counter()
        epoch()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return {"cpu": cpu, "wall": wall}


def _median_step_ms(timed: dict[str, list[float]]) -> dict[str, float]:
    return {f"{kind}_ms": sorted(times)[len(times) // 2] * 1000 / STEPS for kind, times in timed.items()}


# ---------------------------------------------------------------- measuring child processes


def _timed(command: list[str], env: dict | None = None, cwd: Path | None = None) -> tuple[float, float, str]:
    """(CPU seconds of the command's processes, wall seconds, output)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, env=env or childenv.environ(), cwd=cwd or registry.ROOT)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return cpu, wall, done.stdout + done.stderr


def _solved_workspace(tmp: Path) -> Path:
    """A copy of phases/ with every learner file replaced by the reference."""
    shutil.copytree(registry.ROOT / "phases", tmp / "phases", ignore=shutil.ignore_patterns("__pycache__"))
    for ex in registry.exercises():
        shutil.copy(ex.solution_path, ex.stub_path(tmp))
    return tmp


def learner_loop() -> list[tuple[str, float, float]]:
    """The commands a learner runs. Under the process sandbox: a child in bubblewrap's PID namespace is
    reaped there, so its CPU time never reaches our rusage."""
    grader = [sys.executable, "-m", "grader"]
    env = childenv.environ({sandbox.MODE_VAR: "off"})
    rows = []
    with tempfile.TemporaryDirectory(prefix="gradschool-bench-") as tmp:
        trivial = Path(tmp) / "test_trivial.py"
        trivial.write_text("def test_nothing():\n    pass\n")
        rows.append(("bare pytest child, one trivial test",
                     *_timed([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(trivial)], cwd=Path(tmp))[:2]))
        solved = ["--workspace", str(_solved_workspace(Path(tmp) / "solved"))]
        for phase in ("1", "4"):
            _timed([*grader, *solved, "phase", phase], env)  # warms tinygrad's compile cache
            rows.append((f"make phase{phase}, stubs", *_timed([*grader, "phase", phase], env)[:2]))
            rows.append((f"make phase{phase}, reference", *_timed([*grader, *solved, "phase", phase], env)[:2]))
        rows.append(("grader check 1.2, reference",
                     *_timed([*grader, *solved, "check", "1.2", "--no-milestones"], env)[:2]))
    return rows


def matmul_gflops() -> float:
    """NumPy float32 1024x1024 matmul, one thread, best of 10 (CPU time: waiting for a core is not counted)."""
    code = ("import numpy as np, time; a = np.random.rand(1024, 1024).astype(np.float32); a @ a; best = 1e9\n"
            "for _ in range(10):\n t = time.process_time(); a @ a; best = min(best, time.process_time() - t)\n"
            "print(2 * 1024 ** 3 / best / 1e9)")
    return float(_timed([sys.executable, "-c", code], env=childenv.environ(childenv.threads(1)))[2].split()[-1])


def _torch_python() -> tuple[Path | None, str]:
    """The bench environment's python with torch, created on demand; or None and the reason."""
    python = BENCH_VENV / "bin" / "python"
    if not python.exists():
        print(f"Creating {BENCH_VENV.name} with CPU-only PyTorch (first run only)...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
    probe = subprocess.run([str(python), "-c", "import torch; print(torch.__version__)"], capture_output=True, text=True)
    if probe.returncode != 0:
        install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--timeout", "15", "--retries", "1",
                                  "--only-binary=:all:", "--index-url", TORCH_INDEX, "torch", "numpy"],
                                 capture_output=True, text=True)
        probe = subprocess.run([str(python), "-c", "import torch; print(torch.__version__)"], capture_output=True, text=True)
        if probe.returncode != 0:
            lines = (install.stderr or install.stdout).strip().splitlines() or ["pip failed"]
            return None, f"no CPU-only torch wheel could be installed ({lines[-1][:60]})"
    version = probe.stdout.strip()
    if "+cpu" not in version and "cpu" not in subprocess.run(
            [str(python), "-c", "import torch; print(torch.version.cuda or 'cpu')"], capture_output=True, text=True).stdout:
        return None, f"{BENCH_VENV.name} holds torch {version}, not a CPU-only build"
    return python, version


def milestone_steps(threads: int) -> list[tuple[str, dict, dict | None, str]]:
    """(recipe, our CPU and wall ms per step, PyTorch's or None, a note on PyTorch) per row."""
    env = childenv.environ({**childenv.threads(threads), "GRADSCHOOL_TARGET": "reference"})
    python, torch_note = _torch_python()
    rows = []
    torch_ms: dict[str, dict | None] = {}
    for recipe, what, beam in (("3.6", "3.6 NumPy MLP, BatchNorm, dropout", "0"),
                               ("4.1", "4.1 tinygrad MLP, Adam, TinyJit", "0"),   # tiled, as in a milestone
                               ("4.1", "4.1 the same, BEAM=2 kernels", "2")):
        # tinygrad keys a search by kernel, not by thread count: a choice made for 2 threads fails under 1
        # ("too many threads"), so each thread count keeps its searches in a file of its own
        beam_env = {"BEAM": beam, **({"CACHEDB": str(childenv.kernel_cache().with_name(
            f"gradschool-bench-{threads}-threads-cache.db"))} if beam != "0" else {})}
        out = _timed([sys.executable, "-m", "grader.bench", "--step", recipe], env={**env, **beam_env})[2]
        ours = _median_step_ms(json.loads(out.strip().splitlines()[-1]))
        theirs = torch_ms.get(recipe)
        if python is not None and recipe not in torch_ms:
            script = inspect.getsource(timed_epochs) + TORCH_SCRIPT
            out = _timed([str(python), "-c", script, recipe, str(STEPS), str(BATCH), str(threads), str(REPEATS)], env=env)[2]
            try:
                theirs = torch_ms[recipe] = _median_step_ms(json.loads(out.strip().splitlines()[-1]))
            except (ValueError, IndexError):
                torch_note = f"the PyTorch run failed: {out.strip().splitlines()[-1:]}"
        rows.append((what, ours, theirs, torch_note))
    return rows


def _pair(a: float, b: float) -> str:
    return f"{a:6.2f} {b:6.2f}"


def main() -> int:
    threads = childenv.threads_per_child()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    import numpy
    print(f"gradschool bench: {childenv.cores()} cores, load {load:.1f}, Python {sys.version.split()[0]}, "
          f"NumPy {numpy.__version__}")
    print(f"NumPy float32 matmul (1024^3, 1 thread): {matmul_gflops():.0f} GFLOP/s")
    print(f"\n{'Learner loop (process sandbox)':52} {'CPU s':>8} {'wall s':>8}")
    for name, cpu, wall in learner_loop():
        print(f"  {name:50} {cpu:8.2f} {wall:8.2f}")
    print(f"\nMilestone step, ms, {threads} thread(s); BEAM=2: first run searches (~3 CPU min)")
    print(f"  {'':34} {'ours':>13} {'PyTorch':>13} {'ours/PyTorch':>13}")
    print(f"  {'':34} {'CPU   wall':>13} {'CPU   wall':>13} {'CPU   wall':>13}")
    notes = set()
    nan = {"cpu_ms": float("nan"), "wall_ms": float("nan")}
    for name, ours, theirs, note in milestone_steps(threads):
        t = theirs or nan
        print(f"  {name:34} {_pair(ours['cpu_ms'], ours['wall_ms'])} {_pair(t['cpu_ms'], t['wall_ms'])} "
              f"{_pair(ours['cpu_ms'] / t['cpu_ms'], ours['wall_ms'] / t['wall_ms'])}")
        notes.add(note)
    for note in sorted(notes):
        print(f"  PyTorch: {note}"[:79])
    print("\nGoals: make phase1 <= 1.5 CPU s, make phase4 reference <= 15 CPU s,\n"
          "step ratio to PyTorch <= 1.5.")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--step"]:
        print(json.dumps(_ours_step(sys.argv[2], STEPS, BATCH)))
        sys.exit(0)
    sys.exit(main())
