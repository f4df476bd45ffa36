"""Optimizers with the update rules of ``torch.optim``, so a step-by-step comparison
agrees to rounding.

``step(params, grads, no_decay)`` updates every array of ``params`` in place.
State (moments, momentum buffers) is kept per parameter name, never shared.
Weight decay (L2) is added to the gradient, ``g ← g + weight_decay · p``, for
every parameter not named in ``no_decay`` (the network passes its biases).

The tutorials' L2 term: network2.py adds ``(lmbda/n)·w`` to the gradient of a
*summed* cost. With our mean losses this is ``weight_decay = lmbda / n`` at the
same learning rate ``lr = eta`` (n: the size of the training set).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import numpy as np

from ._validation import check_number, lookup


class Optimizer:
    """Base class: subclasses write one method, ``_update(p, g, state)``."""

    def __init__(self, lr: float, weight_decay: float = 0.0) -> None:
        self.lr = float(check_number("lr", lr, low=0.0, low_open=True))
        self.weight_decay = float(check_number("weight_decay", weight_decay, low=0.0))
        self.state: dict[str, dict[str, np.ndarray]] = {}
        self.iterations = 0

    def step(
        self,
        params: Mapping[str, np.ndarray],
        grads: Mapping[str, np.ndarray],
        no_decay: Collection[str] = (),
    ) -> None:
        """One update of every parameter, in place."""
        self.iterations += 1
        for name, p in params.items():
            g = grads[name]
            if self.weight_decay and name not in no_decay:
                g = g + p * p.dtype.type(self.weight_decay)
            self._update(p, g, self.state.setdefault(name, {}))

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments; ``type(opt)(**opt.get_config())`` makes a fresh copy."""
        return {"lr": self.lr, "weight_decay": self.weight_decay}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum, as torch.optim.SGD:

    b ← μ·b + g   (b ← g on the first step);   g ← g + μ·b if Nesterov else b;   p ← p - lr·g
    """

    def __init__(
        self,
        lr: float = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(lr, weight_decay)
        self.momentum = float(check_number("momentum", momentum, low=0.0, high=1.0))
        if nesterov and self.momentum == 0.0:
            raise ValueError("nesterov=True needs momentum > 0, got momentum=0.0")
        self.nesterov = bool(nesterov)

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        if self.momentum:
            mu = p.dtype.type(self.momentum)
            b = state.get("momentum_buffer")
            if b is None:
                b = state["momentum_buffer"] = g.copy()
            else:
                b *= mu
                b += g
            g = g + mu * b if self.nesterov else b
        p -= p.dtype.type(self.lr) * g

    def get_config(self) -> dict[str, Any]:
        return {"lr": self.lr, "momentum": self.momentum, "nesterov": self.nesterov,
                "weight_decay": self.weight_decay}


class Adam(Optimizer):
    """Adam, as torch.optim.Adam:

    m ← β1·m + (1-β1)·g;   v ← β2·v + (1-β2)·g²;
    p ← p - lr/(1-β1^t) · m / (sqrt(v)/sqrt(1-β2^t) + ε)
    """

    def __init__(
        self,
        lr: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(lr, weight_decay)
        self.beta1 = float(check_number("beta1", beta1, low=0.0, high=1.0, high_open=True))
        self.beta2 = float(check_number("beta2", beta2, low=0.0, high=1.0, high_open=True))
        self.eps = float(check_number("eps", eps, low=0.0, low_open=True))

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        if not state:
            state["m"], state["v"] = np.zeros_like(p), np.zeros_like(p)
        m, v, t = state["m"], state["v"], self.iterations
        f = p.dtype.type
        m *= f(self.beta1)
        m += f(1 - self.beta1) * g
        v *= f(self.beta2)
        v += f(1 - self.beta2) * (g * g)
        step_size = f(self.lr / (1 - self.beta1**t))
        denom = np.sqrt(v) / f(np.sqrt(1 - self.beta2**t))
        denom += f(self.eps)
        p -= step_size * (m / denom)

    def get_config(self) -> dict[str, Any]:
        return {"lr": self.lr, "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps,
                "weight_decay": self.weight_decay}


class RMSProp(Optimizer):
    """RMSProp, as torch.optim.RMSprop (not centered):

    s ← ρ·s + (1-ρ)·g²;   u = g / (sqrt(s) + ε);
    with momentum: b ← μ·b + u, p ← p - lr·b;   without: p ← p - lr·u
    """

    def __init__(
        self,
        lr: float = 0.01,
        rho: float = 0.99,
        eps: float = 1e-8,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(lr, weight_decay)
        self.rho = float(check_number("rho", rho, low=0.0, high=1.0, high_open=True))
        self.eps = float(check_number("eps", eps, low=0.0, low_open=True))
        self.momentum = float(check_number("momentum", momentum, low=0.0, high=1.0))

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        f = p.dtype.type
        if not state:
            state["square_avg"] = np.zeros_like(p)
            if self.momentum:
                state["momentum_buffer"] = np.zeros_like(p)
        s = state["square_avg"]
        s *= f(self.rho)
        s += f(1 - self.rho) * (g * g)
        u = g / (np.sqrt(s) + f(self.eps))
        if self.momentum:
            b = state["momentum_buffer"]
            b *= f(self.momentum)
            b += u
            u = b
        p -= f(self.lr) * u

    def get_config(self) -> dict[str, Any]:
        return {"lr": self.lr, "rho": self.rho, "eps": self.eps, "momentum": self.momentum,
                "weight_decay": self.weight_decay}


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam, "rmsprop": RMSProp}


def get(optimizer: str | Optimizer) -> Optimizer:
    """An optimizer by name with its defaults (``"sgd"``, ``"adam"``, ``"rmsprop"``), or an
    Optimizer object as it is."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    return lookup("optimizer", optimizer, OPTIMIZERS)()
