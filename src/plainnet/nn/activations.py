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

    Shapes: ``Z``, ``A`` and their gradients alike, any shape ``(n, ...)``.

    >>> import numpy as np
    >>> relu, z = ReLU(), np.array([[-1.0, 0.0, 2.0]])
    >>> relu.forward(z)
    array([[0., 0., 2.]])
    >>> _ = relu.forward(z, training=True)  # keeps the mask for backward
    >>> relu.backward(np.ones((1, 3)))  # g'(0) = 0
    array([[0., 0., 1.]])
    """

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        xp = self.xp
        if not training:
            return xp.maximum(x, 0)
        self._mask = xp.greater(x, 0, out=self.scratch("mask", x.shape, x.dtype))
        return xp.multiply(x, self._mask, out=self.scratch("a", x.shape, x.dtype))

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray:
        return self.xp.multiply(grad, self._mask, out=grad)


class LeakyReLU(ReLU):
    """g(z) = z where z > 0, else alpha·z; g'(z) = 1 where z > 0, else alpha.

    ReLU with a mask that holds the slope g'(z), 1 or alpha in z's dtype, so that again
    g(z) = z·mask and ReLU's backward dZ = dA·mask applies as it is.

    Shapes: ``Z``, ``A`` and their gradients alike, any shape ``(n, ...)``.

    >>> import numpy as np
    >>> leaky = LeakyReLU(alpha=0.1)
    >>> leaky.forward(np.array([[-2.0, 3.0]]), training=True)
    array([[-0.2,  3. ]])
    >>> leaky.backward(np.ones((1, 2)))
    array([[0.1, 1. ]])
    """

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = float(check_number("alpha", alpha, low=0.0))

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        xp, alpha = self.xp, x.dtype.type(self.alpha)
        if not training:
            return xp.where(x > 0, x, x * alpha)
        mask = xp.greater(x, 0, out=self.scratch("mask", x.shape, x.dtype))  # 1 or 0
        mask *= 1 - alpha
        mask += alpha  # 1 or alpha: (1 - alpha) + alpha is exactly 1 for any alpha <= 2^24
        self._mask = mask
        return xp.multiply(x, mask, out=self.scratch("a", x.shape, x.dtype))

    def get_config(self) -> dict[str, Any]:
        return {"alpha": self.alpha}


class Sigmoid(Layer):
    """g(z) = σ(z) = 1 / (1 + e^-z); g'(z) = σ(z)(1 - σ(z)).

    Shapes: ``Z``, ``A`` and their gradients alike, any shape ``(n, ...)``.

    >>> import numpy as np
    >>> sig = Sigmoid()
    >>> sig.forward(np.array([[0.0, 2.0]]), training=True).round(4)
    array([[0.5   , 0.8808]])
    >>> sig.backward(np.ones((1, 2))).round(4)  # at most 1/4, at z = 0
    array([[0.25 , 0.105]])
    """

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if not training:
            return sigmoid(x)
        self._a = sigmoid(x, out=self.scratch("a", x.shape, x.dtype))
        return self._a

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray:
        xp, a = self.xp, self._a
        dz = xp.subtract(1, a, out=self.scratch("dz", a.shape, a.dtype))  # 1 - a
        dz *= a
        return xp.multiply(grad, dz, out=dz)


class Tanh(Layer):
    """g(z) = tanh(z); g'(z) = 1 - tanh²(z).

    Shapes: ``Z``, ``A`` and their gradients alike, any shape ``(n, ...)``.

    >>> import numpy as np
    >>> tanh = Tanh()
    >>> tanh.forward(np.array([[0.0, 1.0]]), training=True).round(4)
    array([[0.    , 0.7616]])
    >>> tanh.backward(np.ones((1, 2))).round(4)
    array([[1.  , 0.42]])
    """

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        xp = self.xp
        if not training:
            return xp.tanh(x)
        self._a = xp.tanh(x, out=self.scratch("a", x.shape, x.dtype))
        return self._a

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray:
        xp, a = self.xp, self._a
        dz = xp.multiply(a, a, out=self.scratch("dz", a.shape, a.dtype))
        xp.subtract(1, dz, out=dz)  # 1 - a²
        return xp.multiply(grad, dz, out=dz)


class Softmax(Layer):
    """Row-wise softmax. Backward is the Jacobian-vector product s ⊙ (g - Σ_k g_k s_k).

    With categorical cross-entropy the network fuses the two and never calls
    this backward: the gradient is then simply (s - y) / n.

    Shapes: ``Z: (n, k)`` to ``S: (n, k)``, each row a probability distribution.

    >>> import numpy as np
    >>> s = Softmax().forward(np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]))
    >>> s.round(4)
    array([[0.09  , 0.2447, 0.6652],
           [0.3333, 0.3333, 0.3333]])
    >>> s.sum(axis=1)
    array([1., 1.])
    """

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        s = softmax(x)
        if training:
            self._s = s
        return s

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray:
        s = self._s
        return s * (grad - (grad * s).sum(axis=1, keepdims=True))


class Identity(Layer):
    """g(z) = z; g'(z) = 1: a linear output, for regression.

    Shapes: ``Z``, ``A`` and their gradients alike, any shape ``(n, ...)``.

    >>> import numpy as np
    >>> Identity().forward(np.array([[-1.5, 2.0]]))
    array([[-1.5,  2. ]])
    """

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return x

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray:
        return grad


class Exp(Layer):
    """g(z) = e^z; g'(z) = e^z: a positive output, for counts and rates (the Poisson loss
    fuses with it, as scikit-learn's ``MLPRegressor(loss="poisson")`` does).

    Shapes: ``Z``, ``A`` and their gradients alike, any shape ``(n, ...)``.

    >>> import numpy as np
    >>> exp = Exp()
    >>> exp.forward(np.array([[0.0, 1.0]]), training=True).round(4)
    array([[1.    , 2.7183]])
    >>> exp.backward(np.ones((1, 2))).round(4)  # g'(z) = g(z)
    array([[1.    , 2.7183]])
    """

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if not training:
            return np.exp(x)
        self._a = np.exp(x, out=self.scratch("a", x.shape, x.dtype))
        return self._a

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray:
        return np.multiply(grad, self._a, out=self.scratch("dz", grad.shape, grad.dtype))


ACTIVATIONS: dict[str, type[Layer]] = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "sigmoid": Sigmoid,
    "logistic": Sigmoid,
    "tanh": Tanh,
    "softmax": Softmax,
    "identity": Identity,
    "linear": Identity,
    "exp": Exp,
}


def get(name: str | Layer) -> Layer:
    """An activation layer by name (``"relu"``, ``"tanh"``, …), or a layer as it is.

    Names are case-insensitive, with ``-`` read as ``_``; ``"logistic"`` and ``"linear"``
    are aliases of ``"sigmoid"`` and ``"identity"``.

    >>> get("relu"), get("Leaky-ReLU"), get("linear")
    (ReLU(), LeakyReLU(alpha=0.01), Identity())
    >>> get("swish")
    Traceback (most recent call last):
    ...
    ValueError: unknown activation 'swish'; choose one of 'relu', ...
    """
    if isinstance(name, Layer):
        return name
    return lookup("activation", name, ACTIVATIONS)()
