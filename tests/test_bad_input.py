"""Bad input to fit, predict and evaluate, and bad hyperparameters: each is refused with a
ValueError that names the argument, the value seen and what is allowed, and a refused call
changes nothing in the network."""

import numpy as np
import pytest

import plainnet as pn
from plainnet.checks import all_finite, check_number

N_FEATURES, N_CLASSES = 4, 3


@pytest.fixture
def net():
    return pn.mlp([N_FEATURES, 5, N_CLASSES], seed=0)


@pytest.fixture
def Xy(rng):
    return rng.normal(size=(12, N_FEATURES)), rng.integers(0, N_CLASSES, 12)


def state(network):
    return (network.get_weights(), network.optimizer.iterations, len(network.history),
            {k: {kk: a.copy() for kk, a in v.items()} for k, v in network.optimizer.state.items()})


def assert_unchanged(network, before):
    weights, iterations, epochs, opt_state = before
    assert all(np.array_equal(a, b) for a, b in zip(network.get_weights(), weights, strict=True))
    assert network.optimizer.iterations == iterations and len(network.history) == epochs
    assert network.optimizer.state.keys() == opt_state.keys()


def call(network, method, X, y):
    """``method`` of ``network`` on X (and y where it takes labels)."""
    if method == "fit":
        return network.fit(X, y, epochs=1, verbose=0)
    if method == "evaluate":
        return network.evaluate(X, y)
    return getattr(network, method)(X)


ALL = ["fit", "evaluate", "predict", "predict_proba"]
WITH_LABELS = ["fit", "evaluate"]


def refused(network, method, X, y, message):
    if method == "fit":  # warm the optimizer so that its state could be damaged
        network.fit(np.zeros((2, N_FEATURES)), [0, 1], epochs=1, verbose=0)
    before = state(network)
    with pytest.raises(ValueError, match=message):
        call(network, method, X, y)
    assert_unchanged(network, before)


# --- X ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ALL)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_in_X(net, Xy, method, bad):
    X, y = Xy
    X = X.copy()
    X[3, 1] = bad
    refused(net, method, X, y, r"^X contains NaN or infinity \(1 values\)")


@pytest.mark.parametrize("method", ALL)
def test_values_beyond_float32_in_X(net, Xy, method):
    X, y = Xy
    X = X.copy()
    X[0, 0] = 1e39
    refused(net, method, X, y, r"^X holds values up to 1e\+39, beyond the range of .* float32")


@pytest.mark.parametrize("method", ALL)
@pytest.mark.parametrize("n_features", [1, 3, 5])
def test_wrong_number_of_features(net, rng, method, n_features):
    X = rng.normal(size=(6, n_features))
    refused(net, method, X, np.zeros(6, int),
            rf"^X has {n_features} features, but the network expects 4 \(its first layer")


@pytest.mark.parametrize("method", ALL)
@pytest.mark.parametrize("X, message", [
    (np.array([["a", "b", "c", "d"]] * 3), r"^X must be numeric, got an array of dtype <U1"),
    ([[1, 2, 3, 4], [1, 2, 3]], r"^X must be a rectangular numeric array, got list"),
    ({"a": 1}, r"^X must be numeric, got dict \{'a': 1\}"),
    (None, r"^X must be a numeric array, got None"),
    (np.ones((3, 4)) + 1j, r"^X must be numeric, got an array of dtype complex128"),
    (np.ones(4), r"^X must be 2-D \(n_samples, n_features\), got shape \(4,\); use X.reshape"),
    (np.ones((3, 4, 1)), r"^X must be 2-D \(n_samples, n_features\), got shape \(3, 4, 1\)"),
    (np.float64(3.0), r"^X must be 2-D .* got shape \(\)"),
])
def test_non_numeric_or_not_2d_X(net, method, X, message):
    refused(net, method, X, np.zeros(3, int), message)


@pytest.mark.parametrize("method", ALL)
@pytest.mark.parametrize("X", [np.empty((0, N_FEATURES)), [], np.empty((0, 2))])
def test_empty_X(net, method, X):
    refused(net, method, X, np.zeros(0, int), r"^X is empty: it has 0 samples")


