"""Full-batch training by L-BFGS, as scikit-learn's MLPs do with ``solver="lbfgs"``.

Every parameter, flattened into one float64 vector θ (:class:`FlatParameters`, the one
place that packs and unpacks them), goes to ``scipy.optimize.minimize(method="L-BFGS-B",
jac=True)`` with the loss and its gradient over the whole training set:

    L(θ) = loss(network(X; θ), T) + ½·weight_decay·Σ ‖W‖²,   ∇L = ∇loss + weight_decay·W

(the biases, in :meth:`Network.no_decay`, are not decayed). The options are scikit-learn's:
``maxiter=max_iter``, ``maxfun=max_fun``, ``gtol=tol``. SciPy is imported when a fit starts,
so ``import plainnet`` does not pay for it.

The layers run in training mode, as in any fit: a Dropout layer would draw a new mask at
every evaluation and make L(θ) random, which L-BFGS cannot work with; leave dropout out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import backend
from ..checks import check_number
from .history import History

if TYPE_CHECKING:
    from ..network import Network


class FlatParameters:
    """Arrays seen as one float64 vector θ: :meth:`get` packs them, :meth:`set` writes θ
    back into them in place, :meth:`pack` packs others of the same shapes (their gradients).

    >>> import numpy as np
    >>> W, b = np.zeros((2, 2), dtype=np.float32), np.zeros(2, dtype=np.float32)
    >>> flat = FlatParameters([W, b])
    >>> flat.set(np.arange(6.0))
    >>> W.tolist(), b.tolist(), flat.get().dtype.name
    ([[0.0, 1.0], [2.0, 3.0]], [4.0, 5.0], 'float64')
    """

    def __init__(self, arrays: Sequence[Any]) -> None:
        self.arrays = list(arrays)
        ends = np.cumsum([a.size for a in self.arrays])
        self.slices = [slice(int(end - a.size), int(end)) for a, end in zip(self.arrays, ends,
                                                                           strict=True)]

    def pack(self, arrays: Sequence[Any]) -> np.ndarray:
        """``arrays`` (shaped as the parameters, in their order) as one float64 vector."""
        return np.concatenate([backend.to_numpy(a).ravel() for a in arrays]).astype(np.float64)

    def get(self) -> np.ndarray:
        """θ: the parameters as one float64 vector (a copy)."""
        return self.pack(self.arrays)

    def set(self, theta: np.ndarray) -> None:
        """Write θ into the parameters, in place (cast to their dtype)."""
        for a, part in zip(self.arrays, self.slices, strict=True):
            a[...] = backend.asarray(theta[part].reshape(a.shape), a.dtype,
                                     backend.array_module(a))


@dataclass
class LBFGSResult:
    """What a run of L-BFGS ended with: the history (one entry per iteration), the final
    loss with its weight-decay term, the iterations and loss evaluations it took, and
    whether it converged (else ``message`` says why it stopped)."""

    history: History
    loss: float
    n_iter: int
    n_fun: int
    converged: bool
    message: str


def objective(
    network: Network,
    X: Any,
    T: Any,
    *,
    sample_weight: Any = None,
    weight_decay: float = 0.0,
    order: Sequence[str] | None = None,
) -> tuple[FlatParameters, Callable[[np.ndarray], tuple[float, np.ndarray]]]:
    """The parameters as θ (in ``order``, :meth:`Network.parameters`' names; the network's
    order by default), and the function θ ↦ (L(θ), ∇L(θ)) that L-BFGS minimises: it writes θ
    into the network, runs forward and backward on all of ``X``, and packs the gradient.

    >>> import numpy as np
    >>> from plainnet import mlp
    >>> net = mlp([2, 2], output="identity", dtype="float64", seed=0)
    >>> X, T = net.prepare([[1.0, 0.0]], [[1.0, 1.0]])
    >>> flat, f = objective(net, X, T, order=["0.b", "0.W"])
    >>> loss, grad = f(np.zeros(6))  # θ = (b, W) = 0: the output is 0, the mse 1
    >>> loss, grad.tolist()  # ∂L/∂b = 2(0 - 1)/2, ∂L/∂W = x ∂L/∂b
    (1.0, [-1.0, -1.0, -1.0, -1.0, 0.0, 0.0])
    """
    check_number("weight_decay", weight_decay, low=0.0)
    params = network.parameters()
    names = list(params) if order is None else list(order)
    if sorted(names) != sorted(params):
        raise ValueError(f"order must name every parameter once: {sorted(params)}, got {names}")
    decayed = [name not in network.no_decay() for name in names] if weight_decay else []
    flat = FlatParameters([params[name] for name in names])
    # full batch: the data goes where the network is, once
    X, T = network.place(X), network.place(T)
    if sample_weight is not None:
        sample_weight = network.place(sample_weight)

    def loss_and_gradient(theta: np.ndarray) -> tuple[float, np.ndarray]:
        flat.set(theta)
        loss = network.compute_gradients(X, T, sample_weight)
        grads = network.gradients()
        g = [grads[name] for name in names]
        for i, decay in enumerate(decayed):
            if decay:  # ½·wd·‖W‖² in the loss, wd·W in the gradient
                W = flat.arrays[i]
                loss += 0.5 * weight_decay * float(backend.inner(W, W))
                g[i] = g[i] + W * W.dtype.type(weight_decay)
        return float(loss), flat.pack(g)

    return flat, loss_and_gradient


def minimize(
    network: Network,
    X: Any,
    T: Any,
    *,
    sample_weight: Any = None,
    weight_decay: float = 0.0,
    max_iter: int = 200,
    max_fun: int = 15000,
    tol: float = 1e-4,
    verbose: int = 0,
    order: Sequence[str] | None = None,
) -> LBFGSResult:
    """Train ``network`` on checked inputs ``X: (n, *input_shape)`` and targets
    ``T: (n, n_outputs)`` (``sample_weight: (n,)`` or None) by L-BFGS over the full batch;
    the parameters end at the best point found. ``order`` lists the parameter names (of
    :meth:`Network.parameters`) in the order θ holds them; the network's order by default.

    >>> import numpy as np
    >>> from plainnet import mlp
    >>> net = mlp([2, 8, 2], activation="tanh", dtype="float64", seed=0)
    >>> X, T = net.prepare([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0])
    >>> result = minimize(net, X, T, max_iter=100, tol=1e-8)
    >>> result.loss < 0.01, net.predict(X).tolist()
    (True, [0, 1, 1, 0])
    """
    check_number("max_iter", max_iter, low=1, integer=True)
    check_number("max_fun", max_fun, low=1, integer=True)
    check_number("tol", tol, low=0.0)
    import scipy.optimize  # here, not at the top: import plainnet stays fast

    flat, loss_and_gradient = objective(network, X, T, sample_weight=sample_weight,
                                        weight_decay=weight_decay, order=order)
    history = History()
    start = time.perf_counter()

    def record(intermediate_result: Any) -> None:
        nonlocal start
        history.append({"loss": intermediate_result.fun, "time": time.perf_counter() - start})
        start = time.perf_counter()
        if verbose:
            print(f"Iteration {len(history)}, loss = {intermediate_result.fun:.8f}", flush=True)

    result = scipy.optimize.minimize(
        loss_and_gradient, flat.get(), method="L-BFGS-B", jac=True, callback=record,
        options={"maxiter": int(max_iter), "maxfun": int(max_fun), "gtol": float(tol)})
    flat.set(result.x)  # the last evaluation may have been a trial point of a line search
    message = str(result.message)
    if not result.success:
        history.stop_reason = f"L-BFGS-B stopped before converging: {message}"
    return LBFGSResult(history=history, loss=float(result.fun), n_iter=int(result.nit),
                       n_fun=int(result.nfev), converged=bool(result.success), message=message)
