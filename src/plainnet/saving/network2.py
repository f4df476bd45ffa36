"""network2.py's JSON models, as the header and arrays of a plainnet model file.

network2.py (the second tutorial's code) saves ``{"sizes", "weights" (out, in),
"biases" (out, 1), "cost"}``. Each of its layers becomes ``Dense`` with ``W = weightsᵀ``
and ``b = biases[:, 0]`` followed by ``Sigmoid``, in float64 as network2.py computes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelFileError

#: network2.py's cost classes and the loss with the same gradient direction
COSTS = {"CrossEntropyCost": "binary_crossentropy", "QuadraticCost": "mse"}
_KEYS = {"sizes", "weights", "biases", "cost"}
#: a JSON model larger than this is not one network2.py would write for a small network
_MAX_SIZE = 512 * 2**20


def read_network2(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The model file header (version 2) and arrays of the network2.py model in ``path``;
    a :class:`~plainnet.errors.ModelFileError` naming the file if it is not a valid one."""
    path = Path(path).expanduser()
    if path.stat().st_size > _MAX_SIZE:
        raise ModelFileError(f"{path}: a JSON model of {path.stat().st_size} bytes is larger "
                             f"than plainnet reads ({_MAX_SIZE} bytes)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return _convert(data)
    except RecursionError:
        raise ModelFileError(f"{path}: not a valid network2.py JSON model (nested too "
                             "deeply)") from None
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, IndexError, OverflowError,
            MemoryError) as exc:
        raise ModelFileError(f"{path}: not a valid network2.py JSON model "
                             f"({type(exc).__name__}: {exc})") from None


def _convert(data: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    missing = sorted(_KEYS - (set(data) if isinstance(data, dict) else set()))
    if missing:
        raise ValueError(f"it lacks {', '.join(map(repr, missing))}")
    sizes, cost = data["sizes"], data["cost"]
    if (not isinstance(sizes, list) or len(sizes) < 2
            or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 1
                       for s in sizes)):
        raise ValueError(f"sizes must list at least 2 positive integers, got {sizes!r}")
    if cost not in COSTS:
        raise ValueError(f"unknown cost {cost!r}; network2.py writes {', '.join(COSTS)}")
    if len(data["weights"]) != len(sizes) - 1 or len(data["biases"]) != len(sizes) - 1:
        raise ValueError(f"{len(sizes)} sizes need {len(sizes) - 1} weight matrices and bias "
                         f"vectors, got {len(data['weights'])} and {len(data['biases'])}")
    layers: list[dict[str, Any]] = []
    arrays: dict[str, np.ndarray] = {}
    for i, (w, b) in enumerate(zip(data["weights"], data["biases"], strict=True)):
        n_in, n_out = sizes[i], sizes[i + 1]
        w, b = np.asarray(w, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if w.shape != (n_out, n_in) or b.shape != (n_out, 1):
            raise ValueError(f"layer {i}: weights {w.shape} and biases {b.shape}, expected "
                             f"{(n_out, n_in)} and {(n_out, 1)}")
        if not (np.isfinite(w).all() and np.isfinite(b).all()):
            raise ValueError(f"layer {i}: weights or biases hold NaN or infinity")
        layers += [{"type": "Dense", "config": {"fan_in": n_in, "fan_out": n_out,
                                                "init": "scaled_normal"}},
                   {"type": "Sigmoid", "config": {}}]
        arrays[f"param/{2 * i}.W"] = np.ascontiguousarray(w.T)
        arrays[f"param/{2 * i}.b"] = b[:, 0].copy()
    header = {
        "version": 2, "layers": layers, "input_shape": [sizes[0]],
        "hyperparameters": {"loss": COSTS[cost], "dtype": "float64", "seed": None,
                            "optimizer": {"type": "SGD", "config": {}}},
        "arrays": {name: list(a.shape) for name, a in arrays.items()},
        "metadata": {"imported_from": "network2.py JSON", "cost": cost},
    }
    return header, arrays