def test_numbers_in_an_object_array_or_booleans_are_accepted(net, Xy):
    X, y = Xy
    np.testing.assert_array_equal(net.predict(X.astype(object)), net.predict(X))
    assert net.predict(X > 0).shape == (12,)
    net.fit(X.astype(object), y.astype(object), epochs=1, verbose=0)


# --- y ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", WITH_LABELS)
@pytest.mark.parametrize("y, message", [
    ([0, 1, 2, 3] * 3, r"^y holds class labels from 0 to 3, but the output layer has 3 units: "
                       r"labels must lie in \[0, 2\]"),
    ([-1, 0, 1, 2] * 3, r"^y holds class labels from -1 to 2"),
    ([0.5, 1.0, 2.0, 0.0] * 3, r"^y must hold integer class labels 0..2, got fractional"),
    ([0, 1, np.nan, 2] * 3, r"^y contains NaN or infinity \(3 values\)"),
    (["cat", "dog", "cat", "dog"] * 3, r"^y must be numeric, got an array of dtype <U3; "
                                       "encode string labels as integers"),
    (np.zeros((12, 2)), r"^y has shape \(12, 2\), but the output layer has 3 units: expected "
                        r"\(n,\) or \(n, 3\)"),
    (np.full((12, 3), 2.0), r"^y must hold targets in \[0, 1\] for a classifier"),
    (np.zeros((12, 3, 1)), r"^y has shape \(12, 3, 1\)"),
    ([[0], [1, 2]] * 6, r"^y must be a rectangular numeric array"),
    (None, r"^y must hold one label per sample of X, got NoneType None"),
    (5, r"^y must hold one label per sample of X, got int 5"),
    ("abcdefghijkl", r"^y must hold one label per sample of X, got str"),
])
def test_labels_out_of_range_or_of_the_wrong_kind(net, Xy, method, y, message):
    refused(net, method, Xy[0], y, message)


@pytest.mark.parametrize("n", [12, 70_000])  # below and above all_finite's elementwise cutoff
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_one_non_finite_label_among_many_is_named(n, bad):
    net = pn.mlp([2, 3], seed=0)
    y = np.zeros(n)
    y[n // 2] = bad
    with pytest.raises(ValueError, match=r"^y contains NaN or infinity \(1 values\)"):
        net.evaluate(np.zeros((n, 2)), y)


@pytest.mark.parametrize("y, message", [
    ([0, 1, 2, 1], r"^y must hold targets in \[0, 1\] for a classifier, got values from 0 to 2"),
    ([0, 1, -1, 1], r"^y must hold targets in \[0, 1\]"),
])
def test_binary_labels_must_be_0_or_1(rng, y, message):
    net = pn.mlp([2, 3, 1], output="sigmoid", seed=0)
    refused_binary = net.get_weights()
    with pytest.raises(ValueError, match=message):
        net.fit(rng.normal(size=(4, 2)), y, epochs=1, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(net.get_weights(), refused_binary,
                                                    strict=True))


@pytest.mark.parametrize("method", WITH_LABELS)
@pytest.mark.parametrize("n_labels", [0, 11, 13])
def test_X_and_y_of_different_lengths(net, Xy, method, n_labels):
    X, y = Xy
    refused(net, method, X, np.resize(y, n_labels),
            rf"^X and y have different lengths: 12 samples and {n_labels} labels")


@pytest.mark.parametrize("validation_data, message", [
    ((np.ones((3, 2)), [0, 1, 2]), r"^validation_data X has 2 features"),
    ((np.ones((3, 4)), [0, 1]), r"^validation_data X and validation_data y have different"),
    ((np.ones((3, 4)), [0, 1, 7]), r"^validation_data y holds class labels from 0 to 7"),
    ((np.full((3, 4), np.nan), [0, 1, 2]), r"^validation_data X contains NaN"),
    (np.ones((3, 4)), r"^validation_data must be a pair \(X_val, y_val\)"),
])
def test_bad_validation_data(net, Xy, validation_data, message):
    before = state(net)
    with pytest.raises(ValueError, match=message):
        net.fit(*Xy, epochs=1, verbose=0, validation_data=validation_data)
    assert_unchanged(net, before)


# --- hyperparameters -------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, message", [
    ({"epochs": 0}, r"^epochs must be an integer in \[1, inf\), got 0"),
    ({"epochs": 2.5}, r"^epochs must be an integer, got 2.5"),
    ({"epochs": "10"}, r"^epochs must be an integer, got '10'"),
    ({"batch_size": 0}, r"^batch_size must be an integer in \[1, inf\), got 0"),
    ({"batch_size": -32}, r"^batch_size must be an integer in \[1, inf\), got -32"),
    ({"batch_size": 8.0}, r"^batch_size must be an integer, got 8.0"),
    ({"verbose": 5}, r"^verbose must be an integer in \[0, 2\], got 5"),
])
def test_bad_fit_arguments_are_refused_before_any_training(net, Xy, kwargs, message):
    before = state(net)
    with pytest.raises(ValueError, match=message):
        net.fit(*Xy, **{"verbose": 0, **kwargs})
    assert_unchanged(net, before)


