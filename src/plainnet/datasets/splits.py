"""Preparing arrays for training: a stratified train/validation split and standardization."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..checks import check_number

#: the share of the samples that a fixed split (toy sets, digits, one CSV file) sets aside
TEST_FRACTION = 0.2

Split = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


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
