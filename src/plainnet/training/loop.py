"""The fit loop: epochs, batches, shuffling, validation, history, callbacks, progress.

It knows nothing of the math of a network and talks to it through its public methods:
each batch is one ``network.train_step(X_batch, T_batch)``. On a GPU it never waits for
the device inside an epoch: the batch losses and correct counts are summed where they are
computed and read once per epoch, with the finiteness of the weights; the epoch's order is
drawn on the host (the same batches on either device) and sent once, and the batches are
gathered on the device. Around it sit the hook points of
:class:`plainnet.callbacks.Callback`, the progress display (a tqdm bar per epoch
on a terminal or in a notebook, one plain line per epoch otherwise) and Ctrl-C:
the first interrupt lets the current batch finish, then the loop stops and
returns the history so far.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import backend
from ..checks import all_finite, check_number
from ..errors import DivergenceError
from .callbacks import Callback
from .history import History
from .interrupt import catch_interrupt
from .progress import Progress

if TYPE_CHECKING:
    from ..network import Network


def check_arguments(epochs: Any, batch_size: Any, verbose: Any, callbacks: Any
                    ) -> list[Callback]:
    """Refuse bad fit arguments before any work; returns the callbacks as a list.

    >>> check_arguments(5, 32, 0, None)
    []
    >>> check_arguments(0, 32, 0, None)
    Traceback (most recent call last):
    ...
    ValueError: epochs must be an integer in [1, inf), got 0
    """
    check_number("epochs", epochs, low=1, integer=True)
    if batch_size is not None:
        check_number("batch_size", batch_size, low=1, integer=True)
    check_number("verbose", verbose, low=0, high=2, integer=True)
    if callbacks is None:
        return []
    items = [callbacks] if isinstance(callbacks, Callback) else callbacks
    if not isinstance(items, Sequence) or not all(isinstance(c, Callback) for c in items):
        raise ValueError("callbacks must be a Callback or a list of Callback objects, got "
                         f"{callbacks!r}")
    return list(items)


def fit(
    network: Network,
    X: Any,
    T: Any,
    *,
    epochs: int,
    batch_size: int | None,
    shuffle: bool,
    validation: tuple[Any, Any] | None,
    verbose: int,
    rng: np.random.Generator,
    callbacks: list[Callback],
    sample_weight: Any = None,
) -> History:
    """Train ``network`` on checked inputs ``X: (n, *input_shape)`` and targets
    ``T: (n, n_outputs)``, as :meth:`Network.fit` describes; ``validation`` is a pair of
    checked inputs and targets, ``rng`` draws the shuffling, ``sample_weight`` (checked,
    ``(n,)``, or None) weighs each sample in the loss. Returns this call's History.

    >>> import numpy as np
    >>> from plainnet import mlp
    >>> net = mlp([2, 4, 2], seed=0)
    >>> X, T = net.prepare(np.eye(2), [0, 1])
    >>> history = fit(net, X, T, epochs=3, batch_size=None, shuffle=False, validation=None,
    ...               verbose=0, rng=np.random.default_rng(0), callbacks=[])
    >>> len(history), sorted(history.history)
    (3, ['accuracy', 'loss', 'time'])
    """
    run = _Run(network, X, T, epochs, batch_size, shuffle, validation, verbose, rng, callbacks)
    run.sample_weight = sample_weight
    for cb in callbacks:
        cb.set_network(network)
        cb.on_train_begin()
    with catch_interrupt() as run.interrupt:
        # said once Ctrl-C is caught: from this line on, an interrupt stops cleanly
        run.progress.say(f"Training on {run.n} samples"
                         + (f", validating on {len(validation[0])}" if validation else "")
                         + f": {epochs} epochs of {run.n_batches} batches")
        try:
            run.epochs()
        finally:
            run.progress.close()
    for cb in callbacks:
        cb.on_train_end(run.history)
    if run.history.stop_reason:
        run.progress.say(f"Stopped: {run.history.stop_reason}")
    return run.history


class _Run:
    """One call of fit: the epochs, each a pass over the batches."""

    def __init__(self, network: Network, X: Any, T: Any, epochs: int, batch_size: int | None,
                 shuffle: bool, validation: tuple[Any, Any] | None, verbose: int,
                 rng: np.random.Generator, callbacks: list[Callback]) -> None:
        self.network, self.X, self.T, self.validation = network, X, T, validation
        self.n_epochs, self.shuffle, self.rng, self.callbacks = epochs, shuffle, rng, callbacks
        self.n = X.shape[0]
        self.bs = self.n if batch_size is None else min(int(batch_size), self.n)
        self.n_batches = math.ceil(self.n / self.bs)
        self.history = History()
        self.progress = Progress(verbose, epochs, self.n_batches)
        self.interrupt: Any = None
        self.sample_weight: Any = None  # (n,) weights, or None: every sample alike

    def epochs(self) -> None:
        for epoch in range(1, self.n_epochs + 1):
            if not self.epoch(epoch):
                break

    def epoch(self, epoch: int) -> bool:
        """Train one epoch and record it; False when training should stop."""
        for cb in self.callbacks:
            cb.on_epoch_begin(epoch)
        self.progress.epoch_begin(epoch)
        start_time = time.perf_counter()
        last_good = self.network.get_weights()
        loss_sum, correct, seen, batch = self.batches(epoch, last_good)
        loss_sum, correct = float(loss_sum), int(correct)  # the epoch's one read of the device
        arrays = (*self.network.parameters().values(), *self.network.states().values())
        if not math.isfinite(loss_sum) or not all(all_finite(a) for a in arrays):
            raise _diverged(self.network, last_good, epoch)
        if self.interrupt.requested and seen < self.n:
            # a part of an epoch is not an epoch: it stays out of the history
            self.progress.close()
            self.stop(f"interrupted (Ctrl-C) in epoch {epoch}/{self.n_epochs} after batch "
                      f"{batch}/{self.n_batches} ({len(self.history)} complete epochs in the "
                      "history)")
            return False
        logs = {"loss": loss_sum / self.n}
        if self.network.classifier:  # with sample weights: the weighted accuracy
            logs["accuracy"] = correct / (self.n if self.sample_weight is None
                                          else float(self.sample_weight.sum()))
        if self.validation is not None:
            val = self.network.evaluate_targets(*self.validation)
            logs.update({f"val_{k}": v for k, v in val.items()})
        logs["time"] = time.perf_counter() - start_time
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, logs)
        self.history.append(logs)
        self.network.history.append(logs)
        self.progress.epoch_end(epoch, logs)
        return self.carry_on(epoch)

    def batches(self, epoch: int, last_good: list[Any]) -> tuple[float, int, int, int]:
        """One pass over the batches: the summed loss, correct count, samples seen and the
        last batch's number."""
        n, bs, network, X, T = self.n, self.bs, self.network, self.X, self.T
        # a full batch is the same sum in any order: shuffling it would only cost a copy
        order = None
        if self.shuffle and bs < n:  # drawn on the host, gathered where X is
            order = backend.to_library(self.rng.permutation(n), backend.array_module(X).__name__)
        loss_sum, correct, seen, batch = 0.0, 0, 0, 0
        for batch, start in enumerate(range(0, n, bs), 1):
            rows = slice(start, start + bs) if order is None else order[start:start + bs]
            w = None if self.sample_weight is None else network.place(self.sample_weight[rows])
            # place: a no-op when the data is on the network's device already
            loss, c = network.train_step(network.place(X[rows]), network.place(T[rows]), w)
            on_host = not backend.on_device(loss)  # a device's loss is read once an epoch
            if on_host and not math.isfinite(loss):
                raise _diverged(network, last_good, epoch)
            size = min(bs, n - start)
            loss_sum, correct, seen = loss_sum + loss * size, correct + c, seen + size
            if self.progress.bar is not None:
                self.progress.batch_end(
                    batch, loss_sum / seen if on_host else None,
                    correct / seen if on_host and network.classifier else None)
            for cb in self.callbacks:
                cb.on_batch_end(batch, loss)
            if self.interrupt.requested:
                break
        return loss_sum, correct, seen, batch

    def carry_on(self, epoch: int) -> bool:
        """After a recorded epoch: False when Ctrl-C or a callback asks to stop."""
        if self.interrupt.requested:
            reason = (f"interrupted (Ctrl-C) at the end of epoch {epoch}/{self.n_epochs}"
                      if epoch < self.n_epochs else None)
            self.stop(reason)
            return False
        stopper = next((cb for cb in self.callbacks if cb.stop_training), None)
        if stopper is not None:
            self.history.stop_reason = stopper.stop_reason or (
                f"{type(stopper).__name__} stopped training after epoch {epoch}")
            return False
        return True

    def stop(self, reason: str | None) -> None:
        """Record a stop by Ctrl-C."""
        self.history.interrupted = True
        self.history.stop_reason = reason


def _diverged(network: Network, last_good: list[Any], epoch: int) -> DivergenceError:
    """Put back the epoch's starting weights and drop the optimizer's state, which holds
    NaN or infinity too (momentum buffers, moments): a refit with a smaller learning rate
    then starts clean, and the network can be saved. Returns the error to raise."""
    network.set_weights(last_good)
    network.optimizer.reset()
    return DivergenceError(epoch, network.optimizer.lr)
