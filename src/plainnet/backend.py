"""Where arrays live: the one module that decides which array library allocates them.

Everything above this module calls NumPy's functions on the arrays it is given (which
dispatch to the arrays' own library) and allocates through the functions here, with
the array module of the arrays it serves (:func:`array_module`): NumPy on the CPU, CuPy
on a CUDA GPU. The GPU plugs in here and nowhere else: a *device* ("cpu" or "cuda") names
where a network's arrays live (:func:`device_library`), and the transfers between host and
device are the functions :func:`to_library` and :func:`to_numpy`. Nothing here imports
CuPy until a device asks for it, so ``import plainnet`` stays light.

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

from .errors import DeviceError


def array_module(*arrays: Any) -> ModuleType:
    """The array library (a module with NumPy's API) that ``arrays`` belong to: CuPy when
    one of them is a CuPy array, else NumPy (for NumPy arrays, scalars and anything else).

    >>> import numpy as np
    >>> xp = array_module(np.ones(3), 2.0)
    >>> xp is np, xp.__name__
    (True, 'numpy')
    """
    cupy = sys.modules.get("cupy")  # not imported: no array can be a CuPy array
    if cupy is not None:
        for a in arrays:
            if isinstance(a, cupy.ndarray):
                return cupy
    return np


def on_device(a: Any) -> bool:
    """True for an array that lives on a GPU (reading its values means a transfer).

    >>> import numpy as np
    >>> on_device(np.ones(2)), on_device([1, 2])
    (False, False)
    """
    return array_module(a) is not np


#: the array libraries arrays may live in, by module name
_LIBRARIES = ("numpy", "cupy")


def library(name: str) -> ModuleType:
    """The array module called ``name``: "numpy", or "cupy" (imported on first use).

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
    module = sys.modules.get(name)  # the hot path: every layer asks on every pass
    return module if module is not None else importlib.import_module(name)


#: the devices a network can live on, with the array library of each
DEVICES = {"cpu": "numpy", "cuda": "cupy"}


def device_library(device: Any) -> str:
    """The name of the array library for ``device`` ("cpu": "numpy", "cuda": "cupy"), after
    checking that the device can be used: for "cuda", that CuPy is installed and sees a GPU.
    Raises :class:`plainnet.errors.DeviceError` saying which of the two is missing.

    >>> device_library("cpu")
    'numpy'
    >>> device_library("gpu")
    Traceback (most recent call last):
    ...
    ValueError: device must be 'cpu' or 'cuda', got 'gpu'
    """
    if not isinstance(device, str) or device not in DEVICES:
        raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")
    name = DEVICES[device]
    if name == "numpy":
        return name
    try:
        cupy = library(name)
    except ImportError as e:
        raise DeviceError(
            f"device='cuda' needs CuPy, which is not installed ({e}); install it with "
            "pip install \"plainnet[gpu]\" (or the cupy-cuda* wheel that matches your CUDA), "
            "or use device='cpu'") from None
    try:
        count = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as e:  # no driver, no device: CuPy raises its own runtime errors
        raise DeviceError(f"device='cuda': CuPy is installed but finds no usable GPU ({e}); "
                          "check the NVIDIA driver and CUDA_VISIBLE_DEVICES, or use "
                          "device='cpu'") from None
    if count < 1:
        raise DeviceError("device='cuda': CuPy is installed but sees no GPU; check the NVIDIA "
                          "driver and CUDA_VISIBLE_DEVICES, or use device='cpu'")
    return name


def device_of(library_name: str) -> str:
    """The device whose arrays ``library_name`` makes.

    >>> device_of("numpy"), device_of("cupy")
    ('cpu', 'cuda')
    """
    return next(d for d, lib in DEVICES.items() if lib == library_name)


def to_library(a: Any, library_name: str) -> Any:
    """``a`` as an array of the library called ``library_name``: a transfer to or from
    the GPU when it lives elsewhere, no copy when it is there already.

    >>> import numpy as np
    >>> x = np.ones(2)
    >>> to_library(x, "numpy") is x
    True
    """
    if library_name == "numpy":
        return to_numpy(a)
    return library(library_name).asarray(a)


def fits_on_device(nbytes: int, library_name: str, share: float = 0.5) -> bool:
    """Whether ``nbytes`` more fit in the device memory that is free now, taking at most
    ``share`` of it (the rest is for the network and its scratch arrays). The host always
    has room: its arrays are already there.

    >>> fits_on_device(10**15, "numpy")
    True
    """
    if library_name == "numpy":
        return True
    free, _total = library(library_name).cuda.runtime.memGetInfo()
    return nbytes <= share * free


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
    """``a`` as a NumPy array on the host (no copy for a NumPy array; a transfer, which
    waits for the device, for a GPU array).

    >>> import numpy as np
    >>> x = np.arange(3)
    >>> to_numpy(x) is x, to_numpy([1.5, 2.5])
    (True, array([1.5, 2.5]))
    """
    if on_device(a):
        return a.get()
    return np.asarray(a)


def scalar(x: Any) -> Any:
    """A 0-d result (a loss, a sum) kept where it was computed: a float on the host; on a
    device a 0-d float64 array, so that summing it never waits for the device (``float()``
    of it does, once, when the value is needed).

    >>> import numpy as np
    >>> scalar(np.float32(0.5)), type(scalar(np.float32(0.5))).__name__
    (0.5, 'float')
    """
    if on_device(x):
        return x.astype("float64")
    return float(x)


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


def count_true(mask: Any) -> Any:
    """How many values of the boolean array ``mask`` are true: an int on the host, a 0-d
    array on a device. Each library's fastest way (CuPy's count_nonzero launches several
    kernels, a sum one).

    >>> import numpy as np
    >>> int(count_true(np.array([True, False, True])))
    2
    """
    if on_device(mask):
        return mask.sum()
    return np.count_nonzero(mask)


def inner(a: Any, b: Any) -> Any:
    """Σ a·b over every element of two arrays of one shape: a 0-d result (NumPy's vdot is
    one BLAS call; on a device, a product and a sum beat CuPy's vdot).

    >>> import numpy as np
    >>> float(inner(np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]])))
    11.0
    """
    if on_device(a):
        return (a * b).sum()
    return np.vdot(a, b)


def device_rng(host: np.random.Generator, library_name: str) -> Any:
    """A generator that draws where ``library_name``'s arrays live, seeded from ``host``
    (so the same host seed gives the same device draws): ``host`` itself for NumPy.

    >>> g = rng(0)
    >>> device_rng(g, "numpy") is g
    True
    """
    if library_name == "numpy":
        return host
    return library(library_name).random.default_rng(int(host.integers(2**63)))


def uniform(gen: Any, out: Any) -> Any:
    """Fill ``out`` with draws from U[0, 1) of ``gen`` (made by :func:`device_rng` for the
    library of ``out``) and return it.

    >>> import numpy as np
    >>> u = uniform(rng(0), np.empty(3, "float32"))
    >>> bool(((u >= 0) & (u < 1)).all())
    True
    """
    if isinstance(gen, np.random.Generator):
        return gen.random(out.shape, dtype=out.dtype, out=out)
    out[...] = gen.random(out.shape, dtype=out.dtype)
    return out


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
