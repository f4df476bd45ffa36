"""plainnet.estimators: scikit-learn's estimator checks, and the drop-in uses."""

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, make_multilabel_classification, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from plainnet.estimators import MLPClassifier, MLPRegressor

SRC = Path(__file__).resolve().parents[1] / "src"

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.25, random_state=0, stratify=y)


# max_iter as in scikit-learn's own check of its MLPs: enough to pass, and fast
@parametrize_with_checks([MLPClassifier(max_iter=100), MLPRegressor(max_iter=100)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_import_plainnet_does_not_import_sklearn():
    code = "import sys, plainnet; print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": str(SRC)}, check=True)
    assert out.stdout.strip() == "False"


# --- drop-in uses ---------------------------------------------------------------------------

def test_pipeline(digits):
    X_train, X_test, y_train, y_test = digits
    pipe = make_pipeline(StandardScaler(), MLPClassifier((64,), max_iter=30, random_state=0))
    assert pipe.fit(X_train, y_train).score(X_test, y_test) > 0.93


def test_grid_search_cv(digits):
    X_train, _, y_train, _ = digits
    grid = GridSearchCV(MLPClassifier(learning_rate_init=0.01, max_iter=15, random_state=0),
                        {"hidden_layer_sizes": [(8,), (64,)], "alpha": [1e-4, 1e-2]}, cv=3)
    grid.fit(X_train[:600], y_train[:600])
    assert grid.best_params_["hidden_layer_sizes"] == (64,)
    assert grid.best_score_ > 0.85
    assert grid.cv_results_["mean_test_score"].shape == (4,)


def test_cross_val_score(digits):
    X_train, _, y_train, _ = digits
    scores = cross_val_score(MLPClassifier((32,), learning_rate_init=0.01, max_iter=20,
                                           random_state=0),
                             X_train, y_train, cv=3)
    assert scores.shape == (3,)
    assert scores.min() > 0.85


def test_clone_is_unfitted_and_refits_identically(digits):
    X_train, X_test, y_train, _ = digits
    clf = MLPClassifier((16,), alpha=1e-3, max_iter=5, random_state=3).fit(X_train, y_train)
    twin = clone(clf)
    assert twin.get_params() == clf.get_params()
    with pytest.raises(NotFittedError):
        twin.predict(X_test)
    twin.fit(X_train, y_train)
    np.testing.assert_array_equal(twin.predict_proba(X_test), clf.predict_proba(X_test))
    assert twin.loss_curve_ == clf.loss_curve_


def test_accuracy_close_to_sklearn(digits):
    X_train, X_test, y_train, y_test = digits
    ours = MLPClassifier((64,), max_iter=40, random_state=0).fit(X_train, y_train)
    theirs = SkMLPClassifier((64,), max_iter=40, random_state=0).fit(X_train, y_train)
    assert ours.score(X_test, y_test) > theirs.score(X_test, y_test) - 0.03


def test_fitted_attributes(digits):
    X_train, _, y_train, _ = digits
    clf = MLPClassifier((32, 16), max_iter=7, random_state=0).fit(X_train, y_train)
    assert [W.shape for W in clf.coefs_] == [(64, 32), (32, 16), (16, 10)]
    assert [b.shape for b in clf.intercepts_] == [(32,), (16,), (10,)]
    assert clf.n_features_in_ == 64 and clf.n_outputs_ == 10 and clf.n_layers_ == 4
    assert clf.n_iter_ == 7 and len(clf.loss_curve_) == 7 and clf.t_ == 7 * len(X_train)
    assert clf.best_loss_ == min(clf.loss_curve_) and clf.validation_scores_ is None
    assert clf.out_activation_ == "softmax"
    np.testing.assert_array_equal(clf.classes_, np.arange(10))


# --- labels ---------------------------------------------------------------------------------

