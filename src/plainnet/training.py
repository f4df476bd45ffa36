"""The fit loop: epochs, batches, shuffling, validation, history.

It knows nothing of the math of a network: each batch is one
``network.train_step(X_batch, T_batch)``.
"""

from __future__ import annotations

import math
import sys
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from ._validation import check_number

if TYPE_CHECKING:
    from .network import Network


class DivergenceError(FloatingPointError):
    """Training produced a non-finite loss or weights; the network keeps its last finite
    weights (those at the start of the epoch)."""

    def __init__(self, epoch: int, lr: float) -> None:
        self.epoch, self.lr = epoch, lr
        super().__init__(
            f"training diverged in epoch {epoch}: the loss or the weights became NaN or "
            f"infinite. The learning rate ({lr:g}) is the likely cause: try a smaller one. "
            f"The network keeps the weights it had at the start of epoch {epoch}."
        )


class History:
    """Per-epoch records, as in Keras: ``history["loss"]``, ``["accuracy"]``,
    ``["val_loss"]``, ``["val_accuracy"]`` (with validation data) and ``["time"]``
    (seconds per epoch)."""

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def append(self, logs: dict[str, float]) -> None:
        self.epoch.append(len(self.epoch) + 1)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __len__(self) -> int:
        return len(self.epoch)

    def __repr__(self) -> str:
        return f"History(epochs={len(self)}, keys={list(self.history)})"


def _format_logs(epoch: int, epochs: int, logs: dict[str, float]) -> str:
    parts = [f"Epoch {epoch}/{epochs}", f"{logs['time']:.2f}s"]
    parts += [f"{k}: {v:.4f}" for k, v in logs.items() if k != "time"]
    return " - ".join(parts)


def fit(
    network: Network,
    X: Any,
    y: Any,
    *,
    epochs: int = 1,
    batch_size: int | None = 32,
    shuffle: bool = True,
    validation_data: tuple[Any, Any] | None = None,
    verbose: int = 1,
    seed: int | None = None,
) -> History:
    """Train ``network`` on ``X: (n, n_inputs)`` and labels ``y``; see :meth:`Network.fit`."""
    check_number("epochs", epochs, low=1, integer=True)
    if batch_size is not None:
        check_number("batch_size", batch_size, low=1, integer=True)
    check_number("verbose", verbose, low=0, high=2, integer=True)
    X, T = network._prepare(X, y)
    val = None
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (X_val, y_val)")
        val = network._prepare(*validation_data, names=("validation_data X", "validation_data y"))
    network._set_task(T)

    n = X.shape[0]
    bs = n if batch_size is None else min(int(batch_size), n)
    rng = np.random.default_rng(seed) if seed is not None else network._rng
    history = History()
    for epoch in range(1, epochs + 1):
        start_time = time.perf_counter()
        last_good = network.get_weights()
        # a full batch is the same sum in any order: shuffling it would only cost a copy
        order = rng.permutation(n) if shuffle and bs < n else None
        loss_sum, correct = 0.0, 0
        for start in range(0, n, bs):
            rows = slice(start, start + bs) if order is None else order[start:start + bs]
            loss, c = network.train_step(X[rows], T[rows])
            if not math.isfinite(loss):
                network.set_weights(last_good)
                raise DivergenceError(epoch, network.optimizer.lr)
            loss_sum += loss * min(bs, n - start)
            correct += c
        if not all(np.isfinite(p).all() for p in network.parameters().values()):
            network.set_weights(last_good)
            raise DivergenceError(epoch, network.optimizer.lr)

        logs = {"loss": loss_sum / n}
        if network.classifier:
            logs["accuracy"] = correct / n
        if val is not None:
            logs.update({f"val_{k}": v for k, v in network._evaluate(*val).items()})
        logs["time"] = time.perf_counter() - start_time
        history.append(logs)
        network.history.append(logs)
        if verbose:
            print(_format_logs(epoch, epochs, logs), file=sys.stdout, flush=True)
    return history
