"""Losses: a mean over the batch, and its gradient with respect to the network output.

``a: (n, k)`` is the output of the last layer, ``t: (n, k)`` the targets.

==========================  ==================================  ==========================
loss                        value                               output gradient
==========================  ==================================  ==========================
categorical cross-entropy   -(1/n) Σ_i Σ_k t log a              with softmax: (a - t)/n
binary cross-entropy        -(1/nk) Σ t log a + (1-t) log(1-a)  with sigmoid: (a - t)/(nk)
mean squared error          (1/nk) Σ (a - t)²                   2(a - t)/(nk)
==========================  ==================================  ==========================

Cross-entropy fuses with its activation: ``value_logits`` and
``value_and_grad_logits`` take the logits ``z`` (the last layer's input) and are
stable for any z; the network uses them whenever the output layer is that
activation.
"""

from __future__ import annotations

import numpy as np

from ..backend import array_module, inner, scalar
from ..checks import lookup
from .activations import Sigmoid, Softmax
from .functional import log_softmax, sigmoid
from .layer import Layer


def _clip_probabilities(a: np.ndarray) -> np.ndarray:
    # the smallest normal number of the dtype: 1 - 1e-15 would round to 1.0 in float32
    tiny = np.finfo(a.dtype).tiny
    return array_module(a).clip(a, tiny, 1)


class Loss:
    """Base class: ``value(a, t)`` and ``grad(a, t)`` on the network output.

    A subclass that a model file should record as a built-in loss (same predictions, a
    rule the built-in one can train on by) declares ``saved_as = TheBuiltInClass``.

    Shapes: ``a, t: (n, k)``; ``value`` is a float, ``grad`` an array ``(n, k)``.

    >>> import numpy as np
    >>> class MeanAbsoluteError(Loss):
    ...     name = "mae"
    ...     def value(self, a, t):
    ...         return float(np.mean(np.abs(a - t)))
    ...     def grad(self, a, t):
    ...         return np.sign(a - t) / a.size
    >>> MeanAbsoluteError().value_and_grad(np.array([[1.0, 2.0]]), np.array([[0.0, 4.0]]))
    (1.5, array([[ 0.5, -0.5]]))
    """

    name = "loss"
    #: the output activation this loss fuses with, if any
    fused_activation: type[Layer] | None = None

    def value(self, a: np.ndarray, t: np.ndarray) -> float:
        """The loss of outputs ``a: (n, k)`` against targets ``t: (n, k)``, a mean.

        >>> import numpy as np
        >>> MeanSquaredError().value(np.array([[0.5, 1.0]]), np.array([[0.0, 1.0]]))
        0.125
        """
        raise NotImplementedError

    def grad(self, a: np.ndarray, t: np.ndarray) -> np.ndarray:
        """∂L/∂a: (n, k), for outputs ``a: (n, k)`` and targets ``t: (n, k)``.

        >>> import numpy as np
        >>> MeanSquaredError().grad(np.array([[0.5, 1.0]]), np.array([[0.0, 1.0]]))
        array([[0.5, 0. ]])
        """
        raise NotImplementedError

    def value_and_grad(self, a: np.ndarray, t: np.ndarray) -> tuple[float, np.ndarray]:
        """The loss and ∂L/∂a: (n, k), a new array the caller may overwrite.

        >>> import numpy as np
        >>> MeanSquaredError().value_and_grad(np.array([[3.0]]), np.array([[1.0]]))
        (4.0, array([[4.]]))
        """
        return self.value(a, t), self.grad(a, t)

    def value_logits(self, z: np.ndarray, t: np.ndarray) -> float:
        """The loss from the logits ``z: (n, k)`` (the input of ``fused_activation``),
        stable for any z.

        >>> import numpy as np
        >>> z, t = np.array([[0.0], [1000.0]]), np.array([[1.0], [0.0]])
        >>> round(BinaryCrossEntropy().value_logits(z, t), 4)  # (log 2 + 1000) / 2
        500.3466
        """
        raise NotImplementedError(f"{self.name} does not fuse with an activation")

    def value_and_grad_logits(self, z: np.ndarray, t: np.ndarray) -> tuple[float, np.ndarray]:
        """The loss and ∂L/∂z: (n, k) for the logits ``z: (n, k)``, a new array the caller may
        overwrite.

        >>> import numpy as np
        >>> z, t = np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]])
        >>> loss, dz = CategoricalCrossEntropy().value_and_grad_logits(z, t)
        >>> round(loss, 4), dz  # log 2, and softmax(z) - t
        (0.6931, array([[-0.5,  0.5]]))
        """
        raise NotImplementedError(f"{self.name} does not fuse with an activation")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MeanSquaredError(Loss):
    """(1/nk) Σ (a - t)², the mean over all elements as in PyTorch and Keras.

    ∂L/∂a = 2(a - t)/(nk); ``a, t: (n, k)``.

    >>> import numpy as np
    >>> a, t = np.array([[0.5, 1.0], [2.0, 0.0]]), np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> mse = MeanSquaredError()
    >>> mse.value(a, t)  # (0.25 + 0 + 1 + 0) / 4
    0.3125
    >>> mse.grad(a, t)
    array([[0.25, 0.  ],
           [0.5 , 0.  ]])
    """

    name = "mse"

    def value(self, a: np.ndarray, t: np.ndarray) -> float:
        xp = array_module(a)
        return scalar(xp.mean(xp.square(a - t)))

    def grad(self, a: np.ndarray, t: np.ndarray) -> np.ndarray:
        return (a - t) * a.dtype.type(2.0 / a.size)


