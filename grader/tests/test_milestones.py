"""Every milestone's smoke tier reaches its target with the reference, within its CPU budget."""
import json
import os
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from grader import childenv, milestones, registry, runner, sandbox

MILESTONES = [e for e in registry.exercises() if e.milestone]


@pytest.mark.slow
@pytest.mark.parametrize("ex", MILESTONES, ids=lambda e: e.id)
def test_smoke_milestone_passes_with_the_reference(ex, fresh_workspace):
    result = runner.run_milestone(ex, fresh_workspace, "smoke", target_name="reference", echo=False)
    print(f"milestone {ex.id}: {result.message}; {result.cpu_s} CPU s, {result.seconds} s wall; "
          f"metrics {json.dumps(result.metrics)}")
    assert result.passed, result.message
    out = fresh_workspace / ".grader" / "milestones" / f"{ex.id}-smoke"
    assert list(out.glob("*.png")), "a milestone saves its training curves"


@pytest.mark.parametrize("ex", MILESTONES[:1], ids=lambda e: e.id)
def test_milestone_fails_cleanly_against_the_stub(ex, fresh_workspace):
    result = runner.run_milestone(ex, fresh_workspace, "smoke", target_name="learner", echo=False)
    assert not result.passed and "NotImplementedError" in result.message, result.message


