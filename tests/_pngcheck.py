"""Checks that a PNG file is a real picture: the signature, a sensible size, not blank."""

from pathlib import Path

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def check_png(path, min_side=150, max_side=4000, min_std=0.02):
    """Assert ``path`` is a PNG of min_side..max_side pixels a side whose pixels vary
    (standard deviation of the gray levels in [0, 1] above ``min_std``); returns its
    (height, width)."""
    from PIL import Image

    data = Path(path).read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG: starts with {data[:8]!r}"
    with Image.open(path) as image:
        assert image.format == "PNG"
        width, height = image.size
        gray = np.asarray(image.convert("L"), dtype=np.float64) / 255.0
    assert min_side <= width <= max_side and min_side <= height <= max_side, (width, height)
    assert gray.std() > min_std, f"{path} looks blank: gray std {gray.std():.4f}"
    return height, width
