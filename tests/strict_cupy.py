"""A strict stand-in for CuPy, for testing the GPU path on a machine without a GPU.

Its arrays hold a NumPy array inside and behave like CuPy's where it matters:

- implicit conversion to NumPy is refused (``np.asarray(a)`` raises TypeError, as CuPy's
  "Implicit conversion to a NumPy array is not allowed");
- mixing a NumPy array into its functions is refused (CuPy: "Unsupported type");
- stricter than CuPy: a NumPy function called on its arrays raises too, so that code
  is known to call the arrays' own module (CuPy would dispatch it);
- it counts what costs on a real GPU: ``to_device`` (host → device copies), ``to_host``
  (device → host copies, each of which waits for the device) and ``syncs`` (every read
  of a value: ``float()``, ``int()``, ``bool()``, ``.item()``, ``.get()``).

Install it with the ``strict_cupy`` fixture (tests/conftest.py): it is put in
``sys.modules["cupy"]`` for the test, so ``plainnet.backend`` takes it for CuPy.
"""

from __future__ import annotations

import sys
import types
from typing import Any

import numpy as np

counts = {"to_device": 0, "to_host": 0, "syncs": 0}
#: what memGetInfo reports as free: tests lower it to force batch-by-batch transfers
free_memory = [64 * 2**30]


def reset_counts() -> None:
    for k in counts:
        counts[k] = 0


class ndarray:
    """A device array: a NumPy array that must not leak out implicitly."""

    __slots__ = ("_a",)

    def __init__(self, a: np.ndarray) -> None:
        assert isinstance(a, np.ndarray), type(a)
        self._a = a

    # --- what CuPy refuses ---------------------------------------------------------------
    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("Implicit conversion to a NumPy array is not allowed. "
                        "Please use `.get()` to construct a NumPy array explicitly.")

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        raise TypeError(f"strict_cupy: numpy.{ufunc.__name__} called on a device array; "
                        "call the array's own module (xp) instead")

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        raise TypeError(f"strict_cupy: numpy.{func.__name__} called on a device array; "
                        "call the array's own module (xp) instead")

    def __iter__(self) -> Any:
        raise TypeError("strict_cupy: iterating a device array reads every value")

    # --- reads (each one waits for the device) --------------------------------------------
    def get(self) -> np.ndarray:
        counts["to_host"] += 1
        counts["syncs"] += 1
        return self._a.copy()

    def item(self) -> Any:
        counts["syncs"] += 1
        return self._a.item()

    def __float__(self) -> float:
        counts["syncs"] += 1
        return float(self._a)

    def __int__(self) -> int:
        counts["syncs"] += 1
        return int(self._a)

    def __index__(self) -> int:
        counts["syncs"] += 1
        return self._a.__index__()

    def __bool__(self) -> bool:
        counts["syncs"] += 1
        return bool(self._a)

    def __format__(self, spec: str) -> str:
        counts["syncs"] += 1
        return format(self._a.item() if self._a.ndim == 0 else self._a, spec)

    def __repr__(self) -> str:
        return f"strict_cupy.array({self._a!r})"

    # --- attributes -------------------------------------------------------------------------
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    nbytes = property(lambda self: self._a.nbytes)
    itemsize = property(lambda self: self._a.itemsize)
    strides = property(lambda self: self._a.strides)
    T = property(lambda self: ndarray(self._a.T))

    def __len__(self) -> int:
        return len(self._a)

    def __getattr__(self, name: str) -> Any:  # methods: sum, max, argmax, astype, copy, ...
        attr = getattr(self._a, name)
        if not callable(attr):
            raise AttributeError(name)
        return lambda *args, **kwargs: _wrap(attr(*_unwrap(args), **_unwrap(kwargs)), True)

    def __getitem__(self, key: Any) -> Any:
        return _wrap(self._a[_unwrap(key)], True)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._a[_unwrap(key)] = _unwrap(value)


