"""Data sets: toy sets, handwritten digits, MNIST and Fashion-MNIST, CSV files.

``load(name, path=None, **options)`` returns ``((X_train, y_train), (X_test, y_test))``
with ``X: (n, n_features)`` float32 (image pixels scaled to [0, 1]) and ``y: (n,)``
int64. Nothing is downloaded: scikit-learn ships the toy sets and the digits,
Debian's ``dataset-fashion-mnist`` package ships Fashion-MNIST, and for MNIST you
point ``path=`` at a copy you have.

>>> (X, y), (X_test, y_test) = load("circles", n_samples=100)
>>> X.shape, X.dtype, y.dtype, len(X_test)
((80, 2), dtype('float32'), dtype('int64'), 20)
>>> metadata("digits")
{'image_shape': [8, 8], 'pixel_max': 16.0}
"""

from __future__ import annotations

import importlib.util
import inspect
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..checks import check_number
from ..errors import DataFileError
from ..labels import from_one_hot, one_hot
from .idx import load_idx_dir
from .mnist_pickle import load_mnist_pkl
from .splits import TEST_FRACTION, Split, standardize, train_val_split
from .tables import csv_metadata, load_csv

__all__ = [
    "DataFileError",
    "available",
    "from_one_hot",
    "load",
    "metadata",
    "one_hot",
    "standardize",
    "train_val_split",
]

#: where Debian's dataset-fashion-mnist package puts its four IDX files
FASHION_MNIST_DIRS = ("/usr/share/datasets/fashion-mnist",)
_SPLIT_SEED = 0
_MNIST_META = {"image_shape": [28, 28], "pixel_max": 255.0}


# --- the sets -------------------------------------------------------------------------------

def _sklearn():
    try:
        import sklearn.datasets
    except ImportError:
        raise ImportError("this data set comes with scikit-learn: pip install "
                          "'plainnet[sklearn]'") from None
    return sklearn.datasets


def _split(X: np.ndarray, y: np.ndarray) -> Split:
    (X_tr, y_tr), (X_te, y_te) = train_val_split(X, y, TEST_FRACTION, seed=_SPLIT_SEED)
    return ((X_tr.astype(np.float32), y_tr.astype(np.int64)),
            (X_te.astype(np.float32), y_te.astype(np.int64)))


def _toy(generator: str, default_noise: float) -> Callable[..., Split]:
    def load_toy(path: Any = None, n_samples: int = 1000, noise: float = default_noise) -> Split:
        check_number("n_samples", n_samples, low=10, integer=True)
        check_number("noise", noise, low=0.0)
        make = getattr(_sklearn(), generator)
        X, y = make(n_samples=int(n_samples), noise=float(noise), random_state=_SPLIT_SEED)
        return _split(X, y)
    return load_toy


def _load_digits(path: Any = None) -> Split:
    digits = _sklearn().load_digits()
    return _split(digits.data / 16.0, digits.target)


def _fashion_dir() -> Path | None:
    return next((Path(d) for d in FASHION_MNIST_DIRS if Path(d).is_dir()), None)


def _load_fashion_mnist(path: Any = None) -> Split:
    directory = Path(path) if path is not None else _fashion_dir()
    if directory is None:
        raise DataFileError("fashion-mnist: the IDX files are not installed; on Debian or "
                            "Ubuntu run `apt install dataset-fashion-mnist`, or pass path= to a "
                            "directory with the four IDX files")
    return load_idx_dir(directory, "fashion-mnist")


def _load_mnist(path: Any = None) -> Split:
    if path is None:
        raise DataFileError(
            "mnist: pass path= to a directory with the four MNIST IDX files "
            "(train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
            "t10k-labels-idx1-ubyte, gzip or not). plainnet downloads nothing; copies are "
            "published by Yann LeCun's MNIST page mirrors, torchvision, Kaggle or your "
            "distribution's packages. Fashion-MNIST needs no download on Debian: "
            "load('fashion-mnist')")
    return load_idx_dir(Path(path), "mnist")


@dataclass(frozen=True)
class _Set:
    load: Callable[..., Split]
    source: str
    metadata: dict[str, Any] | Callable[..., dict[str, Any]]
    present: Callable[[], bool]
    takes_path: bool = False


