"""Parsers for the on-disk formats: IDX (MNIST, Fashion-MNIST) and CIFAR-10 python batches.

Both raise ValueError with the file name on anything malformed (bad magic, truncated data,
missing keys), so a damaged file can never turn into a silently wrong array.
"""
from __future__ import annotations

import gzip
import pickle
from pathlib import Path

import numpy as np

# IDX type codes (third byte of the magic number) -> big-endian element type.
IDX_DTYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def _open(path: Path):
    """Open plain or gzip-compressed files alike (gzip recognised by its magic bytes 1f 8b)."""
    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gz else open(path, "rb")


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (optionally gzip-compressed) into an array of its declared shape.

    Layout: 4-byte magic `00 00 <type> <ndim>`, then `ndim` big-endian uint32 dimensions, then the
    elements in C order. MNIST images are `00 00 08 03` (2051) with dims (N, 28, 28); labels are
    `00 00 08 01` (2049) with dims (N,). Multi-byte types come back in native byte order.
    """
    path = Path(path)
    with _open(path) as f:
        magic = f.read(4)
        if len(magic) != 4 or magic[:2] != b"\0\0" or magic[2] not in IDX_DTYPES or magic[3] == 0:
            raise ValueError(f"{path.name}: not an IDX file (magic bytes {magic.hex() or 'missing'})")
        dtype, ndim = IDX_DTYPES[magic[2]], magic[3]
        raw = f.read(4 * ndim)
        if len(raw) != 4 * ndim:
            raise ValueError(f"{path.name}: truncated IDX header")
        dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4"))
        out = np.empty(dims, dtype=dtype)
        buf, got = memoryview(out.reshape(-1).view(np.uint8)), 0
        while got < out.nbytes and (n := f.readinto(buf[got:])):
            got += n
        if got != out.nbytes:
            raise ValueError(f"{path.name}: truncated IDX data ({got} of {out.nbytes} bytes for shape {dims})")
        if f.read(1):
            raise ValueError(f"{path.name}: trailing bytes after the {dims} IDX data")
    return out if dtype.isnative or dtype.itemsize == 1 else out.astype(dtype.newbyteorder("="))


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickler that can rebuild NumPy arrays and nothing else (no arbitrary code on load)."""

    _ALLOWED = {("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
                ("numpy._core.multiarray", "_reconstruct"),
                ("_codecs", "encode")}   # how protocol-2 pickles written by Python 3 store bytes

    def find_class(self, module, name):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a data file")
        if module == "numpy.core.multiarray":  # NumPy 2 moved it; avoid the deprecation shim
            module = "numpy._core.multiarray" if hasattr(np, "_core") else module
        return super().find_class(module, name)


def read_pickle(path: str | Path) -> dict:
    """Load a CIFAR python pickle (Python-2 protocol, byte-string keys), allowing only NumPy objects."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            obj = _NumpyOnlyUnpickler(f, encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as e:
        raise ValueError(f"{path.name}: not a readable CIFAR pickle ({e})") from e
    if not isinstance(obj, dict):
        raise ValueError(f"{path.name}: expected a dict, found {type(obj).__name__}")
    return obj


def read_cifar_batch(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read one CIFAR-10 python batch -> (X uint8 [N, 32, 32, 3] NHWC, y int64 [N]).

    The file stores each image as one row of 3072 bytes: the 1024 red values (row-major 32x32),
    then the green, then the blue plane. Rows are reshaped to [N, 3, 32, 32] and transposed to
    channels-last, so `X[i]` is directly displayable with `plt.imshow`.
    """
    path = Path(path)
    d = read_pickle(path)
    if b"data" not in d or b"labels" not in d:
        raise ValueError(f"{path.name}: missing b'data' or b'labels' (keys: {sorted(d)})")
    data, labels = np.asarray(d[b"data"]), np.asarray(d[b"labels"], dtype=np.int64)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise ValueError(f"{path.name}: b'data' should be uint8 [N, 3072], found {data.dtype} {data.shape}")
    if labels.shape != (data.shape[0],):
        raise ValueError(f"{path.name}: {labels.shape[0]} labels for {data.shape[0]} images")
    X = np.ascontiguousarray(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    return X, labels


def read_cifar_meta(path: str | Path) -> tuple[str, ...]:
    """Class names from `batches.meta` (its b'label_names' list), decoded to str."""
    d = read_pickle(path)
    if b"label_names" not in d:
        raise ValueError(f"{Path(path).name}: missing b'label_names'")
    return tuple(n.decode() if isinstance(n, bytes) else str(n) for n in d[b"label_names"])
