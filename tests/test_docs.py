"""The examples in the docstrings run (doctest), and the code is ruff clean."""

import doctest
import importlib
import os
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import plainnet

ROOT = Path(__file__).resolve().parents[1]
# modules whose import needs an optional extra are still checked when the extra is there
MODULES = sorted(m.name for m in pkgutil.walk_packages(plainnet.__path__, "plainnet.")
                 if not m.name.endswith(".__main__"))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    try:
        module = importlib.import_module(name)
    except ImportError as exc:  # an optional extra that is not installed
        pytest.skip(f"{name} needs an optional dependency: {exc}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_public_api_names_exist():
    for name in plainnet.__all__:
        assert hasattr(plainnet, name), name


def test_ruff_is_clean():
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[dev]')")
    result = subprocess.run([ruff, "check", "src", "tests", "bench"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_is_light():
    code = ("import sys, plainnet; heavy = {'matplotlib', 'tqdm', 'sklearn', 'torch', 'dask',"
            " 'scipy', 'starlette', 'PIL'} & set(sys.modules); print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "src")}, check=True)
    assert out.stdout.strip() == "[]"
