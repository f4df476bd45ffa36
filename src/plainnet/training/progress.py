"""What the user sees during fit: a tqdm bar per epoch on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
from typing import Any, TextIO


def _format_logs(epoch: int, epochs: int, logs: dict[str, float]) -> str:
    parts = [f"Epoch {epoch}/{epochs}", f"{logs['time']:.2f}s"]
    parts += [f"{k}: {v:.4g}" if k == "lr" else f"{k}: {v:.4f}"
              for k, v in logs.items() if k != "time"]
    return " - ".join(parts)


def _in_notebook() -> bool:
    """True inside a Jupyter kernel, where tqdm.auto draws a widget."""
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return type(shell).__name__ == "ZMQInteractiveShell"


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


class Progress:
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

    def batch_end(self, batch: int, loss: float | None, accuracy: float | None) -> None:
        """Advance the bar (the loop calls this only while a bar is shown); ``loss`` None:
        the running figures are not known yet (on a GPU they are read once an epoch)."""
        self.bar.update(1)
        if loss is not None and batch % self.every == 0:
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
