"""Two-dimensional toy problems for the Learn page: circles, moons, XOR and spirals.

Each generator draws ``n`` points ``X: (n, 2)`` with labels ``y: (n,)`` of 0/1 from a
``numpy.random.Generator``, then adds Gaussian noise of standard deviation ``noise`` to the
coordinates. The classes alternate, so every set is balanced.

These differ on purpose from :mod:`plainnet.datasets`' scikit-learn sets (fixed seed 0): the
inner circle has radius 0.5 (make_circles: 0.8), a gap wide enough to watch; every request draws
from its own seed; the moons are centred; and XOR and spirals are added.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..datasets.splits import train_val_split

Generator = Callable[[int, float, np.random.Generator], tuple[np.ndarray, np.ndarray]]


def _labels(n: int) -> np.ndarray:
    return np.arange(n) % 2


def _with_noise(X: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    return X + noise * rng.standard_normal(X.shape)


def circles(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Class 0 on the unit circle, class 1 on a circle of radius 0.5 inside it."""
    y = _labels(n)
    angle = rng.uniform(0.0, 2 * np.pi, n)
    radius = np.where(y == 1, 0.5, 1.0)
    X = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    return _with_noise(X, noise, rng), y


def moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, as scikit-learn's make_moons, centred on the origin."""
    y = _labels(n)
    t = rng.uniform(0.0, np.pi, n)
    upper = np.column_stack([np.cos(t), np.sin(t)])
    lower = np.column_stack([1.0 - np.cos(t), 0.5 - np.sin(t)])
    X = np.where((y == 0)[:, None], upper, lower) - [0.5, 0.25]
    return _with_noise(X, noise, rng), y


def xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Points in the square [-1, 1]²; class 1 where x₁ and x₂ have the same sign."""
    y = _labels(n)
    X = rng.uniform(0.05, 1.0, (n, 2))  # a small gap keeps the quadrants apart before noise
    same_sign = rng.choice([-1.0, 1.0], n)
    X[:, 0] *= same_sign
    X[:, 1] *= np.where(y == 1, same_sign, -same_sign)
    return _with_noise(X, noise, rng), y


def spirals(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals of 1.75 turns: class k is the other turned by k·π."""
    y = _labels(n)
    t = np.sqrt(rng.uniform(0.0, 1.0, n))  # sqrt: even density along the arm
    angle = t * 1.75 * 2 * np.pi + y * np.pi
    X = t[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    return _with_noise(X, noise, rng), y


DATASETS: dict[str, Generator] = {"circles": circles, "moons": moons, "xor": xor,
                                  "spirals": spirals}


def make(name: str, n_samples: int, noise: float, test_fraction: float, seed: int
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(X_train, y_train, X_test, y_test)``: ``n_samples`` points in all, split at random
    with each class giving ``round(test_fraction * n_class)`` points to the test part.

    X: (n, 2) float32, y: (n,) int64. The same arguments give the same points.
    """
    rng = np.random.default_rng(seed)
    X, y = DATASETS[name](n_samples, noise, rng)
    split_seed = int(rng.integers(2**32))  # the split goes on from the same seeded stream
    (X_train, y_train), (X_test, y_test) = train_val_split(
        X.astype(np.float32), y.astype(np.int64), val_fraction=test_fraction, seed=split_seed)
    return X_train, y_train, X_test, y_test
