"""Self-tests of the data layer (grader.data): parsers, subsets, verification, mirrors, cache, downloads, CLI.

Most tests build tiny datasets of their own and point the data layer at a temporary manifest;
the last group reads the real files of the shared offline mirror (skipped when it is absent).

    pytest grader/tests/test_data.py -q
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import io
import os
import pickle
import shutil
import tarfile
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from grader import data, registry
from grader.data import cli, formats, store

SHARED = Path(os.environ.get(store.MIRROR_VAR, "").split(os.pathsep)[0] or Path(registry.ROOT).parent / "shared" / "datasets")
MNIST_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
               "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


# ------------------------------------------------------------------ helpers

def idx_bytes(a: np.ndarray) -> bytes:
    code = {np.dtype(np.uint8): 0x08, np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D}[a.dtype]
    header = bytes([0, 0, code, a.ndim]) + np.asarray(a.shape, dtype=">u4").tobytes()
    return header + a.tobytes()


def gz(b: bytes) -> bytes:
    return gzip.compress(b, mtime=0)


def cifar_batch_bytes(X_nchw: np.ndarray, labels) -> bytes:
    d = {b"batch_label": b"test", b"labels": list(labels), b"data": X_nchw.reshape(len(labels), -1),
         b"filenames": [b"f%d.png" % i for i in range(len(labels))]}
    return pickle.dumps(d, protocol=2)


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def flip_byte(path: Path, offset: int | None = None) -> None:
    b = bytearray(path.read_bytes())
    i = len(b) // 2 if offset is None else offset
    b[i] ^= 0xFF
    path.write_bytes(bytes(b))


def tree_state(root: Path) -> dict:
    return {str(p): (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(root.rglob("*")) if p.is_file()}


class FakeData:
    """Tiny MNIST / CIFAR-10 / tiny-shakespeare files plus a manifest naming them (with their sha256)."""

    def __init__(self, root: Path):
        rng = np.random.default_rng(0)
        self.root = root
        self.y_train = np.repeat(np.arange(3, dtype=np.uint8), [6, 4, 2])
        self.y_test = np.array([0, 1, 2, 0, 1, 2], dtype=np.uint8)
        self.X_train = rng.integers(0, 256, (12, 28, 28), dtype=np.uint8)
        self.X_test = rng.integers(0, 256, (6, 28, 28), dtype=np.uint8)
        self.mnist = dict(zip(MNIST_FILES, (gz(idx_bytes(a)) for a in (self.X_train, self.y_train, self.X_test, self.y_test))))
        self.cifar_X = {b: rng.integers(0, 256, (4, 3, 32, 32), dtype=np.uint8) for b in [*data.CIFAR10_TRAIN_BATCHES, "test_batch"]}
        self.cifar_y = {b: [i % 10 for i in range(4)] for b in self.cifar_X}
        self.cifar = {b: cifar_batch_bytes(X, self.cifar_y[b]) for b, X in self.cifar_X.items()}
        self.cifar["batches.meta"] = pickle.dumps({b"label_names": [n.encode() for n in data.CIFAR10_CLASSES]}, protocol=2)
        self.text = "".join(chr(97 + i % 26) for i in range(1000))
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            for name, b in self.cifar.items():
                info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
                info.size = len(b)
                tar.addfile(info, io.BytesIO(b))
        self.tarball = buf.getvalue()
        self.base_url = "http://127.0.0.1:9/"

    def write_manifest(self, base_url: str | None = None) -> Path:
        base = base_url or self.base_url
        rows = lambda files: ",\n".join(f'  {{ name = "{n}", size = {len(b)}, sha256 = "{sha(b)}" }}' for n, b in files.items())
        text = f"""
[datasets.mnist]
title = "fake MNIST"
dir = "mnist"
format = "idx"
licence = "test"
homepage = "test"
urls = ["{base}nowhere/", "{base}mnist/"]
files = [
{rows(self.mnist)}
]