def test_string_labels(digits):
    X_train, X_test, y_train, y_test = digits
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven",
                      "eight", "nine"])
    clf = MLPClassifier((32,), learning_rate_init=0.01, max_iter=20, random_state=0)
    clf.fit(X_train, names[y_train])
    assert list(clf.classes_) == sorted(names)
    pred = clf.predict(X_test)
    assert pred.dtype.kind == "U" and set(pred) <= set(names)
    assert clf.score(X_test, names[y_test]) > 0.9
    P = clf.predict_proba(X_test)
    # columns follow classes_: the most probable column names the predicted label
    np.testing.assert_array_equal(clf.classes_[P.argmax(axis=1)], pred)


def test_binary_string_labels_give_two_probability_columns():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = np.where(X[:, 0] + X[:, 1] > 0, "pos", "neg")
    clf = MLPClassifier((8,), learning_rate_init=0.01, max_iter=100, random_state=0).fit(X, y)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 1
    P = clf.predict_proba(X)
    assert P.shape == (200, 2)
    np.testing.assert_allclose(P.sum(axis=1), 1)
    assert clf.score(X, y) > 0.95


def test_multilabel_indicator_targets():
    X, Y = make_multilabel_classification(300, n_features=10, n_classes=4, random_state=0)
    X = StandardScaler().fit_transform(X)
    clf = MLPClassifier((32,), learning_rate_init=0.01, max_iter=200, random_state=0).fit(X, Y)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 4
    pred = clf.predict(X)
    assert pred.shape == (300, 4) and set(np.unique(pred)) <= {0, 1}
    P = clf.predict_proba(X)
    assert P.shape == (300, 4)
    np.testing.assert_array_equal(pred, (P > 0.5).astype(int))
    assert (pred == Y).mean() > 0.9  # per-label accuracy on the training set


def test_predict_log_proba_is_finite_where_the_probability_underflows():
    X = np.array([[0.0], [1.0]] * 20)
    y = np.array([0, 1] * 20)
    clf = MLPClassifier((4,), learning_rate_init=0.1, max_iter=300, random_state=0).fit(X, y)
    far = np.array([[-1e4], [1e4]])  # saturates the sigmoid: one probability rounds to 0
    assert np.isfinite(clf.predict_log_proba(far)).all()
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), clf.predict_proba(X),
                               atol=1e-12)


# --- dtype ----------------------------------------------------------------------------------

def test_float32_stays_float32(digits):
    X_train, X_test, y_train, _ = digits
    X32 = X_train.astype(np.float32)
    clf = MLPClassifier((16,), max_iter=3, random_state=0).fit(X32, y_train)
    reg = MLPRegressor(hidden_layer_sizes=(16,), max_iter=3, random_state=0)
    reg.fit(X32, y_train.astype(np.float32))
    for est in (clf, reg):
        assert all(W.dtype == np.float32 for W in est.coefs_ + est.intercepts_)
    assert clf.predict_proba(X_test.astype(np.float32)).dtype == np.float32
    assert reg.predict(X_test.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize(("X_dtype", "dtype", "expected"), [
    (np.float64, None, np.float64),
    (np.int64, None, np.float64),
    (np.float64, "float32", np.float32),
    (np.float32, "float64", np.float64),
])
def test_dtype_parameter(X_dtype, dtype, expected):
    X = np.arange(40).reshape(20, 2).astype(X_dtype)
    y = np.arange(20) % 2
    clf = MLPClassifier((4,), max_iter=2, dtype=dtype, random_state=0).fit(X, y)
    assert clf.coefs_[0].dtype == expected
    assert clf.predict_proba(X).dtype == expected


# --- incremental and warm-started training --------------------------------------------------

def test_partial_fit(digits):
    X_train, X_test, y_train, y_test = digits
    clf = MLPClassifier((32,), learning_rate_init=0.01, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X_train[:10], y_train[:10])
    first = y_train != 9  # the first chunk lacks a class: classes= names it
    clf.partial_fit(X_train[first][:200], y_train[first][:200], classes=np.arange(10))
    np.testing.assert_array_equal(clf.classes_, np.arange(10))
    assert clf.n_iter_ == 1
    before = clf.score(X_test, y_test)
    for _ in range(5):
        for start in range(0, len(X_train), 300):
            clf.partial_fit(X_train[start:start + 300], y_train[start:start + 300])
    assert len(clf.loss_curve_) == 1 + 5 * len(range(0, len(X_train), 300))
    assert clf.score(X_test, y_test) > max(before, 0.9)
    with pytest.raises(ValueError, match="classes not in classes_"):
        clf.partial_fit(X_train[:5], np.full(5, 11))


def test_partial_fit_regressor():
    X, y = make_regression(300, n_features=5, noise=1.0, random_state=0)
    y = y / y.std()
    reg = MLPRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.01, random_state=0)
    for _ in range(40):
        reg.partial_fit(X, y)
    assert reg.n_iter_ == 1 and len(reg.loss_curve_) == 40
    assert reg.score(X, y) > 0.9


