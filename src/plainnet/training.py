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
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from ._validation import all_finite, check_number

if TYPE_CHECKING:
    from .callbacks import Callback
    from .network import Network


class DivergenceError(FloatingPointError):
    """Training produced a non-finite loss or weights; the network keeps its last finite
    weights (those at the start of the epoch) and its optimizer starts afresh."""

    def __init__(self, epoch: int, lr: float) -> None:
        self.epoch, self.lr = epoch, lr
        super().__init__(
            f"training diverged in epoch {epoch}: the loss or the weights became NaN or "
            f"infinite. The learning rate ({lr:g}) is the likely cause: try a smaller one. "
            f"The network keeps the weights it had at the start of epoch {epoch}, and its "
            f"optimizer starts afresh (no momentum or moments) on the next fit."
        )


def _diverged(network: Network, last_good: list[np.ndarray], epoch: int) -> DivergenceError:
    """Put back the epoch's starting weights and drop the optimizer's state, which holds
    NaN or infinity too (momentum buffers, moments): a refit with a smaller learning rate
    then starts clean, and the network can be saved. Returns the error to raise."""
    network.set_weights(last_good)
    network.optimizer.state.clear()
    network.optimizer.iterations = 0  # Adam's bias correction counts from the fresh state
    return DivergenceError(epoch, network.optimizer.lr)


class History:
    """Per-epoch records, as in Keras: ``history["loss"]``, ``["accuracy"]``,
    ``["val_loss"]``, ``["val_accuracy"]`` (with validation data) and ``["time"]``
    (seconds per epoch); ``["lr"]`` too when a learning-rate schedule runs.

    ``stop_reason`` says why and where a fit ended before its last epoch (early stopping,
    Ctrl-C), else None; ``interrupted`` is True after a Ctrl-C.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.stop_reason: str | None = None
        self.interrupted = False

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
    parts += [f"{k}: {v:.4g}" if k == "lr" else f"{k}: {v:.4f}"
              for k, v in logs.items() if k != "time"]
    return " - ".join(parts)


# --- progress --------------------------------------------------------------------------------

def _in_notebook() -> bool:
    """True inside a Jupyter kernel, where tqdm.auto draws a widget."""
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return type(shell).__name__ == "ZMQInteractiveShell"


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


class _Progress:
    """What the user sees during fit.

    verbose=0: nothing. verbose=1: a tqdm bar per epoch, with the running loss and accuracy
    in its postfix, when stdout is a terminal (tqdm.auto in a notebook); otherwise, or
    without tqdm installed, one plain line per epoch with no carriage returns.
    verbose=2: always the plain lines, as Keras does for logs.
    """

    def __init__(self, verbose: int, epochs: int, n_batches: int) -> None:
        self.verbose, self.epochs, self.n_batches = verbose, epochs, n_batches
        self.stream = sys.stdout
        self.tqdm = None
        if verbose == 1 and (_in_notebook() or _is_terminal(self.stream)):
            try:
                from tqdm.auto import tqdm
            except ImportError:  # the "progress" extra is not installed: plain lines
                tqdm = None
            self.tqdm = tqdm
        self.bar: Any = None
        # the postfix costs a string format: refresh it about 20 times an epoch
        self.every = max(1, n_batches // 20)

    def say(self, text: str) -> None:
        if self.verbose:
            print(text, file=self.stream, flush=True)

    def epoch_begin(self, epoch: int) -> None:
        if self.tqdm is not None:
            self.bar = self.tqdm(total=self.n_batches, desc=f"Epoch {epoch}/{self.epochs}",
                                 unit="batch", file=self.stream, leave=True,
                                 dynamic_ncols=True)

    def batch_end(self, batch: int, loss: float, accuracy: float | None) -> None:
        """Advance the bar (the loop calls this only while a bar is shown)."""
        self.bar.update(1)
        if batch % self.every == 0:
            postfix = {"loss": f"{loss:.4f}"}
            if accuracy is not None:
                postfix["acc"] = f"{accuracy:.4f}"
            self.bar.set_postfix(postfix, refresh=False)

    def epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        if self.bar is not None:
            # a finished epoch needs no bar: its line keeps the room for the metrics
            self.bar.bar_format = "{desc}: {n_fmt}/{total_fmt} [{elapsed}{postfix}]"
            self.bar.set_postfix({k.replace("accuracy", "acc"): f"{v:.4f}"
                                  for k, v in logs.items() if k not in ("time", "lr")},
                                 refresh=False)
            self.close()
        elif self.verbose:
            self.say(_format_logs(epoch, self.epochs, logs))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


# --- Ctrl-C ----------------------------------------------------------------------------------

class _Interrupt:
    """Set by the first SIGINT; the loop looks at it after every batch."""

    def __init__(self) -> None:
        self.requested = False


@contextmanager
def _catch_interrupt() -> Iterator[_Interrupt]:
    """Turn the first Ctrl-C into a request to stop after the current batch; a second one
    raises KeyboardInterrupt as usual. Only the main thread can own a signal handler:
    elsewhere (a worker thread), or when the current handler was not set from Python,
    Ctrl-C keeps its usual meaning."""
    flag = _Interrupt()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.getsignal(signal.SIGINT)
    if previous is None:  # not the main thread, or a handler Python cannot put back
        yield flag
        return

    def handler(signum: int, frame: Any) -> None:
        flag.requested = True
        signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


# --- the loop --------------------------------------------------------------------------------

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
    progress = _Progress(verbose, epochs, n_batches)
    classifier = network.classifier
    for cb in callbacks:
        cb.set_network(network)
        cb.on_train_begin()
    with _catch_interrupt() as interrupt:
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
