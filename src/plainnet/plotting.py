"""Pictures of training: loss and accuracy curves, decision boundaries, image grids,
confusion matrices and first-layer weights.

Each function returns a :class:`matplotlib.figure.Figure` drawn on the Agg canvas and
never opens a window or blocks: save it with ``fig.savefig("curves.png")``, or let a
notebook show it. matplotlib (the "plot" extra) is imported on first use only, so
``import plainnet`` stays light; pyplot is never touched, so no global figure state
is created or leaked.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .labels import from_one_hot, is_one_hot
from .metrics import confusion_matrix

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .network import Network
    from .nn.dense import Dense
    from .training.history import History

MISTAKE = "#d62728"  # matplotlib's red: marks wrong predictions


@functools.cache
def _figure_class() -> type[Figure]:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install 'plainnet[plot]'") from None

    class NotebookFigure(Figure):
        """A Figure that a notebook shows as a PNG, with no pyplot and no backend set up."""

        def _repr_png_(self) -> bytes:
            buffer = io.BytesIO()
            self.savefig(buffer, format="png", bbox_inches="tight")
            return buffer.getvalue()

    return NotebookFigure


def _figure(**kwargs: Any) -> Figure:
    """A new Figure on an Agg canvas: rendering without any display or event loop."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = _figure_class()(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def _labels(y: Any, name: str) -> np.ndarray:
    """Class labels (n,) from labels or one-hot rows."""
    y = np.asarray(y)
    if y.ndim == 2 and is_one_hot(y):
        return from_one_hot(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{name} must be class labels (n,) or one-hot rows (n, k), got shape "
                         f"{y.shape}")
    return y


def plot_history(history: History | Network | dict[str, Sequence[float]]) -> Figure:
    """Loss and accuracy per epoch, training against validation (the second tutorial's four
    curves). Takes the History from ``fit``, a network (its cumulative history) or a dict
    of per-epoch lists."""
    records = getattr(history, "history", history)
    records = getattr(records, "history", records)  # a Network's History holds the dict
    if isinstance(records, dict) and not any(np.size(v) for v in records.values()):
        raise ValueError("there are no epochs recorded yet: train the network first "
                         "(network.fit), then plot its history")
    if not isinstance(records, dict) or not records.get("loss"):
        raise ValueError("history must be a History, a Network or a dict with a 'loss' list of "
                         f"at least one epoch, got {type(history).__name__}")
    panels = [("loss", "Loss")] + ([("accuracy", "Accuracy")] if "accuracy" in records else [])
    fig = _figure(figsize=(5 * len(panels), 3.8), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    epochs = np.arange(1, len(records["loss"]) + 1)
    for ax, (key, title) in zip(axes, panels, strict=True):
        ax.plot(epochs, records[key], marker="o", markersize=3, label="train")
        if f"val_{key}" in records:
            ax.plot(epochs, records[f"val_{key}"], marker="o", markersize=3, label="validation")
        ax.set(title=title, xlabel="epoch", ylabel=key)
        ax.grid(alpha=0.3)
        ax.legend()
    return fig


def plot_decision_boundary(network: Network, X: Any, y: Any, resolution: int = 200,
                           margin: float = 0.25) -> Figure:
    """2-D data ``X: (n, 2)`` coloured by class, over the network's prediction on a grid:
    the probability of class 1 for two classes (one sigmoid unit or a two-way softmax), with
    its 0.5 contour, the learned boundary; the predicted class for more classes."""
    X = np.asarray(X, dtype=np.float64)
    y = _labels(y, "y")
    if X.ndim != 2 or X.shape[1] != 2 or network.n_inputs != 2:
        raise ValueError(f"plot_decision_boundary needs 2-D inputs X: (n, 2) and a network "
                         f"with 2 inputs, got X of shape {X.shape} and a network with "
                         f"{network.n_inputs}")
    if len(X) != len(y):
        raise ValueError(f"X and y have different lengths: {len(X)} and {len(y)}")
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = margin * (hi - lo + 1e-12)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    P = network.predict_proba(np.column_stack([gx.ravel(), gy.ravel()]))
    fig = _figure(figsize=(5.5, 4.5), layout="constrained")
    ax = fig.subplots()
    binary = P.shape[1] <= 2  # one sigmoid unit, or a softmax over two classes
    if binary:
        surface = P[:, -1].reshape(gx.shape)
        filled = ax.contourf(gx, gy, surface, levels=np.linspace(0, 1, 11), cmap="RdBu_r",
                             alpha=0.6)
        ax.contour(gx, gy, surface, levels=[0.5], colors="k", linewidths=1.5)
        fig.colorbar(filled, ax=ax, label="P(class 1)")
    else:
        classes = P.argmax(axis=1).reshape(gx.shape)
        k = P.shape[1]
        ax.contourf(gx, gy, classes, levels=np.arange(k + 1) - 0.5, cmap="tab10", vmin=0,
                    vmax=9, alpha=0.35)
    cmap, vmax = ("RdBu_r", 1) if binary else ("tab10", 9)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, vmin=0, vmax=vmax, s=12, edgecolors="k",
               linewidths=0.3)
    ax.set(title="Decision boundary", xlabel="$x_1$", ylabel="$x_2$")
    return fig


def _image_shape(image_shape: Sequence[int], n_features: int, name: str) -> tuple[int, int]:
    shape = tuple(int(s) for s in image_shape)
    if len(shape) != 2 or shape[0] * shape[1] != n_features:
        raise ValueError(f"{name} {tuple(image_shape)} does not fit rows of {n_features} "
                         f"values; give (height, width) with height * width = {n_features}")
    return shape  # type: ignore[return-value]