@pytest.mark.parametrize("opt", [pn.SGD, pn.Adam, pn.RMSProp])
@pytest.mark.parametrize("lr, message", [
    (0, r"^lr must be a number in \(0, inf\), got 0"),
    (-0.1, r"^lr must be a number in \(0, inf\), got -0.1"),
    (float("nan"), r"^lr must be a finite number, got nan"),
    (float("inf"), r"^lr must be a finite number, got inf"),
    ("0.1", r"^lr must be a number, got '0.1'"),
    (None, r"^lr must be a number, got None"),
])
def test_a_bad_learning_rate_is_refused_at_construction(opt, lr, message):
    with pytest.raises(ValueError, match=message):
        opt(lr=lr)


@pytest.mark.parametrize("build, message", [
    (lambda: pn.SGD(momentum=1.5), r"^momentum must be a number in \[0, 1\], got 1.5"),
    (lambda: pn.SGD(weight_decay=-1e-4), r"^weight_decay must be a number in \[0, inf\)"),
    (lambda: pn.Adam(beta2=1.0), r"^beta2 must be a number in \[0, 1\), got 1.0"),
    (lambda: pn.RMSProp(eps=0), r"^eps must be a number in \(0, inf\), got 0"),
    (lambda: pn.Dropout(-0.1), r"^rate must be a number in \[0, 1\), got -0.1"),
    (lambda: pn.Dense(0, 3), r"^fan_in must be an integer in \[1, inf\), got 0"),
    (lambda: pn.Dense(3, 2.0), r"^fan_out must be an integer, got 2.0"),
    (lambda: pn.mlp([4, 0, 3]), r"^sizes must list at least 2 positive integers"),
    (lambda: pn.mlp([4]), r"^sizes must list at least 2 positive integers"),
    (lambda: pn.mlp([4, 3], dtype="float16"), r"^dtype must be 'float32' or 'float64', got "
                                              "'float16'"),
])
def test_bad_hyperparameters_are_refused_at_construction(build, message):
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.parametrize("build, message", [
    (lambda: pn.mlp([4, 5, 3], activation="swish"),
     r"^unknown activation 'swish'; choose one of 'relu', 'leaky_relu', 'sigmoid'"),
    (lambda: pn.mlp([4, 5, 3], activation=["relu", "gelu"]), r"activation lists 2 names"),
    (lambda: pn.mlp([4, 5, 3], activation=["gelu"]), r"^unknown activation 'gelu'"),
    (lambda: pn.mlp([4, 5, 3], output="softplus"), r"^unknown activation 'softplus'"),
    (lambda: pn.nn.activations.get(3), r"^unknown activation 3"),
    (lambda: pn.mlp([4, 5, 3], loss="hinge"), r"^unknown loss 'hinge'; choose one of"),
    (lambda: pn.Network([pn.Dense(4, 1), pn.Sigmoid()], loss="kl"), r"^unknown loss 'kl'"),
    (lambda: pn.mlp([4, 5, 3], optimizer="adagrad"),
     r"^unknown optimizer 'adagrad'; choose one of 'sgd', 'adam', 'rmsprop'"),
    (lambda: pn.Network([pn.Dense(4, 1), pn.Sigmoid()], "binary_crossentropy",
                        optimizer=None), r"^unknown optimizer None"),
    (lambda: pn.mlp([4, 5, 3], init="xavier"),
     r"^unknown initializer 'xavier'; choose one of 'normal'"),
    (lambda: pn.Dense(4, 3, init="zeros"), r"^unknown initializer 'zeros'"),
])
def test_unknown_names_are_refused_at_construction(build, message):
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.parametrize("build, message", [
    (lambda: pn.Network(pn.Dense(2, 1), loss="mse"),
     r"^layers must be a list of Layer objects, got a single Dense: pass it in a list"),
    (lambda: pn.Network(None, loss="mse"), r"^layers must be a list of Layer objects such as "
                                           r"\[Dense\(2, 10\), .*got None"),
    (lambda: pn.mlp(5), r"^sizes must list at least 2 positive integers .*e\.g\. "
                        r"mlp\(\[784, 512, 10\]\), got 5"),
    (lambda: pn.mlp([2, 3, 1], activation=None),
     r"^activation must name the hidden activation \('relu', 'tanh', \.\.\.\) or list one "
     r"per hidden layer, got None"),
    (lambda: pn.mlp([2, 3, 1], activation=pn.ReLU()), r"^activation must name .*got ReLU\(\)"),
])
def test_a_layer_or_number_where_a_list_belongs_is_a_value_error(build, message):
    """Regression: these raised bare TypeErrors ('Dense' object is not iterable)."""
    with pytest.raises(ValueError, match=message):
        build()