def test_warm_start_continues_and_cold_start_restarts(digits):
    X_train, _, y_train, _ = digits
    warm = MLPClassifier((16,), max_iter=5, warm_start=True, random_state=0)
    warm.fit(X_train, y_train)
    first = list(warm.loss_curve_)
    weights = warm.coefs_[0].copy()
    warm.fit(X_train, y_train)
    assert warm.loss_curve_[:5] == first and len(warm.loss_curve_) == 10
    assert warm.loss_curve_[5] < first[0]  # went on from trained weights
    assert not np.array_equal(warm.coefs_[0], weights)

    cold = MLPClassifier((16,), max_iter=5, random_state=0).fit(X_train, y_train)
    cold.fit(X_train, y_train)
    assert cold.loss_curve_ == first  # a fresh start, same seed: the same run again

    with pytest.raises(ValueError, match="warm_start"):
        warm.set_params(hidden_layer_sizes=(8,)).fit(X_train, y_train)


def test_early_stopping_restores_the_best_weights(digits):
    X_train, _, y_train, _ = digits
    params = {"hidden_layer_sizes": (32,), "early_stopping": True, "n_iter_no_change": 2,
              "tol": 0.0, "learning_rate_init": 0.01, "shuffle": False, "max_iter": 200,
              "random_state": 0}
    clf = MLPClassifier(**params).fit(X_train, y_train)
    assert clf.n_iter_ < 200
    assert len(clf.validation_scores_) == clf.n_iter_ and clf.best_loss_ is None
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.validation_scores_[-1] < clf.best_validation_score_  # the last was not the best
    # scikit-learn on the same split (same draws), and the same restored weights
    reference = SkMLPClassifier(**params).fit(X_train, y_train)
    assert clf.validation_scores_ == pytest.approx(reference.validation_scores_)
    for ours, theirs in zip(clf.coefs_, reference.coefs_, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match="early_stopping"):
        clf.partial_fit(X_train, y_train)


def test_convergence_warning_at_max_iter(digits):
    X_train, _, y_train, _ = digits
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        MLPClassifier((8,), max_iter=2, random_state=0).fit(X_train, y_train)


def test_stops_when_the_loss_stops_improving():
    X = np.array([[0.0], [1.0]] * 20)
    y = np.array([0, 1] * 20)
    params = {"hidden_layer_sizes": (4,), "tol": 10.0, "n_iter_no_change": 3, "max_iter": 100,
              "random_state": 0}
    clf = MLPClassifier(**params).fit(X, y)
    # the first epoch improves on inf; then more than n_iter_no_change fail: 1 + 4 epochs
    assert clf.n_iter_ == SkMLPClassifier(**params).fit(X, y).n_iter_ == 5


# --- the same numbers as scikit-learn -----------------------------------------------------

def _problem(kind):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 4))
    if kind == "multiclass":
        return X, np.digitize(X[:, 0] + X[:, 1], [-0.5, 0.5])
    if kind == "binary":
        return X, np.where(X[:, 0] * X[:, 1] > 0, "same", "differ")
    if kind == "multilabel":
        return X, (X[:, :3] > 0).astype(int)
    return X, np.column_stack([X[:, 0] ** 2, np.sin(X[:, 1])])  # regression, two outputs


