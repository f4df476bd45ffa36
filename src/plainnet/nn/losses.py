"""Losses: a mean over the batch, and its gradient with respect to the network output.

``a: (n, k)`` is the output of the last layer, ``t: (n, k)`` the targets.

==========================  ===============================  =====================
loss                        value                            output gradient
==========================  ===============================  =====================
categorical cross-entropy   -(1/n) Σ_i Σ_k t log a           with softmax: (a - t)/n
binary cross-entropy        -(1/nk) Σ t log a + (1-t) log(1-a)  with sigmoid: (a - t)/(nk)
mean squared error          (1/nk) Σ (a - t)²                2(a - t)/(nk)
==========================  ===============================  =====================

Cross-entropy fuses with its activation: ``value_logits`` and
``value_and_grad_logits`` take the logits ``z`` (the last layer's input) and are
stable for any z; the network uses them whenever the output layer is that
activation.
"""

from __future__ import annotations

import numpy as np

from ..checks import lookup
from .activations import Sigmoid, Softmax
from .functional import log_softmax, sigmoid
from .layer import Layer


def _clip_probabilities(a: np.ndarray) -> np.ndarray:
    # the smallest normal number of the dtype: 1 - 1e-15 would round to 1.0 in float32
    tiny = np.finfo(a.dtype).tiny
    return np.clip(a, tiny, 1)


class Loss:
    """Base class: ``value(a, t)`` and ``grad(a, t)`` on the network output.

    A subclass that a model file should record as a built-in loss (same predictions, a
    rule the built-in one can train on by) declares ``saved_as = TheBuiltInClass``.
    """

    name = "loss"
    #: the output activation this loss fuses with, if any
    fused_activation: type[Layer] | None = None

    def value(self, a: np.ndarray, t: np.ndarray) -> float:
        raise NotImplementedError

    def grad(self, a: np.ndarray, t: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def value_and_grad(self, a: np.ndarray, t: np.ndarray) -> tuple[float, np.ndarray]:
        """The loss and ∂L/∂a, a new array the caller may overwrite."""
        return self.value(a, t), self.grad(a, t)

    def value_logits(self, z: np.ndarray, t: np.ndarray) -> float:
        raise NotImplementedError(f"{self.name} does not fuse with an activation")

    def value_and_grad_logits(self, z: np.ndarray, t: np.ndarray) -> tuple[float, np.ndarray]:
        """The loss and ∂L/∂z for the logits z, a new array the caller may overwrite."""
        raise NotImplementedError(f"{self.name} does not fuse with an activation")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MeanSquaredError(Loss):
    """(1/nk) Σ (a - t)², the mean over all elements as in PyTorch and Keras."""

    name = "mse"

    def value(self, a: np.ndarray, t: np.ndarray) -> float:
        return float(np.mean(np.square(a - t)))

    def grad(self, a: np.ndarray, t: np.ndarray) -> np.ndarray:
        return (a - t) * a.dtype.type(2.0 / a.size)


class CategoricalCrossEntropy(Loss):
    """-(1/n) Σ_i Σ_k t_ik log a_ik: the mean over samples. Fuses with Softmax."""

    name = "categorical_crossentropy"
    fused_activation = Softmax

    def value(self, a: np.ndarray, t: np.ndarray) -> float:
        return float(-np.sum(t * np.log(_clip_probabilities(a))) / a.shape[0])

    def grad(self, a: np.ndarray, t: np.ndarray) -> np.ndarray:
        return -t / _clip_probabilities(a) / a.dtype.type(a.shape[0])

    def value_logits(self, z: np.ndarray, t: np.ndarray) -> float:
        return float(-np.sum(t * log_softmax(z)) / z.shape[0])

    def value_and_grad_logits(self, z: np.ndarray, t: np.ndarray) -> tuple[float, np.ndarray]:
        """One pass for both: with s = z - max, log softmax = s - log Σ e^s and
        softmax = e^s / Σ e^s; the gradient is (softmax - t)/n."""
        n = z.shape[0]
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        sums = e.sum(axis=1, keepdims=True)
        shifted -= np.log(sums)  # now log softmax(z)
        loss = -float(np.vdot(t, shifted)) / n
        grad = np.divide(e, sums, out=e)  # softmax(z)
        grad -= t
        grad /= z.dtype.type(n)
        return loss, grad


class BinaryCrossEntropy(Loss):
    """-(1/nk) Σ t log a + (1 - t) log(1 - a): the mean over all elements, so that
    several sigmoid units (multi-label) average too. Fuses with Sigmoid."""

    name = "binary_crossentropy"
    fused_activation = Sigmoid

    def value(self, a: np.ndarray, t: np.ndarray) -> float:
        log_a = np.log(_clip_probabilities(a))
        log_1ma = np.log(_clip_probabilities(1 - a))
        return float(-np.mean(t * log_a + (1 - t) * log_1ma))

    def grad(self, a: np.ndarray, t: np.ndarray) -> np.ndarray:
        a_c = _clip_probabilities(a)
        one_m_a = _clip_probabilities(1 - a)
        return (a - t) / (a_c * one_m_a) / a.dtype.type(a.size)

    def value_logits(self, z: np.ndarray, t: np.ndarray) -> float:
        # -t log σ(z) - (1-t) log(1 - σ(z)) = log(1 + e^z) - t·z, and logaddexp never overflows
        return float(np.logaddexp(0, z).sum() - np.vdot(t, z)) / z.size

    def value_and_grad_logits(self, z: np.ndarray, t: np.ndarray) -> tuple[float, np.ndarray]:
        # log(1 + e^z) = max(z, 0) + log(1 + e^-|z|), and σ(z) needs e^-|z| too
        e = np.exp(-np.abs(z))
        softplus = np.maximum(z, 0)
        softplus += np.log1p(e)
        loss = float(softplus.sum() - np.vdot(t, z)) / z.size
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
    or a Loss object as it is."""
    if isinstance(loss, Loss):
        return loss
    return lookup("loss", loss, LOSSES)()
