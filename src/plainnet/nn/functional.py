"""Stable elementwise functions shared by the activations and the fused losses."""

from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray, out: np.ndarray | None = None,
            exp_neg_abs: np.ndarray | None = None) -> np.ndarray:
    """σ(z) = 1 / (1 + e^-z), computed without overflow for any z: e^-|z| never exceeds 1.
    Written into ``out`` when given; ``exp_neg_abs`` is e^-|z| when the caller has it."""
    e = np.exp(-np.abs(z)) if exp_neg_abs is None else exp_neg_abs
    return np.divide(np.where(z >= 0, 1, e), 1 + e, out=out)


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax. z: (n, k). Subtracting each row's own maximum keeps exp() <= 1."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def log_softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise log softmax: z - max - log Σ exp(z - max). z: (n, k)."""
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
