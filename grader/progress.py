"""The learner's progress in `.grader/progress.json`: scores, hint tiers, milestone results.

Writes are atomic (a temporary file, then rename), so an interrupted grader never leaves half a file.
A file that cannot be read is kept as `progress.json.corrupt-<time>` and a fresh one is started.
"""
from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

VERSION = 1


class Progress:
    def __init__(self, workspace: Path):
        self.path = Path(workspace) / ".grader" / "progress.json"
        self.recovered_from: Path | None = None
        self.data = self._read()

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text())
            if not isinstance(data, dict) or not isinstance(data.get("exercises"), dict):
                raise ValueError("unexpected structure")
            return data
        except FileNotFoundError:
            return {"version": VERSION, "exercises": {}}
        except (OSError, ValueError):
            self.recovered_from = self.path.with_name(f"progress.json.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
            os.replace(self.path, self.recovered_from)
            return {"version": VERSION, "exercises": {}}

    def exercise(self, ex_id: str) -> dict:
        return self.data["exercises"].setdefault(ex_id, {})

    def passed(self, ex_id: str) -> bool:
        return bool(self.data["exercises"].get(ex_id, {}).get("passed"))

    def record(self, ex_id: str, **fields) -> None:
        self.exercise(ex_id).update(fields, updated=time.strftime("%Y-%m-%d %H:%M:%S"))

    def next_hint(self, ex_id: str, available: int) -> int:
        """Index of the hint to show now (the next tier each call, staying on the last one)."""
        entry = self.exercise(ex_id)
        shown = min(entry.get("hints_shown", 0) + 1, available)
        entry["hints_shown"] = shown
        return shown - 1

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".progress-", suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(self.data, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
