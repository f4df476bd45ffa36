"""Stable elementwise functions shared by the activations and the fused losses."""

from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray, out: np.ndarray | None = None,
            exp_neg_abs: np.ndarray | None = None) -> np.ndarray:
    """σ(z) = 1 / (1 + e^-z), computed without overflow for any z: e^-|z| never exceeds 1.

    z: any shape; the result has z's shape. Written into ``out`` when given;
    ``exp_neg_abs`` is e^-|z| when the caller has it.

    >>> import numpy as np
    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))  # no overflow warning at ±1000
    array([0. , 0.5, 1. ])
    """
    e = np.exp(-np.abs(z)) if exp_neg_abs is None else exp_neg_abs
    return np.divide(np.where(z >= 0, 1, e), 1 + e, out=out)


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax, s_ik = e^z_ik / Σ_j e^z_ij. z: (n, k) to s: (n, k).

    Subtracting each row's own maximum keeps exp() <= 1.

    >>> import numpy as np
    >>> softmax(np.array([[0.0, np.log(3.0)], [1000.0, 1000.0]]))
    array([[0.25, 0.75],
           [0.5 , 0.5 ]])
    """
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def log_softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise log softmax: z - max - log Σ exp(z - max). z: (n, k) to (n, k).

    Finite even where softmax underflows to 0, so cross-entropy never takes log(0).

    >>> import numpy as np
    >>> log_softmax(np.array([[0.0, 0.0], [0.0, 1000.0]])).round(4).tolist()
    [[-0.6931, -0.6931], [-1000.0, 0.0]]
    """
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
