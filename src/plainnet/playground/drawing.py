"""A drawing made into a network's input, as MNIST and scikit-learn's digits were made.

MNIST (LeCun et al.): the digit's bounding box is scaled to fit a 20x20 box, keeping its aspect
ratio, with anti-aliasing; then it is placed in a 28x28 field so that its centre of mass lies at
the centre. The digits set (UCI optdigits): the digit is scaled to fill a 32x32 bitmap, which is
reduced to 8x8 by counting the ink in each 4x4 block.

Images here are "ink" arrays: (height, width) floats in [0, 1], 0 for paper and 1 for ink.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import RequestError

MIN_SIDE, MAX_SIDE = 8, 512
INK_THRESHOLD = 0.05  # fainter pixels (anti-aliasing haze) do not count towards the crop


def parse_image(value: Any) -> np.ndarray:
    """A drawing sent as JSON: a list of rows of numbers in [0, 255] (255 = full ink).

    Returns ink (height, width) in [0, 1], or a RequestError (400) saying what is wrong.
    """
    if not isinstance(value, list) or not MIN_SIDE <= len(value) <= MAX_SIDE:
        raise RequestError(f"image must be a list of {MIN_SIDE} to {MAX_SIDE} rows, got "
                           f"{_describe(value)}")
    widths = {len(row) if isinstance(row, list) else -1 for row in value}
    if len(widths) != 1 or not MIN_SIDE <= (width := widths.pop()) <= MAX_SIDE:
        raise RequestError(f"image rows must all be lists of the same length, {MIN_SIDE} to "
                           f"{MAX_SIDE} numbers; got row lengths {sorted(widths)[:5]}")
    image = np.asarray(value)
    if image.dtype.kind not in "iuf" or image.ndim != 2:
        raise RequestError("image must hold only numbers, one per pixel; got values of type "
                           f"{image.dtype} in {image.ndim} dimensions")
    if not (np.isfinite(image).all() and image.min() >= 0 and image.max() <= 255):
        raise RequestError(f"image values must lie in [0, 255], got {image.min()} to "
                           f"{image.max()} in a {len(value)}x{width} image")
    return image.astype(np.float64) / 255.0


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    return type(value).__name__


def crop(ink: np.ndarray) -> np.ndarray:
    """The bounding box of the ink; a RequestError (422) when there is none."""
    rows = np.flatnonzero((ink > INK_THRESHOLD).any(axis=1))
    cols = np.flatnonzero((ink > INK_THRESHOLD).any(axis=0))
    if rows.size == 0:
        raise RequestError("the drawing is empty: draw a digit first", 422)
    return ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def _area_weights(n_in: int, n_out: int) -> np.ndarray:
    """R: (n_out, n_in); R[i, j] is the share of input pixel j in output pixel i, by overlap.

    Output pixel i spans [i·s, (i+1)·s) in input coordinates, s = n_in / n_out; each row sums
    to 1, so resampling keeps the mean ink (area averaging: anti-aliased when shrinking).
    """
    s = n_in / n_out
    lo = np.arange(n_out)[:, None] * s
    j = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(lo + s, j + 1) - np.maximum(lo, j), 0.0, None)
    return overlap / s


def resample(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """``image`` (h, w) resampled to (height, width) by area averaging: Ry · image · Rxᵀ."""
    Ry = _area_weights(image.shape[0], height)
    Rx = _area_weights(image.shape[1], width)
    return Ry @ image @ Rx.T


def fit_box(image: np.ndarray, box: int) -> np.ndarray:
    """``image`` scaled so that its longer side is ``box`` pixels, keeping its aspect ratio."""
    h, w = image.shape
    scale = box / max(h, w)
    return resample(image, max(1, round(h * scale)), max(1, round(w * scale)))


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of the ink's centre of mass, in pixel indices."""
    total = image.sum()
    rows, cols = np.indices(image.shape)
    return float((rows * image).sum() / total), float((cols * image).sum() / total)


def place(image: np.ndarray, size: int, at: tuple[float, float]) -> np.ndarray:
    """A size x size field with ``image`` pasted so that its point ``at`` (row, column) lands
    on the field's centre, rounded to whole pixels; what falls outside is cut off."""
    field = np.zeros((size, size))
    centre = (size - 1) / 2
    top, left = round(centre - at[0]), round(centre - at[1])
    h, w = image.shape
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + h, size), min(left + w, size)
    field[r0:r1, c0:c1] = image[r0 - top:r1 - top, c0 - left:c1 - left]
    return field


def to_mnist(ink: np.ndarray, size: int = 28, box: int = 20) -> np.ndarray:
    """Crop, scale into a box x box square, centre by centre of mass in size x size."""
    digit = fit_box(crop(ink), box)
    return place(digit, size, centre_of_mass(digit))


def to_digits(ink: np.ndarray, size: int = 8, bitmap: int = 32) -> np.ndarray:
    """Crop, scale to fill a bitmap x bitmap square (centred), then average blocks to
    size x size, as the 8x8 digits were made from 32x32 bitmaps."""
    digit = fit_box(crop(ink), bitmap)
    centre = ((digit.shape[0] - 1) / 2, (digit.shape[1] - 1) / 2)
    return resample(place(digit, bitmap, centre), size, size)


def preprocess(ink: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Ink made into an input image of ``shape``: (8, 8) as the digits, square sizes as MNIST
    (a digit box of 20/28 of the side)."""
    if shape == (8, 8):
        return to_digits(ink)
    side = shape[0]
    return to_mnist(ink, size=side, box=max(1, round(side * 20 / 28)))
