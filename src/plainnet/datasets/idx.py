"""The IDX format of MNIST and Fashion-MNIST, read and checked.

An IDX file is a 4-byte magic number ``0, 0, type code, number of dimensions``,
then each dimension as a big-endian uint32, then the values in big-endian order.
Files may be gzip-compressed (recognised by their first two bytes, not by name).
Every error names the file and says what is wrong with it. ``load_idx_dir`` reads
the four files of an MNIST-format directory.
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
from pathlib import Path

import numpy as np

from ..errors import DataFileError
from .splits import Split

#: IDX type code -> big-endian dtype
_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAGIC = b"\x1f\x8b"


def read_bytes(path: str | os.PathLike) -> bytes:
    """The content of ``path``, gunzipped when it is gzip; a damaged gzip is a DataFileError."""
    data = Path(path).read_bytes()
    if not data.startswith(_GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except EOFError:
        raise DataFileError(f"{path}: the gzip stream is truncated (the file ends before the "
                            "end-of-stream marker); download or copy it again") from None
    except (OSError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise DataFileError(f"{path}: the gzip stream is corrupt ({exc})") from None


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The array stored in the IDX file ``path`` (gzip or not), in native byte order."""
    data = read_bytes(path)
    if len(data) < 4:
        raise DataFileError(f"{path}: not an IDX file: {len(data)} bytes, shorter than the "
                            "4-byte magic number")
    zero, zero2, code, ndim = data[:4]
    if zero or zero2:
        raise DataFileError(f"{path}: not an IDX file: the magic number {data[:4].hex()} does "
                            "not start with two zero bytes")
    if code not in _TYPES:
        known = ", ".join(f"0x{c:02X}" for c in _TYPES)
        raise DataFileError(f"{path}: unknown IDX type code 0x{code:02X}; known: {known}")
    if ndim == 0:
        raise DataFileError(f"{path}: the IDX header declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataFileError(f"{path}: truncated IDX header: {ndim} dimensions need {header} "
                            f"bytes, the file has {len(data)}")
    shape = tuple(int(d) for d in np.frombuffer(data, ">u4", count=ndim, offset=4))
    dtype = np.dtype(_TYPES[code])
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "too long"
        raise DataFileError(f"{path}: {what}: dimensions {shape} of {dtype.name} need "
                            f"{expected} bytes, the file has {len(data)}")
    return np.frombuffer(data, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def read_idx_pair(images_path: str | os.PathLike, labels_path: str | os.PathLike
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(n, rows, cols)`` of uint8 and labels ``(n,)`` of int64, checked to agree."""
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise DataFileError(f"{images_path}: expected images as unsigned bytes in 3 dimensions "
                            f"(n, rows, cols), got {images.dtype} of shape {images.shape}")
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise DataFileError(f"{labels_path}: expected labels as integers in 1 dimension (n,), "
                            f"got {labels.dtype} of shape {labels.shape}")
    if len(images) != len(labels):
        raise DataFileError(f"{images_path} holds {len(images)} images but {labels_path} holds "
                            f"{len(labels)} labels; the two files must come from the same set")
    return images, labels.astype(np.int64)


def _to_X(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images ``(n, rows, cols)`` to ``X: (n, rows·cols)`` float32 in [0, 1]."""
    X = images.reshape(len(images), -1).astype(np.float32)
    X /= np.float32(255.0)
    return X, labels


_IDX_NAMES = {
    "train_images": r"train-images[-.]idx3-ubyte",
    "train_labels": r"train-labels[-.]idx1-ubyte",
    "test_images": r"t10k-images[-.]idx3-ubyte",
    "test_labels": r"t10k-labels[-.]idx1-ubyte",
}


def find_idx_files(directory: Path, name: str) -> dict[str, Path]:
    """The four IDX files in ``directory`` (plain or .gz), or a DataFileError listing the gaps."""
    if not directory.is_dir():
        problem = "is not a directory" if directory.exists() else "does not exist"
        raise DataFileError(f"{name}: {directory} {problem}; pass path= to the directory that "
                            "holds the four IDX files")
    files = sorted(p for p in directory.iterdir() if p.is_file())
    found, missing = {}, []
    for key, pattern in _IDX_NAMES.items():
        matches = [p for p in files if re.fullmatch(pattern + r"(\.gz)?", p.name)]
        if not matches:
            missing.append(pattern.replace("[-.]", "-"))
        else:  # prefer the uncompressed file when both are there: it reads faster
            found[key] = min(matches, key=lambda p: p.suffix == ".gz")
    if missing:
        raise DataFileError(f"{name}: {directory} lacks {', '.join(missing)} (or .gz); it must "
                            "hold the four MNIST-format IDX files")
    return found


def load_idx_dir(directory: Path, name: str) -> Split:
    """``((X_train, y_train), (X_test, y_test))`` from the four IDX files in ``directory``."""
    f = find_idx_files(directory, name)
    train = _to_X(*read_idx_pair(f["train_images"], f["train_labels"]))
    test = _to_X(*read_idx_pair(f["test_images"], f["test_labels"]))
    if train[0].shape[1] != test[0].shape[1]:
        raise DataFileError(f"{f['test_images']}: images of {test[0].shape[1]} pixels, but "
                            f"{f['train_images']} has {train[0].shape[1]}")
    return train, test