[datasets.cifar10]
title = "fake CIFAR-10"
dir = "cifar-10-batches-py"
format = "pickle"
licence = "test"
homepage = "test"
archive = {{ name = "cifar-10-python.tar.gz", sha256 = "{sha(self.tarball)}", member_prefix = "cifar-10-batches-py/", urls = ["{base}cifar-10-python.tar.gz"] }}
files = [
{rows(self.cifar)}
]

[datasets.tiny_shakespeare]
title = "fake text"
dir = "tinyshakespeare"
format = "text"
licence = "test"
homepage = "test"
urls = ["{base}tinyshakespeare/"]
files = [
{rows({"input.txt": self.text.encode()})}
]
"""
        path = self.root / "manifest.toml"
        path.write_text(text)
        return path

    def write_tree(self, root: Path, mnist=True, cifar=("batches.meta", *data.CIFAR10_TRAIN_BATCHES, "test_batch"), text=True) -> Path:
        if mnist:
            (root / "mnist").mkdir(parents=True, exist_ok=True)
            for n, b in self.mnist.items():
                (root / "mnist" / n).write_bytes(b)
        if cifar:
            (root / "cifar-10-batches-py").mkdir(parents=True, exist_ok=True)
            for n in cifar:
                (root / "cifar-10-batches-py" / n).write_bytes(self.cifar[n])
        if text:
            (root / "tinyshakespeare").mkdir(parents=True, exist_ok=True)
            (root / "tinyshakespeare" / "input.txt").write_text(self.text)
        return root


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """An empty cache, no mirror, downloads disabled, the real manifest."""
    monkeypatch.setenv(store.CACHE_VAR, str(tmp_path / "cache"))
    monkeypatch.setenv(store.OFFLINE_VAR, "1")
    monkeypatch.delenv(store.MIRROR_VAR, raising=False)
    return tmp_path


@pytest.fixture
def fake(isolated, monkeypatch):
    """Like `isolated`, with the manifest replaced by one for FakeData's tiny files."""
    f = FakeData(isolated)
    monkeypatch.setattr(store, "MANIFEST", f.write_manifest())
    store.manifest.cache_clear()
    yield f
    store.manifest.cache_clear()


def use_mirrors(monkeypatch, *dirs):
    monkeypatch.setenv(store.MIRROR_VAR, os.pathsep.join(str(d) for d in dirs))


# ------------------------------------------------------------------ parsers

@pytest.mark.parametrize("compress", [True, False])
def test_read_idx_round_trips_images_labels_and_wide_types(tmp_path, compress):
    rng = np.random.default_rng(1)
    for i, a in enumerate([rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
                           rng.integers(0, 10, (7,), dtype=np.uint8),
                           rng.integers(-1000, 1000, (2, 3), dtype=np.int32).astype(">i4"),
                           rng.standard_normal((4,)).astype(">f4")]):
        p = tmp_path / f"a{i}"
        p.write_bytes(gz(idx_bytes(a)) if compress else idx_bytes(a))
        out = formats.read_idx(p)
        assert out.shape == a.shape and out.dtype.isnative and out.dtype.kind == a.dtype.kind
        np.testing.assert_array_equal(out, a)
        assert out.flags.writeable


def test_read_idx_rejects_bad_magic_truncation_and_trailing_bytes(tmp_path):
    good = idx_bytes(np.zeros((3, 4, 4), dtype=np.uint8))
    cases = {"magic": b"\x01\x02" + good[2:], "header": good[:10], "data": good[:-1], "trailing": good + b"\0",
             "gz-truncated": gz(good)[:-12]}
    for what, b in cases.items():
        p = tmp_path / what
        p.write_bytes(b)
        with pytest.raises((ValueError, EOFError, OSError)):
            formats.read_idx(p)


