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


@pytest.fixture
def strict_cupy(monkeypatch):
    """The strict CuPy stand-in of tests/strict_cupy.py, installed as ``cupy`` for one test
    (with its counts of transfers and synchronisations reset)."""
    import strict_cupy as module

    monkeypatch.setitem(__import__("sys").modules, "cupy", module)
    monkeypatch.setattr(module, "__name__", "cupy")  # the array library's name, as CuPy's
    module.reset_counts()
    module.free_memory[0] = 64 * 2**30
    return module
