"""Checks at the public boundary: each error names the argument, the value and what is allowed."""

from __future__ import annotations

import contextlib
import math
import numbers
import sys
from collections.abc import Mapping
from typing import Any, TypeVar

import numpy as np

from . import backend
from .backend import array_module, on_device

T = TypeVar("T")


def check_number(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
) -> Any:
    """Return ``value`` if it is a real number in the interval, else raise ValueError.

    The interval is [low, high], each end open when ``low_open``/``high_open``; a missing end
    is unbounded. Booleans, NaN and infinities are refused; ``integer`` asks for an int.

    >>> check_number("lr", 0.1, low=0.0, low_open=True)
    0.1
    >>> check_number("momentum", 1.5, low=0.0, high=1.0)
    Traceback (most recent call last):
    ...
    ValueError: momentum must be a number in [0, 1], got 1.5
    >>> check_number("epochs", 2.0, low=1, integer=True)
    Traceback (most recent call last):
    ...
    ValueError: epochs must be an integer, got 2.0
    """
    kind = "an integer" if integer else "a number"
    ok_type = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, ok_type):
        raise ValueError(f"{name} must be {kind}, got {_show(value)}")
    # an int is always finite, and converting 10**400 to a float would overflow
    if not isinstance(value, numbers.Integral) and not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    lo_ok = low is None or (value > low if low_open else value >= low)
    hi_ok = high is None or (value < high if high_open else value <= high)
    if not (lo_ok and hi_ok):
        lo = "(-inf" if low is None else ("(" if low_open else "[") + f"{low:g}"
        hi = "inf)" if high is None else f"{high:g}" + (")" if high_open else "]")
        raise ValueError(f"{name} must be {kind} in {lo}, {hi}, got {_show(value)}")
    if not integer and isinstance(value, numbers.Integral) and abs(value) > _FLOAT_MAX:
        raise ValueError(f"{name} must be a number within float range, got {_show(value)}")
    return value


_FLOAT_MAX = sys.float_info.max


def _show(value: Any) -> str:
    """``repr(value)``, shortened for an integer too long to read."""
    text = repr(value)
    if isinstance(value, numbers.Integral) and len(text) > 30:
        return f"an integer of {len(text.lstrip('-'))} digits"
    return text


def lookup(kind: str, name: Any, table: Mapping[str, T]) -> T:
    """Find ``name`` (case-insensitive) in ``table`` or raise a ValueError listing the choices.

    ``-`` in ``name`` reads as ``_``, so ``"Leaky-ReLU"`` finds ``"leaky_relu"``.

    >>> table = {"sgd": "SGD", "adam": "Adam"}
    >>> lookup("optimizer", "ADAM", table)
    'Adam'
    >>> lookup("optimizer", "adagrad", table)
    Traceback (most recent call last):
    ...
    ValueError: unknown optimizer 'adagrad'; choose one of 'sgd', 'adam'
    """
    key = name.lower().replace("-", "_") if isinstance(name, str) else None
    if key not in table:
        choices = ", ".join(repr(k) for k in table)
        raise ValueError(f"unknown {kind} {name!r}; choose one of {choices}")
    return table[key]


def check_dtype(dtype: Any) -> np.dtype:
    """Return a floating dtype (float32 or float64), or raise ValueError.

    >>> import numpy as np
    >>> check_dtype("float32"), check_dtype(np.float64)
    (dtype('float32'), dtype('float64'))
    >>> check_dtype("float16")
    Traceback (most recent call last):
    ...
    ValueError: dtype must be 'float32' or 'float64', got 'float16'
    """
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    return dt


