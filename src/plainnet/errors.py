"""The public exceptions: each message names the file, the epoch or the value at fault."""

from __future__ import annotations


class DataFileError(ValueError):
    """A data file is missing, malformed, truncated or inconsistent; the message names it."""


class ModelFileError(ValueError):
    """A model file is corrupt, truncated, of an unknown version or holds something other
    than numbers; or a network cannot be written to one. The message names the file."""


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


class DeviceError(RuntimeError):
    """A device was asked for that cannot be used here: ``device="cuda"`` without CuPy or
    without a GPU it can see. The message says which is missing and what to do."""
