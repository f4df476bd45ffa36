"""Layers: each keeps what its backward pass needs from its forward pass.

A layer maps ``x: (n_samples, n_in)`` to ``(n_samples, n_out)``. ``forward(x,
training=True)`` remembers its input (and any mask); ``backward(grad)`` takes
dL/d(output) and returns dL/d(input), filling ``grads`` on the way.

In training mode a layer writes into buffers it owns, allocated once per batch
size: the arrays it returns stay valid until its next call. With
``training=False`` every call returns fresh arrays and remembers nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import initializers
from ._buffers import Buffers
from ._validation import check_dtype, check_number


class Layer(Buffers):
    """Base class. Layers with parameters fill ``params`` and ``grads`` (same keys, same shapes)."""

    #: parameters that weight decay (L2) applies to; biases are left out, as is usual
    decayed: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._buffers: dict[str, np.ndarray] = {}

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        """dL/d(input) from ``grad`` = dL/d(output); None when ``need_input_grad`` is False."""
        raise NotImplementedError

    def output_width(self, input_width: int) -> int:
        """Number of output features for ``input_width`` input features."""
        return input_width

    @property
    def n_params(self) -> int:
        return sum(p.size for p in self.params.values())

    def astype(self, dtype: Any) -> Layer:
        """Cast parameters and gradients to ``dtype`` (no copy when they already are)."""
        dt = check_dtype(dtype)
        for key in self.params:
            self.params[key] = self.params[key].astype(dt, copy=False)
            self.grads[key] = self.grads[key].astype(dt, copy=False)
        self._buffers.clear()
        return self

    def reseed(self, seed: Any) -> None:
        """Reset the layer's own random generator, if it has one (Dropout does)."""

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments that rebuild this layer (without its weights)."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Dense(Layer):
    """Fully connected layer: ``Z = X·W + b``.

    W: (fan_in, fan_out), b: (fan_out,). ``init`` names an initializer (see
    :mod:`plainnet.initializers`); ``seed`` fixes the draw.

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
        self.init = init
        draw = initializers.get(init)
        dt = check_dtype(dtype)
        W = np.asarray(draw(int(fan_in), int(fan_out), np.random.default_rng(seed)), dtype=dt)
        if W.shape != (fan_in, fan_out):
            raise ValueError(
                f"initializer {init!r} returned shape {W.shape}, expected {(fan_in, fan_out)}"
            )
        self.params = {"W": W, "b": np.zeros(fan_out, dtype=dt)}
        self.grads = {"W": np.zeros_like(W), "b": np.zeros(fan_out, dtype=dt)}
        self._x: np.ndarray | None = None

    @property
    def fan_in(self) -> int:
        return self.params["W"].shape[0]

    @property
    def fan_out(self) -> int:
        return self.params["W"].shape[1]

    def output_width(self, input_width: int) -> int:
        return self.fan_out

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        W, b = self.params["W"], self.params["b"]
        if not training:
            return x @ W + b
        self._x = x
        z = np.matmul(x, W, out=self._buffer("z", (x.shape[0], W.shape[1]), W.dtype))
        z += b
        return z

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        x = self._x
        np.matmul(x.T, grad, out=self.grads["W"])  # dW = A_prevᵀ·dZ
        ones = self._buffer("ones", (grad.shape[0],), grad.dtype, fill=1)
        np.matmul(ones, grad, out=self.grads["b"])  # db = Σ dZ = 1ᵀ·dZ (BLAS beats a column sum)
        if not need_input_grad:
            return None
        dx = self._buffer("dx", x.shape, grad.dtype)
        return np.matmul(grad, self.params["W"].T, out=dx)  # dA_prev = dZ·Wᵀ

    def get_config(self) -> dict[str, Any]:
        init = self.init if isinstance(self.init, str) else getattr(self.init, "__name__", "custom")
        return {"fan_in": self.fan_in, "fan_out": self.fan_out, "init": init}


class Dropout(Layer):
    """Inverted dropout: in training, zero each input with probability ``rate`` and scale the
    rest by 1/(1 - rate), so that nothing changes at prediction time."""

    def __init__(self, rate: float = 0.5, seed: int | np.random.Generator | None = None) -> None:
        super().__init__()
        self.rate = float(check_number("rate", rate, low=0.0, high=1.0, high_open=True))
        self._rng = np.random.default_rng(seed)
        self._mask: np.ndarray | None = None

    def reseed(self, seed: Any) -> None:
        self._rng = np.random.default_rng(seed)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if not training:  # a prediction leaves the training state alone
            return x
        if self.rate == 0.0:
            self._mask = None
            return x
        u = self._rng.random(x.shape, dtype=x.dtype, out=self._buffer("mask", x.shape, x.dtype))
        keep = np.greater_equal(u, self.rate, out=self._buffer("keep", x.shape, bool))
        self._mask = np.divide(keep, x.dtype.type(1.0 - self.rate), out=u)  # kept: 1/(1 - rate)
        return np.multiply(x, self._mask, out=self._buffer("a", x.shape, x.dtype))

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        if self._mask is None:
            return grad
        return np.multiply(grad, self._mask, out=self._buffer("dx", grad.shape, grad.dtype))

    def get_config(self) -> dict[str, Any]:
        return {"rate": self.rate}