@pytest.mark.parametrize("kind", ["multiclass", "binary", "multilabel", "regression"])
@pytest.mark.parametrize("solver", [
    {"solver": "adam"},
    {"solver": "sgd", "momentum": 0.9, "nesterovs_momentum": True},
    {"solver": "sgd", "momentum": 0.5, "nesterovs_momentum": False,
     "learning_rate": "invscaling"},
    {"solver": "sgd", "learning_rate": "adaptive", "tol": 1e-2, "n_iter_no_change": 2},
])
def test_same_training_as_sklearn_to_rounding(kind, solver):
    """Same weights drawn, same updates, same losses and stopping: without shuffling (the
    shuffles draw differently), training follows scikit-learn's to rounding."""
    from sklearn.neural_network import MLPRegressor as SkMLPRegressor

    X, y = _problem(kind)
    params = {"hidden_layer_sizes": (7, 5), "alpha": 0.01, "batch_size": 32,  # 90 = 32+32+26
              "learning_rate_init": 0.01, "max_iter": 60, "shuffle": False, "random_state": 0,
              **solver}
    ours, theirs = ((MLPRegressor, SkMLPRegressor) if kind == "regression"
                    else (MLPClassifier, SkMLPClassifier))
    ours, theirs = ours(**params).fit(X, y), theirs(**params).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_,
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    predict = "predict" if kind == "regression" else "predict_proba"
    np.testing.assert_allclose(getattr(ours, predict)(X), getattr(theirs, predict)(X),
                               rtol=1e-9, atol=1e-12)


# --- the loss, in scikit-learn's units ------------------------------------------------------

def _first_epoch(est, X, y):
    """Fit one full-batch epoch with a tiny step: loss_ is the loss at the fitted weights."""
    est.set_params(solver="sgd", momentum=0.0, learning_rate_init=1e-12, batch_size=len(X),
                   max_iter=1, dtype="float64", random_state=0)
    return est.fit(X, y)


def test_regressor_loss_is_half_mse_plus_penalty():
    X, Y = make_regression(50, n_features=3, n_targets=2, random_state=0)
    reg = _first_epoch(MLPRegressor(hidden_layer_sizes=(5,), alpha=0.3), X, Y / 100)
    penalty = 0.5 * 0.3 * sum((W ** 2).sum() for W in reg.coefs_) / len(X)
    expected = 0.5 * np.mean((Y / 100 - reg.predict(X)) ** 2) + penalty
    assert reg.loss_ == pytest.approx(expected, rel=1e-9)


def test_multilabel_loss_sums_over_labels():
    X, Y = make_multilabel_classification(50, n_features=4, n_classes=3, random_state=0)
    X = StandardScaler().fit_transform(X)
    clf = _first_epoch(MLPClassifier((5,), alpha=0.0), X, Y)
    P = clf.predict_proba(X)
    expected = -np.sum(Y * np.log(P) + (1 - Y) * np.log(1 - P)) / len(X)
    assert clf.loss_ == pytest.approx(expected, rel=1e-9)


# --- errors and extras ----------------------------------------------------------------------

@pytest.mark.parametrize(("params", "match"), [
    ({"alpha": -1.0}, "alpha must be"),
    ({"activation": "swish"},
     r"activation must be one of \('identity', 'logistic', 'tanh', 'relu'\), got 'swish'"),
    ({"hidden_layer_sizes": (10, 0)},
     r"hidden_layer_sizes\[1\] must be an integer in \[1, inf\), got 0"),
    ({"hidden_layer_sizes": 2.5}, r"hidden_layer_sizes must be an integer, got 2.5"),
    ({"batch_size": 0}, "batch_size"),
    ({"dtype": "int8"}, "dtype"),
    ({"validation_fraction": 1.0}, "validation_fraction"),
])
def test_bad_parameters_name_themselves(params, match):
    with pytest.raises(ValueError, match=match):
        MLPRegressor(**params).fit([[0.0], [1.0]], [0.0, 1.0])


@pytest.mark.parametrize(("name", "value"), [
    ("solver", "SGD"), ("activation", "Logistic"), ("learning_rate", "Adaptive")])
def test_choices_are_exact_as_in_sklearn(name, value):
    """Regression: these were looked up case-insensitively but compared exactly, so
    solver="SGD" trained with Adam."""
    with pytest.raises(ValueError, match=rf"{name} must be one of \(.*'{value.lower()}'.*\), "
                                         rf"got '{value}'"):
        MLPClassifier(**{name: value}).fit([[0.0], [1.0]], [0, 1])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow that diverges
