"""The visible tests as the repository ships them, whatever became of the learner's copy.

In the default layout the learner's workspace is the repository: `phases/<phase>/tests/` hold the
learner's own visible tests, free to edit for their loop (`make phaseN` runs them as they are). The score
must not depend on those edits. `phases/.visible-tests.json` records the git blob id of every shipped
visible test file (contributors: `grader stubs --record-tests`). Grading uses a file whose blob id matches
as it is, and reads any other one (edited, padded, deleted) back from git's object store, which every
clone holds. Where git cannot give it back, grading stops with a message rather than count edited tests.

The record lives in the repository like the grader itself: it guards against edited tests, not against
a learner who rewrites the grader's own files.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

from grader import registry

MANIFEST = "phases/.visible-tests.json"
REPOSITORY = registry.ROOT   # where the record, the shipped files and their git objects are


class Unrestorable(RuntimeError):
    pass


def blob_id(data: bytes) -> str:
    """git's object id of a file with this content (`git hash-object`)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _files(root: Path, phase_dir: str = "*") -> list[Path]:
    return sorted((root / "phases").glob(f"{phase_dir}/tests/*.py"))


def record(root: Path) -> dict[str, str]:
    """The record of the visible test files now in `root`: relative path -> blob id."""
    return {p.relative_to(root).as_posix(): blob_id(p.read_bytes()) for p in _files(root)}


def load(root: Path) -> dict[str, str]:
    try:
        stored = json.loads((root / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    return stored if isinstance(stored, dict) else {}


def save(root: Path) -> None:
    path = root / MANIFEST
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record(root), indent=1, sort_keys=True) + "\n")
    tmp.replace(path)


def visible_tests(phase: registry.Phase, current: bool = False) -> dict[str, bytes]:
    """File name -> content of the phase's visible tests as shipped. `current`: the repository's files as
    they are now (an author's work in progress, e.g. for the mutant bank)."""
    if current:
        return {p.name: p.read_bytes() for p in _files(REPOSITORY, phase.dir)}
    folder = f"phases/{phase.dir}/tests/"
    shipped = {key[len(folder):]: blob for key, blob in load(REPOSITORY).items()
               if key.startswith(folder) and "/" not in key[len(folder):]}
    for ex in phase.exercises:
        if ex.visible_tests().name not in shipped:
            raise Unrestorable(f"{folder}{ex.visible_tests().name} is not recorded in {MANIFEST} (contributors: "
                               "`python -m grader stubs --record-tests` records the visible tests)")
    return {name: _content(folder + name, blob) for name, blob in sorted(shipped.items())}


def _content(relative: str, blob: str) -> bytes:
    try:
        data = (REPOSITORY / relative).read_bytes()
        if blob_id(data) == blob:
            return data
    except OSError:
        pass
    try:
        data = subprocess.run(["git", "-C", str(REPOSITORY), "cat-file", "blob", blob], capture_output=True,
                              timeout=60, env={**os.environ, "GIT_NO_LAZY_FETCH": "1"}).stdout
    except (OSError, subprocess.SubprocessError):
        data = b""
    if blob_id(data) != blob:
        raise Unrestorable(f"{relative} differs from the shipped visible tests, and git cannot give back the "
                           "original here (no git clone?). Grading needs the original: put it back and keep "
                           "your own tests in a file of your own")
    return data


def write(tests: dict[str, bytes], folder: Path) -> None:
    """Make `folder` hold exactly these test files."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, data in tests.items():
        (folder / name).write_bytes(data)
