"""Everything with a forward and a backward pass: the learner's folder.

``layer.py`` (the base class), ``dense.py`` (Dense, Flatten), ``dropout.py``,
``activations.py``, ``losses.py``, ``initializers.py`` and ``functional.py`` (the stable
sigmoid, softmax and log-softmax they share).

Model files name each layer by its registered type name; :func:`register` adds a class of
your own, so that networks using it can be saved and loaded. Nothing is ever imported or
looked up by a name read from a file beyond this registry.

>>> import numpy as np
>>> from plainnet.nn import Layer, register, registered
>>> @register
... class Double(Layer):
...     def forward(self, x, training=False):
...         return 2 * x
...     def backward(self, grad, need_input_grad=True):
...         return 2 * grad
>>> registered("Double") is Double
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, overload

from .activations import Exp, Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .dense import Dense, Flatten
from .dropout import Dropout
from .layer import Layer

L = TypeVar("L", bound=type[Layer])

#: registered type name -> layer class; model files name layers by these names
_REGISTRY: dict[str, type[Layer]] = {}


@overload
def register(cls: L, name: str | None = None) -> L: ...
@overload
def register(cls: None = None, name: str | None = None) -> Callable[[L], L]: ...


def register(cls: L | None = None, name: str | None = None) -> L | Callable[[L], L]:
    """Register a Layer subclass under ``name`` (its class name by default), so that model
    files can hold it. Use it as a call, ``register(MyLayer)``, or as a decorator,
    ``@register`` or ``@register(name="my_layer")``. Its ``get_config()`` must return the
    constructor arguments as plain JSON values. A layer with parameters or state should
    also give ``array_shapes(config)`` (see :meth:`Layer.array_shapes`): without it,
    loading builds the layer from the file's config to learn its shapes, so a forged config
    could make loading allocate what it declares before the arrays are checked.

    A name taken by another class is refused; a class defined again under the same module
    and name (a notebook cell run twice) replaces its earlier version.
    """
    if cls is None:
        return lambda c: register(c, name)
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise TypeError(f"register takes a Layer subclass, got {cls!r}")
    name = cls.__name__ if name is None else name
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"a layer's registered name must be an identifier, got {name!r}")
    taken = _REGISTRY.get(name)
    if taken is not None and (taken.__module__, taken.__qualname__) != (cls.__module__,
                                                                         cls.__qualname__):
        raise ValueError(f"the layer name {name!r} is taken by {taken.__module__}."
                         f"{taken.__qualname__}; register {cls.__qualname__} under another "
                         f"name: register(cls, name=...)")
    _REGISTRY[name] = cls
    return cls


def registered(name: str) -> type[Layer]:
    """The layer class registered under ``name``; a ValueError listing the names if none.

    >>> registered("Dense").__name__
    'Dense'
    """
    cls = _REGISTRY.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ValueError(f"unknown layer type {name!r}: it is not registered (known: "
                         f"{', '.join(sorted(_REGISTRY))}); register your own class with "
                         f"plainnet.nn.register")
    return cls


def registered_name(layer: Layer) -> str | None:
    """The name ``layer``'s class is registered under, None if it is not.

    >>> registered_name(Dense(2, 3)), registered_name(Layer())
    ('Dense', None)
    """
    cls = type(layer)
    return next((name for name, c in _REGISTRY.items() if c is cls), None)


for _cls in (Dense, Flatten, Dropout, ReLU, LeakyReLU, Sigmoid, Tanh, Softmax, Identity, Exp):
    register(_cls)

__all__ = ["Dense", "Dropout", "Exp", "Flatten", "Identity", "Layer", "LeakyReLU", "ReLU",
           "Sigmoid", "Softmax", "Tanh", "register", "registered", "registered_name"]
