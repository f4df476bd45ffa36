"""Stable elementwise functions shared by the activations and the fused losses.

Each computes with the array module of its input (NumPy, or CuPy on a GPU).
"""

from __future__ import annotations

import numpy as np

from ..backend import array_module


def sigmoid(z: np.ndarray, out: np.ndarray | None = None,
            exp_neg_abs: np.ndarray | None = None) -> np.ndarray:
    """σ(z) = 1 / (1 + e^-z), computed without overflow for any z: e^-|z| never exceeds 1.

    z: any shape; the result has z's shape. Written into ``out`` when given;
    ``exp_neg_abs`` is e^-|z| when the caller has it.

    >>> import numpy as np
    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))  # no overflow warning at ±1000
    array([0. , 0.5, 1. ])
    """
    xp = array_module(z)
    e = xp.exp(-xp.abs(z)) if exp_neg_abs is None else exp_neg_abs
    return xp.divide(xp.where(z >= 0, 1, e), 1 + e, out=out)


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax, s_ik = e^z_ik / Σ_j e^z_ij. z: (n, k) to s: (n, k).

    Subtracting each row's own maximum keeps exp() <= 1.

    >>> import numpy as np
    >>> softmax(np.array([[0.0, np.log(3.0)], [1000.0, 1000.0]]))
    array([[0.25, 0.75],
           [0.5 , 0.5 ]])
    """
    e = array_module(z).exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def log_softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise log softmax: z - max - log Σ exp(z - max). z: (n, k) to (n, k).

    Finite even where softmax underflows to 0, so cross-entropy never takes log(0).

    >>> import numpy as np
    >>> log_softmax(np.array([[0.0, 0.0], [0.0, 1000.0]])).round(4).tolist()
    [[-0.6931, -0.6931], [-1000.0, 0.0]]
    """
    xp = array_module(z)
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