class CategoricalCrossEntropy(Loss):
    """-(1/n) Σ_i Σ_k t_ik log a_ik: the mean over samples. Fuses with Softmax.

    With ``a = softmax(z)``, ∂L/∂z = (a - t)/n; ``a, z, t: (n, k)``, t one-hot (or any rows
    that sum to 1).

    >>> import numpy as np
    >>> from plainnet.nn.functional import softmax
    >>> z, t = np.array([[2.0, 0.0], [0.0, 2.0]]), np.eye(2)
    >>> cce = CategoricalCrossEntropy()
    >>> round(cce.value(softmax(z), t), 4), round(cce.value_logits(z, t), 4)
    (0.1269, 0.1269)
    >>> cce.value_and_grad_logits(z, t)[1].round(4)
    array([[-0.0596,  0.0596],
           [ 0.0596, -0.0596]])
    """

    name = "categorical_crossentropy"
    fused_activation = Softmax

    def value(self, a: np.ndarray, t: np.ndarray) -> float:
        xp = array_module(a)
        return scalar(-xp.sum(t * xp.log(_clip_probabilities(a))) / a.shape[0])

    def grad(self, a: np.ndarray, t: np.ndarray) -> np.ndarray:
        return -t / _clip_probabilities(a) / a.dtype.type(a.shape[0])

    def value_logits(self, z: np.ndarray, t: np.ndarray) -> float:
        return scalar(-array_module(z).sum(t * log_softmax(z)) / z.shape[0])

    def value_and_grad_logits(self, z: np.ndarray, t: np.ndarray) -> tuple[float, np.ndarray]:
        """One pass for both: with s = z - max, log softmax = s - log Σ e^s and
        softmax = e^s / Σ e^s; the gradient is (softmax - t)/n."""
        xp, n = array_module(z), z.shape[0]
        shifted = z - z.max(axis=1, keepdims=True)
        e = xp.exp(shifted)
        sums = e.sum(axis=1, keepdims=True)
        shifted -= xp.log(sums)  # now log softmax(z)
        loss = -scalar(inner(t, shifted)) / n
        grad = xp.divide(e, sums, out=e)  # softmax(z)
        grad -= t
        grad /= z.dtype.type(n)
        return loss, grad


class BinaryCrossEntropy(Loss):
    """-(1/nk) Σ t log a + (1 - t) log(1 - a): the mean over all elements, so that
    several sigmoid units (multi-label) average too. Fuses with Sigmoid.

    With ``a = σ(z)``, ∂L/∂z = (a - t)/(nk); ``a, z, t: (n, k)``, t in [0, 1].

    >>> import numpy as np
    >>> from plainnet.nn.functional import sigmoid
    >>> z, t = np.array([[0.0], [3.0]]), np.array([[1.0], [1.0]])
    >>> bce = BinaryCrossEntropy()
    >>> round(bce.value(sigmoid(z), t), 4), round(bce.value_logits(z, t), 4)
    (0.3709, 0.3709)
    >>> bce.value_and_grad_logits(z, t)[1].round(4)
    array([[-0.25  ],
           [-0.0237]])
    """

    name = "binary_crossentropy"
    fused_activation = Sigmoid

    def value(self, a: np.ndarray, t: np.ndarray) -> float:
        xp = array_module(a)
        log_a = xp.log(_clip_probabilities(a))
        log_1ma = xp.log(_clip_probabilities(1 - a))
        return scalar(-xp.mean(t * log_a + (1 - t) * log_1ma))

    def grad(self, a: np.ndarray, t: np.ndarray) -> np.ndarray:
        a_c = _clip_probabilities(a)
        one_m_a = _clip_probabilities(1 - a)
        return (a - t) / (a_c * one_m_a) / a.dtype.type(a.size)

    def value_logits(self, z: np.ndarray, t: np.ndarray) -> float:
        # -t log σ(z) - (1-t) log(1 - σ(z)) = log(1 + e^z) - t·z, and logaddexp never overflows
        xp = array_module(z)
        return scalar(xp.logaddexp(0, z).sum() - inner(t, z)) / z.size

    def value_and_grad_logits(self, z: np.ndarray, t: np.ndarray) -> tuple[float, np.ndarray]:
        # log(1 + e^z) = max(z, 0) + log(1 + e^-|z|), and σ(z) needs e^-|z| too
        xp = array_module(z)
        e = xp.exp(-xp.abs(z))
        softplus = xp.maximum(z, 0)
        softplus += xp.log1p(e)
        loss = scalar(softplus.sum() - inner(t, z)) / z.size
        grad = sigmoid(z, exp_neg_abs=e)
        grad -= t
        grad /= z.dtype.type(z.size)  # (σ(z) - t)/(nk)
        return loss, grad


LOSSES: dict[str, type[Loss]] = {
    "binary_crossentropy": BinaryCrossEntropy,
    "categorical_crossentropy": CategoricalCrossEntropy,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
}


def get(loss: str | Loss) -> Loss:
    """A loss by name (``"binary_crossentropy"``, ``"categorical_crossentropy"``, ``"mse"``)
    or a Loss object as it is.

    >>> get("mse"), get("Categorical-CrossEntropy"), get("mean_squared_error")
    (MeanSquaredError(), CategoricalCrossEntropy(), MeanSquaredError())
    >>> get("hinge")
    Traceback (most recent call last):
    ...
    ValueError: unknown loss 'hinge'; choose one of 'binary_crossentropy', ...
    """
    if isinstance(loss, Loss):
        return loss
    return lookup("loss", loss, LOSSES)()
