"""Dropout: inverted dropout, active only while training."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..checks import check_number
from .layer import Layer


class Dropout(Layer):
    """Inverted dropout: in training, zero each input with probability ``rate`` and scale the
    rest by 1/(1 - rate), so that nothing changes at prediction time."""

    def __init__(self, rate: float = 0.5, seed: int | np.random.Generator | None = None) -> None:
        super().__init__()
        self.rate = float(check_number("rate", rate, low=0.0, high=1.0, high_open=True))
        self._rng = np.random.default_rng(seed)
        self._mask: np.ndarray | None = None

    def reseed(self, seed: Any) -> None:
        self._rng = np.random.default_rng(seed)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if not training:  # a prediction leaves the training state alone
            return x
        if self.rate == 0.0:
            self._mask = None
            return x
        u = self._rng.random(x.shape, dtype=x.dtype, out=self._buffer("mask", x.shape, x.dtype))
        keep = np.greater_equal(u, self.rate, out=self._buffer("keep", x.shape, bool))
        self._mask = np.divide(keep, x.dtype.type(1.0 - self.rate), out=u)  # kept: 1/(1 - rate)
        return np.multiply(x, self._mask, out=self._buffer("a", x.shape, x.dtype))

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        if self._mask is None:
            return grad
        return np.multiply(grad, self._mask, out=self._buffer("dx", grad.shape, grad.dtype))

    def get_config(self) -> dict[str, Any]:
        return {"rate": self.rate}
