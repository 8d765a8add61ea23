"""tinygrad's generated kernels kept on disk, so a later process reuses them instead of generating them again.

tinygrad turns each kernel into a program (the optimized UOp graph, its C source and the compiled
binary) and keeps it in memory only, keyed by the kernel's content (`to_program_key`). Every process
therefore generates its kernels again: Python graph rewriting of 0.1-0.5 CPU s a kernel, most of what a
test child of phases 4-7 costs, and about a third of a smoke milestone. `install()` puts a file store
under that step: a program is looked up by a hash of tinygrad's key, tinygrad's version and the C
compiler (its command, and its content where that is a script), loaded when found, and written
after it was generated otherwise.

Trust: a stored program is machine code that later processes run, the reference's checks included.
tinygrad makes a correct program for its key whoever's code built the kernel; the danger is code that
writes a forged file. So a grader child that runs learner code may not add to the store
(`GRADSCHOOL_PROGRAMS_WRITE=0`, and bubblewrap mounts it read-only there); the reference's runs, the
mutant bank and a person's own pytest do (`=1`, the default). An entry that cannot be read is generated
again. The store lives beside tinygrad's compile cache (`default_store()`);
`GRADSCHOOL_PROGRAMS` names another folder, or "off".
"""
from __future__ import annotations

import hashlib
import os
import pickle
import sys
import zlib
from pathlib import Path

from grader import childenv, tiling
from grader.after_import import after_import

DIR_VAR, WRITE_VAR = "GRADSCHOOL_PROGRAMS", "GRADSCHOOL_PROGRAMS_WRITE"
KEY_FORMAT = 2   # raise it whenever the key changes: a store made before is then filled again
HOOKED = "tinygrad.codegen"


def install() -> None:
    """Serve tinygrad's program generation from the store, now if tinygrad is imported, else on its import.
    Does nothing when DIR_VAR is "off" or tinygrad's code generator is not the one this was written for."""
    if store_dir() is not None:
        after_import(HOOKED, _wrap)   # once per process: _wrap leaves a wrapped cache alone


def _wrap(codegen) -> None:
    cache = getattr(codegen, "to_program_cache", None)
    if type(cache) is not dict or not callable(getattr(codegen, "to_program_key", None)):
        return   # already wrapped, or a tinygrad whose code generator works otherwise
    stored = StoredPrograms(store_dir(), os.environ.get(WRITE_VAR, "1") == "1", _tinygrad_version())
    stored.update(cache)
    for module in list(sys.modules.values()):   # tinygrad.engine.realize imports the dict by name
        if getattr(module, "to_program_cache", None) is cache and module.__name__.startswith("tinygrad"):
            module.to_program_cache = stored


class StoredPrograms(dict):
    """tinygrad's in-memory program cache, backed by the store: a key it lacks is looked for on disk, and a
    program it receives is written there (when this process may write). tinygrad fills it the same way
    whether it generates programs itself or in its compile pool."""

    def __init__(self, store: Path, writes: bool, version: str):
        super().__init__()
        self.store, self.writes, self.version, self.compiler = store, writes, version, _compiler()

    def get(self, key, default=None):
        program = super().get(key)
        if program is None and _storable(key):
            program = _load(self._path(key))
            if program is not None:
                super().__setitem__(key, program)
        return default if program is None else program

    def __contains__(self, key) -> bool:
        return self.get(key) is not None

    def __setitem__(self, key, program) -> None:
        super().__setitem__(key, program)
        if self.writes and _storable(key) and program.src and program.src[-1].op.name == "BINARY":
            _save(self._path(key), program)

    def _path(self, key: tuple) -> Path:
        """tinygrad's key (the kernel's content hash, the renderer and its target, the settings that change
        the generated code) with tinygrad's version, the heuristic that chose the kernel's optimizations
        (grader/tiling.py) and the C compiler the binary came from."""
        parts = [str(KEY_FORMAT), self.version, *(k.hex() if isinstance(k, bytes) else repr(k) for k in key),
                 tiling.heuristic(), self.compiler]
        return self.store / hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _storable(key) -> bool:
    """Programs of tinygrad's own renderers only: another renderer (4.6's TOY device, a learner's backend)
    may turn the same kernel into something else under the same class name."""
    return isinstance(key, tuple) and len(key) > 2 and getattr(key[1], "__module__", "").startswith("tinygrad.")


def fingerprint(compiler: str) -> str:
    """What every key of programs made with the C compiler `compiler` holds besides tinygrad's key and
    the heuristic: the key's format, tinygrad's version and the compiler. The markers that say a store
    was filled from the reference (grader/runner.py) hold it too, so a change of any of them fills the
    store again instead of leaving every lookup to miss."""
    return "\0".join([str(KEY_FORMAT), _tinygrad_version(), _compiler(compiler)])


def _compiler(command: str | None = None) -> str:
    """The C compiler tinygrad runs (`command`, default CC), with the content of a wrapper script such as
    grader/quick-clang."""
    command = command or os.environ.get("CC", "clang")
    try:
        return command + hashlib.sha256(Path(command).read_bytes()).hexdigest()
    except OSError:
        return command


def default_store() -> Path:
    """Where the programs are kept unless DIR_VAR says otherwise: beside tinygrad's compile cache."""
    return childenv.kernel_cache().parent / "gradschool-programs"


def store_dir() -> Path | None:
    """The store this process uses: DIR_VAR, else `default_store()`; None when it is "off"."""
    where = os.environ.get(DIR_VAR)
    return None if where == "off" else Path(where or default_store())


def child_env(trusted: bool) -> dict[str, str]:
    """The store of a child: where it is ("off": none), and whether the child may add to it (a child that
    runs learner code may not)."""
    return {DIR_VAR: str(store_dir() or "off"), WRITE_VAR: "1" if trusted else "0"}


def describe() -> str:
    """One line for `grader doctor`: how much the store holds, and where."""
    store = store_dir()
    if store is None:
        return f"none kept ({DIR_VAR}=off)"
    sizes = [p.stat().st_size for p in store.glob("[0-9a-f]*")] if store.is_dir() else []
    home = Path.home()
    where = f"~/{store.relative_to(home)}" if store.is_relative_to(home) else str(store)
    return f"{len(sizes)} kept ({sum(sizes) / 2 ** 20:.1f} MB), {where}"


def _tinygrad_version() -> str:
    from importlib.metadata import version
    return version("tinygrad")


def _load(path: Path):
    try:
        return pickle.loads(zlib.decompress(path.read_bytes()))
    except Exception:  # noqa: BLE001 - missing, partly written by an older version, or unreadable: generate it
        return None


def _save(path: Path, program) -> None:
    from grader import files
    try:   # whole or absent: a reader never sees half a file
        files.write_atomic(path, zlib.compress(pickle.dumps(program, protocol=pickle.HIGHEST_PROTOCOL), 1), durable=False)
    except Exception:  # noqa: BLE001 - a read-only or full disk costs the next process a regeneration only
        pass