def test_read_cifar_batch_makes_channels_last_rgb(tmp_path):
    rng = np.random.default_rng(2)
    X = rng.integers(0, 256, (3, 3, 32, 32), dtype=np.uint8)
    p = tmp_path / "batch"
    p.write_bytes(cifar_batch_bytes(X, [4, 0, 9]))
    Xh, y = formats.read_cifar_batch(p)
    assert Xh.shape == (3, 32, 32, 3) and Xh.dtype == np.uint8 and Xh.flags.c_contiguous
    assert y.dtype == np.int64 and y.tolist() == [4, 0, 9]
    flat = X.reshape(3, -1)   # the file's row layout: R plane, G plane, B plane, each row-major
    i, r, c, ch = 2, 5, 17, 1
    assert Xh[i, r, c, ch] == flat[i, ch * 1024 + r * 32 + c]
    np.testing.assert_array_equal(Xh.transpose(0, 3, 1, 2), X)


def test_read_cifar_rejects_malformed_and_non_numpy_pickles(tmp_path):
    bad = {"keys": pickle.dumps({b"data": np.zeros((1, 3072), np.uint8)}, protocol=2),
           "shape": pickle.dumps({b"data": np.zeros((1, 100), np.uint8), b"labels": [0]}, protocol=2),
           "labels": pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0]}, protocol=2),
           "code": pickle.dumps({b"data": functools.partial(print, "x"), b"labels": [0]}, protocol=2),
           "truncated": cifar_batch_bytes(np.zeros((2, 3, 32, 32), np.uint8), [0, 1])[:-50]}
    for what, b in bad.items():
        p = tmp_path / what
        p.write_bytes(b)
        with pytest.raises(ValueError):
            formats.read_cifar_batch(p)


# ------------------------------------------------------------------ subsets and tensors

def test_stratified_subset_is_deterministic_proportional_and_validated():
    y = np.repeat(np.arange(4), [500, 300, 150, 50])
    a, b = data.stratified_subset(y, 101, seed=3), data.stratified_subset(y, 101, seed=3)
    np.testing.assert_array_equal(a, b)
    assert len(a) == 101 and len(np.unique(a)) == 101 and np.all(np.diff(a) > 0)
    share = np.bincount(y[a], minlength=4)
    assert np.all(np.abs(share - 101 * np.array([500, 300, 150, 50]) / 1000) < 1)
    assert not np.array_equal(a, data.stratified_subset(y, 101, seed=4))
    assert len(data.stratified_subset(y, 1000)) == 1000
    for k in (0, -1, 1001, 2.5, True):
        with pytest.raises(ValueError):
            data.stratified_subset(y, k)


def test_to_tensors_keeps_shapes_and_values():
    from tinygrad import dtypes
    X, y = np.arange(24, dtype=np.uint8).reshape(2, 3, 4), np.array([3, 1], dtype=np.int64)
    tX, ty = data.to_tensors(X, y)
    assert tX.shape == (2, 3, 4) and tX.dtype == dtypes.uint8 and ty.dtype == dtypes.int64
    np.testing.assert_array_equal(tX.numpy(), X)
    single = data.to_tensors(y)
    assert single.shape == (2,)
    with pytest.raises(TypeError):
        data.to_tensors(np.array(["a"]))


# ------------------------------------------------------------------ mirrors, cache, verification

def test_loaders_read_a_mirror_in_place_without_writing_to_it(fake, monkeypatch):
    mirror = fake.write_tree(fake.root / "mirror")
    before = tree_state(mirror)
    use_mirrors(monkeypatch, fake.root / "absent", mirror)
    X, y, Xt, yt = data.mnist()
    np.testing.assert_array_equal(X, fake.X_train)
    assert y.dtype == np.int64 and y.tolist() == fake.y_train.tolist() and Xt.shape == (6, 28, 28)
    Xc, yc, Xct, yct = data.cifar10(full=True)
    assert Xc.shape == (20, 32, 32, 3) and Xct.shape == (4, 32, 32, 3)
    np.testing.assert_array_equal(Xc[:4], fake.cifar_X["data_batch_1"].transpose(0, 2, 3, 1))
    train, val = data.tiny_shakespeare()
    assert (len(train), len(val)) == (900, 100) and train + val == fake.text
    assert tree_state(mirror) == before
    cached = [p.name for p in (fake.root / "cache").rglob("*") if p.is_file()]
    assert cached == [store.RECORD_NAME]          # only the verification record, no copies


