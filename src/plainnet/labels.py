"""Label conversions, in one place.

Classification labels come as class indices ``(n,)`` of ints or one-hot ``(n, k)``;
binary targets as ``(n,)`` or ``(n, 1)`` of 0/1; multi-label targets as an
indicator matrix ``(n, k)``. The network trains on a target matrix ``T: (n, k)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import backend
from .checks import all_finite, as_numeric


def one_hot(y: Any, n_classes: int | None = None, dtype: Any = np.float32) -> np.ndarray:
    """Class indices ``y: (n,)`` to a one-hot matrix ``(n, n_classes)``.

    >>> one_hot([0, 2], 3)
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    xp = backend.array_module(y)
    y = backend.asarray(y, xp=xp)
    if y.ndim != 1 or (y.size and not np.issubdtype(y.dtype, np.integer)):
        raise ValueError(f"one_hot needs class indices of shape (n,) and integer dtype, "
                         f"got shape {y.shape} and dtype {y.dtype}")
    k = int(y.max()) + 1 if n_classes is None and y.size else int(n_classes or 0)
    if y.size and (y.min() < 0 or y.max() >= k):
        raise ValueError(f"class indices must lie in [0, {k - 1}], got values from "
                         f"{y.min()} to {y.max()}")
    out = backend.zeros((y.shape[0], k), dtype, xp)
    out[xp.arange(y.shape[0]), y] = 1
    return out


def from_one_hot(Y: Any) -> np.ndarray:
    """A one-hot (or probability) matrix ``(n, k)`` to class indices ``(n,)`` of int64.

    >>> from_one_hot([[0, 1, 0], [0.7, 0.2, 0.1]])
    array([1, 0])
    """
    Y = backend.asarray(Y, xp=backend.array_module(Y))
    if Y.ndim != 2:
        raise ValueError(f"from_one_hot needs a 2-D array (n, k), got shape {Y.shape}")
    return Y.argmax(axis=1).astype(np.int64)


def is_one_hot(T: np.ndarray) -> bool:
    """True if every row of ``T: (n, k)`` has exactly one 1 and zeros elsewhere.

    >>> import numpy as np
    >>> is_one_hot(np.eye(3)), is_one_hot(np.array([[1, 1, 0]]))  # the second: multi-label
    (True, False)
    """
    return bool(np.all((T == 0) | (T == 1)) and np.all(T.sum(axis=1) == 1))


def predicted_labels(P: np.ndarray) -> np.ndarray:
    """Class labels from outputs ``P: (n, k)``: argmax, or 0/1 at 0.5 for a single unit.

    Returns ``(n,)`` of int64.

    >>> import numpy as np
    >>> predicted_labels(np.array([[0.1, 0.7, 0.2], [0.6, 0.3, 0.1]]))
    array([1, 0])
    >>> predicted_labels(np.array([[0.2], [0.5], [0.9]]))  # 0.5 counts as class 1
    array([0, 1, 1])
    """
    if P.shape[1] == 1:
        return (P[:, 0] >= 0.5).astype(np.int64)
    return P.argmax(axis=1).astype(np.int64)


def to_targets(y: Any, n_outputs: int, dtype: Any, *, classifier: bool, name: str = "y"
               ) -> np.ndarray:
    """Any accepted label form to the target matrix ``T: (n, n_outputs)`` of ``dtype``.

    Raises ValueError naming ``name`` when ``y`` has the wrong shape or kind, or
    when class labels do not fit the output layer.

    >>> to_targets([0, 2], 3, "float32", classifier=True)  # class indices: one-hot
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
    >>> to_targets([1.5, -2.0], 1, "float64", classifier=False)  # regression: (n, 1)
    array([[ 1.5],
           [-2. ]])
    >>> to_targets([0, 3], 3, "float32", classifier=True)
    Traceback (most recent call last):
    ...
    ValueError: y holds class labels from 0 to 3, but the output layer has 3 units: ...
    """
    y = as_numeric(y, name, "; encode string labels as integers 0..k-1 first")
    if not all_finite(y):
        raise ValueError(f"{name} contains NaN or infinity "
                         f"({np.count_nonzero(~np.isfinite(y))} values)")
    if y.ndim == 2 and y.shape[1] == n_outputs:
        T = y.astype(dtype, copy=False)
        if classifier and np.any((T < 0) | (T > 1)):
            raise ValueError(f"{name} must hold targets in [0, 1] for a classifier, got values "
                             f"from {T.min():g} to {T.max():g}")
        return T
    if y.ndim == 1 and n_outputs == 1:
        return to_targets(y.reshape(-1, 1), 1, dtype, classifier=classifier, name=name)
    if y.ndim == 1 and classifier:
        if y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0):
            raise ValueError(f"{name} must hold integer class labels 0..{n_outputs - 1}, "
                             "got fractional values")
        if y.size and (y.min() < 0 or y.max() >= n_outputs):
            raise ValueError(f"{name} holds class labels from {y.min()} to {y.max()}, but the "
                             f"output layer has {n_outputs} units: labels must lie in "
                             f"[0, {n_outputs - 1}]")
        return one_hot(y.astype(np.int64), n_outputs, dtype)
    expected = f"(n,) or (n, {n_outputs})" if classifier or n_outputs == 1 else f"(n, {n_outputs})"
    raise ValueError(f"{name} has shape {y.shape}, but the output layer has {n_outputs} units: "
                     f"expected {expected}")
