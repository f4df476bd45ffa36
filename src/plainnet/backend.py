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
import sys
from types import ModuleType
from typing import Any

import numpy as np


def array_module(*arrays: Any) -> ModuleType:
    """The array library (a module with NumPy's API) that ``arrays`` belong to: NumPy for
    NumPy arrays, scalars and anything else.

    >>> import numpy as np
    >>> xp = array_module(np.ones(3), 2.0)
    >>> xp is np, xp.__name__
    (True, 'numpy')
    """
    return np


#: the array libraries arrays may live in, by module name
_LIBRARIES = ("numpy", "cupy")


def library(name: str) -> ModuleType:
    """The array module called ``name`` ("numpy"; "cupy" once a GPU backend exists).

    >>> import numpy as np
    >>> library("numpy") is np
    True
    >>> library("torch")
    Traceback (most recent call last):
    ...
    ValueError: unknown array library 'torch'; choose one of ('numpy', 'cupy')
    """
    if name == "numpy":
        return np
    if name not in _LIBRARIES:
        raise ValueError(f"unknown array library {name!r}; choose one of {_LIBRARIES}")
    return importlib.import_module(name)


def empty(shape: tuple[int, ...], dtype: Any, xp: ModuleType = np) -> Any:
    """An uninitialised array of ``xp`` (its contents are whatever memory held).

    >>> a = empty((2, 3), "float32")
    >>> a.shape, a.dtype.name  # write every value before reading any
    ((2, 3), 'float32')
    """
    return xp.empty(shape, dtype)


def zeros(shape: tuple[int, ...], dtype: Any, xp: ModuleType = np) -> Any:
    """An array of zeros of ``xp``.

    >>> zeros((2, 3), "float32")
    array([[0., 0., 0.],
           [0., 0., 0.]], dtype=float32)
    """
    return xp.zeros(shape, dtype)


def full(shape: tuple[int, ...], fill: float, dtype: Any, xp: ModuleType = np) -> Any:
    """An array of ``xp`` with every value ``fill``.

    >>> full((2, 2), 0.5, "float64")
    array([[0.5, 0.5],
           [0.5, 0.5]])
    """
    return xp.full(shape, fill, dtype)


def asarray(a: Any, dtype: Any = None, xp: ModuleType = np) -> Any:
    """``a`` as an array of ``xp`` (no copy when it already is one of that dtype).

    >>> import numpy as np
    >>> asarray([[1, 2]], "float32")
    array([[1., 2.]], dtype=float32)
    >>> x = np.ones(3)
    >>> asarray(x) is x
    True
    """
    return xp.asarray(a, dtype=dtype)


def to_numpy(a: Any) -> np.ndarray:
    """``a`` as a NumPy array on the host (no copy for a NumPy array).

    >>> import numpy as np
    >>> x = np.arange(3)
    >>> to_numpy(x) is x, to_numpy([1.5, 2.5])
    (True, array([1.5, 2.5]))
    """
    return np.asarray(a)


def rng(seed: int | np.random.Generator | np.random.SeedSequence | None = None
        ) -> np.random.Generator:
    """A random generator: the same ``seed`` gives the same numbers (a Generator is kept as
    it is; None draws fresh entropy from the operating system).

    >>> rng(0).integers(10, size=5).tolist() == rng(0).integers(10, size=5).tolist()
    True
    >>> g = rng(0)
    >>> rng(g) is g
    True
    """
    return np.random.default_rng(seed)


class Buffers:
    """Mixin for layers and optimizers: ``self.scratch(key, shape, dtype)`` returns the same
    array until the shape or dtype asked for changes (a new batch size, a last partial
    batch, a cast).

    Buffers are allocated with ``self.xp``, the array module of the arrays the object
    serves (NumPy unless it was moved); the object keeps its name, ``array_library``, so
    that it can still be copied and pickled.

    >>> obj = Buffers()  # in practice a layer or an optimizer
    >>> a = obj.scratch("a", (4, 3), "float32")
    >>> obj.scratch("a", (4, 3), "float32") is a  # same shape and dtype: the same array
    True
    >>> obj.scratch("a", (2, 3), "float32").shape  # a last, smaller batch: a new one
    (2, 3)
    """

    _buffers: dict[str, Any]
    #: the name of the array module that allocates this object's arrays
    array_library: str = "numpy"

    @property
    def xp(self) -> ModuleType:
        """The array module that allocates this object's arrays.

        >>> import numpy as np
        >>> Buffers().xp is np
        True
        """
        return library(self.array_library)

    def scratch(self, key: str, shape: tuple[int, ...], dtype: Any,
                fill: float | None = None) -> Any:
        """A scratch array owned by this object. Its contents are whatever was last written,
        except that a new one is filled with ``fill`` when given (for constant buffers).

        >>> obj = Buffers()
        >>> ones = obj.scratch("ones", (1, 3), "float64", fill=1.0)
        >>> ones
        array([[1., 1., 1.]])
        >>> ones[0, 0] = 7.0
        >>> obj.scratch("ones", (1, 3), "float64", fill=1.0)  # kept, so not filled again
        array([[7., 1., 1.]])
        """
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
        """Drop every scratch array (after a cast or a move they would be of the old kind).

        >>> obj = Buffers()
        >>> a = obj.scratch("a", (2,), "float32")
        >>> obj.clear_buffers()
        >>> obj.scratch("a", (2,), "float32") is a
        False
        """
        self._buffers = {}


def is_sparse(a: Any) -> bool:
    """True for a SciPy sparse matrix or array (CSR, CSC, ...). SciPy is not imported for
    this: if nobody imported ``scipy.sparse``, ``a`` cannot be one.

    >>> import numpy as np
    >>> import scipy.sparse
    >>> is_sparse(scipy.sparse.csr_array(np.eye(2))), is_sparse(np.eye(2))
    (True, False)
    """
    if isinstance(a, np.ndarray):  # the usual case, answered at once
        return False
    sparse = sys.modules.get("scipy.sparse")
    return sparse is not None and bool(sparse.issparse(a))
