"""``plainnet.callbacks``: the callbacks of :mod:`plainnet.training.callbacks`, by their
shorter path (the one the tutorials use)."""

from .training.callbacks import (
    Callback,
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
)

__all__ = ["Callback", "EarlyStopping", "LearningRateScheduler", "ModelCheckpoint"]
