"""Callbacks: code that runs at fixed points of :func:`plainnet.training.fit`.

``fit(..., callbacks=[...])`` calls, in order, ``on_train_begin()``, then per epoch
``on_epoch_begin(epoch)``, ``on_batch_end(batch, loss)`` after every batch and
``on_epoch_end(epoch, logs)`` with that epoch's loss, accuracy, val_loss, val_accuracy
and time, and finally ``on_train_end(history)``. Epochs and batches count from 1, as
the progress display does. A callback stops training by setting ``stop_training``
(and, to say why, ``stop_reason``); the loop stops after the epoch.

Divergence needs no callback: a non-finite loss always stops training with a
:class:`plainnet.DivergenceError`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..checks import check_number, lookup

if TYPE_CHECKING:
    from ..network import Network
    from .history import History


class Callback:
    """Base class: every hook does nothing; override the ones you need.

    ``self.network`` is the network being trained, set before ``on_train_begin``.
    """

    network: Network
    stop_training = False
    stop_reason: str | None = None

    def set_network(self, network: Network) -> None:
        self.network = network

    def on_train_begin(self) -> None:
        """Before the first epoch."""

    def on_epoch_begin(self, epoch: int) -> None:
        """Before the first batch of ``epoch`` (1, 2, …)."""

    def on_batch_end(self, batch: int, loss: float) -> None:
        """After the update of ``batch`` (1, 2, …); ``loss`` is that batch's loss: a float,
        or on a GPU a 0-d device array (``float(loss)`` waits for the device: a callback
        that reads it every batch slows training down there)."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        """After ``epoch``; ``logs`` holds its metrics and may be added to (they go into the
        History)."""

    def on_train_end(self, history: History) -> None:
        """After the last epoch, or after training stopped early."""


class _Monitor:
    """A metric to watch, and what counts as better: lower for losses, higher for
    accuracies (``mode="auto"``), by at least ``min_delta``."""

    def __init__(self, monitor: str, mode: str, min_delta: float) -> None:
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"monitor must name a metric such as 'val_loss', got {monitor!r}")
        self.monitor = monitor
        mode = lookup("mode", mode, {"auto": "auto", "min": "min", "max": "max"})
        if mode == "auto":
            mode = "max" if "acc" in monitor else "min"
        self.mode = mode
        self.min_delta = abs(float(check_number("min_delta", min_delta)))
        self.reset()

    def reset(self) -> None:
        """Forget the best value: any first value is an improvement."""
        self.best = math.inf if self.mode == "min" else -math.inf

    def value(self, logs: dict[str, float]) -> float:
        if self.monitor not in logs:
            hint = "; pass validation_data to fit" if self.monitor.startswith("val_") else ""
            raise ValueError(f"monitor {self.monitor!r} is not among this fit's metrics "
                             f"{sorted(k for k in logs if k != 'time')}{hint}")
        return logs[self.monitor]

    def improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience``
    epochs; with ``restore_best`` the network ends with the weights of its best epoch.

    >>> import numpy as np, plainnet as pn
    >>> X = np.random.default_rng(0).normal(size=(60, 2)); y = (X[:, 0] > 0).astype(int)
    >>> net = pn.mlp([2, 8, 2], seed=0)
    >>> stop = EarlyStopping(monitor="loss", patience=2, min_delta=10.0)
    >>> history = net.fit(X, y, epochs=50, verbose=0, callbacks=[stop])
    >>> len(history), stop.best_epoch
    (3, 1)
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 restore_best: bool = True, mode: str = "auto") -> None:
        self._monitor = _Monitor(monitor, mode, min_delta)
        self.monitor = monitor
        self.patience = int(check_number("patience", patience, low=0, integer=True))
        self.restore_best = bool(restore_best)
        self.best_epoch: int | None = None

    def on_train_begin(self) -> None:
        self._monitor.reset()
        self.best_epoch, self.best_weights, self.wait = None, None, 0
        self.stop_training, self.stop_reason = False, None

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        value = self._monitor.value(logs)
        if self._monitor.improved(value):
            self._monitor.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.best_weights = self.network.get_weights()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stop_training = True
            self.stop_reason = (
                f"early stopping after epoch {epoch}: {self.monitor} has not improved for "
                f"{self.wait} epochs; best {self.monitor} {self._monitor.best:.4f} in epoch "
                f"{self.best_epoch}" + ("; restored its weights" if self.restore_best else ""))

    def on_train_end(self, history: History) -> None:
        if self.restore_best and self.best_weights is not None:
            self.network.set_weights(self.best_weights)


class ModelCheckpoint(Callback):
    """Save the network to ``path`` after an epoch: only when ``monitor`` improved
    (``save_best_only``), or after every epoch. ``path`` may hold ``{epoch}`` and metric
    fields, e.g. ``"model-{epoch:03d}-{val_accuracy:.3f}.npz"``.

    Saving is atomic (:meth:`plainnet.Network.save`): an interrupted save keeps the last one.
    """

    def __init__(self, path: str | os.PathLike, monitor: str = "val_loss",
                 save_best_only: bool = True, mode: str = "auto") -> None:
        self.path = os.fspath(path)
        self._monitor = _Monitor(monitor, mode, 0.0)
        self.monitor = monitor
        self.save_best_only = bool(save_best_only)
        self.saved: list[str] = []

    def on_train_begin(self) -> None:
        self._monitor.reset()

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        if self.save_best_only:
            value = self._monitor.value(logs)
            if not self._monitor.improved(value):
                return
            self._monitor.best = value
        try:
            path = self.path.format(epoch=epoch, **logs)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"ModelCheckpoint path {self.path!r} has a field that is not "
                             f"'epoch' or one of {sorted(logs)}: {exc}") from None
        self.network.save(path)
        self.saved.append(path)


Schedule = Callable[[int, float], float]


class LearningRateScheduler(Callback):
    """Set the optimizer's learning rate before each epoch to ``fn(epoch, lr)``, where
    ``epoch`` counts from 0 and ``lr`` is the current rate (Keras' convention). The rate
    used in each epoch goes into the History as ``"lr"``.

    Presets start from the optimizer's learning rate when training begins (lr0):

    - ``LearningRateScheduler.step(every=10, factor=0.5)``: lr0 · factor^⌊epoch / every⌋
    - ``LearningRateScheduler.exponential(factor=0.95)``: lr0 · factor^epoch
    - ``LearningRateScheduler.cosine(epochs, min_lr=0.0)``:
      min_lr + (lr0 - min_lr) · (1 + cos(π · epoch / epochs)) / 2

    >>> sched = LearningRateScheduler.step(every=2, factor=0.5)
    >>> [sched.schedule(e, 0.1) for e in range(5)]
    [0.1, 0.1, 0.05, 0.05, 0.025]
    """

    def __init__(self, fn: Schedule, verbose: int = 0) -> None:
        if not callable(fn):
            raise ValueError(f"fn must be a function (epoch, lr) -> lr, got {fn!r}")
        self.fn = fn
        self.verbose = verbose
        self._from_start = False  # presets: pass lr0 instead of the current rate

    @classmethod
    def _preset(cls, fn: Schedule) -> LearningRateScheduler:
        sched = cls(fn)
        sched._from_start = True
        return sched

    @classmethod
    def step(cls, every: int = 10, factor: float = 0.5) -> LearningRateScheduler:
        """Multiply the rate by ``factor`` every ``every`` epochs."""
        check_number("every", every, low=1, integer=True)
        check_number("factor", factor, low=0.0, low_open=True)
        return cls._preset(lambda epoch, lr0: lr0 * factor ** (epoch // every))

    @classmethod
    def exponential(cls, factor: float = 0.95) -> LearningRateScheduler:
        """Multiply the rate by ``factor`` every epoch."""
        check_number("factor", factor, low=0.0, low_open=True)
        return cls._preset(lambda epoch, lr0: lr0 * factor ** epoch)

    @classmethod
    def cosine(cls, epochs: int, min_lr: float = 0.0) -> LearningRateScheduler:
        """Half a cosine from the starting rate down to ``min_lr`` over ``epochs`` epochs,
        then ``min_lr``."""
        check_number("epochs", epochs, low=1, integer=True)
        check_number("min_lr", min_lr, low=0.0)

        def cosine(epoch: int, lr0: float) -> float:
            t = min(epoch, epochs) / epochs
            return min_lr + (lr0 - min_lr) * (1 + math.cos(math.pi * t)) / 2

        return cls._preset(cosine)

    def schedule(self, epoch: int, lr: float) -> float:
        """The rate for ``epoch`` (from 0), given the current (or, for presets, first) rate."""
        return float(self.fn(epoch, lr))

    def on_train_begin(self) -> None:
        self.initial_lr = self.network.optimizer.lr

    def on_epoch_begin(self, epoch: int) -> None:
        current = self.initial_lr if self._from_start else self.network.optimizer.lr
        lr = self.schedule(epoch - 1, current)
        if not (math.isfinite(lr) and lr > 0):
            raise ValueError(f"the learning-rate schedule gave lr={lr!r} for epoch {epoch}; "
                             "it must be a positive finite number")
        self.network.optimizer.lr = lr
        if self.verbose:
            print(f"Epoch {epoch}: learning rate {lr:.4g}")

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        logs["lr"] = self.network.optimizer.lr