def running(marker: str) -> list[str]:
    """Live processes whose command line carries `marker` (pids inside a PID namespace differ from ours)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    with open(f"/proc/{pid}/stat") as g:
                        if g.read().rsplit(")", 1)[1].split()[0] != "Z":
                            found.append(pid)
        except OSError:
            pass
    return found


def test_cpu_budget_counts_the_whole_process_tree(tmp_path):
    """The CPU is burnt by a grandchild while the child sleeps: the budget still stops it, the child gets
    SIGTERM first (and can save its work), and nothing of the tree survives."""
    marker = f"budget-test-{uuid.uuid4().hex}"
    code = textwrap.dedent(f"""
        import signal, subprocess, sys, time
        def save(signum, frame):
            open({str(tmp_path / "saved")!r}, "w").write("partial")
            sys.exit(3)
        signal.signal(signal.SIGTERM, save)
        worker = subprocess.Popen([sys.executable, "-c", "while True: pass  # {marker}"])
        time.sleep(600)
    """)
    run = sandbox.run(["-c", code], timeout_s=120, memory_mb=1024, cpu_budget_s=1.5, grace_s=5, writable=[tmp_path])
    assert run.budget_stop == "cpu" and run.cpu_s >= 1.5, run
    assert (tmp_path / "saved").read_text() == "partial", "the working process got no SIGTERM before the kill"
    for _ in range(100):  # SIGKILL takes effect when the process is next scheduled
        if not running(marker):
            break
        time.sleep(0.05)
    assert not running(marker), "a process of the stopped tree survived"
    assert "CPU budget" in run.crash


def test_wall_clock_cap_stops_a_sleeping_run():
    run = sandbox.run(["-c", "import time; time.sleep(600)"], timeout_s=1, memory_mb=1024, cpu_budget_s=100, grace_s=1)
    assert run.budget_stop == "wall" and run.cpu_s < 100, run


def test_a_stopped_run_keeps_its_curves_and_says_how_far_it_got(tmp_path):
    run = milestones.Run(tmp_path, "test run", "test_accuracy", epochs=4)
    for accuracy in (0.95, 0.961):
        run.begin_epoch(steps=469)
        run.advance(469)
        run.end_epoch(train_loss=1 - accuracy, test_accuracy=accuracy)
    run.begin_epoch(steps=469)
    run.advance(310)
    run.save_partial()
    status = json.loads((tmp_path / milestones.STATUS_FILE).read_text())
    assert status["stopped"] and len(status["history"]) == 2
    assert milestones.describe_stop(status) == "stopped in epoch 3 of 4, step 310/469; test_accuracy so far 0.961"
    assert (tmp_path / "curves.png").stat().st_size > 0


def test_a_smoke_run_stops_at_its_gate_and_only_a_smoke_run(tmp_path, monkeypatch, capsys):
    def epochs_trained(val_losses) -> int:
        run = milestones.Run(tmp_path, "t", "val_loss", epochs=len(val_losses))
        for value in val_losses:
            run.end_epoch(val_loss=value)
            if run.gate_passed():
                break
        return run.epoch

    curve = [3.0, 2.5, 2.45, 2.3, 2.2]
    assert epochs_trained(curve) == 5, "outside a smoke run there is no gate"
    gpt = registry.exercise("5.7").milestone   # val_loss <= 2.45: a gate for a metric that must fall
    monkeypatch.setattr(milestones, "GATE", lambda value: gpt.passed(value, "smoke"))
    assert epochs_trained(curve) == 3
    assert "val loss 2.45 meets the smoke gate at epoch 3 of 5; stopping\n" == capsys.readouterr().out.splitlines(True)[-1]
    assert epochs_trained([3.0, 2.9]) == 2


def test_test_children_compile_quickly_and_milestones_as_tinygrad_does(tmp_path, monkeypatch):
    monkeypatch.setenv("BEAM", "2")   # the learner's shell asks for tuned kernels
    seen = {}

    def launch(args, env, **_):
        seen[args[1]] = env
        return sandbox.Result(returncode=0, timed_out=False, output="", seconds=0.0)
    for args in (runner.pytest_args(["test_x.py"]), ["-m", "grader.runner", "4.1", "smoke", "out"]):
        runner._sandboxed(args, tmp_path, tmp_path, "learner", timeout_s=1, memory_mb=100, launch=launch)
    quick = {"NOOPT": "1", "BEAM": "0", "CC": str(registry.ROOT / "grader" / "quick-clang")}
    assert {k: seen["pytest"].get(k) for k in quick} == quick
    kernels, default = Path(seen["pytest"]["CACHEDB"]), childenv.kernel_cache()
    assert kernels.parent == default.parent and kernels != default, "test kernels are kept apart"
    assert not {*quick, "CACHEDB"} & set(seen["grader.runner"]), "a milestone compiles as tinygrad does"
    assert childenv.environ(seen["grader.runner"])["BEAM"] == "2", "... or searches when the learner asks"
    assert childenv.environ(seen["pytest"])["BEAM"] == "0", "a test never searches"


def test_every_milestone_reports_the_same_time_fields(tmp_path):
    metrics = milestones.Run(tmp_path, "t", "m").finish({"m": 1})
    assert set(metrics) == {"m", "wall_s", "cpu_s"}
    for ex in MILESTONES:
        source = (registry.ROOT / ex.milestone.entry.split(":")[0].replace(".", "/")).with_suffix(".py").read_text()
        assert "run.finish(" in source and "seconds" not in source.split("def run(")[1], ex.id


def test_missing_data_leads_with_the_fix(fresh_workspace, tmp_path, monkeypatch):
    monkeypatch.delenv("GRADSCHOOL_DATA_MIRROR", raising=False)
    monkeypatch.setenv("GRADSCHOOL_DATA_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("GRADSCHOOL_DATA_OFFLINE", "1")
    result = runner.run_milestone(registry.exercise("3.6"), fresh_workspace, "smoke", target_name="reference", echo=False)
    assert not result.passed and result.message.startswith("To fix, do one of:"), result.message
    assert "grader data fetch mnist" in result.message.splitlines()[1]


def test_cosine_steps_counts_each_step_and_sets_the_rate_every_tenth():
    from tinygrad import Tensor
    from tinygrad.nn.optim import SGD

    from grader.milestones.mnist_tinygrad import cosine_lr, cosine_steps
    counted = []
    opt = SGD([Tensor.zeros(2).contiguous()], lr=0.1)
    advance = cosine_steps(type("FakeRun", (), {"advance": lambda self: counted.append(1)})(), opt, total=40, base=0.1)
    rates = []
    for _ in range(20):
        advance()
        rates.append(float(opt.lr.numpy()[0]))
    assert len(counted) == 20
    assert rates[:9] == [rates[0]] * 9 and abs(rates[0] - 0.1) < 1e-7, rates   # unchanged before step 10
    assert abs(rates[9] - cosine_lr(10, 40, 0.1)) < 1e-7 and abs(rates[19] - 0.05) < 1e-7, rates
    assert cosine_lr(0, 40, 0.1) == 0.1 and cosine_lr(40, 40, 0.1) == 0.0 and cosine_lr(50, 40, 0.1) == 0.0


def test_bert_finetune_trains_and_scores_every_line_once():
    """6.7's fine-tuning stage (which a smoke run skips once its gate is met) on a toy task: each class
    has its own tokens; 50 lines in batches of 8, so the last batch is padded."""
    import numpy as np
    from tinygrad import Tensor, nn
    from tinygrad.nn.optim import AdamW

    from grader.milestones.shakespeare_bert import Finetune

    class Toy:
        def __init__(self):
            self.emb, self.head = nn.Embedding(12, 8), nn.Linear(8, 3)

        def __call__(self, ids: Tensor) -> Tensor:
            return self.head(self.emb(ids).mean(1))

        def parameters(self):
            return nn.state.get_parameters(self)

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, size=50).astype(np.int32)
    ids = (labels[:, None] * 4 + rng.integers(0, 4, size=(50, 6))).astype(np.int32)
    Tensor.manual_seed(0)
    ft = Finetune(Toy(), AdamW, 0.05, 8)
    loss = ft.train(ids, labels, [rng.integers(0, 50, size=8) for _ in range(30)])
    assert np.isfinite(loss) and loss < 0.5, loss
    assert ft.accuracy(ids, labels) == 1.0
    assert ft.accuracy(ids, (labels + 1) % 3) == 0.0, "each line is scored against its own label"
