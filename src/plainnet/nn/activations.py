"""Activation layers: ``A = g(Z)`` forward, ``dZ = dA * g'(Z)`` backward. No parameters.

The stable elementwise functions (``sigmoid``, ``softmax``, ``log_softmax``) live in
:mod:`plainnet.nn.functional`, which the fused losses share.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..checks import check_number, lookup
from .functional import sigmoid, softmax
from .layer import Layer


class ReLU(Layer):
    """g(z) = max(z, 0); g'(z) = 1 where z > 0, else 0.

    In training the layer keeps the mask z > 0, so that g(z) = z·mask and backward is
    dZ = dA·mask, done in place on dA (the next layer's scratch buffer). The mask holds
    0.0 and 1.0 in z's own dtype: multiplying by a boolean array would cast it element by
    element on every call, which costs more than the multiplication.
    """

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if not training:
            return np.maximum(x, 0)
        self._mask = np.greater(x, 0, out=self.scratch("mask", x.shape, x.dtype))
        return np.multiply(x, self._mask, out=self.scratch("a", x.shape, x.dtype))

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray:
        return np.multiply(grad, self._mask, out=grad)


class LeakyReLU(ReLU):
    """g(z) = z where z > 0, else alpha·z; g'(z) = 1 where z > 0, else alpha.

    ReLU with a mask that holds the slope g'(z), 1 or alpha in z's dtype, so that again
    g(z) = z·mask and ReLU's backward dZ = dA·mask applies as it is.
    """

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = float(check_number("alpha", alpha, low=0.0))

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        alpha = x.dtype.type(self.alpha)
        if not training:
            return np.where(x > 0, x, x * alpha)
        mask = np.greater(x, 0, out=self.scratch("mask", x.shape, x.dtype))  # 1 or 0
        mask *= 1 - alpha
        mask += alpha  # 1 or alpha: (1 - alpha) + alpha is exactly 1 for any alpha <= 2^24
        self._mask = mask
        return np.multiply(x, mask, out=self.scratch("a", x.shape, x.dtype))

    def get_config(self) -> dict[str, Any]:
        return {"alpha": self.alpha}


class Sigmoid(Layer):
    """g(z) = σ(z); g'(z) = σ(z)(1 - σ(z))."""

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if not training:
            return sigmoid(x)
        self._a = sigmoid(x, out=self.scratch("a", x.shape, x.dtype))
        return self._a

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray:
        a = self._a
        dz = np.subtract(1, a, out=self.scratch("dz", a.shape, a.dtype))  # 1 - a
        dz *= a
        return np.multiply(grad, dz, out=dz)


class Tanh(Layer):
    """g(z) = tanh(z); g'(z) = 1 - tanh²(z)."""

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if not training:
            return np.tanh(x)
        self._a = np.tanh(x, out=self.scratch("a", x.shape, x.dtype))
        return self._a

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray:
        a = self._a
        dz = np.multiply(a, a, out=self.scratch("dz", a.shape, a.dtype))
        np.subtract(1, dz, out=dz)  # 1 - a²
        return np.multiply(grad, dz, out=dz)


class Softmax(Layer):
    """Row-wise softmax. Backward is the Jacobian-vector product s ⊙ (g - Σ_k g_k s_k).

    With categorical cross-entropy the network fuses the two and never calls
    this backward: the gradient is then simply (s - y) / n.
    """

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        s = softmax(x)
        if training:
            self._s = s
        return s

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray:
        s = self._s
        return s * (grad - np.sum(grad * s, axis=1, keepdims=True))


class Identity(Layer):
    """g(z) = z: a linear output, for regression."""

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return x

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray:
        return grad


ACTIVATIONS: dict[str, type[Layer]] = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "sigmoid": Sigmoid,
    "logistic": Sigmoid,
    "tanh": Tanh,
    "softmax": Softmax,
    "identity": Identity,
    "linear": Identity,
}


def get(name: str | Layer) -> Layer:
    """An activation layer by name (``"relu"``, ``"tanh"``, …), or a layer as it is."""
    if isinstance(name, Layer):
        return name
    return lookup("activation", name, ACTIVATIONS)()
