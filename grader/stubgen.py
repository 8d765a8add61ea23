"""Generate the learner's stubs from the reference solutions.

A solution region is delimited by `### BEGIN SOLUTION` and `### END SOLUTION` lines. Inside a function
the region becomes `raise NotImplementedError("Exercise 1.1: implement Matrix.transpose ...")` at the
region's indentation; outside a function (a private helper, a constant) it is dropped. Everything else,
signatures, type hints and docstrings included, is copied as it is.

The generator never overwrites a learner's work: `phases/.stubs.json` records the sha256 of every stub
it wrote, and a file whose content matches neither that record nor the new stub counts as edited. It is
left alone unless `force=True`, which first copies it to `.grader/backups/`.
"""
from __future__ import annotations

import ast
import hashlib
import json
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from grader import registry

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
RECORD = "phases/.stubs.json"


class MarkerError(ValueError):
    pass


def _enclosing_function(tree: ast.AST, line: int) -> str | None:
    """Qualified name of the innermost function whose body contains `line` (1-based)."""
    best, best_span = None, None

    def visit(node, prefix):
        nonlocal best, best_span
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if isinstance(child, ast.ClassDef):
                    visit(child, name + ".")
                    continue
                if child.lineno <= line <= child.end_lineno:
                    span = child.end_lineno - child.lineno
                    if best_span is None or span <= best_span:
                        best, best_span = name, span
                visit(child, name + ".")

    visit(tree, "")
    return best


def make_stub(source: str, ex_id: str, filename: str = "<solution>") -> str:
    """The stub text for one solution module."""
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as e:
        raise MarkerError(f"{filename}: not valid Python ({e})") from None
    lines, out, start = source.splitlines(keepends=True), [], None
    for number, line in enumerate(lines, start=1):
        marker = line.strip()
        if marker.startswith(BEGIN):
            if start is not None:
                raise MarkerError(f"{filename}:{number}: BEGIN SOLUTION inside the region opened at line {start}")
            start, indent = number, line[: len(line) - len(line.lstrip())]
            continue
        if marker.startswith(END):
            if start is None:
                raise MarkerError(f"{filename}:{number}: END SOLUTION without a matching BEGIN SOLUTION")
            function = _enclosing_function(tree, start)
            if function is not None:
                out.append(f'{indent}raise NotImplementedError("Exercise {ex_id}: implement {function} (see its docstring)")\n')
            start = None
            continue
        if start is None:
            out.append(line)
    if start is not None:
        raise MarkerError(f"{filename}:{start}: BEGIN SOLUTION is never closed")
    text = re.sub(r"\n{3,}(?=\S)", "\n\n\n", "".join(out))  # dropped regions leave no ragged gaps
    ast.parse(text, filename=f"stub of {filename}")
    return text


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Outcome:
    exercise: str
    path: Path
    action: str  # "written", "unchanged", "kept (edited by you)", "replaced (backup: ...)"


def backup(path: Path, workspace: Path) -> Path:
    """Copy a learner file to .grader/backups/<relative path>.<timestamp> and return the copy's path."""
    dest = workspace / ".grader" / "backups" / f"{path.relative_to(workspace)}.{time.strftime('%Y%m%d-%H%M%S')}"
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, dest)
    return dest


def load_record(workspace: Path) -> dict[str, str]:
    try:
        return json.loads((workspace / RECORD).read_text())
    except (OSError, ValueError):
        return {}


def save_record(workspace: Path, record: dict[str, str]) -> None:
    path = workspace / RECORD
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(dict(sorted(record.items())), indent=1) + "\n")
    tmp.replace(path)


def generate(exercises=None, workspace: Path | None = None, force: bool = False, check: bool = False) -> list[Outcome]:
    """Write stubs for `exercises` (default: all). With `check`, write nothing and report stale stubs."""
    workspace = workspace or registry.ROOT
    record, outcomes = load_record(workspace), []
    for ex in exercises or registry.exercises():
        stub = make_stub(ex.solution_path.read_text(), ex.id, str(ex.solution_path.relative_to(registry.ROOT)))
        path, key = ex.stub_path(workspace), str(ex.stub_path(workspace).relative_to(workspace))
        current = path.read_text() if path.exists() else None
        if current == stub:
            outcomes.append(Outcome(ex.id, path, "unchanged"))
            record[key] = _sha(stub)
            continue
        if check:
            outcomes.append(Outcome(ex.id, path, "stale" if current is not None else "missing"))
            continue
        edited = current is not None and record.get(key) != _sha(current)
        if edited and not force:
            outcomes.append(Outcome(ex.id, path, "kept (edited by you; --force replaces it and keeps a backup)"))
            continue
        action = f"replaced (backup: {backup(path, workspace).relative_to(workspace)})" if edited else "written"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(stub)
        record[key] = _sha(stub)
        outcomes.append(Outcome(ex.id, path, action))
    if not check:
        save_record(workspace, record)
    return outcomes


def restore(ex, workspace: Path | None = None) -> Path | None:
    """Put the fresh stub back in place of the learner's file, keeping a backup. Returns the backup path."""
    workspace = workspace or registry.ROOT
    path = ex.stub_path(workspace)
    saved = backup(path, workspace) if path.exists() else None
    stub = make_stub(ex.solution_path.read_text(), ex.id, str(ex.solution_path))
    path.write_text(stub)
    record = load_record(workspace)
    record[str(path.relative_to(workspace))] = _sha(stub)
    save_record(workspace, record)
    return saved