def test_subset_sizes_and_stratification_through_a_loader(fake, monkeypatch):
    use_mirrors(monkeypatch, fake.write_tree(fake.root / "mirror"))
    X, y, Xt, yt = data.mnist(subset=6, seed=5)
    assert X.shape == (6, 28, 28) and np.bincount(y).tolist() == [3, 2, 1]
    assert len(yt) == 6   # max(100, 6 // 6) capped at the 6 test images
    X2, y2, _, _ = data.mnist(subset=6, seed=5)
    np.testing.assert_array_equal(X, X2)


def test_verification_is_remembered_until_the_file_changes(fake, monkeypatch):
    mirror = fake.write_tree(fake.root / "mirror", cifar=(), text=False)
    use_mirrors(monkeypatch, mirror)
    calls = []
    real = store.sha256_file
    monkeypatch.setattr(store, "sha256_file", lambda p: calls.append(Path(p).name) or real(p))
    data.mnist()
    assert sorted(calls) == sorted(MNIST_FILES)
    calls.clear()
    data.mnist()
    assert calls == []
    target = mirror / "mnist" / MNIST_FILES[1]
    st = target.stat()
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    data.mnist()
    assert calls == [MNIST_FILES[1]]


def test_corruption_with_size_and_mtime_put_back_is_detected(fake, monkeypatch):
    """The change time moves on any rewrite, so a record of an earlier verification no longer matches."""
    cache = fake.write_tree(fake.root / "cache", cifar=(), text=False)
    data.mnist()
    target = cache / "mnist" / MNIST_FILES[1]
    st = target.stat()
    time.sleep(0.01)
    flip_byte(target)
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (target.stat().st_size, target.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    with pytest.warns(store.DataWarning, match="corrupt"), pytest.raises(data.DataUnavailable):
        data.mnist()


@pytest.mark.parametrize("stage", ["download", "extraction"])
def test_interrupted_fetch_leaves_no_temporary_file(fake, server, monkeypatch, stage):
    (server / "cifar-10-python.tar.gz").write_bytes(fake.tarball)
    monkeypatch.delenv(store.OFFLINE_VAR)
    import pooch

    def half_then_interrupt(src, out, *args):
        out.write(src.read(100))
        raise KeyboardInterrupt

    def interrupted_download(self, url, output_file, pooch_obj=None, check_only=False):
        with open(output_file, "wb") as f:
            f.write(b"partial")
        raise KeyboardInterrupt
    if stage == "download":
        monkeypatch.setattr(pooch.HTTPDownloader, "__call__", interrupted_download)
    else:
        monkeypatch.setattr(store, "shutil", type("Shutil", (), {"copyfileobj": staticmethod(half_then_interrupt)}))
    with pytest.raises(KeyboardInterrupt):
        data.cifar10()
    left = [p.name for p in (fake.root / "cache").rglob("*") if p.is_file() and p.name != store.RECORD_NAME]
    assert left in ([], ["cifar-10-python.tar.gz"]), left   # at most the verified archive, never a partial file


def test_flipped_byte_in_mirror_is_reported_skipped_and_mirror_untouched(fake, monkeypatch):
    bad = fake.write_tree(fake.root / "bad", cifar=(), text=False)
    flip_byte(bad / "mnist" / MNIST_FILES[0])
    before = tree_state(bad)
    use_mirrors(monkeypatch, bad)
    with pytest.warns(store.DataWarning, match="corrupt.*sha256 mismatch.*skipped"):
        with pytest.raises(data.DataUnavailable) as e:
            data.mnist()
    assert MNIST_FILES[0] in str(e.value) and "skipped" in str(e.value)
    assert e.value.missing == (f"mnist/{MNIST_FILES[0]}",)
    assert tree_state(bad) == before
    good = fake.write_tree(fake.root / "good", cifar=(), text=False)
    use_mirrors(monkeypatch, bad, good)
    with pytest.warns(store.DataWarning, match=str(bad / "mnist" / MNIST_FILES[0])):
        X, *_ = data.mnist()
    np.testing.assert_array_equal(X, fake.X_train)


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_damaged_cache_file_is_moved_aside_and_never_loaded(fake, damage):
    cache = fake.write_tree(fake.root / "cache", cifar=(), text=False)
    victim = cache / "mnist" / MNIST_FILES[2]
    if damage == "flip":
        flip_byte(victim, offset=100)
    else:
        victim.write_bytes(victim.read_bytes()[:-7])
    damaged = victim.read_bytes()
    expected = "sha256 mismatch" if damage == "flip" else "truncated"
    with pytest.warns(store.DataWarning, match=f"{expected}.*moved aside"):
        with pytest.raises(data.DataUnavailable, match=MNIST_FILES[2]):
            data.mnist()
    assert not victim.exists()
    assert (victim.parent / (victim.name + ".corrupt")).read_bytes() == damaged


def test_damaged_file_found_by_verify_after_it_was_once_good(fake, monkeypatch, capsys):
    cache = fake.write_tree(fake.root / "cache", cifar=(), text=False)
    data.mnist()
    victim = cache / "mnist" / MNIST_FILES[0]
    flip_byte(victim)
    assert cli.main(["verify", "mnist"]) == 1
    out = capsys.readouterr().out
    assert "CORRUPT" in out and "1 corrupt" in out
    assert (victim.parent / (victim.name + ".corrupt")).exists() and not victim.exists()


def test_wrong_file_name_in_mirror_gives_a_message_saying_what_to_do(fake, monkeypatch):
    mirror = fake.write_tree(fake.root / "mirror", cifar=(), text=False)
    wrong = mirror / "mnist" / "train-images.idx3-ubyte.gz"
    (mirror / "mnist" / MNIST_FILES[0]).rename(wrong)
    use_mirrors(monkeypatch, mirror)
    with pytest.raises(data.DataUnavailable) as e:
        data.mnist()
    msg = str(e.value)
    assert isinstance(e.value, RuntimeError)
    for part in (f"mnist/{MNIST_FILES[0]}", str(mirror), str(fake.root / "cache"), store.MIRROR_VAR,
                 store.CACHE_VAR, "grader data fetch mnist", str(wrong)):
        assert part in msg, part


def test_no_mirror_no_network_names_files_places_and_variable(fake):
    with pytest.raises(data.DataUnavailable) as e:
        data.tiny_shakespeare()
    msg = str(e.value)
    assert "tinyshakespeare/input.txt" in msg and store.MIRROR_VAR in msg and "is not set" in msg
    assert str(fake.root / "cache") in msg


def test_partial_cifar_mirror_quick_run_works_full_run_names_missing_batches(fake, monkeypatch):
    use_mirrors(monkeypatch, fake.write_tree(fake.root / "mirror", mnist=False, text=False,
                                              cifar=("batches.meta", "data_batch_1", "test_batch")))
    with pytest.warns(store.DataWarning, match="1 of 5 batches.*missing data_batch_2, data_batch_3, data_batch_4, data_batch_5"):
        X, y, Xt, yt = data.cifar10()
    assert X.shape == (4, 32, 32, 3) and Xt.shape == (4, 32, 32, 3)
    with pytest.raises(data.DataUnavailable) as e:
        data.cifar10(full=True)
    assert e.value.missing == tuple(f"cifar-10-batches-py/data_batch_{i}" for i in range(2, 6))


# ------------------------------------------------------------------ downloads (pooch, against a local server)

@pytest.fixture
def server(fake, monkeypatch):
    """Serve `fake.root / "www"` on 127.0.0.1 and rewrite the manifest to download from it."""
    www = fake.root / "www"
    www.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(www), **k)

        def log_message(self, *a):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    monkeypatch.setattr(store, "MANIFEST", fake.write_manifest(f"http://127.0.0.1:{httpd.server_address[1]}/"))
    store.manifest.cache_clear()
    yield www
    httpd.shutdown()
    httpd.server_close()


