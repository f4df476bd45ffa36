"""Metrics on class labels: accuracy and the confusion matrix."""

from __future__ import annotations

from typing import Any

import numpy as np


def accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of samples whose label is right. y_true, y_pred: (n,) labels, or (n, k)
    indicator matrices, where a sample counts only when all its labels are right.

    >>> accuracy([0, 1, 2, 1], [0, 2, 2, 1])
    0.75
    >>> accuracy([[1, 0], [1, 1]], [[1, 0], [1, 0]])  # multi-label: the second row misses one
    0.5
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred have different shapes: {y_true.shape} and "
                         f"{y_pred.shape}")
    if y_true.size == 0:
        raise ValueError("accuracy of no samples is undefined: y_true is empty")
    correct = y_true == y_pred
    if correct.ndim == 2:
        correct = correct.all(axis=1)
    return float(np.mean(correct))


def confusion_matrix(y_true: Any, y_pred: Any, n_classes: int | None = None) -> np.ndarray:
    """C[i, j] = number of samples of class i predicted as class j. Returns (k, k) int64.

    y_true, y_pred: (n,) class labels; k is ``n_classes``, or else the largest label + 1.

    >>> confusion_matrix([0, 1, 2, 1], [0, 2, 2, 1])
    array([[1, 0, 0],
           [0, 1, 1],
           [0, 0, 1]])
    >>> confusion_matrix([0, 1], [0, 0], n_classes=3).shape
    (3, 3)
    """
    y_true = np.asarray(y_true, dtype=np.int64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.int64).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred have different lengths: {y_true.size} and "
                         f"{y_pred.size}")
    k = n_classes if n_classes is not None else int(max(y_true.max(initial=-1),
                                                        y_pred.max(initial=-1))) + 1
    C = np.zeros((k, k), dtype=np.int64)
    np.add.at(C, (y_true, y_pred), 1)
    return C