def as_numeric(value: Any, name: str, hint: str = "") -> np.ndarray:
    """``value`` as a NumPy array of booleans, integers or floats, or a ValueError.

    Object arrays that hold only numbers (as pandas may give) are converted to float64.
    ``hint`` is appended to the message for a non-numeric value.

    >>> import numpy as np
    >>> as_numeric([[1, 2], [3, 4]], "X").shape
    (2, 2)
    >>> as_numeric(np.array([1, 2.5], dtype=object), "y").dtype.name
    'float64'
    >>> as_numeric(["cat", "dog"], "y", "; encode labels as integers")
    Traceback (most recent call last):
    ...
    ValueError: y must be numeric, got an array of dtype <U3; encode labels as integers
    """
    if value is None:
        raise ValueError(f"{name} must be a numeric array, got None")
    if on_device(value):  # a GPU array stays where it is: its dtype is NumPy's
        if value.dtype.kind not in "biuf":
            raise ValueError(f"{name} must be numeric, got an array of dtype {value.dtype}{hint}")
        return value
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular numeric array, got "
                         f"{type(value).__name__} that NumPy cannot convert ({exc})") from None
    if arr.dtype == object:
        with contextlib.suppress(ValueError, TypeError):
            arr = arr.astype(np.float64)
    if arr.dtype.kind not in "biuf":
        seen = (f"{type(value).__name__} {value!r}" if arr.ndim == 0
                else f"an array of dtype {arr.dtype}")
        raise ValueError(f"{name} must be numeric, got {seen}{hint}")
    return arr


#: up to this many values the elementwise look is cheaper than the error-state context
_SMALL = 65536


def all_finite(a: np.ndarray) -> bool:
    """True if no value is NaN or infinite. A NaN or an infinity makes the sum non-finite,
    so a finite sum settles it without a temporary the size of ``a``; only a sum that
    overflows (or a real fault) needs the elementwise look. Integer and boolean arrays
    are always finite.

    >>> import numpy as np
    >>> all_finite(np.ones((2, 3))), all_finite(np.array([1.0, np.nan]))
    (True, False)
    >>> all_finite(np.full(100_000, 1e308))  # the sum overflows, yet every value is finite
    True
    """
    if a.dtype.kind != "f":
        return True
    if on_device(a):  # one reduction there, one value read back
        return bool(array_module(a).isfinite(a).all())
    if a.size <= _SMALL:  # e.g. the parameters of a small network, checked every epoch
        return bool(np.isfinite(a).all())
    with np.errstate(over="ignore", invalid="ignore"):
        total = a.sum(dtype=np.float64)
    return bool(np.isfinite(total)) or bool(np.isfinite(a).all())


def check_X(X: Any, input_shape: tuple[int, ...], dtype: Any, name: str = "X") -> np.ndarray:
    """``X`` as a finite array ``(n_samples, *input_shape)`` of ``dtype``, or a ValueError.

    Where the input is an image (``input_shape`` of several axes, e.g. ``(1, 28, 28)``),
    flat rows ``(n_samples, ∏ input_shape)`` are accepted too and reshaped (a view).

    >>> check_X([[1, 2], [3, 4]], (2,), np.float32).dtype.name
    'float32'
    >>> check_X(np.zeros((5, 784)), (1, 28, 28), np.float32).shape
    (5, 1, 28, 28)

    A SciPy sparse matrix (CSR or CSC, rows of features) stays sparse: it comes back as CSR
    of ``dtype``, converted at most once, never densified.

    >>> import scipy.sparse
    >>> check_X(scipy.sparse.csc_array(np.eye(3)), (3,), np.float32).format
    'csr'
    """
    if backend.is_sparse(X):
        return _check_sparse_X(X, input_shape, dtype, name)
    arr = as_numeric(X, name)
    shape = tuple(int(d) for d in input_shape)
    if arr.ndim >= 1 and arr.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has 0 samples; pass at least one row")
    if arr.shape[1:] != shape:
        size = math.prod(shape)
        if len(shape) > 1 and arr.ndim == 2 and arr.shape[1] == size:
            arr = arr.reshape((arr.shape[0], *shape))  # flat rows of images
        else:
            raise ValueError(_shape_mismatch(arr.shape, shape, name))
    with np.errstate(over="ignore"):  # values beyond the dtype's range are reported below
        out = arr.astype(dtype, copy=False)
    if not all_finite(out):
        xp = array_module(arr)
        if bool(xp.isfinite(arr).all()):  # finite before the cast: too large for the dtype
            raise ValueError(f"{name} holds values up to {float(xp.abs(arr).max()):g}, beyond "
                             f"the range of the network's dtype {dtype}; rescale the inputs")
        bad = int(xp.count_nonzero(~xp.isfinite(arr)))
        raise ValueError(f"{name} contains NaN or infinity ({bad} values); remove or impute "
                         "them before training or predicting")
    return out


