"""One Learn session: a 2-D data set, a network, and what the page draws of them.

A :class:`LearnSession` trains one epoch at a time with :meth:`Network.fit` and records the
train and test loss and accuracy after each. :meth:`LearnSession.snapshot` is the JSON the page
draws: the decision surface on a grid, the curves, the epoch and the first-layer unit maps.
It is not thread-safe on its own: :mod:`.sessions` holds a lock around every call.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import DivergenceError
from ..network import Network, mlp
from ..nn.dropout import Dropout
from ..nn.layer import Layer
from ..optimizers import OPTIMIZERS
from . import data
from .config import LearnConfig

SURFACE_SIZE = 50  # decision surface: SURFACE_SIZE² grid points
UNIT_MAP_SIZE = 20  # first-layer unit maps: UNIT_MAP_SIZE² grid points each
MAX_CURVE_POINTS = 400  # longer histories are thinned to about this many points
METRICS = ("train_loss", "train_accuracy", "test_loss", "test_accuracy")


def build_network(config: LearnConfig) -> Network:
    """2 inputs, ``config.hidden`` units with ``config.activation`` (and dropout after each
    hidden layer when ``config.dropout > 0``), then one sigmoid unit or two softmax units."""
    optimizer = OPTIMIZERS[config.optimizer](lr=config.lr, weight_decay=config.weight_decay)
    n_out = 1 if config.output == "sigmoid" else 2
    net = mlp([2, *config.hidden, n_out], activation=config.activation, output=config.output,
              optimizer=optimizer, seed=config.seed)
    if config.dropout == 0.0:
        return net
    layers: list[Layer] = []
    for layer in net.layers[:-2]:
        layers.append(layer)
        if not layer.params:  # after each hidden activation
            layers.append(Dropout(config.dropout))
    return Network([*layers, *net.layers[-2:]], loss=net.loss, optimizer=optimizer,
                   seed=config.seed)


def _grid(extent: tuple[float, float, float, float], size: int) -> np.ndarray:
    """Points (size², 2) row by row from the top (y max) down, each row from x min to x max."""
    x0, x1, y0, y1 = extent
    xs = np.linspace(x0, x1, size, dtype=np.float32)
    ys = np.linspace(y1, y0, size, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


def _square_extent(X: np.ndarray, margin: float = 0.1) -> tuple[float, float, float, float]:
    """A square around every point with ``margin`` of its side to spare on each edge."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    centre, half = (lo + hi) / 2, (hi - lo).max() / 2 * (1 + 2 * margin)
    return (float(centre[0] - half), float(centre[0] + half),
            float(centre[1] - half), float(centre[1] + half))


def _thin(values: list[Any]) -> list[Any]:
    """Every k-th value so that at most about MAX_CURVE_POINTS remain, and always the last."""
    step = math.ceil(len(values) / MAX_CURVE_POINTS)
    if step <= 1:
        return list(values)
    return [*values[::step], values[-1]] if (len(values) - 1) % step else values[::step]


def _rounded(a: np.ndarray, decimals: int = 3) -> list[Any]:
    return np.round(a.astype(np.float64), decimals).tolist()


class LearnSession:
    """A network learning one 2-D data set, an epoch at a time."""

    def __init__(self, config: LearnConfig) -> None:
        self.data_version = 0
        self.reset(config)

    def reset(self, config: LearnConfig) -> None:
        """New data and a new network from ``config``; the history starts again at epoch 0."""
        self.config = config
        self.X_train, self.y_train, self.X_test, self.y_test = data.make(
            config.dataset, config.n_samples, config.noise, config.test_fraction, config.seed)
        self.network = build_network(config)
        self.extent = _square_extent(np.concatenate([self.X_train, self.X_test]))
        self._surface_grid = _grid(self.extent, SURFACE_SIZE)
        self._unit_grid = _grid(self.extent, UNIT_MAP_SIZE)
        self.epoch = 0
        self.error: str | None = None
        self.history: dict[str, list[float]] = {"epoch": [], **{k: [] for k in METRICS}}
        self.data_version += 1
        self._record()

    def train_epoch(self) -> bool:
        """One pass over the training set, then the metrics. False when it diverged: the
        network keeps the weights from the epoch's start and ``error`` says what happened."""
        try:
            self.network.fit(self.X_train, self.y_train, epochs=1,
                             batch_size=self.config.batch_size, verbose=0)
        except DivergenceError as exc:
            self.error = str(exc)
            return False
        self.epoch += 1
        self._record()
        return True

    def _record(self) -> None:
        train = self.network.evaluate(self.X_train, self.y_train)
        test = self.network.evaluate(self.X_test, self.y_test)
        self.history["epoch"].append(self.epoch)
        for split, result in (("train", train), ("test", test)):
            for key in ("loss", "accuracy"):
                self.history[f"{split}_{key}"].append(float(result[key]))

    def metrics(self) -> dict[str, float]:
        return {key: self.history[key][-1] for key in METRICS}

    def surface(self) -> np.ndarray:
        """P(class 1) at each grid point: (SURFACE_SIZE², )."""
        P = self.network.predict_proba(self._surface_grid)
        return P[:, -1]  # the one sigmoid unit, or the second of two softmax units

    def unit_maps(self) -> np.ndarray:
        """What each first-layer unit responds to: its activation over the grid, scaled by its
        largest magnitude to [-1, 1]. (n_units, UNIT_MAP_SIZE²); no rows without hidden layers."""
        if not self.config.hidden:
            return np.zeros((0, UNIT_MAP_SIZE**2))
        dense, act = self.network.layers[:2]
        A = act.forward(dense.forward(self._unit_grid)).T
        scale = np.abs(A).max(axis=1, keepdims=True)
        return A / np.where(scale > 0, scale, 1)

    def snapshot(self, include_data: bool = False) -> dict[str, Any]:
        """What the page draws, as JSON-ready values; ``include_data`` adds the points."""
        snap: dict[str, Any] = {
            "epoch": self.epoch,
            "config": self.config.to_json(),
            "error": self.error,
            "metrics": self.metrics(),
            "history": {key: _thin(values) for key, values in self.history.items()},
            "extent": list(self.extent),
            "surface": {"size": SURFACE_SIZE, "values": _rounded(self.surface())},
            "units": {"size": UNIT_MAP_SIZE, "maps": _rounded(self.unit_maps(), 2)},
            "data_version": self.data_version,
        }
        if include_data:
            snap["points"] = {
                "train": _rounded(np.column_stack([self.X_train, self.y_train])),
                "test": _rounded(np.column_stack([self.X_test, self.y_test])),
            }
        return snap
