"""Where arrays live: the one module that decides which array library allocates them.

Everything above this module calls NumPy's functions on the arrays it is given (which
dispatch to the arrays' own library) and allocates through the functions here, with
the array module of the arrays it serves (:func:`array_module`). Today that module is
always NumPy; a GPU backend (CuPy) plugs in here and nowhere else.

Scratch arrays of the hot loop are allocated once per shape (:class:`Buffers`), and random
numbers come only from :class:`numpy.random.Generator` objects made by :func:`rng`.

>>> import numpy as np
>>> a = zeros((2, 3), "float32")
>>> array_module(a) is np, a.dtype.name
(True, 'float32')
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import numpy as np


def array_module(*arrays: Any) -> ModuleType:
    """The array library (a module with NumPy's API) that ``arrays`` belong to: NumPy for
    NumPy arrays, scalars and anything else."""
    return np


#: the array libraries arrays may live in, by module name
_LIBRARIES = ("numpy", "cupy")


def library(name: str) -> ModuleType:
    """The array module called ``name`` ("numpy"; "cupy" once a GPU backend exists)."""
    if name == "numpy":
        return np
    if name not in _LIBRARIES:
        raise ValueError(f"unknown array library {name!r}; choose one of {_LIBRARIES}")
    return importlib.import_module(name)


def empty(shape: tuple[int, ...], dtype: Any, xp: ModuleType = np) -> Any:
    """An uninitialised array of ``xp`` (its contents are whatever memory held)."""
    return xp.empty(shape, dtype)


def zeros(shape: tuple[int, ...], dtype: Any, xp: ModuleType = np) -> Any:
    """An array of zeros of ``xp``."""
    return xp.zeros(shape, dtype)


def full(shape: tuple[int, ...], fill: float, dtype: Any, xp: ModuleType = np) -> Any:
    """An array of ``xp`` with every value ``fill``."""
    return xp.full(shape, fill, dtype)


def asarray(a: Any, dtype: Any = None, xp: ModuleType = np) -> Any:
    """``a`` as an array of ``xp`` (no copy when it already is one of that dtype)."""
    return xp.asarray(a, dtype=dtype)


def to_numpy(a: Any) -> np.ndarray:
    """``a`` as a NumPy array on the host (no copy for a NumPy array)."""
    return np.asarray(a)


def rng(seed: int | np.random.Generator | np.random.SeedSequence | None = None
        ) -> np.random.Generator:
    """A random generator: the same ``seed`` gives the same numbers (a Generator is kept as
    it is; None draws fresh entropy from the operating system)."""
    return np.random.default_rng(seed)


class Buffers:
    """Mixin for layers and optimizers: ``self.scratch(key, shape, dtype)`` returns the same
    array until the shape or dtype asked for changes (a new batch size, a last partial
    batch, a cast).

    Buffers are allocated with ``self.xp``, the array module of the arrays the object
    serves (NumPy unless it was moved); the object keeps its name, ``array_library``, so
    that it can still be copied and pickled.
    """

    _buffers: dict[str, Any]
    #: the name of the array module that allocates this object's arrays
    array_library: str = "numpy"

    @property
    def xp(self) -> ModuleType:
        """The array module that allocates this object's arrays."""
        return library(self.array_library)

    def scratch(self, key: str, shape: tuple[int, ...], dtype: Any,
                fill: float | None = None) -> Any:
        """A scratch array owned by this object. Its contents are whatever was last written,
        except that a new one is filled with ``fill`` when given (for constant buffers)."""
        try:
            buffers = self._buffers
        except AttributeError:  # a subclass that did not create it in __init__
            buffers = self._buffers = {}
        buf = buffers.get(key)
        if buf is not None and buf.shape == shape and (buf.dtype is dtype or buf.dtype == dtype):
            return buf  # the hot path: `is` first, as dtype equality is a slow comparison
        buf = empty(shape, dtype, self.xp) if fill is None else full(shape, fill, dtype, self.xp)
        buffers[key] = buf
        return buf

    def clear_buffers(self) -> None:
        """Drop every scratch array (after a cast or a move they would be of the old kind)."""
        self._buffers = {}
