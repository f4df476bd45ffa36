"""Full-batch L-BFGS: the flattened parameters, the objective's gradient, Network.fit_lbfgs,
and the estimators' solver="lbfgs" against scikit-learn from the same initial weights."""

import itertools
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import plainnet as pn
from plainnet.gradcheck import numeric_gradient, relative_error
from plainnet.training.lbfgs import FlatParameters, objective

SRC = Path(__file__).resolve().parents[2] / "src"


def test_flat_parameters_round_trip():
    W, b = np.arange(6.0).reshape(2, 3).astype(np.float32), np.zeros(3, dtype=np.float32)
    flat = FlatParameters([W, b])
    theta = flat.get()
    assert theta.dtype == np.float64 and theta.tolist() == [0, 1, 2, 3, 4, 5, 0, 0, 0]
    flat.set(theta[::-1].copy())
    assert W.tolist() == [[0, 0, 0], [5, 4, 3]] and b.tolist() == [2, 1, 0]
    np.testing.assert_array_equal(flat.pack([W, b]), theta[::-1])


@pytest.mark.parametrize("weighted", [False, True])
def test_objective_gradient_matches_central_differences(weighted, rng):
    """The loss with its weight-decay term, over θ in a chosen order, and its gradient."""
    net = pn.mlp([4, 5, 3], activation="tanh", dtype="float64", seed=0)
    X, T = net.prepare(rng.normal(size=(11, 4)), rng.integers(0, 3, 11))
    w = rng.uniform(0.5, 2, size=11) if weighted else None
    flat, f = objective(net, X, T, sample_weight=w, weight_decay=0.3,
                        order=["0.W", "2.W", "0.b", "2.b"])
    theta = flat.get()
    _, grad = f(theta)
    numeric = numeric_gradient(lambda: f(theta)[0], theta)
    assert relative_error(grad, numeric) < 1e-7
    # the weight-decay term covers the weights only: ½·0.3·(‖W0‖² + ‖W2‖²)
    loss0, _ = objective(net, X, T, sample_weight=w, order=["0.W", "2.W", "0.b", "2.b"])[1](theta)
    squares = sum(float(np.sum(net.parameters()[k] ** 2)) for k in ("0.W", "2.W"))
    assert f(theta)[0] == pytest.approx(loss0 + 0.15 * squares, rel=1e-12)


def test_network_fit_lbfgs_learns_xor_and_says_when_it_stops_early():
    X, y = [[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0]
    net = pn.mlp([2, 8, 2], activation="tanh", dtype="float64", seed=0)
    history = net.fit_lbfgs(X, y, tol=1e-8)
    assert history.stop_reason is None and len(history) > 2
    assert net.predict(X).tolist() == y
    assert net.evaluate(X, y)["loss"] == pytest.approx(history["loss"][-1], rel=1e-9)
    assert len(net.history) == len(history)
    short = pn.mlp([2, 8, 2], activation="tanh", dtype="float64", seed=0).fit_lbfgs(
        X, y, max_iter=2)
    assert len(short) == 2 and "ITERATIONS REACHED LIMIT" in short.stop_reason


def test_fit_lbfgs_takes_sparse_input_and_sample_weights(rng):
    import scipy.sparse

    X = rng.normal(size=(30, 6)) * (rng.uniform(size=(30, 6)) < 0.3)
    y = (X.sum(axis=1) > 0).astype(int)
    w = rng.uniform(0.5, 2, size=30)
    dense = pn.mlp([6, 4, 2], dtype="float64", seed=0)
    sparse = pn.mlp([6, 4, 2], dtype="float64", seed=0)
    dense.fit_lbfgs(X, y, sample_weight=w, max_iter=30)
    sparse.fit_lbfgs(scipy.sparse.csc_matrix(X), y, sample_weight=w, max_iter=30)
    for a, b in zip(dense.get_weights(), sparse.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_import_plainnet_does_not_import_scipy():
    code = "import sys, plainnet; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": str(SRC)}, check=True)
    assert out.stdout.strip() == "False"


# --- the estimators' solver="lbfgs" against scikit-learn -------------------------------------

def _set_weights(est, coefs, intercepts, out_activation):
    """Give an unfitted estimator (ours or scikit-learn's) these initial weights, as
    scikit-learn's own tests do; a warm-started fit then starts from them."""
    est.coefs_ = [c.copy() for c in coefs]
    est.intercepts_ = [b.copy() for b in intercepts]
    est.n_layers_ = len(coefs) + 1
    est.n_outputs_ = coefs[-1].shape[1]
    est.n_features_in_ = coefs[0].shape[0]
    est.out_activation_ = out_activation
    return est


@pytest.mark.parametrize(("kind", "params"), [
    ("multiclass", {"activation": "tanh", "alpha": 1e-3}),
    ("binary", {"activation": "relu", "alpha": 0.0}),
    ("regression", {"activation": "logistic", "alpha": 1e-2}),
    ("poisson", {"activation": "tanh", "alpha": 1e-3, "loss": "poisson"}),
])
def test_lbfgs_reaches_sklearns_loss_from_the_same_initial_weights(kind, params):
    from sklearn.neural_network import MLPClassifier as SkClassifier
    from sklearn.neural_network import MLPRegressor as SkRegressor

    from plainnet.estimators import MLPClassifier, MLPRegressor

    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 6))
    w = rng.uniform(0.5, 2.0, size=120)
    if kind == "multiclass":
        y, k, out, classes = np.digitize(X[:, 0] + X[:, 1], [-0.5, 0.5]), 3, "softmax", True
    elif kind == "binary":
        y, k, out, classes = (X[:, 0] * X[:, 1] > 0).astype(int), 1, "logistic", True
    elif kind == "regression":
        y, k, out, classes = np.sin(X[:, 0]) + X[:, 1] ** 2, 1, "identity", False
    else:
        y, k, out, classes = rng.poisson(np.exp(0.5 * X[:, 0])), 1, "exp", False
    sizes = [6, 9, k]
    coefs = [rng.uniform(-0.5, 0.5, (a, b)) for a, b in itertools.pairwise(sizes)]
    intercepts = [rng.uniform(-0.5, 0.5, b) for b in sizes[1:]]
    common = {"hidden_layer_sizes": (9,), "solver": "lbfgs", "max_iter": 60, "tol": 1e-10,
              "warm_start": True, **params}
    ours, theirs = (MLPClassifier, SkClassifier) if classes else (MLPRegressor, SkRegressor)
    ours = _set_weights(ours(**common), coefs, intercepts, out)
    theirs = _set_weights(theirs(**common), coefs, intercepts, out)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both stop at max_iter, and say so
        ours.fit(X, y, sample_weight=w)
        theirs.fit(X, y, sample_weight=w)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-6)
    predict = "predict_proba" if classes else "predict"
    np.testing.assert_allclose(getattr(ours, predict)(X), getattr(theirs, predict)(X),
                               rtol=1e-4, atol=1e-6)
