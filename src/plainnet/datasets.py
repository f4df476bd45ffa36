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

import inspect
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import _csv
from ._idx import DataFileError, read_idx_pair
from ._pickle import read_mnist_pkl
from ._validation import check_number
from .labels import from_one_hot, one_hot

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

Split = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

#: where Debian's dataset-fashion-mnist package puts its four IDX files
FASHION_MNIST_DIRS = ("/usr/share/datasets/fashion-mnist",)
#: the toy sets and the digits: this share of the samples goes to the test set
TEST_FRACTION = 0.2
_SPLIT_SEED = 0
_MNIST_META = {"image_shape": [28, 28], "pixel_max": 255.0}


# --- helpers -------------------------------------------------------------------------------

def train_val_split(X: Any, y: Any, val_fraction: float = 0.1, seed: int | None = 0,
                    stratify: bool = True) -> Split:
    """Split ``X: (n, d)``, ``y: (n,)`` into ``((X_train, y_train), (X_val, y_val))``.

    With ``stratify`` every class keeps its share: each class gives ``round(val_fraction *
    n_class)`` of its samples to the validation part. Both parts keep the original order.

    >>> X, y = np.arange(20).reshape(10, 2), np.array([0] * 5 + [1] * 5)
    >>> (X_tr, y_tr), (X_val, y_val) = train_val_split(X, y, val_fraction=0.4)
    >>> y_val.tolist()
    [0, 0, 1, 1]
    """
    X, y = np.asarray(X), np.asarray(y)
    check_number("val_fraction", val_fraction, low=0.0, high=1.0, low_open=True, high_open=True)
    if len(X) != len(y):
        raise ValueError(f"X and y have different lengths: {len(X)} samples and {len(y)} labels")
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(y == c) for c in np.unique(y)] if stratify else [np.arange(len(y))]
    val = np.concatenate([rng.permutation(g)[:round(val_fraction * len(g))] for g in groups])
    is_val = np.zeros(len(y), dtype=bool)
    is_val[val] = True
    if is_val.all() or not is_val.any():
        raise ValueError(f"val_fraction={val_fraction} leaves one part empty for {len(y)} "
                         "samples; use more samples or another fraction")
    return (X[~is_val], y[~is_val]), (X[is_val], y[is_val])


