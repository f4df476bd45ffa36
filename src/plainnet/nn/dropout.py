"""Dropout: inverted dropout, active only while training."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..checks import check_number
from .layer import Layer


class Dropout(Layer):
    """Inverted dropout: in training, zero each input with probability ``rate`` and scale the
    rest by 1/(1 - rate), so that nothing changes at prediction time. Any input shape.

    >>> import numpy as np
    >>> drop = Dropout(0.5, seed=0)
    >>> a = drop.forward(np.ones((2, 3, 4), dtype=np.float32), training=True)
    >>> sorted(set(a.ravel().tolist()))
    [0.0, 2.0]
    >>> drop.forward(np.ones((2, 3)), training=False).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """

    def __init__(self, rate: float = 0.5, seed: int | np.random.Generator | None = None) -> None:
        super().__init__()
        self.rate = float(check_number("rate", rate, low=0.0, high=1.0, high_open=True))
        self.seed = seed
        #: the generator of the masks; a model file keeps its state
        self.rng = backend.rng(seed)
        self._mask: Any = None

    def reseed(self, seed: Any) -> None:
        self.rng = backend.rng(seed)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if not training:  # a prediction leaves the training state alone
            return x
        if self.rate == 0.0:
            self._mask = None
            return x
        u = self.rng.random(x.shape, dtype=x.dtype, out=self.scratch("mask", x.shape, x.dtype))
        keep = np.greater_equal(u, self.rate, out=self.scratch("keep", x.shape, bool))
        self._mask = np.divide(keep, x.dtype.type(1.0 - self.rate), out=u)  # kept: 1/(1 - rate)
        return np.multiply(x, self._mask, out=self.scratch("a", x.shape, x.dtype))

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        if self._mask is None:
            return grad
        return np.multiply(grad, self._mask, out=self.scratch("dx", grad.shape, grad.dtype))

    def get_config(self) -> dict[str, Any]:
        return {"rate": self.rate}
