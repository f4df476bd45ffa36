"""Dense, the fully connected layer ``Z = X·W + b``, and Flatten, which turns images into rows."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..checks import check_dtype, check_number
from . import initializers
from .layer import Layer, Shape, check_input_shape, flat_size


class Dense(Layer):
    """Fully connected layer: ``Z = X·W + b``.

    X: (n, fan_in), W: (fan_in, fan_out), b: (fan_out,), Z: (n, fan_out). X may be a SciPy
    sparse matrix (CSR): X·W and dW = Xᵀ·dZ then use it as it is. ``init`` names
    an initializer (see :mod:`plainnet.nn.initializers`); ``seed`` fixes the draw (without
    one, a :class:`~plainnet.Network` built with a seed draws it from that).

    >>> import numpy as np
    >>> dense = Dense(3, 2, seed=0)
    >>> dense.params["W"].shape, dense.params["b"].shape
    ((3, 2), (2,))
    >>> dense.forward(np.ones((4, 3), dtype=np.float32)).shape
    (4, 2)
    """

    decayed = ("W",)

    def __init__(
        self,
        fan_in: int,
        fan_out: int,
        init: str | initializers.Initializer = "he_normal",
        seed: int | np.random.Generator | None = None,
        dtype: Any = "float32",
    ) -> None:
        super().__init__()
        check_number("fan_in", fan_in, low=1, integer=True)
        check_number("fan_out", fan_out, low=1, integer=True)
        initializers.get(init)  # an unknown name is refused before anything is drawn
        self.init = init
        self.seed = seed
        dt = check_dtype(dtype)
        self.params = {"W": backend.empty((int(fan_in), int(fan_out)), dt),
                       "b": backend.zeros((int(fan_out),), dt)}
        self.grads = {k: backend.zeros(p.shape, dt) for k, p in self.params.items()}
        self.reseed(seed)
        self._x: Any = None

    def reseed(self, seed: Any) -> None:
        """Draw W afresh from ``seed`` with the layer's initializer; b back to zero."""
        W, b = self.params["W"], self.params["b"]
        W[...] = backend.asarray(initializers.draw(self.init, W.shape, backend.rng(seed)),
                                 W.dtype, self.xp)
        b[...] = 0

    @property
    def fan_in(self) -> int:
        return int(self.params["W"].shape[0])

    @property
    def fan_out(self) -> int:
        return int(self.params["W"].shape[1])

    @property
    def input_shape(self) -> Shape:
        return (self.fan_in,)

    def output_shape(self, input_shape: Shape) -> Shape:
        check_input_shape(self, input_shape, (self.fan_in,))
        return (self.fan_out,)

    @classmethod
    def array_shapes(cls, config: dict[str, Any]) -> dict[str, dict[str, Shape]]:
        fan_in = check_number("fan_in", config["fan_in"], low=1, integer=True)
        fan_out = check_number("fan_out", config["fan_out"], low=1, integer=True)
        return {"params": {"W": (fan_in, fan_out), "b": (fan_out,)}, "state": {}}

    def forward(self, x: Any, training: bool = False) -> Any:
        W, b = self.params["W"], self.params["b"]
        if not training:
            return x @ W + b
        self._x = x
        if backend.is_sparse(x):  # SciPy multiplies the stored values only
            z = x @ W
        else:
            z = self.xp.matmul(x, W, out=self.scratch("z", (x.shape[0], W.shape[1]), W.dtype))
        z += b  # Z = X·W + b
        return z

    def backward(self, grad: Any, need_input_grad: bool = True) -> Any:
        xp, x = self.xp, self._x
        if backend.is_sparse(x):
            self.grads["W"][...] = x.T @ grad  # dW = A_prevᵀ·dZ, A_prev as it is: sparse
        else:
            xp.matmul(x.T, grad, out=self.grads["W"])  # dW = A_prevᵀ·dZ
        ones = self.scratch("ones", (grad.shape[0],), grad.dtype, fill=1)
        xp.matmul(ones, grad, out=self.grads["b"])  # db = Σ dZ = 1ᵀ·dZ (BLAS beats a column sum)
        if not need_input_grad:
            return None
        dx = self.scratch("dx", x.shape, grad.dtype)
        return xp.matmul(grad, self.params["W"].T, out=dx)  # dA_prev = dZ·Wᵀ

    def get_config(self) -> dict[str, Any]:
        init = self.init if isinstance(self.init, str) else getattr(self.init, "__name__", "custom")
        return {"fan_in": self.fan_in, "fan_out": self.fan_out, "init": init}


class Flatten(Layer):
    """Each sample as one row: ``(n, *shape)`` → ``(n, ∏ shape)``, as a view of the input.

    Backward gives the gradient its input's shape back. Nothing is copied either way.

    >>> import numpy as np
    >>> Flatten().forward(np.zeros((5, 1, 28, 28))).shape
    (5, 784)
    >>> Flatten().output_shape((32, 7, 7))
    (1568,)
    """

    def output_shape(self, input_shape: Shape) -> Shape:
        return (flat_size(input_shape),)

    def forward(self, x: Any, training: bool = False) -> Any:
        if training:
            self._in_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad: Any, need_input_grad: bool = True) -> Any:
        return grad.reshape(self._in_shape) if need_input_grad else None
