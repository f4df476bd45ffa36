"""Image files to input rows for a model trained on images.

A network trained by ``plainnet train`` on an image set records the set's
``image_shape`` (rows, cols) and ``pixel_max`` in ``network.metadata``. The data
sets scale pixels to [0, 1] with light strokes on a dark background (ink = 1), so
a PNG or JPEG is converted the same way: grayscale, resized to ``image_shape``,
scaled to [0, 1], and inverted when its border is light (dark ink on white paper,
the usual way a digit is drawn or scanned). Needs pillow (the "images" extra).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np

#: file suffixes read as images (the rest are .npy or .csv rows)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def image_shape(metadata: Mapping[str, Any], source: str = "the model",
                input_shape: tuple[int, ...] | None = None) -> tuple[int, int]:
    """(rows, cols) recorded in ``metadata``, else those of a network's ``input_shape`` of
    one grayscale image (``(1, rows, cols)`` or ``(rows, cols)``); a ValueError saying that
    the model (``source``: its name in the message, e.g. its file) does not read images.

    >>> image_shape({"image_shape": [8, 8]}), image_shape({}, input_shape=(1, 28, 28))
    ((8, 8), (28, 28))
    """
    shape = metadata.get("image_shape")
    if not shape and input_shape is not None and (
            len(input_shape) == 2 or (len(input_shape) == 3 and input_shape[0] == 1)):
        shape = input_shape[-2:]
    if not shape or len(shape) != 2:
        raise ValueError(f"{source} records no image shape (it was not trained on images); "
                         "give rows of numbers in .npy or .csv files instead")
    return int(shape[0]), int(shape[1])


def to_row(pixels: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A grayscale image ``(h, w)`` of values in [0, 1] to one row ``(rows * cols,)`` of
    float32 in [0, 1], ink high: inverted when the border is light, then resized."""
    from PIL import Image

    pixels = np.clip(np.asarray(pixels, dtype=np.float64), 0.0, 1.0)
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    if border.mean() > 0.5:  # dark ink on light paper: the data sets have light ink on black
        pixels = 1.0 - pixels
    image = Image.fromarray((pixels * 255).round().astype(np.uint8), mode="L")
    rows, cols = shape
    # BOX averages every source pixel into the small target, as the data sets were made
    small = image.resize((cols, rows), Image.Resampling.BOX)
    return (np.asarray(small, dtype=np.float32) / np.float32(255.0)).ravel()


def read_image(path: str | os.PathLike, metadata: Mapping[str, Any],
               input_shape: tuple[int, ...] | None = None) -> np.ndarray:
    """The image file ``path`` as one input row ``(rows * cols,)`` for a model whose
    ``metadata`` records its image shape, or whose ``input_shape`` is one gray image."""
    shape = image_shape(metadata, input_shape=input_shape)
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("reading images needs pillow: pip install 'plainnet[images]'") from None
    with Image.open(path) as image:  # not an image: PIL's OSError names the file
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            # strokes on a transparent canvas: lay them on white paper first
            rgba = image.convert("RGBA")
            image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
        gray = np.asarray(image.convert("L"), dtype=np.float64) / 255.0
    return to_row(gray, shape)
