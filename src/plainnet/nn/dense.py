"""Dense: the fully connected layer, ``Z = X·W + b``, and Flatten."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..checks import check_dtype, check_number
from . import initializers
from .layer import Layer


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
