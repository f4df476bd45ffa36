"""Scratch arrays allocated once per shape: the hot loop writes into them with ``out=``."""

from __future__ import annotations

from typing import Any

import numpy as np


class Buffers:
    """Mixin: ``self._buffer(key, shape, dtype)`` returns the same array until the shape or
    dtype asked for changes (a new batch size, a last partial batch, a cast)."""

    _buffers: dict[str, np.ndarray]

    def _buffer(self, key: str, shape: tuple[int, ...], dtype: Any,
                fill: float | None = None) -> np.ndarray:
        """A scratch array owned by this object. Its contents are whatever was last written,
        except that a new one is filled with ``fill`` when given (for constant buffers)."""
        try:
            buffers = self._buffers
        except AttributeError:  # a subclass that did not create it in __init__
            buffers = self._buffers = {}
        buf = buffers.get(key)
        if buf is not None and buf.shape == shape and (buf.dtype is dtype or buf.dtype == dtype):
            return buf  # the hot path: `is` first, as dtype equality is a slow comparison
        buf = np.empty(shape, dtype) if fill is None else np.full(shape, fill, dtype)
        buffers[key] = buf
        return buf
