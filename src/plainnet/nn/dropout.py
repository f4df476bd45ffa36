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
        self._device_rng: Any = None

    def reseed(self, seed: Any) -> None:
        self.rng = backend.rng(seed)
        self._device_rng = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if not training:  # a prediction leaves the training state alone
            return x
        if self.rate == 0.0:
            self._mask = None
            return x
        xp = self.xp
        u = backend.uniform(self._generator(), self.scratch("mask", x.shape, x.dtype))
        keep = xp.greater_equal(u, self.rate, out=self.scratch("keep", x.shape, bool))
        self._mask = xp.divide(keep, x.dtype.type(1.0 - self.rate), out=u)  # kept: 1/(1 - rate)
        return xp.multiply(x, self._mask, out=self.scratch("a", x.shape, x.dtype))

    def _generator(self) -> Any:
        """Where the masks are drawn: ``rng`` itself on the host; on a device, a generator
        there, seeded once from ``rng`` (masks drawn on the host would cost a transfer a batch).
        """
        if self.array_library == "numpy":
            return self.rng
        cached = self._device_rng  # (library, the rng it was seeded from, the generator)
        if cached is None or cached[0] != self.array_library or cached[1] is not self.rng:
            cached = self._device_rng = (self.array_library, self.rng,
                                         backend.device_rng(self.rng, self.array_library))
        return cached[2]

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        if self._mask is None:
            return grad
        return self.xp.multiply(grad, self._mask, out=self.scratch("dx", grad.shape, grad.dtype))

    def get_config(self) -> dict[str, Any]:
        return {"rate": self.rate}