def test_divergence_names_the_epoch_it_happened_in():
    from plainnet import DivergenceError

    X = np.linspace(-1, 1, 40).reshape(-1, 1)
    reg = MLPRegressor(hidden_layer_sizes=(4,), activation="identity", solver="sgd", momentum=0.0,
                       learning_rate_init=1.0, batch_size=40, max_iter=200, tol=0.0,
                       random_state=0)
    with pytest.raises(DivergenceError) as err:
        reg.fit(X, 3 * X[:, 0])
    completed = len(reg.network_.history)
    assert completed > 1 and err.value.epoch == completed + 1
    assert f"diverged in epoch {completed + 1}" in str(err.value)


def test_inputs_are_validated_once_per_fit(digits, monkeypatch):
    """One Network.fit for all epochs, and the validation score from the network's forward
    pass: neither re-checks the arrays every epoch."""
    from plainnet.network import Network

    checks = []
    check_X = Network.check_inputs
    monkeypatch.setattr(Network, "check_inputs", lambda self, *a, **k: checks.append(1)
                        or check_X(self, *a, **k))
    X_train, _, y_train, _ = digits
    clf = MLPClassifier((8,), max_iter=5, early_stopping=True, random_state=0)
    clf.fit(X_train, y_train)
    assert clf.n_iter_ == 5 and len(checks) == 1


@pytest.mark.parametrize("kind", ["multiclass", "binary", "multilabel", "regression"])
def test_a_saved_network_predicts_as_the_estimator(tmp_path, kind):
    """network_.save works for the default adam and every output (the estimators' own
    optimizer and losses are saved as the built-in classes they extend)."""
    from plainnet import BinaryCrossEntropy, CategoricalCrossEntropy, MeanSquaredError, load
    from plainnet.optimizers import Adam

    X, y = _problem(kind)
    est = (MLPRegressor if kind == "regression" else MLPClassifier)(
        hidden_layer_sizes=(7,), max_iter=20, epsilon=1e-7, random_state=0).fit(X, y)
    est.network_.save(tmp_path / "net.npz")
    net = load(tmp_path / "net.npz")
    P = net.predict_proba(X)
    if kind == "regression":
        np.testing.assert_array_equal(P, est.predict(X))
    else:  # one sigmoid unit for two classes: the estimator adds the column 1 - p
        np.testing.assert_array_equal(P, est.predict_proba(X)[:, -P.shape[1]:])
        np.testing.assert_array_equal(est._decode(P), est.predict(X))
    loss = {"multiclass": CategoricalCrossEntropy, "binary": BinaryCrossEntropy,
            "multilabel": BinaryCrossEntropy, "regression": MeanSquaredError}[kind]
    assert type(net.loss) is loss and type(net.optimizer) is Adam
    assert net.optimizer.eps == 1e-7  # the ε given, not the last step's corrected one
    assert net.optimizer.iterations == est.network_.optimizer.iterations > 0


def test_verbose_and_progress(capsys):
    X = np.array([[0.0], [1.0]] * 10)
    y = np.array([0, 1] * 10)
    MLPClassifier((4,), max_iter=3, verbose=True, progress=True, random_state=0).fit(X, y)
    out, err = capsys.readouterr()
    assert "Iteration 3, loss = " in out
    assert "3/3" in err  # tqdm's bar on stderr


def test_ctrl_c_stops_training_and_keeps_a_usable_model(digits):
    X_train, X_test, y_train, _ = digits
    clf = MLPClassifier((16,), max_iter=100_000, tol=0.0, n_iter_no_change=100_000,
                        random_state=0)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.warns(UserWarning, match="interrupted by user"):
            clf.fit(X_train, y_train)
    finally:
        timer.cancel()
    assert 0 < clf.n_iter_ < 100_000
    assert clf.predict(X_test).shape == (len(X_test),)


# --- scikit-learn's whole interface: lbfgs, sample weights, sparse input, Poisson ----------

