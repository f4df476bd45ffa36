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

from ..backend import Buffers
from ..checks import check_dtype


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
