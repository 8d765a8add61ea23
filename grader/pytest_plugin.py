"""pytest plugin (enabled in pyproject.toml): target switch, per-exercise markers, and per-test outcomes.

    pytest phases/01_math                      # the learner's modules
    pytest phases/01_math --target=reference   # the same tests against solutions/
    pytest -m ex1_1                            # one exercise

In a grader child the outcomes go to the grader through `grader.channel` as each test ends; the channel,
the target and the workspace are taken here, at configure time, before any learner module is imported, and
so is `grader.integrity`'s snapshot, checked after every test and once more at the end (the "done" message
says what was altered).
"""
from __future__ import annotations

import gc
import json
import math
import os
from pathlib import Path

import pytest

from grader import channel, policy, programs, registry, sandbox, target
# bound here, so that replacing them in grader.integrity changes nothing (and is itself noticed)
from grader.integrity import message, rebound, remember, snapshot, tampered, watch_references


def pytest_addoption(parser):
    group = parser.getgroup("gradschool")
    group.addoption("--target", choices=target.TARGETS, default=None,
                    help="test the learner's modules (default) or the reference solutions")
    group.addoption("--workspace", default=None, help="directory holding the learner's phases/ (default: this repository)")
    group.addoption("--cheapest-first", default=None, metavar="FILE",
                    help="JSON {cost_key: seconds}: run each file's tests in that order of cost, unlisted ones last")
    group.addoption("--only", default=None, metavar="FILE", help="JSON [cost_key, ...]: run these tests alone")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    graded = channel.connect()  # a grader child: before anything else, and before any learner import
    programs.install()
    if config.getoption("target"):
        os.environ[target.TARGET_VAR] = config.getoption("target")
    if config.getoption("workspace"):
        os.environ[target.WORKSPACE_VAR] = str(Path(config.getoption("workspace")).resolve())
    for ex in registry.exercises():
        config.addinivalue_line("markers", f"{ex.marker}: Exercise {ex.id}, {ex.title}")
    config.addinivalue_line("markers", "slow: long-running self-test (milestone smoke runs, notebooks)")
    if graded:
        sandbox.die_with_parent()
        target.freeze()
        target.preload_references()
    snapshot()
    if graded and target.current_target() == "learner":
        hidden = [Path(arg) for arg in config.args if _kind(Path(arg)) == "hidden"]   # they compare with `ref`
        watch_references(ex.id for ex in map(registry.by_module_path, hidden)   # given, or not hidden
                         if ex is not None and (ex.solution_path in target._sources or ex.solution_path.is_file()))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.when == "call":
        altered = tampered() + rebound(getattr(item, "module", None))
        if altered:
            _altered.update(dict.fromkeys(altered))
            report.outcome = "failed"
            report.longrepr = message(altered)


_altered: dict[str, None] = {}   # everything altered during this run, in the order seen


def _kind(path: Path) -> str:
    return "hidden" if Path(path).resolve().is_relative_to(registry.ROOT / "grader" / "hidden") else "visible"


def pytest_collection_modifyitems(config, items):
    for item in items:
        ex = registry.by_module_path(Path(str(item.fspath)))
        if ex is not None:
            item.add_marker(getattr(pytest.mark, ex.marker))
            item.user_properties.append(("exercise", ex.id))
    if config.getoption("only"):
        wanted = set(json.loads(Path(config.getoption("only")).read_text()))
        kept, dropped = [], []
        for item in items:
            (kept if cost_key(config.rootpath, item.nodeid) in wanted else dropped).append(item)
        items[:] = kept
        config.hook.pytest_deselected(items=dropped)
    if config.getoption("cheapest_first"):
        # files keep their order (visible tests before hidden checks), so "caught by visible" still means it
        cost = json.loads(Path(config.getoption("cheapest_first")).read_text())
        first = {}
        for i, item in enumerate(items):
            first.setdefault(item.path, i)
        items.sort(key=lambda item: (first[item.path], cost.get(cost_key(config.rootpath, item.nodeid), math.inf)))


def cost_key(rootpath: Path, nodeid: str) -> str:
    """A test's name that stays the same in every throw-away copy: its file kind and its node id's test part."""
    file, _, test = nodeid.partition("::")
    return f"{_kind(Path(rootpath) / file)}::{test}"


def failure_message(report) -> str:
    """The one line that says why a test failed (the exception message, without its class name)."""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr).strip().splitlines()[-1:] or [""]
    text = text if isinstance(text, str) else text[0]
    for prefix in ("grader.compare.Mismatch: ", "AssertionError: "):
        text = text.removeprefix(prefix)
    return text.strip()


def _record(report, path: str, name: str):
    ex = registry.by_module_path(Path(path))
    outcome = "passed" if report.passed else "skipped" if report.skipped else "failed"
    channel.send("test", exercise=ex.id if ex else None, file_kind=_kind(Path(path)), test=name,
                 outcome=outcome, message="" if report.passed else failure_message(report)[:2000])


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report):
    config = _config
    if config is None:
        return
    if report.when == "call" or (report.when == "setup" and not report.passed) or (report.when == "teardown" and report.failed):
        path = report.location[0] if report.location else report.nodeid.split("::")[0]
        _record(report, str(Path(config.rootpath) / path), report.nodeid.split("::", 1)[-1])


def pytest_collectreport(report):
    if _config is not None and not report.passed and report.nodeid:
        _record(report, str(Path(_config.rootpath) / report.nodeid.split("::")[0]), channel.COLLECT_ERROR)


def pytest_collection_finish(session):
    tests = []
    for item in session.items:
        if getattr(item, "module", None) is not None:
            remember(item.module)
        ex = registry.by_module_path(Path(str(item.fspath)))
        tests.append({"exercise": ex.id if ex else None, "file_kind": _kind(Path(str(item.fspath))),
                      "test": item.nodeid.split("::", 1)[-1]})
    channel.send("collected", tests=tests)
    # What collection imported (numpy, tinygrad, the modules under test) lives to the end of the run:
    # keeping it out of the garbage collector's full passes saves about a tenth of a tinygrad run.
    gc.collect()
    gc.freeze()


_config = None


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    global _config
    _config = session.config


def pytest_sessionfinish(session, exitstatus):
    _altered.update(dict.fromkeys(tampered()))
    channel.send("done", status=int(exitstatus), altered=list(_altered), violations=policy.violations[:3])