# --- divergence ------------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("build, scale, target", [
    # diverges in a later epoch, so that "the weights the epoch started with" are trained ones
    (lambda: pn.mlp([4, 8, 1], output="identity", optimizer=pn.SGD(lr=0.02), seed=0),
     3.0, lambda y: y * 10.0),
    (lambda: pn.mlp([4, 8, 3], optimizer=pn.SGD(lr=1e30), seed=0), 10.0, lambda y: y),
])
def test_a_huge_learning_rate_raises_divergence_and_keeps_finite_weights(build, scale, target):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 4)) * scale
    y = target(rng.integers(0, 3, 64))
    net = build()
    with pytest.raises(pn.DivergenceError) as err:
        net.fit(X, y, epochs=50, batch_size=8, verbose=0, seed=1)
    epoch, lr = err.value.epoch, net.optimizer.lr
    message = str(err.value)
    assert f"diverged in epoch {epoch}" in message and err.value.lr == lr
    assert f"learning rate ({lr:g})" in message and "smaller" in message
    assert all(np.isfinite(p).all() for p in net.parameters().values())
    assert len(net.history) == epoch - 1
    # the network keeps the weights the diverging epoch started with: a twin trained for
    # epoch - 1 epochs on the same batches has them
    twin = build()
    if epoch > 1:
        twin.fit(X, y, epochs=epoch - 1, batch_size=8, verbose=0, seed=1)
    assert all(np.array_equal(a, b) for a, b in zip(net.get_weights(), twin.get_weights(),
                                                    strict=True))


def test_huge_integer_hyperparameter_is_a_value_error_not_an_overflow():
    """Regression: check_number called np.isfinite on 10**400 and raised OverflowError."""
    with pytest.raises(ValueError, match=r"epochs must be an integer in \[1, inf\)"):
        check_number("epochs", -(10**400), low=1, integer=True)
    with pytest.raises(ValueError, match="batch_size"):
        pn.mlp([2, 1], output="sigmoid").fit([[0.0, 1.0]], [1], batch_size=-(10**400))


@pytest.mark.parametrize("size", [10, 200_000])  # below and above the elementwise cutoff
def test_all_finite_finds_one_bad_value_and_is_not_fooled_by_an_overflowing_sum(size):
    a = np.ones(size)
    assert all_finite(a)
    for bad in (np.nan, np.inf, -np.inf):
        b = a.copy()
        b[size // 2] = bad
        assert not all_finite(b)
    huge = np.full(size, np.finfo(np.float64).max)  # finite values whose sum overflows
    assert all_finite(huge)
    assert all_finite(np.arange(size))  # integers cannot hold NaN
