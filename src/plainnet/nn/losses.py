"""Losses: a mean over the batch, and its gradient with respect to the network output.

``a: (n, k)`` is the output of the last layer, ``t: (n, k)`` the targets.

==========================  =====================================  ========================
loss                        value                                  output gradient
==========================  =====================================  ========================
categorical cross-entropy   -(1/n) Σ_i Σ_k t log a                 with softmax: (a - t)/n
binary cross-entropy        -(1/nk) Σ t log a + (1-t) log(1-a)     with sigmoid: (a - t)/(nk)
mean squared error          (1/nk) Σ (a - t)²                      2(a - t)/(nk)
half Poisson deviance       (1/nk) Σ t log(t/a) - t + a            with exp: (a - t)/(nk)
==========================  =====================================  ========================

Cross-entropy fuses with its activation, and the Poisson loss with the exponential:
``value_logits`` and ``value_and_grad_logits`` take the logits ``z`` (the last layer's
input) and are stable for any z; the network uses them whenever the output layer is that
activation.

Sample weights: every method takes ``sample_weight: (n,)`` (or None). The mean over the
samples becomes the weighted mean Σ_i w_i ℓ_i / Σ_i w_i, ℓ_i being sample i's loss (its
mean over the k outputs for a mean over elements), and row i of the gradient is scaled by
n·w_i / Σ w: with all weights equal, nothing changes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..backend import array_module, inner, scalar
from ..checks import lookup
from .activations import Exp, Sigmoid, Softmax
from .functional import log_softmax, sigmoid
from .layer import Layer


def _clip_probabilities(a: np.ndarray) -> np.ndarray:
    # the smallest normal number of the dtype: 1 - 1e-15 would round to 1.0 in float32
    tiny = np.finfo(a.dtype).tiny
    return array_module(a).clip(a, tiny, 1)


def weighted_mean(per_sample: np.ndarray, sample_weight: Any) -> float:
    """The mean of the per-sample losses ``per_sample: (n,)``, weighted by
    ``sample_weight: (n,)`` when given: Σ_i w_i ℓ_i / Σ_i w_i.

    >>> import numpy as np
    >>> weighted_mean(np.array([1.0, 3.0]), None), weighted_mean(np.array([1.0, 3.0]), [3, 1])
    (2.0, 1.5)
    """
    xp = array_module(per_sample)
    if sample_weight is None:
        return scalar(xp.mean(per_sample))
    w = backend.asarray(sample_weight, xp=xp)
    return scalar(xp.dot(w, per_sample) / w.sum())


def _mean_gradient(grad: np.ndarray, sample_weight: Any, per_row: int) -> np.ndarray:
    """In place: the gradient of a mean over n·per_row values, ``grad / (n·per_row)``; with
    sample weights, row i times w_i / (per_row·Σ w). grad: (n, k)."""
    if sample_weight is None:
        grad /= grad.dtype.type(grad.shape[0] * per_row)
        return grad
    w = backend.asarray(sample_weight, xp=array_module(grad))
    grad *= (w / (per_row * w.sum())).astype(grad.dtype, copy=False)[:, None]
    return grad


def _xlogx(t: np.ndarray) -> np.ndarray:
    """t·log t, with 0·log 0 = 0 (scipy.special.xlogy(t, t))."""
    xp, positive = array_module(t), t > 0
    return xp.where(positive, t * xp.log(xp.where(positive, t, 1)), 0)


class Loss:
    """Base class: ``value(a, t)`` and ``grad(a, t)`` on the network output.

    A subclass that a model file should record as a built-in loss (same predictions, a
    rule the built-in one can train on by) declares ``saved_as = TheBuiltInClass``. A loss
    of your own needs ``sample_weight`` in its methods only if it is trained with weights.

    Shapes: ``a, t: (n, k)``, ``sample_weight: (n,)`` or None; ``value`` is a float,
    ``grad`` an array ``(n, k)``.

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

    def value(self, a: np.ndarray, t: np.ndarray, sample_weight: Any = None) -> float:
        """The loss of outputs ``a: (n, k)`` against targets ``t: (n, k)``, a mean (weighted
        by ``sample_weight: (n,)`` when given).

        >>> import numpy as np
        >>> MeanSquaredError().value(np.array([[0.5, 1.0]]), np.array([[0.0, 1.0]]))
        0.125
        """
        raise NotImplementedError

    def grad(self, a: np.ndarray, t: np.ndarray, sample_weight: Any = None) -> np.ndarray:
        """∂L/∂a: (n, k), for outputs ``a: (n, k)`` and targets ``t: (n, k)``.

        >>> import numpy as np
        >>> MeanSquaredError().grad(np.array([[0.5, 1.0]]), np.array([[0.0, 1.0]]))
        array([[0.5, 0. ]])
        """
        raise NotImplementedError

    def value_and_grad(self, a: np.ndarray, t: np.ndarray, sample_weight: Any = None
                       ) -> tuple[float, np.ndarray]:
        """The loss and ∂L/∂a: (n, k), a new array the caller may overwrite.

        >>> import numpy as np
        >>> MeanSquaredError().value_and_grad(np.array([[3.0]]), np.array([[1.0]]))
        (4.0, array([[4.]]))
        """
        if sample_weight is None:  # a loss of one's own may not know sample weights
            return self.value(a, t), self.grad(a, t)
        return self.value(a, t, sample_weight), self.grad(a, t, sample_weight)

    def value_logits(self, z: np.ndarray, t: np.ndarray, sample_weight: Any = None) -> float:
        """The loss from the logits ``z: (n, k)`` (the input of ``fused_activation``),
        stable for any z.

        >>> import numpy as np
        >>> z, t = np.array([[0.0], [1000.0]]), np.array([[1.0], [0.0]])
        >>> round(BinaryCrossEntropy().value_logits(z, t), 4)  # (log 2 + 1000) / 2
        500.3466
        """
        raise NotImplementedError(f"{self.name} does not fuse with an activation")

    def value_and_grad_logits(self, z: np.ndarray, t: np.ndarray, sample_weight: Any = None
                              ) -> tuple[float, np.ndarray]:
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
    >>> mse.value(a, t, sample_weight=[3, 1])  # (3·0.125 + 1·0.5) / 4
    0.21875
    """

    name = "mse"

    def value(self, a: np.ndarray, t: np.ndarray, sample_weight: Any = None) -> float:
        xp = array_module(a)
        if sample_weight is None:
            return scalar(xp.mean(xp.square(a - t)))
        return weighted_mean(xp.square(a - t).mean(axis=1), sample_weight)

    def grad(self, a: np.ndarray, t: np.ndarray, sample_weight: Any = None) -> np.ndarray:
        if sample_weight is None:
            return (a - t) * a.dtype.type(2.0 / a.size)
        return _mean_gradient(2 * (a - t), sample_weight, a.shape[1])


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

    def value(self, a: np.ndarray, t: np.ndarray, sample_weight: Any = None) -> float:
        xp = array_module(a)
        log_a = xp.log(_clip_probabilities(a))
        if sample_weight is None:
            return scalar(-xp.sum(t * log_a) / a.shape[0])
        return weighted_mean(-(t * log_a).sum(axis=1), sample_weight)

    def grad(self, a: np.ndarray, t: np.ndarray, sample_weight: Any = None) -> np.ndarray:
        return _mean_gradient(-t / _clip_probabilities(a), sample_weight, 1)

    def value_logits(self, z: np.ndarray, t: np.ndarray, sample_weight: Any = None) -> float:
        xp = array_module(z)
        if sample_weight is None:
            return scalar(-xp.sum(t * log_softmax(z)) / z.shape[0])
        return weighted_mean(-(t * log_softmax(z)).sum(axis=1), sample_weight)

    def value_and_grad_logits(self, z: np.ndarray, t: np.ndarray, sample_weight: Any = None
                              ) -> tuple[float, np.ndarray]:
        """One pass for both: with s = z - max, log softmax = s - log Σ e^s and
        softmax = e^s / Σ e^s; the gradient is (softmax - t)/n."""
        xp, n = array_module(z), z.shape[0]
        shifted = z - z.max(axis=1, keepdims=True)
        e = xp.exp(shifted)
        sums = e.sum(axis=1, keepdims=True)
        shifted -= xp.log(sums)  # now log softmax(z)
        if sample_weight is None:
            loss = -scalar(inner(t, shifted)) / n
        else:
            loss = weighted_mean(-(t * shifted).sum(axis=1), sample_weight)
        grad = xp.divide(e, sums, out=e)  # softmax(z)
        grad -= t
        return loss, _mean_gradient(grad, sample_weight, 1)


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

    def value(self, a: np.ndarray, t: np.ndarray, sample_weight: Any = None) -> float:
        xp = array_module(a)
        log_a = xp.log(_clip_probabilities(a))
        log_1ma = xp.log(_clip_probabilities(1 - a))
        elements = t * log_a + (1 - t) * log_1ma
        if sample_weight is None:
            return scalar(-xp.mean(elements))
        return weighted_mean(-elements.mean(axis=1), sample_weight)

    def grad(self, a: np.ndarray, t: np.ndarray, sample_weight: Any = None) -> np.ndarray:
        a_c = _clip_probabilities(a)
        one_m_a = _clip_probabilities(1 - a)
        return _mean_gradient((a - t) / (a_c * one_m_a), sample_weight, a.shape[1])

    def value_logits(self, z: np.ndarray, t: np.ndarray, sample_weight: Any = None) -> float:
        # -t log σ(z) - (1-t) log(1 - σ(z)) = log(1 + e^z) - t·z, and logaddexp never overflows
        xp = array_module(z)
        if sample_weight is None:
            return scalar(xp.logaddexp(0, z).sum() - inner(t, z)) / z.size
        return weighted_mean((xp.logaddexp(0, z) - t * z).mean(axis=1), sample_weight)

    def value_and_grad_logits(self, z: np.ndarray, t: np.ndarray, sample_weight: Any = None
                              ) -> tuple[float, np.ndarray]:
        # log(1 + e^z) = max(z, 0) + log(1 + e^-|z|), and σ(z) needs e^-|z| too
        xp = array_module(z)
        e = xp.exp(-xp.abs(z))
        softplus = xp.maximum(z, 0)
        softplus += xp.log1p(e)
        if sample_weight is None:
            loss = scalar(softplus.sum() - inner(t, z)) / z.size
        else:
            softplus -= t * z
            loss = weighted_mean(softplus.mean(axis=1), sample_weight)
        grad = sigmoid(z, exp_neg_abs=e)
        grad -= t
        return loss, _mean_gradient(grad, sample_weight, z.shape[1])  # (σ(z) - t)/(nk)


class HalfPoissonDeviance(Loss):
    """(1/nk) Σ t log(t/a) - t + a, with 0·log 0 = 0: half the Poisson deviance, a mean
    over all elements, for counts t ≥ 0 predicted by rates a > 0. Fuses with Exp, as in
    scikit-learn's ``MLPRegressor(loss="poisson")`` (its value sums over the outputs).

    With ``a = e^z``, ∂L/∂z = (a - t)/(nk); ``a, z, t: (n, k)``. From the logits, the loss
    is e^z - t·z + (t log t - t): PyTorch's ``PoissonNLLLoss(log_input=True)`` plus a term
    of the targets alone, which makes a perfect prediction's loss 0.

    >>> import numpy as np
    >>> z, t = np.log(np.array([[1.0], [2.0]])), np.array([[1.0], [0.0]])
    >>> poisson = HalfPoissonDeviance()
    >>> round(poisson.value(np.exp(z), t), 4), round(poisson.value_logits(z, t), 4)  # (0 + 2)/2
    (1.0, 1.0)
    >>> poisson.value_and_grad_logits(z, t)[1]  # (e^z - t)/n
    array([[0.],
           [1.]])
    """

    name = "poisson"
    fused_activation = Exp

    def value(self, a: np.ndarray, t: np.ndarray, sample_weight: Any = None) -> float:
        xp = array_module(a)
        log_a = xp.log(xp.maximum(a, np.finfo(a.dtype).tiny))
        elements = _xlogx(t) - t * log_a - t + a
        return weighted_mean(elements.mean(axis=1) if sample_weight is not None else elements,
                             sample_weight)

    def grad(self, a: np.ndarray, t: np.ndarray, sample_weight: Any = None) -> np.ndarray:
        ratio = t / array_module(a).maximum(a, np.finfo(a.dtype).tiny)
        return _mean_gradient(1 - ratio, sample_weight, a.shape[1])

    def value_logits(self, z: np.ndarray, t: np.ndarray, sample_weight: Any = None) -> float:
        return self.value_and_grad_logits(z, t, sample_weight)[0]

    def value_and_grad_logits(self, z: np.ndarray, t: np.ndarray, sample_weight: Any = None
                              ) -> tuple[float, np.ndarray]:
        xp = array_module(z)
        a = xp.exp(z)
        elements = a - t * z
        elements += _xlogx(t) - t
        loss = weighted_mean(elements.mean(axis=1) if sample_weight is not None else elements,
                             sample_weight)
        grad = xp.subtract(a, t, out=a)
        return loss, _mean_gradient(grad, sample_weight, z.shape[1])  # (e^z - t)/(nk)


LOSSES: dict[str, type[Loss]] = {
    "binary_crossentropy": BinaryCrossEntropy,
    "categorical_crossentropy": CategoricalCrossEntropy,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "poisson": HalfPoissonDeviance,
}


def get(loss: str | Loss) -> Loss:
    """A loss by name (``"binary_crossentropy"``, ``"categorical_crossentropy"``, ``"mse"``,
    ``"poisson"``) or a Loss object as it is.

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
