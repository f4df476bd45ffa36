"""History: what each epoch of training measured."""

from __future__ import annotations


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
