"""Optimizers with the update rules of ``torch.optim``, so a step-by-step comparison
agrees to rounding.

``step(params, grads, no_decay)`` updates every array of ``params`` in place.
State (moments, momentum buffers) is kept per parameter name, never shared.
Weight decay (L2) is added to the gradient, ``g ← g + weight_decay · p``, for
every parameter not named in ``no_decay`` (the network passes its biases).

Every update writes its temporaries into scratch arrays allocated once per
parameter, so the hot loop allocates nothing.

The tutorials' L2 term: network2.py adds ``(lmbda/n)·w`` to the gradient of a
*summed* cost. With our mean losses this is ``weight_decay = lmbda / n`` at the
same learning rate ``lr = eta`` (n: the size of the training set).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from typing import Any

import numpy as np

from . import backend
from .backend import Buffers
from .checks import check_number, lookup


class Optimizer(Buffers):
    """Base class: subclasses write one method, ``_update(p, g, state)``.

    A subclass that changes no update rule (only, say, how it is configured) may declare
    ``saved_as = TheBuiltInClass``, so that model files record it as that class.

    ``_update`` may use ``self._work`` (a scratch array shaped like ``p``, overwritten by
    each call) for its temporaries; ``g`` must not be modified, it may be a layer's gradient.

    Each step: g ← g + weight_decay·p (unless p's name is in ``no_decay``), then
    ``_update(p, g, state)`` changes p in place. p, g: the same shape, any shape.

    >>> import numpy as np
    >>> class SignSGD(Optimizer):
    ...     def _update(self, p, g, state):
    ...         p -= self.lr * np.sign(g)  # p ← p - lr·sign(g)
    >>> params = {"w": np.zeros(2)}
    >>> SignSGD(lr=0.1).step(params, {"w": np.array([3.0, -0.5])})
    >>> params["w"]
    array([-0.1,  0.1])
    """

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
        """One update of every parameter, in place, from the gradients ``grads`` (same
        names); weight decay leaves the names in ``no_decay`` alone.

        >>> import numpy as np
        >>> params = {"W": np.ones(2), "b": np.ones(2)}
        >>> grads = {"W": np.zeros(2), "b": np.zeros(2)}
        >>> opt = SGD(lr=0.1, weight_decay=0.5)
        >>> opt.step(params, grads, no_decay={"b"})
        >>> params["W"], params["b"], opt.iterations  # W: 1 - 0.1·(0 + 0.5·1)
        (array([0.95, 0.95]), array([1., 1.]), 1)
        """
        self.iterations += 1
        for name, p in params.items():
            g = grads[name]
            # each parameter has its own scratch array for _update's temporaries, and its
            # slots are allocated where it lives
            self.array_library = backend.array_module(p).__name__
            if self.weight_decay and name not in no_decay:
                decayed = self.xp.multiply(p, p.dtype.type(self.weight_decay),
                                           out=self.scratch(f"{name} decayed", p.shape, p.dtype))
                g = self.xp.add(g, decayed, out=decayed)  # g + weight_decay·p
            self._work = self.scratch(name, p.shape, p.dtype)
            self._update(p, g, self.state.setdefault(name, {}))

    def slot_names(self) -> set[str]:
        """The slots ``_update`` keeps per parameter with this configuration (what a model
        file may hold for it).

        >>> SGD().slot_names(), SGD(momentum=0.9).slot_names(), sorted(Adam().slot_names())
        (set(), {'momentum_buffer'}, ['m_sum', 'v_sum'])
        """
        return set()

    def map_state(self, fn: Callable[[Any], Any]) -> None:
        """Replace every slot array ``a`` by ``fn(a)`` (a move to another device) and drop the
        scratch arrays, which were of the old kind.

        >>> import numpy as np
        >>> opt = SGD(momentum=0.9)
        >>> opt.step({"w": np.ones(1)}, {"w": np.ones(1)})
        >>> opt.map_state(lambda a: a.astype("float64"))
        >>> opt.state["w"]["momentum_buffer"].dtype.name
        'float64'
        """
        for slots in self.state.values():
            for key in slots:
                slots[key] = fn(slots[key])
        self.clear_buffers()

    def reset(self) -> None:
        """Forget every slot (momentum buffers, moments) and the step count: the next step
        starts as the first did.

        >>> import numpy as np
        >>> opt = SGD(lr=0.1, momentum=0.9)
        >>> opt.step({"w": np.ones(1)}, {"w": np.ones(1)})
        >>> list(opt.state["w"]), opt.iterations
        (['momentum_buffer'], 1)
        >>> opt.reset()
        >>> opt.state, opt.iterations
        ({}, 0)
        """
        self.state.clear()
        self.iterations = 0

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments; ``type(opt)(**opt.get_config())`` makes a fresh copy.

        >>> opt = RMSProp(lr=0.05, momentum=0.9)
        >>> opt.get_config()
        {'lr': 0.05, 'rho': 0.99, 'eps': 1e-08, 'momentum': 0.9, 'weight_decay': 0.0}
        >>> type(opt)(**opt.get_config())
        RMSProp(lr=0.05, rho=0.99, eps=1e-08, momentum=0.9, weight_decay=0.0)
        """
        return {"lr": self.lr, "weight_decay": self.weight_decay}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum, as torch.optim.SGD:

    b ← μ·b + g   (b ← g on the first step);   g ← g + μ·b if Nesterov else b;   p ← p - lr·g

    >>> import numpy as np
    >>> p, g = {"w": np.array([1.0])}, {"w": np.array([1.0])}
    >>> opt = SGD(lr=0.1, momentum=0.9)
    >>> opt.step(p, g)
    >>> p["w"]  # b = g = 1: 1 - 0.1·1
    array([0.9])
    >>> opt.step(p, g)
    >>> p["w"].round(4)  # b = 0.9·1 + 1 = 1.9: 0.9 - 0.1·1.9
    array([0.71])
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

    def slot_names(self) -> set[str]:
        return {"momentum_buffer"} if self.momentum else set()

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        xp, f, work = self.xp, p.dtype.type, self._work
        if self.momentum:
            b = state.get("momentum_buffer")
            if b is None:
                b = state["momentum_buffer"] = g.copy()
            else:
                b *= f(self.momentum)
                b += g
            if self.nesterov:
                g = xp.add(g, xp.multiply(b, f(self.momentum), out=work), out=work)  # g + μ·b
            else:
                g = b
        p -= xp.multiply(g, f(self.lr), out=work)  # lr·g

    def get_config(self) -> dict[str, Any]:
        return {"lr": self.lr, "momentum": self.momentum, "nesterov": self.nesterov,
                "weight_decay": self.weight_decay}


class Adam(Optimizer):
    """Adam (Kingma & Ba), as torch.optim.Adam:

    m ← β1·m + (1-β1)·g;   v ← β2·v + (1-β2)·g²;
    m̂ = m / (1-β1^t);   v̂ = v / (1-β2^t);   p ← p - lr · m̂ / (sqrt(v̂) + ε)

    For speed the moments are kept as exponentially weighted *sums*, M = m/(1-β1) and
    V = v/(1-β2) (``state["m_sum"]``, ``state["v_sum"]``): M ← β1·M + g and V ← β2·V + g²
    need no multiplication by (1-β). m̂ and v̂ are then M and V times scalars, which the
    step applies once: the same update as torch's to rounding, in 10 elementwise passes
    instead of 13.

    >>> import numpy as np
    >>> p, g = {"w": np.ones(3)}, {"w": np.array([0.5, -1.0, 0.0])}
    >>> Adam(lr=0.1).step(p, g)
    >>> p["w"].round(4).tolist()  # the first step moves each weight by lr·sign(g)
    [0.9, 1.1, 1.0]
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

    def slot_names(self) -> set[str]:
        return {"m_sum", "v_sum"}

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        if not state:
            state["m_sum"] = backend.zeros(p.shape, p.dtype, self.xp)
            state["v_sum"] = backend.zeros(p.shape, p.dtype, self.xp)
        M, V, t = state["m_sum"], state["v_sum"], self.iterations
        xp, b1, b2, f, work = self.xp, self.beta1, self.beta2, p.dtype.type, self._work
        M *= f(b1)
        M += g  # M ← β1·M + g
        V *= f(b2)
        V += xp.multiply(g, g, out=work)  # V ← β2·V + g²
        c1 = (1 - b1) / (1 - b1**t)  # m̂ = m/(1-β1^t) = c1·M
        c2 = (1 - b2) / (1 - b2**t)  # v̂ = v/(1-β2^t) = c2·V
        # lr·m̂/(sqrt(v̂) + ε) = lr·c1/sqrt(c2) · M/(sqrt(V) + ε/sqrt(c2)): scalars applied once
        denom = xp.sqrt(V, out=work)
        denom += f(self.eps / math.sqrt(c2))
        update = xp.divide(M, denom, out=work)
        update *= f(self.lr * c1 / math.sqrt(c2))
        p -= update  # p ← p - lr·m̂/(sqrt(v̂) + ε)

    def get_config(self) -> dict[str, Any]:
        return {"lr": self.lr, "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps,
                "weight_decay": self.weight_decay}


class RMSProp(Optimizer):
    """RMSProp, as torch.optim.RMSprop (not centered):

    s ← ρ·s + (1-ρ)·g²;   u = g / (sqrt(s) + ε);
    with momentum: b ← μ·b + u, p ← p - lr·b;   without: p ← p - lr·u

    >>> import numpy as np
    >>> p, g = {"w": np.ones(3)}, {"w": np.array([0.5, -2.0, 0.0])}
    >>> RMSProp(lr=0.01).step(p, g)
    >>> p["w"].round(4).tolist()  # first step: s = (1-ρ)·g², so u = sign(g)/sqrt(1-ρ) = ±10
    [0.9, 1.1, 1.0]
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

    def slot_names(self) -> set[str]:
        return {"square_avg", "momentum_buffer"} if self.momentum else {"square_avg"}

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        xp, f, work = self.xp, p.dtype.type, self._work
        if not state:
            state["square_avg"] = backend.zeros(p.shape, p.dtype, self.xp)
            if self.momentum:
                state["momentum_buffer"] = backend.zeros(p.shape, p.dtype, self.xp)
        s = state["square_avg"]
        s *= f(self.rho)
        g2 = xp.multiply(g, g, out=work)
        s += xp.multiply(g2, f(1 - self.rho), out=work)  # (1-ρ)·g²
        denom = xp.sqrt(s, out=work)
        denom += f(self.eps)
        u = xp.divide(g, denom, out=work)  # g / (sqrt(s) + ε)
        if self.momentum:
            b = state["momentum_buffer"]
            b *= f(self.momentum)
            b += u
            u = b
        p -= xp.multiply(u, f(self.lr), out=work)

    def get_config(self) -> dict[str, Any]:
        return {"lr": self.lr, "rho": self.rho, "eps": self.eps, "momentum": self.momentum,
                "weight_decay": self.weight_decay}


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam, "rmsprop": RMSProp}


def get(optimizer: str | Optimizer) -> Optimizer:
    """An optimizer by name with its defaults (``"sgd"``, ``"adam"``, ``"rmsprop"``), or an
    Optimizer object as it is.

    >>> get("SGD")
    SGD(lr=0.01, momentum=0.0, nesterov=False, weight_decay=0.0)
    >>> adam = Adam(lr=0.01)
    >>> get(adam) is adam
    True
    >>> get("lbfgs")
    Traceback (most recent call last):
    ...
    ValueError: unknown optimizer 'lbfgs'; choose one of 'sgd', 'adam', 'rmsprop'
    """
    if isinstance(optimizer, Optimizer):
        return optimizer
    return lookup("optimizer", optimizer, OPTIMIZERS)()