def _operator(name: str, inplace: bool = False) -> Any:
    def op(self: ndarray, other: Any = None) -> Any:
        args = () if other is None else (_unwrap(other),)
        result = getattr(self._a, name)(*args)
        if result is NotImplemented:
            return NotImplemented
        return self if inplace else _wrap(result, True)
    return op


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or",
              "xor"):
    setattr(ndarray, f"__{_name}__", _operator(f"__{_name}__"))
    setattr(ndarray, f"__r{_name}__", _operator(f"__r{_name}__"))
    setattr(ndarray, f"__i{_name}__", _operator(f"__i{_name}__", inplace=True))
for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(ndarray, f"__{_name}__", _operator(f"__{_name}__"))
for _name in ("neg", "pos", "abs", "invert"):
    setattr(ndarray, f"__{_name}__", _operator(f"__{_name}__"))
ndarray.__hash__ = None  # type: ignore[assignment]


def _unwrap(x: Any) -> Any:
    if isinstance(x, ndarray):
        return x._a
    if isinstance(x, np.ndarray):
        raise TypeError(f"Unsupported type {type(x)}: a NumPy array given to a CuPy function; "
                        "move it with cupy.asarray first")
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v) for v in x)
    if isinstance(x, dict):
        return {k: _unwrap(v) for k, v in x.items()}
    if isinstance(x, slice):
        return slice(*(_unwrap(v) for v in (x.start, x.stop, x.step)))
    return x


def _wrap(x: Any, from_device: bool) -> Any:
    if isinstance(x, np.ndarray):
        return ndarray(x)
    if from_device and isinstance(x, np.generic):  # CuPy's reductions give 0-d arrays
        return ndarray(np.asarray(x))
    if isinstance(x, tuple):
        return tuple(_wrap(v, from_device) for v in x)
    return x


def _function(name: str, fn: Any) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        out = kwargs.get("out")
        on_device = any(isinstance(a, ndarray) for a in (*args, *kwargs.values()))
        result = fn(*_unwrap(args), **_unwrap(kwargs))
        if isinstance(out, ndarray):
            return out
        return _wrap(result, on_device)
    call.__name__ = name
    return call


def asarray(a: Any, dtype: Any = None) -> ndarray:
    """A device array: a host → device copy unless ``a`` is one already."""
    if isinstance(a, ndarray):
        return a if dtype is None or a.dtype == dtype else ndarray(a._a.astype(dtype))
    counts["to_device"] += 1
    return ndarray(np.array(a, dtype=dtype))


def asnumpy(a: Any) -> np.ndarray:
    return a.get() if isinstance(a, ndarray) else np.asarray(a)


class _Generator:
    def __init__(self, seed: int) -> None:
        self._g = np.random.default_rng(seed)

    def random(self, size: Any = None, dtype: Any = np.float64) -> ndarray:
        return ndarray(np.asarray(self._g.random(size, dtype=dtype)))


random = types.SimpleNamespace(default_rng=_Generator)


class _Runtime:
    @staticmethod
    def getDeviceCount() -> int:
        return 1

    @staticmethod
    def memGetInfo() -> tuple[int, int]:
        return free_memory[0], 80 * 2**30


class _Stream:
    def synchronize(self) -> None:
        counts["syncs"] += 1


cuda = types.SimpleNamespace(runtime=_Runtime(), get_current_stream=lambda: _Stream())

_module = sys.modules[__name__]


def __getattr__(name: str) -> Any:  # every other name: NumPy's, taking device arrays only
    fn = getattr(np, name)
    if isinstance(fn, type) or not callable(fn):  # dtypes, constants
        return fn
    wrapped = _function(name, fn)
    setattr(_module, name, wrapped)
    return wrapped


for _name in ("zeros", "empty", "full", "ones", "arange"):  # allocations on the device
    setattr(_module, _name, _function(_name, getattr(np, _name)))