def test_constructors_take_sklearns_parameters_in_its_order():
    import inspect

    from sklearn.neural_network import MLPRegressor as SkMLPRegressor

    for ours, theirs in ((MLPClassifier, SkMLPClassifier), (MLPRegressor, SkMLPRegressor)):
        names = list(inspect.signature(ours).parameters)
        expected = list(inspect.signature(theirs).parameters)
        assert names[:len(expected)] == expected
        assert names[len(expected):] == ["dtype", "progress", "device"]
        # every setting of scikit-learn's estimator builds ours
        assert ours(**theirs(n_iter_no_change=np.inf, validation_fraction=0.0).get_params())
    assert MLPRegressor("poisson").loss == "poisson"


def test_partial_fit_is_not_there_for_lbfgs():
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")
    assert not hasattr(MLPRegressor(solver="lbfgs"), "partial_fit")
    assert hasattr(MLPRegressor(solver="sgd"), "partial_fit")


def test_lbfgs_fits_the_digits(digits):
    X_train, X_test, y_train, y_test = digits
    clf = MLPClassifier((32,), solver="lbfgs", max_iter=200, random_state=0)
    clf.fit(X_train, y_train)
    assert clf.score(X_test, y_test) > 0.93
    assert clf.loss_ == pytest.approx(clf.loss_curve_[-1])
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        MLPClassifier((32,), solver="lbfgs", max_fun=5, random_state=0).fit(X_train, y_train)


@pytest.mark.parametrize("sparse", ["csr_matrix", "csc_matrix", "csr_array"])
def test_sparse_input_stays_sparse_and_trains_as_dense(sparse):
    import scipy.sparse

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 12)) * (rng.uniform(size=(80, 12)) < 0.25)
    y = (X[:, :6].sum(axis=1) > 0).astype(int)
    params = {"hidden_layer_sizes": (8,), "max_iter": 30, "shuffle": True, "batch_size": 16,
              "random_state": 0}
    dense = MLPClassifier(**params).fit(X, y)
    est = MLPClassifier(**params).fit(getattr(scipy.sparse, sparse)(X), y)
    # the first layer trained on the sparse matrix itself, a batch of rows of it
    assert scipy.sparse.issparse(est.network_.layers[0]._x)
    np.testing.assert_allclose(est.loss_curve_, dense.loss_curve_, rtol=1e-10)
    np.testing.assert_allclose(est.predict_proba(scipy.sparse.csc_matrix(X)),
                               dense.predict_proba(X), rtol=1e-10)


@pytest.mark.parametrize("kind", ["multiclass", "binary", "multilabel", "regression"])
def test_sample_weights_train_as_sklearn_does(kind):
    """Weighted batch losses, the L2 term over each batch's total weight: the same loss
    curve and weights as scikit-learn's without shuffling."""
    from sklearn.neural_network import MLPRegressor as SkMLPRegressor

    X, y = _problem(kind)
    w = np.random.default_rng(1).uniform(0, 3, size=len(X))
    params = {"hidden_layer_sizes": (7,), "alpha": 0.01, "batch_size": 32, "max_iter": 20,
              "learning_rate_init": 0.01, "shuffle": False, "random_state": 0}
    ours, theirs = ((MLPRegressor, SkMLPRegressor) if kind == "regression"
                    else (MLPClassifier, SkMLPClassifier))
    ours, theirs = ours(**params).fit(X, y, sample_weight=w), theirs(**params).fit(X, y,
                                                                               sample_weight=w)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_,
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-12)
    assert ours.score(X, y, sample_weight=w) == pytest.approx(theirs.score(X, y,
                                                                            sample_weight=w))


def test_partial_fit_takes_sample_weights():
    X, y = _problem("multiclass")
    w = np.zeros(len(X))
    w[:45] = 1.0
    cut = MLPClassifier((5,), batch_size=45, random_state=0)
    half = MLPClassifier((5,), batch_size=len(X), random_state=0)
    cut.partial_fit(X[:45], y[:45], classes=[0, 1, 2])
    half.partial_fit(X, y, sample_weight=w, classes=[0, 1, 2])
    # zero weights drop samples: one full batch of the first 45 samples, either way
    np.testing.assert_allclose(half.coefs_[0], cut.coefs_[0], rtol=1e-10)