def _shape_mismatch(got: tuple[int, ...], shape: tuple[int, ...], name: str) -> str:
    """What is wrong with an input of shape ``got`` for a network taking ``shape``."""
    if len(shape) == 1:
        if len(got) != 2:
            hint = "; use X.reshape(-1, 1) for a single feature" if len(got) == 1 else ""
            return f"{name} must be 2-D (n_samples, n_features), got shape {got}{hint}"
        return (f"{name} has {got[1]} features, but the network expects {shape[0]} (its first "
                f"layer's input width)")
    return (f"{name} has shape {got}, but the network takes samples of shape {shape}: pass "
            f"(n_samples, {', '.join(map(str, shape))}) or flat rows (n_samples, "
            f"{math.prod(shape)})")


def _check_sparse_X(X: Any, input_shape: tuple[int, ...], dtype: Any, name: str) -> Any:
    """A sparse ``X`` as CSR of ``dtype`` (batches slice it by rows), or a ValueError."""
    shape = tuple(int(d) for d in input_shape)
    if len(shape) != 1:
        raise ValueError(f"{name} is a sparse matrix, but the network takes samples of shape "
                         f"{shape}; sparse input feeds rows of features into a Dense first "
                         "layer: pass X.toarray() instead")
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be numeric, got a sparse matrix of dtype {X.dtype}")
    if X.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has 0 samples; pass at least one row")
    if X.shape[1:] != shape:
        raise ValueError(_shape_mismatch(X.shape, shape, name))
    # CSR: a batch is a slice of rows; CSC (or any other format) is converted once
    out = X.tocsr().astype(dtype, copy=False)
    if not all_finite(out.data):
        bad = int(np.count_nonzero(~np.isfinite(out.data)))
        raise ValueError(f"{name} contains NaN or infinity ({bad} values); remove or impute "
                         "them before training or predicting")
    return out


def check_sample_weight(sample_weight: Any, n: int, name: str = "sample_weight") -> Any:
    """``sample_weight`` as float64 weights ``(n,)``, finite and non-negative with a positive
    sum, or None when it is None; a ValueError naming what is wrong otherwise. A scalar
    weighs every sample alike.

    >>> check_sample_weight([1, 2, 0], 3)
    array([1., 2., 0.])
    >>> check_sample_weight([1, -2, 0], 3)
    Traceback (most recent call last):
    ...
    ValueError: sample_weight must be non-negative, got 1 negative values
    """
    if sample_weight is None:
        return None
    w = as_numeric(sample_weight, name).astype(np.float64)
    if w.ndim == 0:
        w = np.full(n, float(w))
    if w.shape != (n,):
        raise ValueError(f"{name} must hold one weight per sample, shape ({n},), got shape "
                         f"{w.shape}")
    if not np.isfinite(w).all():
        raise ValueError(f"{name} contains NaN or infinity "
                         f"({int(np.count_nonzero(~np.isfinite(w)))} values)")
    if (w < 0).any():
        raise ValueError(f"{name} must be non-negative, got {int(np.count_nonzero(w < 0))} "
                         "negative values")
    if not w.sum() > 0:
        raise ValueError(f"{name} must have a positive sum: the weights are all zero")
    return w
