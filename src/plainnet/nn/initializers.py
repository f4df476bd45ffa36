"""Weight initializers: ``init(fan_in, fan_out, rng) -> W`` with W of shape (fan_in, fan_out).

Biases always start at zero. The names follow the tutorials and the usual frameworks:

======================  =========================================  ======================
name                    distribution                               used by
======================  =========================================  ======================
``"normal"``            N(0, 1)                                    the first tutorial
``"scaled_normal"``     N(0, 1) / sqrt(fan_in)                     network2.py
``"small_normal"``      0.01 · N(0, 1)                             the third tutorial
``"glorot_uniform"``    U(-a, a), a = sqrt(6 / (fan_in + fan_out))  Keras' default (tanh)
``"glorot_normal"``     N(0, 2 / (fan_in + fan_out))               tanh, sigmoid
``"he_normal"``         N(0, 2 / fan_in)                           ReLU (our default)
``"he_uniform"``        U(-a, a), a = sqrt(6 / fan_in)             ReLU
======================  =========================================  ======================
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..checks import lookup

Initializer = Callable[[int, int, np.random.Generator], np.ndarray]


def normal(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal((fan_in, fan_out))


def scaled_normal(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)


def small_normal(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    return 0.01 * rng.standard_normal((fan_in, fan_out))


def glorot_uniform(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, (fan_in, fan_out))


def glorot_normal(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / (fan_in + fan_out))


def he_normal(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)


def he_uniform(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    a = np.sqrt(6.0 / fan_in)
    return rng.uniform(-a, a, (fan_in, fan_out))


INITIALIZERS: dict[str, Initializer] = {
    "normal": normal,
    "scaled_normal": scaled_normal,
    "small_normal": small_normal,
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
}


def get(init: str | Initializer) -> Initializer:
    """An initializer by name, or a callable ``(fan_in, fan_out, rng) -> array`` as it is."""
    if callable(init):
        return init
    return lookup("initializer", init, INITIALIZERS)
