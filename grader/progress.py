"""The learner's progress in `.grader/progress.json`: scores, hint tiers, milestone results.

Nothing in it can be lost:
- writes are atomic (a temporary file, then rename), so an interrupted grader never leaves half a file;
- `save()` holds a lock (`.grader/progress.lock`), re-reads the file and writes back only the fields this
  process changed, so two `grader check` runs at once keep each other's scores;
- a file that cannot be read is kept as `progress.json.corrupt-<time>` and a fresh one is started; an
  entry or field of the wrong type is dropped (`repaired` says which), never a crash;
- a `.grader` that is a file, not a folder, is kept as `.grader.file-<time>` and the folder recreated.
"""
from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

from grader import files

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, the rest still holds
    fcntl = None

VERSION = 1
# the type each known field must have; unknown fields are kept as they are
FIELDS = {"passed": bool, "points": (int, float), "hints_shown": int, "updated": str, "problem": (str, type(None)),
          "visible": list, "hidden": list, "milestone_smoke": dict, "milestone_full": dict}


def _stamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S")


class Progress:
    def __init__(self, workspace: Path):
        self.folder = Path(workspace) / ".grader"
        self.path = self.folder / "progress.json"
        self.recovered_from: Path | None = None
        self.repaired: list[str] = []
        self._changed: set[tuple[str, str]] = set()
        self.data = self._read()

    def _folder(self) -> Path:
        if self.folder.is_symlink() or (self.folder.exists() and not self.folder.is_dir()):
            os.replace(self.folder, self.folder.with_name(f".grader.file-{_stamp()}"))
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text())
            if not isinstance(data, dict) or not isinstance(data.get("exercises"), dict):
                raise ValueError("unexpected structure")
        except FileNotFoundError:
            return {"version": VERSION, "exercises": {}}
        except NotADirectoryError:
            return {"version": VERSION, "exercises": {}}  # `.grader` is a file: moved aside on save
        except (OSError, ValueError):
            self.recovered_from = self.path.with_name(f"progress.json.corrupt-{_stamp()}")
            with contextlib.suppress(OSError):
                os.replace(self.path, self.recovered_from)
            return {"version": VERSION, "exercises": {}}
        for ex_id, entry in list(data["exercises"].items()):
            if not isinstance(entry, dict):
                del data["exercises"][ex_id]
                self.repaired.append(ex_id)
                continue
            for name, kind in FIELDS.items():
                if name in entry and (not isinstance(entry[name], kind) or isinstance(entry[name], bool) != (kind is bool)):
                    del entry[name]
                    self.repaired.append(f"{ex_id}.{name}")
        return data

    def exercise(self, ex_id: str) -> dict:
        return self.data["exercises"].setdefault(ex_id, {})

    def passed(self, ex_id: str) -> bool:
        return bool(self.data["exercises"].get(ex_id, {}).get("passed"))

    def record(self, ex_id: str, **fields) -> None:
        fields["updated"] = time.strftime("%Y-%m-%d %H:%M:%S")
        self.exercise(ex_id).update(fields)
        self._changed.update((ex_id, name) for name in fields)

    def next_hint(self, ex_id: str, available: int) -> int:
        """Index of the hint to show now (the next tier each call, staying on the last one)."""
        with self._locked():
            self.data = self._merged()
            shown = min(self.exercise(ex_id).get("hints_shown", 0) + 1, available)
            self.record(ex_id, hints_shown=shown)
        return shown - 1

    @contextlib.contextmanager
    def _locked(self):
        with open(self._folder() / "progress.lock", "a") as lock:
            if fcntl is not None:
                fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _merged(self) -> dict:
        """What is on disk now, with this process's changes on top."""
        current = Progress.__new__(Progress)
        current.path, current.recovered_from, current.repaired = self.path, None, []
        data = current._read()
        for ex_id, name in self._changed:
            data["exercises"].setdefault(ex_id, {})[name] = self.data["exercises"][ex_id][name]
        return data

    def save(self) -> None:
        with self._locked():
            self.data = self._merged()
            files.write_atomic(self.path, json.dumps(self.data, indent=1, sort_keys=True))
