"""Finite-difference gradient checking, for tests and for learners.

For every parameter p, the analytic gradient from backpropagation is compared with
the central difference (L(p + ε) - L(p - ε)) / 2ε, one entry at a time. The
relative error ‖g_analytic - g_numeric‖ / (‖g_analytic‖ + ‖g_numeric‖) is below
1e-6 in float64 when backpropagation is right.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from .network import Network
from .nn.layer import random_generator


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """‖a - b‖ / (‖a‖ + ‖b‖), and 0.0 when both are zero."""
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def numeric_gradient(f: Any, x: np.ndarray, eps: float = 1e-6,
                     entries: np.ndarray | None = None) -> np.ndarray:
    """Central differences of the scalar ``f()`` with respect to ``x``, changed in place and
    restored. Only the flat ``entries`` are computed (all by default); the rest stay 0."""
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size) if entries is None else entries:
        saved = flat[i]
        flat[i] = saved + eps
        plus = f()
        flat[i] = saved - eps
        minus = f()
        flat[i] = saved
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


def gradcheck(network: Network, X: Any, y: Any, eps: float = 1e-6,
              max_entries: int | None = 200, seed: int = 0) -> dict[str, float]:
    """Relative error between backprop and central differences, per parameter name.

    Works on a float64 copy of ``network`` (the original is untouched). At most
    ``max_entries`` entries per parameter are checked, drawn at random with ``seed``;
    ``None`` checks them all.

    >>> import numpy as np
    >>> from plainnet import mlp
    >>> net = mlp([3, 4, 2], seed=0)
    >>> X = np.random.default_rng(0).normal(size=(5, 3))
    >>> errors = gradcheck(net, X, [0, 1, 0, 1, 1])
    >>> all(e < 1e-6 for e in errors.values())
    True
    """
    # a network of copies of the layers: the constructor casts them and sets the dtype
    net = Network(copy.deepcopy(network.layers), loss=network.loss, dtype="float64",
                  input_shape=network.input_shape)
    X, T = net.prepare(X, y)
    net.set_task(T)
    rng = np.random.default_rng(seed)

    def same_masks() -> None:  # the same dropout masks in every forward pass
        for i, layer in enumerate(net.layers):
            if random_generator(layer) is not None:
                layer.rng = np.random.default_rng(i)

    def loss() -> float:
        same_masks()
        return net.loss_value(net.forward_to_loss(X, training=True), T)

    same_masks()
    net.compute_gradients(X, T)
    analytic = {name: g.copy() for name, g in net.gradients().items()}
    errors = {}
    for name, p in net.parameters().items():
        entries = None
        if max_entries is not None and p.size > max_entries:
            entries = rng.choice(p.size, size=max_entries, replace=False)
        numeric = numeric_gradient(loss, p, eps, entries)
        a = analytic[name] if entries is None else analytic[name].reshape(-1)[entries]
        n = numeric if entries is None else numeric.reshape(-1)[entries]
        errors[name] = relative_error(a, n)
    return errors
