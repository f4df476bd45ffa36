import os

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(0)


class _RunsCode:
    """Unpickling this runs a shell command that creates the file ``marker``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


@pytest.fixture
def hostile(tmp_path):
    """A hostile object (unpickling it would create a file) and the file it would create."""
    marker = tmp_path / "pwned"
    return _RunsCode(marker), marker
