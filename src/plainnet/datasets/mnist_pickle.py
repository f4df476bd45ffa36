"""network2.py's ``mnist.pkl.gz``, read through an unpickler that admits NumPy arrays only.

The file is a gzip-compressed Python 2 pickle of ``(training_data, validation_data,
test_data)``, each a pair ``(X: (n, 784) float32 in [0, 1], y: (n,) int64)``.
Plain ``pickle.load`` would run whatever code a hostile file names; this
unpickler resolves nothing but the few NumPy functions that rebuild a numeric
array, and the result must be exactly that structure of numeric arrays.
"""

from __future__ import annotations

import codecs
import gzip
import os
import pickle
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataFileError
from .splits import Split

# numpy's own functions, whatever their module path in this version of numpy
_reconstruct = np.zeros(1).__reduce_ex__(2)[0]
_frombuffer = np.zeros(1).__reduce_ex__(5)[0]


def _array(subtype: Any, shape: Any, code: Any) -> np.ndarray:
    if subtype is not np.ndarray:
        raise pickle.UnpicklingError(f"refused to rebuild an array of type {subtype!r}")
    return _reconstruct(subtype, shape, code)


def _array_from_buffer(buf: Any, dtype: Any, shape: Any, order: Any) -> np.ndarray:
    # pickle protocol 5 stores an array as its buffer, dtype, shape and order
    if not isinstance(dtype, np.dtype) or dtype.hasobject:
        raise pickle.UnpicklingError(f"refused an array of dtype {dtype!r}")
    return _frombuffer(buf, dtype, shape, order)


def _dtype(*args: Any) -> np.dtype:
    dt = np.dtype(*args)
    if dt.hasobject:
        raise pickle.UnpicklingError(f"refused an array of Python objects (dtype {dt})")
    return dt


def _latin1(text: str, encoding: str = "latin1") -> bytes:
    # Python 3 pickles bytes at protocol 2 as _codecs.encode(str, "latin1")
    if encoding != "latin1":
        raise pickle.UnpicklingError(f"refused _codecs.encode with encoding {encoding!r}")
    return codecs.encode(text, "latin1")


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _array,
    ("numpy._core.multiarray", "_reconstruct"): _array,
    ("numpy.core.numeric", "_frombuffer"): _array_from_buffer,
    ("numpy._core.numeric", "_frombuffer"): _array_from_buffer,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): _dtype,
    ("_codecs", "encode"): _latin1,
}


class ArrayUnpickler(pickle.Unpickler):
    """An unpickler that can build NumPy arrays of numbers, tuples, lists and scalars, and
    nothing else: any other class or function a pickle names is refused."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[module, name]
        except KeyError:
            raise pickle.UnpicklingError(f"refused to load {module}.{name}: only NumPy arrays "
                                         "are admitted") from None


def _check_pair(path: Any, part: str, pair: Any) -> tuple[np.ndarray, np.ndarray]:
    if not (isinstance(pair, tuple) and len(pair) == 2
            and all(isinstance(a, np.ndarray) for a in pair)):
        raise DataFileError(f"{path}: {part} must be a pair of arrays (X, y), got "
                            f"{type(pair).__name__}")
    X, y = pair
    if X.ndim != 2 or X.dtype.kind != "f" or not np.isfinite(X).all():
        raise DataFileError(f"{path}: {part} images must be a finite float array (n, pixels), "
                            f"got {X.dtype} of shape {X.shape}")
    if y.ndim != 1 or y.dtype.kind not in "iu" or len(y) != len(X) or (y.size and y.min() < 0):
        raise DataFileError(f"{path}: {part} labels must be non-negative integers (n,) with "
                            f"n = {len(X)}, got {y.dtype} of shape {y.shape}")
    return X.astype(np.float32, copy=False), y.astype(np.int64)


def read_mnist_pkl(path: str | os.PathLike) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """``(training, validation, test)`` pairs ``(X, y)`` from ``mnist.pkl.gz`` (or ``.pkl``)."""
    with open(path, "rb") as f:
        opener = gzip.open if f.read(2) == b"\x1f\x8b" else open
    try:
        with opener(path, "rb") as f:
            data = ArrayUnpickler(f, encoding="latin1").load()
    except EOFError:
        raise DataFileError(f"{path}: truncated: the file ends in the middle of the "
                            "compressed stream or the pickle") from None
    except pickle.UnpicklingError as exc:
        raise DataFileError(f"{path}: not a pickle of NumPy arrays: {exc}") from None
    except (OSError, zlib.error, ValueError, TypeError, AttributeError, IndexError,
            KeyError) as exc:
        raise DataFileError(f"{path}: corrupt ({type(exc).__name__}: {exc})") from None
    if not (isinstance(data, tuple) and len(data) == 3):
        raise DataFileError(f"{path}: expected a triple (training, validation, test) as "
                            f"network2.py's mnist.pkl.gz holds, got {type(data).__name__}")
    parts = [_check_pair(path, part, pair)
             for part, pair in zip(("training", "validation", "test"), data, strict=True)]
    widths = {X.shape[1] for X, _ in parts}
    if len(widths) != 1:
        raise DataFileError(f"{path}: the three parts have images of different sizes {widths}")
    return tuple(parts)


def load_mnist_pkl(path: Any = None, validation: str = "merge") -> Split:
    """network2.py's file (or its directory) as ``((X_train, y_train), (X_test, y_test))``;
    its validation part joins the training part (``"merge"``) or is left out (``"drop"``)."""
    if validation not in ("merge", "drop"):
        raise ValueError(f"validation must be 'merge' or 'drop', got {validation!r}")
    if path is None:
        raise DataFileError(
            "mnist-pkl: pass path= to network2.py's mnist.pkl.gz (or its directory); it is "
            "data/mnist.pkl.gz in the repository of Michael Nielsen's book 'Neural Networks "
            "and Deep Learning' (mnielsen/neural-networks-and-deep-learning). plainnet "
            "downloads nothing")
    path = Path(path)
    if not path.exists():
        raise DataFileError(f"mnist-pkl: {path} does not exist; pass path= to network2.py's "
                            "mnist.pkl.gz or to the directory that holds it")
    if path.is_dir():
        found = [path / n for n in ("mnist.pkl.gz", "mnist.pkl") if (path / n).is_file()]
        if not found:
            raise DataFileError(f"mnist-pkl: {path} holds neither mnist.pkl.gz nor mnist.pkl")
        path = found[0]
    train, val, test = read_mnist_pkl(path)
    if validation == "merge":  # 50,000 + 10,000: the 60,000 training images of MNIST
        train = (np.concatenate([train[0], val[0]]), np.concatenate([train[1], val[1]]))
    return train, test
