"""Weight initializers: ``init(shape, rng) -> W``, for a weight of any shape.

Biases always start at zero. A weight's fans come from its shape (:func:`fans`): a dense
``W: (fan_in, fan_out)``, or a convolution kernel ``(out_channels, in_channels, kh, kw)``
with fan_in = in_channels·kh·kw and fan_out = out_channels·kh·kw, as PyTorch counts them.
The names follow the tutorials and the usual frameworks:

======================  ============================================  ======================
name                    distribution                                  used by
======================  ============================================  ======================
``"normal"``            N(0, 1)                                       the first tutorial
``"scaled_normal"``     N(0, 1) / sqrt(fan_in)                        network2.py
``"small_normal"``      0.01 · N(0, 1)                                the third tutorial
``"glorot_uniform"``    U(-a, a), a = sqrt(6 / (fan_in + fan_out))    Keras' default (tanh)
``"glorot_normal"``     N(0, 2 / (fan_in + fan_out))                  tanh, sigmoid
``"he_normal"``         N(0, 2 / fan_in)                              ReLU (our default)
``"he_uniform"``        U(-a, a), a = sqrt(6 / fan_in)                ReLU
======================  ============================================  ======================

>>> import numpy as np
>>> he_normal((3, 2), np.random.default_rng(0)).shape
(3, 2)
>>> fans((16, 3, 5, 5))
(75, 400)
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend
from ..checks import lookup

Shape = tuple[int, ...]
Initializer = Callable[[Shape, np.random.Generator], np.ndarray]


def fans(shape: Shape) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight: ``(fan_in, fan_out)`` for a dense one; for a kernel
    ``(out, in, *window)``, in·∏window and out·∏window.

    >>> fans((784, 30)), fans((16, 3, 5, 5))
    ((784, 30), (75, 400))
    """
    if len(shape) < 2 or min(shape) < 1:
        raise ValueError(f"a weight needs at least 2 dimensions, each of at least 1, to have "
                         f"fans; got shape {tuple(shape)}")
    if len(shape) == 2:
        return int(shape[0]), int(shape[1])
    window = math.prod(shape[2:])
    return int(shape[1]) * window, int(shape[0]) * window


def normal(shape: Shape, rng: np.random.Generator) -> np.ndarray:
    """W ~ N(0, 1): the fans play no part.

    >>> import numpy as np
    >>> W = normal((200, 100), np.random.default_rng(0))
    >>> W.shape, round(float(W.std()), 2)
    ((200, 100), 1.0)
    """
    return rng.standard_normal(shape)


def scaled_normal(shape: Shape, rng: np.random.Generator) -> np.ndarray:
    """W ~ N(0, 1) / sqrt(fan_in), that is N(0, σ²) with σ² = 1 / fan_in.

    >>> import numpy as np
    >>> W = scaled_normal((400, 100), np.random.default_rng(0))
    >>> W.shape, round(float(W.std()), 3)  # σ = 1/sqrt(400)
    ((400, 100), 0.05)
    """
    fan_in, _ = fans(shape)
    return rng.standard_normal(shape) / np.sqrt(fan_in)


def small_normal(shape: Shape, rng: np.random.Generator) -> np.ndarray:
    """W ~ 0.01 · N(0, 1), that is σ = 0.01: the fans play no part.

    >>> import numpy as np
    >>> W = small_normal((200, 100), np.random.default_rng(0))
    >>> W.shape, round(float(W.std()), 3)
    ((200, 100), 0.01)
    """
    return 0.01 * rng.standard_normal(shape)


def glorot_uniform(shape: Shape, rng: np.random.Generator) -> np.ndarray:
    """W ~ U(-a, a) with a = sqrt(6 / (fan_in + fan_out)).

    >>> import numpy as np
    >>> W = glorot_uniform((400, 200), np.random.default_rng(0))
    >>> W.shape, round(float(abs(W).max()), 3)  # a = sqrt(6/600)
    ((400, 200), 0.1)
    """
    fan_in, fan_out = fans(shape)
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, shape)


def glorot_normal(shape: Shape, rng: np.random.Generator) -> np.ndarray:
    """W ~ N(0, σ²) with σ² = 2 / (fan_in + fan_out).

    >>> import numpy as np
    >>> W = glorot_normal((300, 100), np.random.default_rng(0))
    >>> W.shape, round(float(W.std()), 3)  # σ = sqrt(2/400)
    ((300, 100), 0.071)
    """
    fan_in, fan_out = fans(shape)
    return rng.standard_normal(shape) * np.sqrt(2.0 / (fan_in + fan_out))


def he_normal(shape: Shape, rng: np.random.Generator) -> np.ndarray:
    """W ~ N(0, σ²) with σ² = 2 / fan_in.

    >>> import numpy as np
    >>> W = he_normal((16, 3, 5, 5), np.random.default_rng(0))
    >>> W.shape, round(float(W.std()), 2)  # σ = sqrt(2/75): fan_in = 3·5·5
    ((16, 3, 5, 5), 0.16)
    """
    fan_in, _ = fans(shape)
    return rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)


def he_uniform(shape: Shape, rng: np.random.Generator) -> np.ndarray:
    """W ~ U(-a, a) with a = sqrt(6 / fan_in).

    >>> import numpy as np
    >>> W = he_uniform((600, 100), np.random.default_rng(0))
    >>> W.shape, round(float(abs(W).max()), 3)  # a = sqrt(6/600)
    ((600, 100), 0.1)
    """
    fan_in, _ = fans(shape)
    a = np.sqrt(6.0 / fan_in)
    return rng.uniform(-a, a, shape)


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
    """An initializer by name, or a callable ``(shape, rng) -> array`` as it is.

    >>> get("he_normal") is he_normal, get("Glorot-Uniform") is glorot_uniform
    (True, True)
    >>> get("xavier")
    Traceback (most recent call last):
    ...
    ValueError: unknown initializer 'xavier'; choose one of 'normal', ...
    """
    if callable(init):
        return init
    return lookup("initializer", init, INITIALIZERS)


def _positional_parameters(fn: Callable[..., Any]) -> int | None:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature
        return None
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)


def draw(init: str | Initializer, shape: Shape, rng: np.random.Generator) -> np.ndarray:
    """A weight of ``shape`` drawn by ``init`` (a name or a callable), checked for shape.

    Returns a NumPy array of ``shape``; a callable that returns another shape is refused.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> draw("glorot_uniform", (3, 2), rng).shape
    (3, 2)
    >>> draw(lambda shape, rng: np.full(shape, 0.5), [2, 2], rng).tolist()
    [[0.5, 0.5], [0.5, 0.5]]
    >>> draw(lambda shape, rng: np.zeros(3), (3, 2), rng)
    Traceback (most recent call last):
    ...
    ValueError: initializer <function <lambda> at ...> returned shape (3,), expected (3, 2)
    """
    draw_fn = get(init)
    try:
        W = backend.to_numpy(draw_fn(tuple(shape), rng))  # drawn on the host, moved by the layer
    except TypeError:
        if _positional_parameters(draw_fn) == 3:  # plainnet 0.1's (fan_in, fan_out, rng)
            raise TypeError(f"initializer {init!r} takes (fan_in, fan_out, rng); initializers "
                            "now take (shape, rng) and draw a weight of that shape (fans: "
                            "plainnet.nn.initializers.fans(shape))") from None
        raise
    if W.shape != tuple(shape):
        raise ValueError(f"initializer {init!r} returned shape {W.shape}, expected {tuple(shape)}")
    return W
