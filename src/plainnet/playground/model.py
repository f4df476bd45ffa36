"""The Draw page's model: a network that reads square images, from a file or trained at start-up.

Without ``--model`` the playground trains a small network on scikit-learn's 8x8 digits when it
starts (about a second), and the page says so.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import datasets
from ..datasets.images import image_shape
from ..network import Network, mlp
from ..nn.activations import Sigmoid, Softmax
from ..optimizers import Adam
from .drawing import preprocess


@dataclass
class DrawModel:
    """A classifier of (side, side) images with inputs in [0, 1], and how to describe it.

    Its outputs are softmax probabilities, or for a sigmoid output layer (as network2.py's
    models have) each class's own output, shown as it is."""

    network: Network
    image_shape: tuple[int, int]
    description: str
    source: str  # "file" or "startup"
    classes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.classes:
            self.classes = [str(k) for k in range(self.network.n_outputs)]

    def predict(self, ink: np.ndarray) -> dict[str, Any]:
        """Probabilities for a drawing (ink (h, w) in [0, 1]), with the input it became."""
        image = preprocess(ink, self.image_shape)
        p = np.round(self.network.predict_proba(image.reshape(1, -1))[0].astype(np.float64), 4)
        best = int(p.argmax())
        return {
            "class": best,
            "label": self.classes[best],
            "probability": float(p[best]),
            "probabilities": p.tolist(),
            "classes": self.classes,
            "input": np.round(image, 3).tolist(),
        }

    def info(self) -> dict[str, Any]:
        return {"description": self.description, "source": self.source,
                "image_shape": list(self.image_shape), "classes": self.classes}


def image_shape_of(network: Network) -> tuple[int, int]:
    """The square image a network reads: its recorded ``image_shape``, or the side whose square
    is its input width. ValueError when it does not read square images."""
    if network.metadata.get("image_shape") is not None:
        try:
            shape = image_shape(network.metadata)
        except (TypeError, ValueError):
            raise ValueError("the model's metadata has an unreadable image_shape "
                             f"{network.metadata['image_shape']!r}") from None
    elif len(network.input_shape) > 1:  # an image input, (1, rows, cols) or (rows, cols)
        shape = network.input_shape[-2:]
    else:  # e.g. a network2.py model: 784 inputs are 28x28
        side = math.isqrt(network.n_inputs)
        shape = (side, side)
    if shape[0] != shape[1] or shape[0] * shape[1] != network.n_inputs:
        raise ValueError(f"the Draw page needs a model of square grayscale images; this one "
                         f"takes {network.n_inputs} inputs (image_shape {shape})")
    if shape[0] < 8:
        raise ValueError(f"the Draw page needs images of at least 8x8 pixels, got {shape}")
    return shape


def from_network(network: Network, description: str) -> DrawModel:
    """A DrawModel for a loaded network, or ValueError when it cannot read drawings."""
    if not (isinstance(network.layers[-1], (Softmax, Sigmoid)) and network.n_outputs >= 2):
        raise ValueError("the Draw page needs a classifier with one softmax or sigmoid output "
                         f"per class, got {type(network.layers[-1]).__name__} with "
                         f"{network.n_outputs} output(s)")
    classes = network.metadata.get("classes")
    if not (isinstance(classes, list) and len(classes) == network.n_outputs):
        classes = []
    return DrawModel(network, image_shape_of(network), description, "file",
                     [str(c) for c in classes])


@functools.lru_cache(maxsize=1)
def startup_model(seed: int = 0) -> DrawModel:
    """A 64-64-10 network trained for 40 epochs on scikit-learn's digits (the training split
    of :func:`plainnet.datasets.load`)."""
    (X_train, y_train), (X_test, y_test) = datasets.load("digits")
    net = mlp([64, 64, 10], optimizer=Adam(lr=0.003), seed=seed)
    net.fit(X_train, y_train, epochs=40, batch_size=32, verbose=0)
    net.metadata = datasets.metadata("digits")
    accuracy = net.evaluate(X_test, y_test)["accuracy"]
    description = (f"No model was given (--model), so a quick 64-64-10 network was trained on "
                   f"scikit-learn's 8x8 digits at start-up: test accuracy {accuracy:.3f} on "
                   f"{len(X_test)} held-out digits.")
    return DrawModel(net, (8, 8), description, "startup")