def test_poisson_regressor_trains_as_sklearns():
    from sklearn.neural_network import MLPRegressor as SkMLPRegressor

    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(150, 3))
    y = rng.poisson(np.exp(X[:, 0] - X[:, 1]))
    params = {"loss": "poisson", "hidden_layer_sizes": (6,), "learning_rate_init": 0.01,
              "max_iter": 30, "shuffle": False, "random_state": 0}
    ours, theirs = MLPRegressor(**params).fit(X, y), SkMLPRegressor(**params).fit(X, y)
    assert ours.out_activation_ == theirs.out_activation_ == "exp"
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-8)
    assert (ours.predict(X) > 0).all()
    with pytest.raises(ValueError, match="y >= 0"):
        MLPRegressor(loss="poisson").fit(X, -y)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow that diverges
def test_divergence_under_early_stopping_restores_the_best_weights_and_warns():
    X = np.linspace(-1, 1, 60).reshape(-1, 1)
    y = 3 * X[:, 0]
    reg = MLPRegressor(hidden_layer_sizes=(4,), activation="identity", solver="sgd",
                       momentum=0.0, learning_rate_init=1.0, batch_size=40, max_iter=200,
                       early_stopping=True, tol=0.0, random_state=0)
    with pytest.warns(ConvergenceWarning, match="diverged.*best validation score"):
        reg.fit(X, y)
    assert np.isnan(reg.validation_scores_[-1]) and len(reg.validation_scores_) == reg.n_iter_
    assert np.isfinite(reg.predict(X)).all()
    best = reg.validation_scores_.index(reg.best_validation_score_)
    assert reg.best_validation_score_ == max(reg.validation_scores_[:-1])
    assert best < reg.n_iter_ - 1


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergence_without_early_stopping_is_sklearns_value_error():
    from plainnet import DivergenceError

    X = np.linspace(-1, 1, 40).reshape(-1, 1)
    reg = MLPRegressor(hidden_layer_sizes=(4,), activation="identity", solver="sgd",
                       momentum=0.0, learning_rate_init=1.0, batch_size=40, max_iter=200,
                       tol=0.0, random_state=0)
    with pytest.raises(ValueError, match="Solver produced non-finite parameter weights") as err:
        reg.fit(X, 3 * X[:, 0])
    assert isinstance(err.value, DivergenceError) and "diverged in epoch" in str(err.value)


def test_assigned_coefs_and_intercepts_are_what_predict_uses(digits):
    X_train, X_test, y_train, _ = digits
    clf = MLPClassifier((8,), max_iter=5, random_state=0).fit(X_train, y_train)
    clf.intercepts_[1] = np.arange(10.0) * 100  # one item: class 9 wins everywhere
    clf.coefs_[1] = np.zeros((8, 10))
    assert (clf.predict(X_test) == 9).all()
    assert clf.network_.parameters()["2.W"].sum() == 0  # written into the network
    clf.coefs_ = [np.zeros((64, 8)), np.zeros((8, 10))]  # a whole new list
    clf.intercepts_ = [np.zeros(8), -np.arange(10.0)]
    assert (clf.predict(X_test) == 0).all()
    assert clf.coefs_[0] is clf.network_.parameters()["0.W"]  # the network's arrays again
    with pytest.raises(ValueError, match=r"coefs_\[0\] has shape"):
        clf.coefs_[0] = np.zeros((3, 8))
        clf.predict(X_test)


def test_n_iter_no_change_inf_runs_to_max_iter():
    X = np.array([[0.0], [1.0]] * 10)
    y = np.array([0, 1] * 10)
    with pytest.warns(ConvergenceWarning):
        clf = MLPClassifier((4,), tol=1e9, n_iter_no_change=np.inf, max_iter=25,
                            validation_fraction=0.0, random_state=0).fit(X, y)
    assert clf.n_iter_ == 25 and clf._no_improvement_count == 24
    with pytest.raises(ValueError, match="validation set is too small"):
        MLPClassifier(early_stopping=True, validation_fraction=0.0).fit(X, y)
