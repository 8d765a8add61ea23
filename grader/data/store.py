"""Where dataset files live, how they are verified, and how they are fetched.

Every file named in `datasets/manifest.toml` is looked up in this order:

1. each mirror directory in GRADSCHOOL_DATA_MIRROR (os.pathsep-separated, laid out as
   `<dir>/<name>`): read in place, never copied, never written to; a copy that fails
   verification is reported and skipped;
2. the cache, GRADSCHOOL_DATA_DIR (default `<repo>/datasets/cache`): a copy that fails
   verification is renamed `<name>.corrupt` and reported;
3. a download with pooch (sha256-checked, written to a temporary file and moved into place),
   unless GRADSCHOOL_DATA_OFFLINE=1. Archives (CIFAR-10) are downloaded, their members
   extracted and verified, then the archive is deleted.

A file is used only once its size and sha256 match the manifest. Hashing ~100 MB on every load
would be slow, so successful verifications are remembered in `<cache>/verified.json`, keyed by
absolute path, size, modification time and inode change time: a file that is rewritten gets hashed
again, even when its size and modification time were put back (the change time cannot be).
Temporary files of a download or extraction that is interrupted are removed.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import sys
import tarfile
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from grader import files
from grader.registry import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MANIFEST = ROOT / "datasets" / "manifest.toml"
MIRROR_VAR = "GRADSCHOOL_DATA_MIRROR"
CACHE_VAR = "GRADSCHOOL_DATA_DIR"
OFFLINE_VAR = "GRADSCHOOL_DATA_OFFLINE"
RECORD_NAME = "verified.json"


class DataUnavailable(RuntimeError):
    """Required dataset files are neither in a mirror, nor in the cache, nor downloadable."""

    def __init__(self, message: str, dataset: str = "", missing: tuple[str, ...] = ()):
        super().__init__(message)
        self.dataset, self.missing = dataset, missing


class DataWarning(UserWarning):
    """Something the learner should know about: a corrupt file skipped or moved aside, a partial dataset."""


@dataclass(frozen=True)
class FileSpec:
    dataset: str
    dir: str
    name: str
    sha256: str
    size: int | None = None

    @property
    def rel(self) -> str:
        return f"{self.dir}/{self.name}"


@dataclass(frozen=True)
class Archive:
    name: str
    sha256: str
    urls: tuple[str, ...]
    member_prefix: str
    size: int | None = None


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    dir: str
    format: str
    licence: str
    homepage: str
    urls: tuple[str, ...]
    files: tuple[FileSpec, ...]
    archive: Archive | None = None

    def file(self, name: str) -> FileSpec:
        for f in self.files:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no file {name!r}")


# ------------------------------------------------------------------ manifest and locations

@functools.lru_cache(maxsize=None)
def manifest() -> dict[str, Dataset]:
    """The datasets of `datasets/manifest.toml`, by name."""
    with open(MANIFEST, "rb") as f:
        raw = tomllib.load(f)["datasets"]
    out = {}
    for name, d in raw.items():
        files = tuple(FileSpec(name, d["dir"], f["name"], f["sha256"].lower(), f.get("size")) for f in d["files"])
        a = d.get("archive")
        archive = Archive(a["name"], a["sha256"].lower(), tuple(a["urls"]), a["member_prefix"], a.get("size")) if a else None
        out[name] = Dataset(name, d["title"], d["dir"], d["format"], d["licence"], d["homepage"],
                            tuple(d.get("urls", ())), files, archive)
    return out


def dataset(name: str) -> Dataset:
    """Look a dataset up by name (`fashion-mnist` and `fashion_mnist` both work)."""
    key = name.strip().lower().replace("-", "_")
    ds = manifest()
    if key not in ds:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(ds)}")
    return ds[key]


def mirrors() -> list[Path]:
    """Mirror directories from GRADSCHOOL_DATA_MIRROR, in order (empty entries ignored)."""
    return [Path(p).expanduser() for p in os.environ.get(MIRROR_VAR, "").split(os.pathsep) if p.strip()]


def cache_dir() -> Path:
    """The writable cache: GRADSCHOOL_DATA_DIR, or `<repo>/datasets/cache`."""
    return Path(os.environ.get(CACHE_VAR) or ROOT / "datasets" / "cache").expanduser()


def offline() -> bool:
    return os.environ.get(OFFLINE_VAR, "").strip().lower() not in ("", "0", "false", "no")


# ------------------------------------------------------------------ verification

def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _record_key(path: Path, st: os.stat_result) -> str:
    return f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{st.st_ctime_ns}"


def _load_records() -> dict[str, str]:
    try:
        return json.loads((cache_dir() / RECORD_NAME).read_text())
    except (OSError, ValueError):
        return {}


def _save_record(key: str, digest: str) -> None:
    """Remember a verified digest; best effort (a read-only cache only costs re-hashing)."""
    records = _load_records()
    records[key] = digest
    try:
        files.write_atomic(cache_dir() / RECORD_NAME, json.dumps(records, indent=0, sort_keys=True))
    except OSError:
        pass


def is_recorded(path: Path, spec: FileSpec) -> bool:
    """True when this exact file (path, size, mtime, ctime) was already verified against `spec`."""
    try:
        st = path.stat()
    except OSError:
        return False
    return _load_records().get(_record_key(path, st)) == spec.sha256


def problem(path: Path, spec: FileSpec, *, trust_record: bool = True) -> str | None:
    """Why `path` is not a valid copy of `spec` (None when it is). Never modifies the file."""
    st = path.stat()
    if spec.size is not None and st.st_size != spec.size:
        kind = "truncated" if st.st_size < spec.size else "too large"
        return f"{kind}: {st.st_size:,} bytes, expected {spec.size:,}"
    key = _record_key(path, st)
    if trust_record and _load_records().get(key) == spec.sha256:
        return None
    digest = sha256_file(path)
    if digest != spec.sha256:
        return f"sha256 mismatch: {digest[:16]}..., expected {spec.sha256[:16]}..."
    _save_record(key, digest)
    return None


def move_aside(path: Path) -> Path:
    """Rename a corrupt cache file to `<name>.corrupt` (numbered if that exists) so it is never loaded."""
    dest, i = path.with_name(path.name + ".corrupt"), 1
    while dest.exists():
        dest, i = path.with_name(f"{path.name}.corrupt{i}"), i + 1
    path.rename(dest)
    return dest


# ------------------------------------------------------------------ lookup

@dataclass
class Found:
    """The outcome of looking for one file: where it is (if anywhere) and what went wrong on the way."""
    spec: FileSpec
    path: Path | None = None
    where: str = ""            # "mirror" | "cache" | ""
    notes: tuple[str, ...] = ()


def locate(spec: FileSpec, *, trust_record: bool = True, quiet: bool = False) -> Found:
    """Find a verified copy of `spec` in the mirrors, then the cache. Never downloads.

    A mirror copy that fails verification is skipped (the mirror is never touched); a cache copy
    that fails is renamed `*.corrupt`. Both are reported as a DataWarning and in `Found.notes`.
    """
    notes = []
    candidates = [(m / spec.dir / spec.name, "mirror") for m in mirrors()]
    candidates.append((cache_dir() / spec.dir / spec.name, "cache"))
    for path, where in candidates:
        if not path.is_file():
            continue
        why = problem(path, spec, trust_record=trust_record)
        if why is None:
            return Found(spec, path, where, tuple(notes))
        if where == "mirror":
            note = f"mirror copy {path} is corrupt ({why}); skipped, the mirror was left untouched"
        else:
            note = f"cached copy {path} is corrupt ({why}); moved aside to {move_aside(path).name}, not loaded"
        notes.append(note)
        if not quiet:
            warnings.warn(note, DataWarning, stacklevel=3)
    return Found(spec, None, "", tuple(notes))


# ------------------------------------------------------------------ download

class _RichBar:
    """The progress-bar object pooch accepts: `total`, `update(n)`, `reset()`, `close()`, drawn with rich."""

    def __init__(self, label: str):
        from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn,
                                   TimeRemainingColumn, TransferSpeedColumn)
        self._p = Progress(TextColumn(label), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                           TimeRemainingColumn(), transient=False)
        self._task = self._p.add_task(label, total=None)
        self._p.start()

    @property
    def total(self):
        return self._p.tasks[0].total

    @total.setter
    def total(self, value):
        self._p.update(self._task, total=value or None)

    def update(self, n):
        self._p.advance(self._task, n)

    def reset(self):
        self._p.reset(self._task, total=self.total)

    def close(self):
        if self._p.live.is_started:
            self._p.stop()


@contextlib.contextmanager
def _no_leftovers(folder: Path, keep: Path):
    """Remove every file that appears in `folder` while inside, except `keep`, if the block does not finish."""
    folder.mkdir(parents=True, exist_ok=True)
    before = set(folder.iterdir())
    try:
        yield
    except BaseException:
        for path in set(folder.iterdir()) - before - {keep}:
            with contextlib.suppress(OSError):
                path.unlink()
        raise


STALE_S = 24 * 3600


def _remove_stale_temporaries(folder: Path) -> None:
    """Temporary files of a fetch whose process was killed (older than a day, so no live fetch is hit)."""
    for path in [*folder.glob(".*.tmp"), *folder.glob("tmp*"), *folder.glob("*/.*.tmp"), *folder.glob("*/tmp*")]:
        with contextlib.suppress(OSError):
            if path.is_file() and time.time() - path.stat().st_mtime > STALE_S:
                path.unlink()


def _download(url: str, sha256: str, dest: Path) -> None:
    """Download `url` to `dest` with pooch: sha256-checked, written to a temporary file then moved."""
    import pooch
    bar = _RichBar(dest.name)
    downloader = pooch.HTTPDownloader(progressbar=bar, chunk_size=1 << 16, timeout=60)
    try:
        with _no_leftovers(dest.parent, dest):
            pooch.retrieve(url, known_hash=f"sha256:{sha256}", fname=dest.name, path=dest.parent,
                           downloader=downloader)
    finally:
        bar.close()


def _fetch(ds: Dataset, specs: list[FileSpec]) -> list[str]:
    """Download the missing `specs` into the cache; returns error lines (empty when all arrived)."""
    errors = []
    _remove_stale_temporaries(cache_dir())
    if ds.archive is not None:
        a = ds.archive
        tarball = cache_dir() / a.name
        for url in a.urls:
            try:
                _download(url, a.sha256, tarball)
                break
            except Exception as e:  # network failures, HTTP errors, hash mismatch (pooch removes the file)
                errors.append(f"{url}: {e}")
        else:
            return errors
        try:
            _extract(tarball, a.member_prefix, list(ds.files))   # one download: unpack everything
        except (OSError, tarfile.TarError, KeyError) as e:
            return errors + [f"{a.name}: extraction failed ({e})"]
        tarball.unlink(missing_ok=True)
        return []
    for spec in specs:
        for base in ds.urls:
            url = base + spec.name
            try:
                _download(url, spec.sha256, cache_dir() / spec.dir / spec.name)
                break
            except Exception as e:
                errors.append(f"{url}: {e}")
    return errors


def _extract(tarball: Path, prefix: str, specs: list[FileSpec]) -> None:
    """Extract the members for `specs` (by name, never by path from the archive) atomically."""
    with tarfile.open(tarball, "r:*") as tar:
        for spec in specs:
            member = tar.getmember(prefix + spec.name)
            dest = cache_dir() / spec.dir / spec.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{spec.name}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as out, tar.extractfile(member) as src:
                    shutil.copyfileobj(src, out, 1 << 20)
                os.replace(tmp, dest)
            finally:
                Path(tmp).unlink(missing_ok=True)


# ------------------------------------------------------------------ the entry point for loaders

def require(name: str, files: list[str] | None = None, *, download: bool = True) -> dict[str, Path]:
    """Paths of verified copies of a dataset's files (all, or those named), fetching what is missing.

    Raises DataUnavailable naming every file still missing, where it was looked for, and how to
    provide it.
    """
    ds = dataset(name)
    specs = [ds.file(f) for f in files] if files is not None else list(ds.files)
    found = {s.name: locate(s) for s in specs}
    missing = [s for s in specs if found[s.name].path is None]
    errors: list[str] = []
    if missing and download and not offline():
        errors = _fetch(ds, missing)
        for s in missing:
            again = locate(s)
            found[s.name] = Found(s, again.path, again.where, found[s.name].notes + again.notes)
        missing = [s for s in specs if found[s.name].path is None]
    elif missing and download:
        errors = [f"downloads disabled ({OFFLINE_VAR}={os.environ.get(OFFLINE_VAR)})"]
    if missing:
        notes = [n for s in missing for n in found[s.name].notes]
        raise DataUnavailable(unavailable_message(ds, missing, errors, notes), ds.name,
                              tuple(s.rel for s in missing))
    return {n: f.path for n, f in found.items()}


def unavailable_message(ds: Dataset, missing: list[FileSpec], errors: list[str], notes: list[str]) -> str:
    places = [f"  mirror  {m}" + ("" if m.is_dir() else "  (does not exist)") for m in mirrors()]
    places.append(f"  cache   {cache_dir()}")
    lines = [f"{ds.title}: {len(missing)} file(s) unavailable:"]
    lines += [f"  {s.rel}" for s in missing]
    lines += ["Looked in:"] + places
    if not mirrors():
        lines.append(f"  (no mirror: {MIRROR_VAR} is not set)")
    lines += [f"Problem: {n}" for n in notes]
    lines += [f"Download failed: {e}" for e in errors] or ["Download not attempted."]
    stray = _stray_names(ds, missing)
    if stray:
        lines.append("Unexpected files next to where they should be (check the names): " + ", ".join(stray))
    lines += ["To fix, do one of:",
              f"  - with internet access: `grader data fetch {ds.name}` (or `python -m grader.data fetch {ds.name}`);",
              f"  - copy the files into {cache_dir() / ds.dir}/ (the cache; {CACHE_VAR} moves it);",
              f"  - set {MIRROR_VAR} to a directory holding {ds.dir}/<files> (several: separate with '{os.pathsep}')."]
    return "\n".join(lines)


def _stray_names(ds: Dataset, missing: list[FileSpec]) -> list[str]:
    """Files sitting in the dataset's folders that the manifest does not name (likely misnamed copies)."""
    known = {f.name for f in ds.files}
    out = []
    for root in [*mirrors(), cache_dir()]:
        folder = root / ds.dir
        if folder.is_dir():
            out += [str(p) for p in sorted(folder.iterdir())
                    if p.is_file() and p.name not in known and not p.name.startswith(".")
                    and ".corrupt" not in p.name]
    return out[:10]
