"""Layer: the base class of everything with a forward and a backward pass.

A layer maps ``x: (n, *input_shape)`` to ``(n, *output_shape)``; shapes never include
the sample axis. ``forward(x, training)`` remembers what the backward pass needs;
``backward(grad)`` takes dL/d(output) and returns dL/d(input), filling ``grads`` on the
way. A layer owns three dicts of arrays:

- ``params``: what the optimizer trains (``W``, ``b``, ``gamma``, ...);
- ``grads``: dL/d(param) after a backward pass, same keys and shapes as ``params``;
- ``state``: arrays that are not trained but belong to the model (running statistics);
  they are cast, saved, loaded and moved with the layer.

A layer that draws random numbers while training keeps its ``numpy.random.Generator`` as
``rng`` (Dropout does; see :func:`random_generator`): a model file saves its state, and
:func:`plainnet.gradcheck` resets it so that every evaluation draws the same masks.

In training mode a layer writes into buffers it owns, allocated once per batch shape
through :mod:`plainnet.backend`: the arrays it returns stay valid until its next call.
With ``training=False`` a call remembers nothing and never writes into those buffers (it
returns a new array, or its input or a view of it where it computes nothing).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from .. import backend
from ..backend import Buffers
from ..checks import check_dtype

Shape = tuple[int, ...]


class Layer(Buffers):
    """Base class. Subclasses write ``forward`` and ``backward``, and where they change the
    shape or hold arrays, ``output_shape``, ``get_config`` and ``array_shapes``.

    >>> import numpy as np
    >>> from plainnet import ReLU
    >>> relu = ReLU()
    >>> relu.forward(np.array([[-1.0, 2.0]])).tolist()
    [[0.0, 2.0]]
    >>> relu.output_shape((2,)), relu.training  # a Network sets ``training`` as it runs it
    ((2,), False)
    """

    #: parameters that weight decay (L2) applies to; biases are left out, as is usual
    decayed: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}
        self.grads: dict[str, Any] = {}
        self.state: dict[str, Any] = {}
        #: whether the network is training: set by the Network before each pass, for every
        #: layer; ``forward`` gets the same flag as its argument
        self.training = False
        #: the seed the layer was built with; None lets a Network seed it
        self.seed: Any = None
        #: True until a Network takes the layer: a network seeds only fresh layers, never
        #: weights that were trained, loaded or seeded before
        self.fresh = True
        self.clear_buffers()

    # --- the math --------------------------------------------------------------------------

    def forward(self, x: Any, training: bool = False) -> Any:
        """The layer's output for ``x: (n, *input_shape)``."""
        raise NotImplementedError

    def backward(self, grad: Any, need_input_grad: bool = True) -> Any:
        """dL/d(input) from ``grad`` = dL/d(output). A layer with parameters fills ``grads``;
        it may return None when ``need_input_grad`` is False (nobody needs dL/d(input))."""
        raise NotImplementedError

    # --- shapes ----------------------------------------------------------------------------

    def output_shape(self, input_shape: Shape) -> Shape:
        """The shape of one output sample for one input sample of ``input_shape`` (without
        the sample axis); raises ValueError when the layer cannot take that shape."""
        return tuple(input_shape)

    @property
    def input_shape(self) -> Shape | None:
        """The one input shape this layer takes, when its parameters fix it (a Dense layer's
        ``(fan_in,)``); None when it takes any."""
        return None

    @classmethod
    def array_shapes(cls, config: dict[str, Any]) -> dict[str, dict[str, Shape]]:
        """``{"params": {key: shape}, "state": {key: shape}}`` of a layer built from
        ``config``, worked out without building it (so that a model file's arrays can be
        checked before anything is allocated). This default builds the layer, so a layer
        with large arrays must override it with the arithmetic (as Dense does); without that,
        a forged config could make loading allocate what it declares."""
        layer = cls(**config)
        return {"params": {k: tuple(p.shape) for k, p in layer.params.items()},
                "state": {k: tuple(s.shape) for k, s in layer.state.items()}}

    # --- arrays ----------------------------------------------------------------------------

    @property
    def n_params(self) -> int:
        return sum(int(p.size) for p in self.params.values())

    def map_arrays(self, fn: Callable[[Any], Any], library: str | None = None) -> Layer:
        """Replace every parameter, gradient and state array ``a`` by ``fn(a)`` (a cast, a
        move to another device) and drop the scratch buffers, which were of the old kind.
        New ones come from the array library called ``library`` when given (a move: a
        layer without arrays, such as ReLU, learns where it now runs), else from that of
        the new arrays (a cast keeps the layer where it is)."""
        for arrays in (self.params, self.grads, self.state):
            for key in arrays:
                arrays[key] = fn(arrays[key])
        if library is not None:
            self.array_library = library
        elif self.params or self.state:
            self.array_library = backend.array_module(*self.params.values(),
                                                      *self.state.values()).__name__
        self.clear_buffers()
        return self

    def astype(self, dtype: Any) -> Layer:
        """Cast parameters, gradients and state to ``dtype`` (no copy when they already are).
        State arrays are floating, as parameters are: a network casts them all."""
        dt = check_dtype(dtype)
        return self.map_arrays(lambda a: a.astype(dt, copy=False))

    # --- randomness and rebuilding ---------------------------------------------------------

    def reseed(self, seed: Any) -> None:
        """Draw the layer's random numbers from ``seed`` from now on: its initial weights
        (drawn again) and its generator, if it has one (Dropout does)."""

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments that rebuild this layer (without its weights): plain JSON
        values only."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def random_generator(layer: Layer) -> np.random.Generator | None:
    """The generator ``layer`` draws its random numbers from while training (its ``rng``),
    None for a layer that draws none.

    >>> from plainnet import Dropout, ReLU
    >>> random_generator(Dropout(0.5, seed=0)) is not None, random_generator(ReLU())
    (True, None)
    """
    rng = getattr(layer, "rng", None)
    return rng if isinstance(rng, np.random.Generator) else None


def flat_size(shape: Shape) -> int:
    """Values in one sample of ``shape``: ∏ shape."""
    return math.prod(int(d) for d in shape)


def check_input_shape(layer: Layer, input_shape: Shape, expected: Shape) -> None:
    """Refuse an input shape that is not ``expected``, naming the layer (and suggesting
    Flatten when the values would fit as one row)."""
    got, expected = tuple(input_shape), tuple(expected)
    if got != expected:
        hint = ("; put Flatten() before it" if len(got) > 1 and len(expected) == 1
                and flat_size(got) == expected[0] else "")
        raise ValueError(f"{layer!r} takes inputs of shape {expected}, but is given "
                         f"{got}{hint}")