def standardize(X: Any, mean: Any = None, std: Any = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(X - mean) / std`` per feature; returns ``(X_std, mean, std)``.

    Without ``mean`` and ``std`` they are computed from ``X: (n, d)``; pass the training
    set's to transform the test set the same way. Constant features get ``std = 1``.

    >>> Z, mean, std = standardize([[1.0, 5.0], [3.0, 5.0]])
    >>> Z.tolist(), mean.tolist(), std.tolist()
    ([[-1.0, 0.0], [1.0, 0.0]], [2.0, 5.0], [1.0, 1.0])
    """
    X = np.asarray(X)
    if X.ndim != 2 or X.dtype.kind not in "biuf":
        raise ValueError(f"X must be a 2-D numeric array, got {X.dtype} of shape {X.shape}")
    dtype = X.dtype if X.dtype.kind == "f" else np.dtype(np.float64)
    if mean is None:
        mean = X.mean(axis=0, dtype=np.float64)
    if std is None:
        std = X.std(axis=0, dtype=np.float64)
        std[std == 0] = 1.0
    mean, std = np.asarray(mean, dtype), np.asarray(std, dtype)
    if mean.shape != (X.shape[1],) or std.shape != (X.shape[1],):
        raise ValueError(f"mean and std must have shape ({X.shape[1]},), got {mean.shape} and "
                         f"{std.shape}")
    return ((X - mean) / std).astype(dtype, copy=False), mean, std


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


def _images(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def _find_idx_files(directory: Path, name: str) -> dict[str, Path]:
    """The four IDX files in ``directory`` (plain or .gz), or a DataFileError listing the gaps."""
    if not directory.is_dir():
        raise DataFileError(f"{name}: {directory} is not a directory; path= must name the "
                            "directory that holds the four IDX files")
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


def _load_idx_dir(directory: Path, name: str) -> Split:
    f = _find_idx_files(directory, name)
    train = _images(*read_idx_pair(f["train_images"], f["train_labels"]))
    test = _images(*read_idx_pair(f["test_images"], f["test_labels"]))
    if train[0].shape[1] != test[0].shape[1]:
        raise DataFileError(f"{f['test_images']}: images of {test[0].shape[1]} pixels, but "
                            f"{f['train_images']} has {train[0].shape[1]}")
    return train, test


def _fashion_dir() -> Path | None:
    return next((Path(d) for d in FASHION_MNIST_DIRS if Path(d).is_dir()), None)


def _load_fashion_mnist(path: Any = None) -> Split:
    directory = Path(path) if path is not None else _fashion_dir()
    if directory is None:
        raise DataFileError("fashion-mnist: the IDX files are not installed; on Debian or "
                            "Ubuntu run `apt install dataset-fashion-mnist`, or pass path= to a "
                            "directory with the four IDX files")
    return _load_idx_dir(directory, "fashion-mnist")


def _load_mnist(path: Any = None) -> Split:
    if path is None:
        raise DataFileError(
            "mnist: pass path= to a directory with the four MNIST IDX files "
            "(train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
            "t10k-labels-idx1-ubyte, gzip or not). plainnet downloads nothing; copies are "
            "published by Yann LeCun's MNIST page mirrors, torchvision, Kaggle or your "
            "distribution's packages. Fashion-MNIST needs no download on Debian: "
            "load('fashion-mnist')")
    return _load_idx_dir(Path(path), "mnist")


def _load_mnist_pkl(path: Any = None, validation: str = "merge") -> Split:
    if validation not in ("merge", "drop"):
        raise ValueError(f"validation must be 'merge' or 'drop', got {validation!r}")
    if path is None:
        raise DataFileError(
            "mnist-pkl: pass path= to network2.py's mnist.pkl.gz (or its directory); it is "
            "data/mnist.pkl.gz in the repository of Michael Nielsen's book 'Neural Networks "
            "and Deep Learning' (mnielsen/neural-networks-and-deep-learning). plainnet "
            "downloads nothing")
    path = Path(path)
    if path.is_dir():
        found = [path / n for n in ("mnist.pkl.gz", "mnist.pkl") if (path / n).is_file()]
        if not found:
            raise DataFileError(f"mnist-pkl: {path} holds neither mnist.pkl.gz nor mnist.pkl")
        path = found[0]
    train, val, test = read_mnist_pkl(path)
    if validation == "merge":  # 50,000 + 10,000: the 60,000 training images of MNIST
        train = (np.concatenate([train[0], val[0]]), np.concatenate([train[1], val[1]]))
    return train, test


def _csv_files(path: Any) -> tuple[Path, Path | None]:
    """The train and test CSV files that ``path`` names: one file, or a directory's pair."""
    if path is None:
        raise DataFileError("csv: pass path= to a CSV file (label in the first column) or to a "
                            "directory holding one *train*.csv and one *test*.csv")
    path = Path(path)
    if path.is_dir():
        return _csv.find_csv_pair(path)
    if not path.is_file():
        raise DataFileError(f"csv: {path} is neither a file nor a directory")
    return path, None


def _csv_pixel_max(train: Path, pixel_max: Any) -> float | None:
    """``"auto"``: 255 for rows of 784 features (MNIST's 28x28 bytes), else no scaling."""
    if pixel_max == "auto":
        return 255.0 if _csv.n_features(train) == 784 else None
    if pixel_max is None:
        return None
    return float(check_number("pixel_max", pixel_max, low=0.0, low_open=True))


def _load_csv(path: Any = None, pixel_max: Any = "auto", test_fraction: float = TEST_FRACTION
              ) -> Split:
    train, test = _csv_files(path)
    scale = _csv_pixel_max(train, pixel_max)
    X, y = _csv.read_csv(train, scale)
    if test is None:
        (X, y), (X_te, y_te) = train_val_split(X, y, test_fraction, seed=_SPLIT_SEED)
        return (X, y), (X_te, y_te)
    X_te, y_te = _csv.read_csv(test, scale)
    if X_te.shape[1] != X.shape[1]:
        raise DataFileError(f"{test}: rows of {X_te.shape[1]} features, but {train} has "
                            f"{X.shape[1]}")
    return (X, y), (X_te, y_te)


def _csv_metadata(path: Any = None, pixel_max: Any = "auto", **_: Any) -> dict[str, Any]:
    """Image metadata when the values are pixels (``pixel_max``) of a square image."""
    if path is None:
        return {}
    train, _test = _csv_files(path)
    scale = _csv_pixel_max(train, pixel_max)
    if scale is None:
        return {}
    n = _csv.n_features(train)
    side = math.isqrt(n)
    shape = {"image_shape": [side, side]} if side * side == n else {}
    return {**shape, "pixel_max": scale}


@dataclass(frozen=True)
class _Set:
    load: Callable[..., Split]
    source: str
    metadata: dict[str, Any] | Callable[..., dict[str, Any]]
    present: Callable[[], bool]
    takes_path: bool = False


def _has_sklearn() -> bool:
    try:
        import sklearn  # noqa: F401
    except ImportError:
        return False
    return True


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
    "mnist-pkl": _Set(_load_mnist_pkl,
                      "network2.py's mnist.pkl.gz (path=); option validation='merge' (its "
                      "10,000 validation images join the training set) or 'drop'",
                      _MNIST_META, lambda: False, takes_path=True),
    "csv": _Set(_load_csv,
                "a CSV file (label first; header detected) or a directory with *train*.csv "
                "and *test*.csv (path=); options pixel_max ('auto': 255 for 784 features), "
                "test_fraction (one file only)",
                _csv_metadata, lambda: False, takes_path=True),
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
    if callable(entry.metadata):
        return entry.metadata(path, **_check_options(name, entry, path, options))
    return {k: list(v) if isinstance(v, list) else v for k, v in entry.metadata.items()}


def _check_options(name: str, entry: _Set, path: Any, options: dict[str, Any]
                   ) -> dict[str, Any]:
    accepted = [p for p in inspect.signature(entry.load).parameters if p != "path"]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(f"data set {name!r} takes the options {accepted}, got {unknown}")
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
    return entry.load(path, **_check_options(name, entry, path, options))