def _has_sklearn() -> bool:
    return importlib.util.find_spec("sklearn") is not None


_SETS: dict[str, _Set] = {
    "circles": _Set(_toy("make_circles", 0.05),
                    "scikit-learn's make_circles (seed 0; options n_samples, noise)",
                    {}, _has_sklearn),
    "moons": _Set(_toy("make_moons", 0.1),
                  "scikit-learn's make_moons (seed 0; options n_samples, noise)",
                  {}, _has_sklearn),
    "digits": _Set(_load_digits, "scikit-learn's 8x8 handwritten digits (load_digits)",
                   {"image_shape": [8, 8], "pixel_max": 16.0}, _has_sklearn),
    "fashion-mnist": _Set(_load_fashion_mnist,
                          "IDX files of Debian's dataset-fashion-mnist package "
                          f"({FASHION_MNIST_DIRS[0]}); path= overrides",
                          _MNIST_META, lambda: _fashion_dir() is not None, takes_path=True),
    "mnist": _Set(_load_mnist, "any directory holding the four MNIST IDX files (path=)",
                  _MNIST_META, lambda: False, takes_path=True),
    "mnist-pkl": _Set(load_mnist_pkl,
                      "network2.py's mnist.pkl.gz (path=); option validation='merge' (its "
                      "10,000 validation images join the training set) or 'drop'",
                      _MNIST_META, lambda: False, takes_path=True),
    "csv": _Set(load_csv,
                "a CSV file (label first; header detected) or a directory with *train*.csv "
                "and *test*.csv (path=); options pixel_max ('auto': 255 for 784 features), "
                "test_fraction (one file only)",
                csv_metadata, lambda: False, takes_path=True),
}


def _lookup(name: Any) -> _Set:
    key = name.lower().replace("_", "-") if isinstance(name, str) else None
    if key not in _SETS:
        raise ValueError(f"unknown data set {name!r}; choose one of "
                         f"{', '.join(repr(k) for k in _SETS)}")
    return _SETS[key]


def available() -> dict[str, dict[str, Any]]:
    """Every data set by name: ``{"source": where it comes from, "present": bool}``.

    ``present`` says whether :func:`load` finds it here without ``path=`` (``"mnist"`` always
    needs ``path=``).
    """
    return {name: {"source": s.source, "present": s.present()} for name, s in _SETS.items()}


def metadata(name: str, path: str | os.PathLike | None = None, **options: Any
             ) -> dict[str, Any]:
    """What the inputs of a set are, for preprocessing new inputs the same way.

    ``{"image_shape": [rows, cols], "pixel_max": raw pixel value that maps to 1.0}`` for the
    image sets, ``{}`` for the toy sets. For ``"csv"`` it depends on the file: pass the same
    ``path`` and options as to :func:`load` (only the first line is read).
    """
    entry = _lookup(name)
    options = _check_options(name, entry, path, options)  # refused here as load refuses them
    if callable(entry.metadata):
        return entry.metadata(None if path is None else Path(path).expanduser(), **options)
    return {k: list(v) if isinstance(v, list) else v for k, v in entry.metadata.items()}


def _check_options(name: str, entry: _Set, path: Any, options: dict[str, Any]
                   ) -> dict[str, Any]:
    accepted = [p for p in inspect.signature(entry.load).parameters if p != "path"]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        takes = f"the options {accepted}" if accepted else "no options"
        raise ValueError(f"data set {name!r} takes {takes}, got {unknown}")
    if path is not None and not entry.takes_path:
        raise ValueError(f"data set {name!r} is generated or shipped with a package and takes "
                         f"no path=, got path={str(path)!r}")
    return options


def load(name: str, path: str | os.PathLike | None = None, **options: Any) -> Split:
    """``((X_train, y_train), (X_test, y_test))`` of the set ``name``; see :func:`available`.

    X: (n, n_features) float32, image pixels in [0, 1]; y: (n,) int64. ``path`` points at
    the files where a set needs them; ``options`` are the set's own (``n_samples`` and
    ``noise`` for the toy sets).
    """
    entry = _lookup(name)
    options = _check_options(name, entry, path, options)
    return entry.load(None if path is None else Path(path).expanduser(), **options)
