"""CSV data sets: the label in the first column, one sample a row, as in the common MNIST
CSV files. A header row is detected (Kaggle's copy has one, the other common copy does
not): the first line is a header when one of its fields is not a number. ``path`` names
one file (split into train and test) or a directory with ``*train*.csv`` and ``*test*.csv``.
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..checks import check_number
from ..errors import DataFileError
from .splits import TEST_FRACTION, Split, train_val_split


def _first_line(path: Path) -> str:
    # utf-8-sig: Excel's "CSV UTF-8" starts with a byte-order mark, which would make the
    # first field non-numeric and the first sample a "header"
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        line = f.readline()
    if not line.strip():
        raise DataFileError(f"{path}: empty file: expected rows of numbers")
    return line


def _is_number(field: str) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True


def has_header(path: Path) -> bool:
    """True when the first line of ``path`` holds a field that is not a number."""
    return not all(_is_number(field) for field in _first_line(path).split(","))


def n_features(path: Path) -> int:
    """The number of feature columns of ``path`` (all but the label), from its first line."""
    return len(_first_line(path).split(",")) - 1


def find_csv_pair(directory: Path) -> tuple[Path, Path]:
    """The one ``*train*.csv`` and the one ``*test*.csv`` in ``directory``."""
    found = []
    for part in ("train", "test"):
        matches = sorted(p for p in directory.glob("*.csv") if part in p.name.lower())
        if len(matches) != 1:
            names = [p.name for p in matches] or "none"
            raise DataFileError(f"csv: {directory} must hold exactly one *{part}*.csv file, "
                                f"found {names}")
        found.append(matches[0])
    return found[0], found[1]


def read_table(path: str | os.PathLike) -> np.ndarray:
    """The numbers of the CSV file ``path`` as a float64 table ``(rows, columns)``, its
    header line (if any) skipped; a DataFileError naming the file when it is empty, not a
    table of numbers, or holds NaN or infinity. A header without rows gives 0 rows."""
    path = Path(path)
    skip = 1 if has_header(path) else 0
    try:
        with warnings.catch_warnings():  # a header without rows: the caller says what it needs
            warnings.filterwarnings("ignore", "loadtxt: input contained no data")
            table = np.loadtxt(path, delimiter=",", skiprows=skip, dtype=np.float64, ndmin=2,
                               encoding="utf-8-sig")
    except ValueError as exc:  # UnicodeDecodeError too
        raise DataFileError(f"{path}: not a CSV table of numbers ({exc})") from None
    finite = np.isfinite(table).all(axis=1)
    if not finite.all():
        line = int(np.flatnonzero(~finite)[0]) + 1 + skip
        raise DataFileError(f"{path}: line {line} holds NaN or infinity")
    return table


def read_csv(path: str | os.PathLike, pixel_max: float | None
             ) -> tuple[np.ndarray, np.ndarray]:
    """``X: (n, n_features)`` float32 (divided by ``pixel_max`` when given) and ``y: (n,)``
    int64 from the CSV file ``path``."""
    path = Path(path)
    data = read_table(path)
    if data.shape[0] == 0 or data.shape[1] < 2:
        raise DataFileError(f"{path}: expected rows of a label and at least one feature, got "
                            f"a table of shape {data.shape}")
    labels, X = data[:, 0], data[:, 1:]
    bad = (labels < 0) | (labels != np.round(labels))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        line = row + 1 + has_header(path)
        raise DataFileError(f"{path}: line {line}: the label (first column) must be "
                            f"a class index 0, 1, 2, ..., got {labels[row]:g}")
    if pixel_max is not None:
        if X.min() < 0 or X.max() > pixel_max:
            raise DataFileError(f"{path}: pixel values from {X.min():g} to {X.max():g} lie "
                                f"outside [0, {pixel_max:g}]; pass pixel_max= the largest "
                                "possible value, or pixel_max=None to keep values as they are")
        X = X / pixel_max
    return X.astype(np.float32), labels.astype(np.int64)


def _files(path: Any) -> tuple[Path, Path | None]:
    """The train and test CSV files that ``path`` names: one file, or a directory's pair."""
    if path is None:
        raise DataFileError("csv: pass path= to a CSV file (label in the first column) or to a "
                            "directory holding one *train*.csv and one *test*.csv")
    path = Path(path)
    if path.is_dir():
        return find_csv_pair(path)
    if not path.exists():
        raise DataFileError(f"csv: {path} does not exist; pass path= to a CSV file or to a "
                            "directory holding one *train*.csv and one *test*.csv")
    if not path.is_file():
        raise DataFileError(f"csv: {path} is neither a file nor a directory")
    return path, None


def _pixel_max(train: Path, pixel_max: Any) -> float | None:
    """``"auto"``: 255 for rows of 784 features (MNIST's 28x28 bytes), else no scaling."""
    if pixel_max == "auto":
        return 255.0 if n_features(train) == 784 else None
    if pixel_max is None:
        return None
    return float(check_number("pixel_max", pixel_max, low=0.0, low_open=True))


def load_csv(path: Any = None, pixel_max: Any = "auto", test_fraction: float = TEST_FRACTION
             ) -> Split:
    """A CSV file, split with stratification (``test_fraction``), or a directory's
    ``*train*.csv`` and ``*test*.csv``; values divided by ``pixel_max`` when it is set."""
    check_number("test_fraction", test_fraction, low=0.0, high=1.0, low_open=True,
                 high_open=True)
    train, test = _files(path)
    scale = _pixel_max(train, pixel_max)
    X, y = read_csv(train, scale)
    if test is None:
        return train_val_split(X, y, test_fraction, seed=0)
    X_te, y_te = read_csv(test, scale)
    if X_te.shape[1] != X.shape[1]:
        raise DataFileError(f"{test}: rows of {X_te.shape[1]} features, but {train} has "
                            f"{X.shape[1]}")
    return (X, y), (X_te, y_te)


def csv_metadata(path: Any = None, pixel_max: Any = "auto", **_: Any) -> dict[str, Any]:
    """Image metadata when the values are pixels (``pixel_max``) of a square image."""
    if path is None:
        return {}
    train, _test = _files(path)
    scale = _pixel_max(train, pixel_max)
    if scale is None:
        return {}
    n = n_features(train)
    side = math.isqrt(n)
    shape = {"image_shape": [side, side]} if side * side == n else {}
    return {**shape, "pixel_max": scale}
