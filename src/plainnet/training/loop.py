"""The fit loop: epochs, batches, shuffling, validation, history, callbacks, progress.

It knows nothing of the math of a network: each batch is one
``network.train_step(X_batch, T_batch)``. Around it sit the hook points of
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

from ..checks import all_finite, check_number
from ..errors import DivergenceError
from .history import History
from .interrupt import catch_interrupt
from .progress import Progress

if TYPE_CHECKING:
    from ..network import Network
    from .callbacks import Callback


def _diverged(network: Network, last_good: list[np.ndarray], epoch: int) -> DivergenceError:
    """Put back the epoch's starting weights and drop the optimizer's state, which holds
    NaN or infinity too (momentum buffers, moments): a refit with a smaller learning rate
    then starts clean, and the network can be saved. Returns the error to raise."""
    network.set_weights(last_good)
    network.optimizer.state.clear()
    network.optimizer.iterations = 0  # Adam's bias correction counts from the fresh state
    return DivergenceError(epoch, network.optimizer.lr)


def _as_callbacks(callbacks: Any) -> list[Callback]:
    from .callbacks import Callback

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
    y: Any,
    *,
    epochs: int = 1,
    batch_size: int | None = 32,
    shuffle: bool = True,
    validation_data: tuple[Any, Any] | None = None,
    verbose: int = 1,
    seed: int | None = None,
    callbacks: Any = None,
) -> History:
    """Train ``network`` on ``X: (n, n_inputs)`` and labels ``y``; see :meth:`Network.fit`."""
    check_number("epochs", epochs, low=1, integer=True)
    if batch_size is not None:
        check_number("batch_size", batch_size, low=1, integer=True)
    check_number("verbose", verbose, low=0, high=2, integer=True)
    callbacks = _as_callbacks(callbacks)
    X, T = network._prepare(X, y)
    val = None
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (X_val, y_val)")
        val = network._prepare(*validation_data, names=("validation_data X", "validation_data y"))
    network._set_task(T)

    n = X.shape[0]
    bs = n if batch_size is None else min(int(batch_size), n)
    n_batches = math.ceil(n / bs)
    rng = np.random.default_rng(seed) if seed is not None else network._rng
    history = History()
    progress = Progress(verbose, epochs, n_batches)
    classifier = network.classifier
    for cb in callbacks:
        cb.set_network(network)
        cb.on_train_begin()
    with catch_interrupt() as interrupt:
        # said once Ctrl-C is caught: from this line on, an interrupt stops cleanly
        progress.say(f"Training on {n} samples"
                     + (f", validating on {len(val[0])}" if val else "")
                     + f": {epochs} epochs of {n_batches} batches")
        try:
            for epoch in range(1, epochs + 1):
                for cb in callbacks:
                    cb.on_epoch_begin(epoch)
                progress.epoch_begin(epoch)
                start_time = time.perf_counter()
                last_good = network.get_weights()
                # a full batch is the same sum in any order: shuffling it would only cost a copy
                order = rng.permutation(n) if shuffle and bs < n else None
                loss_sum, correct, seen = 0.0, 0, 0
                for batch, start in enumerate(range(0, n, bs), 1):
                    rows = slice(start, start + bs) if order is None else order[start:start + bs]
                    loss, c = network.train_step(X[rows], T[rows])
                    if not math.isfinite(loss):
                        raise _diverged(network, last_good, epoch)
                    size = min(bs, n - start)
                    loss_sum += loss * size
                    correct += c
                    seen += size
                    if progress.bar is not None:
                        progress.batch_end(batch, loss_sum / seen,
                                           correct / seen if classifier else None)
                    for cb in callbacks:
                        cb.on_batch_end(batch, loss)
                    if interrupt.requested:
                        break
                if not all(all_finite(p) for p in network.parameters().values()):
                    raise _diverged(network, last_good, epoch)
                if interrupt.requested and seen < n:
                    # a part of an epoch is not an epoch: it stays out of the history
                    progress.close()
                    history.interrupted = True
                    history.stop_reason = (
                        f"interrupted (Ctrl-C) in epoch {epoch}/{epochs} after batch "
                        f"{batch}/{n_batches} ({len(history)} complete epochs in the history)")
                    break

                logs = {"loss": loss_sum / n}
                if classifier:
                    logs["accuracy"] = correct / n
                if val is not None:
                    logs.update({f"val_{k}": v for k, v in network._evaluate(*val).items()})
                logs["time"] = time.perf_counter() - start_time
                for cb in callbacks:
                    cb.on_epoch_end(epoch, logs)
                history.append(logs)
                network.history.append(logs)
                progress.epoch_end(epoch, logs)
                if interrupt.requested:
                    history.interrupted = True
                    if epoch < epochs:
                        history.stop_reason = (f"interrupted (Ctrl-C) at the end of epoch "
                                               f"{epoch}/{epochs}")
                    break
                stopper = next((cb for cb in callbacks if cb.stop_training), None)
                if stopper is not None:
                    history.stop_reason = stopper.stop_reason or (
                        f"{type(stopper).__name__} stopped training after epoch {epoch}")
                    break
        finally:
            progress.close()
    for cb in callbacks:
        cb.on_train_end(history)
    if history.stop_reason:
        progress.say(f"Stopped: {history.stop_reason}")
    return history
