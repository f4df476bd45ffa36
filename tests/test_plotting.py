"""Plots: each returns a Figure on the Agg canvas, saves a real PNG, and refuses bad input."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import plainnet as pn
from _pngcheck import check_png
from plainnet import plotting
from plainnet.metrics import confusion_matrix

SRC = str(Path(__file__).resolve().parents[1] / "src")


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    X, y = (d.data / 16.0).astype(np.float32), d.target
    net = pn.mlp([64, 16, 10], seed=0)
    history = net.fit(X[:1200], y[:1200], epochs=3, validation_data=(X[1200:], y[1200:]),
                      verbose=0)
    return net, history, X[1200:], y[1200:]


def save(fig, tmp_path, name):
    from matplotlib.figure import Figure

    assert isinstance(fig, Figure)
    assert type(fig.canvas).__name__ == "FigureCanvasAgg"  # draws off screen, never blocks
    path = tmp_path / name
    fig.savefig(path)
    return check_png(path)


def test_plots_leave_pyplot_alone(digits, tmp_path):
    code = ("import sys, numpy as np, plainnet as pn; from plainnet import plotting; "
            "net = pn.mlp([2, 3, 2], seed=0); X = np.random.default_rng(0).normal(size=(9, 2)); "
            "plotting.plot_decision_boundary(net, X, X[:, 0] > 0, resolution=20)"
            ".savefig(sys.argv[1]); print('matplotlib.pyplot' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": SRC, "MPLBACKEND": "TkAgg", "DISPLAY": ""}
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "x.png")], env=env,
                         capture_output=True, text=True, check=True, timeout=60).stdout
    assert out.strip() == "False"  # no window, whatever the configured backend
    check_png(tmp_path / "x.png")


def test_plot_history(digits, tmp_path):
    net, history, _, _ = digits
    fig = plotting.plot_history(history)
    loss_ax, acc_ax = fig.axes
    assert [line.get_label() for line in loss_ax.get_lines()] == ["train", "validation"]
    np.testing.assert_allclose(loss_ax.get_lines()[1].get_ydata(), history["val_loss"])
    np.testing.assert_allclose(acc_ax.get_lines()[0].get_ydata(), history["accuracy"])
    save(fig, tmp_path, "history.png")
    assert len(plotting.plot_history(net).axes) == 2  # a network's own history
    fig = plotting.plot_history({"loss": [1.0, 0.5, 0.2]})  # a regressor: loss only
    assert len(fig.axes) == 1 and len(fig.axes[0].get_lines()) == 1
    with pytest.raises(ValueError, match="'loss' list"):
        plotting.plot_history({"accuracy": [0.5]})
    untrained = pn.mlp([2, 3, 2], seed=0)
    with pytest.raises(ValueError, match="no epochs recorded yet: train the network first"):
        plotting.plot_history(untrained)


@pytest.mark.parametrize(("outputs", "classes"), [(1, 2), (2, 2), (3, 3)])
def test_plot_decision_boundary(tmp_path, outputs, classes):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 2))
    y = ((np.arctan2(X[:, 1], X[:, 0]) + np.pi) * classes // (2 * np.pi + 1e-9)).astype(int)
    net = pn.mlp([2, 8, outputs], output="sigmoid" if outputs == 1 else "softmax", seed=0)
    net.fit(X, y, epochs=20, verbose=0)
    fig = plotting.plot_decision_boundary(net, X, y, resolution=60)
    save(fig, tmp_path, f"boundary{outputs}.png")
    ax = fig.axes[0]
    assert ax.get_xlim()[0] < X[:, 0].min() and ax.get_xlim()[1] > X[:, 0].max()
    # two classes: P(class 1) with a colour bar and the 0.5 contour; more: class regions
    assert len(fig.axes) == (2 if classes == 2 else 1)
    with pytest.raises(ValueError, match=r"X: \(n, 2\)"):
        plotting.plot_decision_boundary(net, np.zeros((5, 3)), np.zeros(5))


def test_a_notebook_shows_a_figure_as_png():
    fig = plotting.plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]})
    assert fig._repr_png_().startswith(b"\x89PNG\r\n\x1a\n")


def test_plot_images_marks_the_mistakes(digits, tmp_path):
    net, _, X, y = digits
    y_pred = net.predict(X)
    fig = plotting.plot_images(X, y, y_pred, image_shape=(8, 8))
    save(fig, tmp_path, "images.png")
    shown = [ax for ax in fig.axes if ax.get_images()]
    assert len(shown) == 25
    red = [ax for ax in shown if ax.title.get_color() == plotting.MISTAKE]
    assert len(red) == int(np.sum(y_pred[:25] != y[:25]))
    assert all(len(ax.patches) == 1 for ax in red)
    np.testing.assert_array_equal(shown[3].get_images()[0].get_array(), X[3].reshape(8, 8))
    assert shown[0].get_title() == f"{y_pred[0]} ({y[0]})"
    fig = plotting.plot_images(X, y, image_shape=(8, 8), n=6)  # labels only
    assert [ax.get_title() for ax in fig.axes if ax.get_images()] == [str(v) for v in y[:6]]
    with pytest.raises(ValueError, match=r"image_shape \(28, 28\) does not fit rows of 64"):
        plotting.plot_images(X, y)


def test_plot_confusion_matrix(digits, tmp_path):
    net, _, X, y = digits
    y_pred = net.predict(X)
    fig = plotting.plot_confusion_matrix(y, y_pred)
    save(fig, tmp_path, "cm.png")
    ax = fig.axes[0]
    C = confusion_matrix(y, y_pred, n_classes=10)
    written = np.array([int(t.get_text()) for t in ax.texts]).reshape(10, 10)
    np.testing.assert_array_equal(written, C)
    fig = plotting.plot_confusion_matrix(y, y_pred, normalize=True)
    assert fig.axes[0].texts[0].get_text() == f"{C[0, 0] / C[0].sum():.2f}"
    # named classes that no sample has or gets still have their row and column
    fig = plotting.plot_confusion_matrix([0, 1, 1], [0, 1, 0], class_names=["a", "b", "c"])
    assert len(fig.axes[0].texts) == 9
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["a", "b", "c"]


def test_too_few_class_names_are_refused(digits):
    _, _, X, y = digits
    with pytest.raises(ValueError, match="class_names has 2 names, the labels need 3"):
        plotting.plot_confusion_matrix([0, 1, 2], [0, 1, 1], class_names=["a", "b"])
    with pytest.raises(ValueError, match="class_names has 2 names, the labels need 3"):
        plotting.plot_confusion_matrix([0, 1, 1], [0, 1, 2], class_names=["a", "b"])
    with pytest.raises(ValueError, match="class_names has 9 names, the labels need 10"):
        plotting.plot_images(X, y, image_shape=(8, 8), class_names=list("abcdefghi"))
    fig = plotting.plot_images(X[:2], [0, 1], image_shape=(8, 8), class_names=["zero", "one"])
    assert [ax.get_title() for ax in fig.axes if ax.get_images()] == ["zero", "one"]


def test_plot_weights(digits, tmp_path):
    net, _, _, _ = digits
    fig = plotting.plot_weights(net, (8, 8))
    save(fig, tmp_path, "weights.png")
    shown = [ax for ax in fig.axes if ax.get_images()]
    assert len(shown) == 16  # the layer has 16 units, fewer than n=25
    W = net.layers[0].params["W"]
    np.testing.assert_array_equal(shown[5].get_images()[0].get_array(), W[:, 5].reshape(8, 8))
    assert len(plotting.plot_weights(net.layers[0], (8, 8), n=4).axes) == 4
    with pytest.raises(ValueError, match=r"image_shape \(7, 7\)"):
        plotting.plot_weights(net, (7, 7))
    with pytest.raises(ValueError, match="Dense layer or a Network"):
        plotting.plot_weights(pn.ReLU(), (8, 8))