def test_download_falls_back_to_the_next_url_and_lands_verified_in_cache(fake, server, monkeypatch):
    fake.write_tree(server, cifar=(), text=False)
    monkeypatch.delenv(store.OFFLINE_VAR)
    X, y, _, _ = data.mnist()               # first URL answers 404, the second serves the files
    np.testing.assert_array_equal(X, fake.X_train)
    cached = sorted(p.name for p in (fake.root / "cache" / "mnist").iterdir())
    assert cached == sorted(MNIST_FILES)
    monkeypatch.setenv(store.OFFLINE_VAR, "1")
    data.mnist()                              # now served from the cache


def test_download_with_wrong_content_is_rejected_and_leaves_nothing(fake, server, monkeypatch):
    (server / "tinyshakespeare").mkdir()
    (server / "tinyshakespeare" / "input.txt").write_text(fake.text[:-1] + "!")
    monkeypatch.delenv(store.OFFLINE_VAR)
    with pytest.raises(data.DataUnavailable, match="Download failed.*input.txt"):
        data.tiny_shakespeare()
    folder = fake.root / "cache" / "tinyshakespeare"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_archive_download_is_extracted_verified_and_removed(fake, server, monkeypatch):
    (server / "cifar-10-python.tar.gz").write_bytes(fake.tarball)
    monkeypatch.delenv(store.OFFLINE_VAR)
    with warnings.catch_warnings():
        warnings.simplefilter("error")        # nothing partial to warn about
        X, y, Xt, yt = data.cifar10()
    assert X.shape == (20, 32, 32, 3) and yt.tolist() == fake.cifar_y["test_batch"]
    cache = fake.root / "cache"
    assert not (cache / "cifar-10-python.tar.gz").exists()
    assert sorted(p.name for p in (cache / "cifar-10-batches-py").iterdir()) == sorted(fake.cifar)
    assert cli.main(["fetch", "cifar10"]) == 0