def _check_class_names(class_names: Sequence[str] | None, *labels: np.ndarray) -> None:
    """A ValueError unless ``class_names`` has a name for every label."""
    needed = max(int(y.max()) + 1 if y.size else 0 for y in labels)
    if class_names is not None and len(class_names) < needed:
        raise ValueError(f"class_names has {len(class_names)} names, the labels need {needed} "
                         f"(classes 0 to {needed - 1})")


def _grid(fig: Figure, n: int) -> list[Any]:
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes:
        ax.set_axis_off()
    return list(axes[:n])


def plot_images(X: Any, y_true: Any, y_pred: Any = None, image_shape: Sequence[int] = (28, 28),
                n: int = 25, class_names: Sequence[str] | None = None) -> Figure:
    """The first ``n`` rows of ``X: (m, h*w)`` as a grid of images (5x5 by default), titled
    with their labels; with ``y_pred``, titled "pred (true)" and mistakes marked in red."""
    X = np.asarray(X)
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(f"X must be a non-empty 2-D array of image rows, got shape {X.shape}")
    shape = _image_shape(image_shape, X.shape[1], "image_shape")
    y_true = _labels(y_true, "y_true")
    y_pred = None if y_pred is None else _labels(y_pred, "y_pred")
    if len(y_true) != len(X) or (y_pred is not None and len(y_pred) != len(X)):
        raise ValueError(f"X, y_true and y_pred must have the same length, got {len(X)}, "
                         f"{len(y_true)} and {'-' if y_pred is None else len(y_pred)}")
    _check_class_names(class_names, *(y for y in (y_true, y_pred) if y is not None))

    def name(label: Any) -> str:
        return str(class_names[int(label)]) if class_names is not None else str(label)

    count = min(int(n), len(X))
    fig = _figure(figsize=(1.6 * np.ceil(np.sqrt(count)), 1.8 * np.ceil(np.sqrt(count))),
                  layout="constrained")
    for i, ax in enumerate(_grid(fig, count)):
        ax.imshow(X[i].reshape(shape), cmap="gray_r", interpolation="nearest")
        if y_pred is None:
            ax.set_title(name(y_true[i]), fontsize=9)
            continue
        wrong = y_pred[i] != y_true[i]
        ax.set_title(f"{name(y_pred[i])} ({name(y_true[i])})", fontsize=9,
                     color=MISTAKE if wrong else "black")
        if wrong:  # a red frame: axis_off hides spines, so draw a rectangle
            ax.add_patch(_frame(ax))
    return fig


def _frame(ax: Any) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((0, 0), 1, 1, transform=ax.transAxes, fill=False, edgecolor=MISTAKE,
                     linewidth=3, clip_on=False)


def plot_confusion_matrix(y_true: Any, y_pred: Any, class_names: Sequence[str] | None = None,
                          normalize: bool = False) -> Figure:
    """The confusion matrix C[i, j] (true class i predicted as j) as a heat map with the
    counts written in (or, with ``normalize``, the fraction of each true class)."""
    y_true, y_pred = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    _check_class_names(class_names, y_true, y_pred)
    C = confusion_matrix(y_true, y_pred)
    k = len(C) if class_names is None else max(len(C), len(class_names))
    if len(C) < k:  # classes named but absent from both label sets still get a row
        C = np.pad(C, ((0, k - len(C)), (0, k - len(C))))
    values = C / np.maximum(C.sum(axis=1, keepdims=True), 1) if normalize else C
    size = 2.5 + 0.45 * k
    fig = _figure(figsize=(size + 1, size), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(values, cmap="Blues", vmin=0)
    fig.colorbar(image, ax=ax, shrink=0.8)
    names = [str(c) for c in (class_names if class_names is not None else range(k))]
    ax.set_xticks(range(k), names, rotation=45 if max(map(len, names)) > 2 else 0, ha="right"
                  if max(map(len, names)) > 2 else "center")
    ax.set_yticks(range(k), names)
    ax.set(xlabel="predicted", ylabel="true", title="Confusion matrix")
    threshold = values.max() / 2
    for i in range(k):
        for j in range(k):
            text = f"{values[i, j]:.2f}" if normalize else str(C[i, j])
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if values[i, j] > threshold else "black")
    return fig


def plot_weights(layer: Dense | Network, image_shape: Sequence[int], n: int = 25) -> Figure:
    """The first ``n`` units of a Dense layer (or of a network's first Dense layer) drawn as
    images: unit j's incoming weights ``W[:, j]`` reshaped to ``image_shape``, on a colour
    scale symmetric around 0 (red positive, blue negative)."""
    from .nn.dense import Dense

    if not isinstance(layer, Dense):
        layer = next((lay for lay in getattr(layer, "layers", []) if isinstance(lay, Dense)),
                     layer)
    if not isinstance(layer, Dense):
        raise ValueError(f"plot_weights needs a Dense layer or a Network, got "
                         f"{type(layer).__name__}")
    W = layer.params["W"]
    shape = _image_shape(image_shape, W.shape[0], "image_shape")
    count = min(int(n), W.shape[1])
    fig = _figure(figsize=(1.5 * np.ceil(np.sqrt(count)), 1.5 * np.ceil(np.sqrt(count))),
                  layout="constrained")
    for j, ax in enumerate(_grid(fig, count)):
        w = W[:, j].reshape(shape)
        limit = float(np.abs(w).max()) or 1.0
        ax.imshow(w, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
        ax.set_title(f"unit {j}", fontsize=8)
    return fig