# ------------------------------------------------------------------ CLI

def test_cli_list_fetch_verify(fake, monkeypatch, capsys):
    assert cli.main(["list"]) == 0
    assert "missing" in capsys.readouterr().out
    assert cli.main(["fetch", "mnist"]) == 1
    assert store.MIRROR_VAR in capsys.readouterr().out
    use_mirrors(monkeypatch, fake.write_tree(fake.root / "mirror"))
    assert cli.main(["fetch", "all"]) == 0
    assert cli.main(["verify"]) == 0
    assert "0 corrupt, 0 missing" in capsys.readouterr().out
    assert cli.main(["list"]) == 0
    assert "verified" in capsys.readouterr().out
    assert cli.main(["fetch", "imagenet"]) == 2
    assert cli.main(["bogus"]) == 2


# ------------------------------------------------------------------ the real files (shared offline mirror)

needs_shared = pytest.mark.skipif(not (SHARED / "mnist").is_dir(),
                                  reason=f"shared dataset mirror not found at {SHARED} (set {store.MIRROR_VAR})")


def pixel_moments(X: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation of X / 255 over all pixels (exact sum, chunked float32 squares)."""
    n, total = X.size, int(X.sum(dtype=np.int64))
    sq = sum(float(c @ c) for c in (X[i:i + 5000].reshape(-1).astype(np.float32) for i in range(0, len(X), 5000)))
    mean = total / n
    return mean / 255, float(np.sqrt(sq / n - mean ** 2)) / 255


@pytest.fixture(scope="module")
def real_env(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv(store.MIRROR_VAR, str(SHARED))
    mp.setenv(store.CACHE_VAR, str(tmp_path_factory.mktemp("real-cache")))
    mp.setenv(store.OFFLINE_VAR, "1")
    store.manifest.cache_clear()
    yield
    mp.undo()


@pytest.fixture(scope="module")
def real_mnist(real_env):
    return data.mnist()


@needs_shared
def test_real_mnist(real_mnist):
    X, y, Xt, yt = real_mnist
    assert X.shape == (60000, 28, 28) and Xt.shape == (10000, 28, 28) and X.dtype == np.uint8
    assert y.dtype == np.int64 and yt.dtype == np.int64
    assert np.bincount(y).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(yt).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert y[:3].tolist() == [5, 0, 4] and yt[0] == 7
    assert int(X[0].sum()) == 27525 and int(Xt[0].sum()) == 18454
    mean, std = pixel_moments(X)
    assert abs(mean - 0.1307) < 1e-4 and abs(std - 0.3081) < 1e-4   # the usual normalisation constants


@needs_shared
def test_real_mnist_subset(real_env):
    X, y, Xt, yt = data.mnist(subset=1000, seed=0)
    assert X.shape == (1000, 28, 28) and len(yt) == 166
    assert np.all(np.abs(np.bincount(y) - 1000 * np.array([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]) / 60000) < 1)


@needs_shared
def test_real_fashion_mnist(real_env):
    X, y, Xt, yt = data.fashion_mnist()
    assert X.shape == (60000, 28, 28) and Xt.shape == (10000, 28, 28) and X.dtype == np.uint8
    assert np.bincount(y).tolist() == [6000] * 10 and np.bincount(yt).tolist() == [1000] * 10
    assert int(X[0].sum()) == 76247 and abs(pixel_moments(X)[0] - 0.2860) < 1e-4


@needs_shared
def test_real_cifar10_partial_mirror(real_env):
    with pytest.warns(store.DataWarning, match="missing data_batch_2"):
        X, y, Xt, yt = data.cifar10()
    assert X.shape == (10000, 32, 32, 3) and Xt.shape == (10000, 32, 32, 3) and X.dtype == np.uint8
    assert np.bincount(y).tolist() == [1005, 974, 1032, 1016, 999, 937, 1030, 1001, 1025, 981]
    assert np.bincount(yt).tolist() == [1000] * 10 and y[0] == 6 and yt[0] == 3
    assert X[0].sum(axis=(0, 1)).tolist() == [144594, 107622, 65574]      # R, G, B plane sums of image 0
    assert np.allclose(Xt.mean(axis=(0, 1, 2)) / 255, [0.4942, 0.4851, 0.4504], atol=2e-4)
    # channels-last done right: horizontally adjacent pixels are close, far ones are not
    near = np.abs(np.diff(X[:500].astype(int), axis=2)).mean()
    far = np.abs(X[:500, :, :16].astype(int) - X[:500, :, 16:]).mean()
    assert near < 0.5 * far
    meta = store.require("cifar10", ["batches.meta"])["batches.meta"]
    assert formats.read_cifar_meta(meta) == data.CIFAR10_CLASSES
    with pytest.raises(data.DataUnavailable, match="data_batch_2"):
        data.cifar10(full=True)


@needs_shared
def test_real_tiny_shakespeare(real_env):
    train, val = data.tiny_shakespeare()
    assert (len(train), len(val)) == (1003854, 111540)
    assert train.startswith("First Citizen:") and len(set(train + val)) == 65


@needs_shared
def test_real_corrupt_copy_in_first_mirror_is_skipped(real_env, tmp_path, monkeypatch):
    bad = tmp_path / "bad" / "mnist"
    bad.mkdir(parents=True)
    for n in MNIST_FILES:
        shutil.copyfile(SHARED / "mnist" / n, bad / n)
    flip_byte(bad / "t10k-labels-idx1-ubyte.gz")
    use_mirrors(monkeypatch, bad.parent, SHARED)
    with pytest.warns(store.DataWarning, match="t10k-labels-idx1-ubyte.gz is corrupt"):
        _, _, _, yt = data.mnist()
    assert np.bincount(yt)[0] == 980


@needs_shared
def test_real_verify_reports_every_present_file_verified(real_env, capsys):
    assert cli.main(["verify"]) == 0
    assert "12 verified, 0 corrupt, 4 missing" in capsys.readouterr().out
