"""Network behaviour: stability, dtypes, determinism, the public API, and the tutorials'
own workloads."""

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_circles
from sklearn.model_selection import train_test_split

import plainnet as pn


@pytest.fixture(scope="module")
def circles():
    # 1000 training samples as in the first tutorial, and a large test set from the same
    # generator, so that the accuracy estimate is tight (its Bayes accuracy is about 0.976)
    X, y = make_circles(6000, noise=0.05, random_state=0)
    return (X[:1000], y[:1000]), (X[1000:], y[1000:])


@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(
        d.data / 16.0, d.target, test_size=0.25, stratify=d.target, random_state=0)
    return (X_train, y_train), (X_test, y_test)


# --- the tutorials' workloads ---------------------------------------------------------------

def test_first_tutorial_recipe_on_circles(circles):
    """2-10-5-1 ReLU/ReLU/sigmoid, N(0,1) init, full-batch GD, lr 0.01, 25,000 iterations."""
    (X, y), _ = circles
    net = pn.Network(
        [pn.Dense(2, 10, init="normal", seed=1), pn.ReLU(),
         pn.Dense(10, 5, init="normal", seed=2), pn.ReLU(),
         pn.Dense(5, 1, init="normal", seed=3), pn.Sigmoid()],
        loss="binary_crossentropy", optimizer=pn.SGD(lr=0.01))
    history = net.fit(X, y, epochs=25_000, batch_size=None, verbose=0)
    assert history["accuracy"][-1] >= 0.97  # the tutorial reports 0.983
    assert net.evaluate(X, y)["accuracy"] >= 0.97
    assert history["loss"][-1] < history["loss"][0] / 3


def test_defaults_on_circles(circles):
    (X, y), (X_test, y_test) = circles
    net = pn.mlp([2, 10, 5, 1], activation="relu", output="sigmoid", seed=0)  # He, Adam
    assert isinstance(net.optimizer, pn.Adam) and net.layers[0].init == "he_normal"
    net.fit(X, y, epochs=200, batch_size=32, verbose=0)
    assert net.evaluate(X_test, y_test)["accuracy"] >= 0.97


def test_digits_64_512_10_relu_softmax(digits):
    (X, y), (X_test, y_test) = digits
    net = pn.mlp([64, 512, 10], activation="relu", output="softmax", seed=0)
    net.fit(X, y, epochs=10, batch_size=32, verbose=0)
    assert net.evaluate(X_test, y_test)["accuracy"] >= 0.95


def test_digits_network2_sigmoid_cross_entropy_l2(digits):
    """network2.py: sigmoid 64-30-10, cross-entropy, N(0,1)/sqrt(fan_in), L2, batches of 10.

    Its eta and lmbda map to lr = eta·k and weight_decay = lmbda/(n·k) (k = 10 output units,
    n = training-set size) because our binary cross-entropy averages over the units too.
    lmbda is smaller than MNIST's 5.0 because digits has 1,347 training images, not 50,000.
    """
    (X, y), (X_test, y_test) = digits
    eta, lmbda, n, k = 0.5, 0.5, len(X), 10
    net = pn.mlp([64, 30, 10], activation="sigmoid", output="sigmoid", init="scaled_normal",
                 optimizer=pn.SGD(lr=eta * k, weight_decay=lmbda / (n * k)), seed=0)
    assert net.loss.name == "binary_crossentropy"
    net.fit(X, y, epochs=30, batch_size=10, verbose=0)
    assert net.evaluate(X_test, y_test)["accuracy"] >= 0.95


# --- stability, dtypes, determinism ---------------------------------------------------------

@pytest.mark.parametrize("output, y", [("softmax", [1, 0, 2, 0]), ("sigmoid", [0, 1, 1, 0])])
def test_logits_of_plus_minus_1000_give_finite_loss_and_gradients(output, y):
    k = 3 if output == "softmax" else 1
    net = pn.mlp([2, k], output=output, optimizer="sgd", seed=0)
    net.layers[0].params["W"][...] = 1000.0 * np.array([[1, -1, 0.5][:k], [-1, 1, -0.5][:k]])
    X = np.array([[1, 0], [0, 1], [1, 1], [-1, 0]], dtype=np.float32)
    loss = net.compute_gradients(X, net.prepare(X, y)[1])
    assert np.isfinite(loss) and loss > 100  # confidently wrong on some samples
    assert all(np.isfinite(g).all() for g in net.gradients().values())
    assert np.isfinite(net.evaluate(X, y)["loss"])
    assert np.isfinite(net.predict_proba(X)).all()


def test_float32_stays_float32_end_to_end(digits):
    (X, y), _ = digits  # float64 input
    net = pn.mlp([64, 16, 10], optimizer=pn.SGD(lr=0.1, momentum=0.9, weight_decay=1e-4), seed=0)
    net.fit(X[:200], y[:200], epochs=2, validation_data=(X[200:300], y[200:300]), verbose=0)
    arrays = [*net.parameters().values(), *net.gradients().values(),
              *(a for s in net.optimizer.state.values() for a in s.values())]
    assert arrays and all(a.dtype == np.float32 for a in arrays)
    assert net.predict_proba(X[:5]).dtype == np.float32
    for opt in ("adam", "rmsprop"):
        other = pn.mlp([64, 8, 10], optimizer=opt, seed=0)
        other.fit(X[:64], y[:64], verbose=0)
        assert all(a.dtype == np.float32 for s in other.optimizer.state.values()
                   for a in s.values())


def test_float64_on_request():
    net = pn.Network([pn.Dense(2, 1), pn.Sigmoid()], "binary_crossentropy", dtype="float64")
    assert net.layers[0].params["W"].dtype == np.float64
    assert net.predict_proba(np.ones((3, 2), dtype=np.float32)).dtype == np.float64


def test_same_seed_gives_bit_identical_weights(digits):
    (X, y), _ = digits

    def train(seed):
        net = pn.mlp([64, 32, 10], seed=seed)
        net.fit(X[:300], y[:300], epochs=3, batch_size=16, verbose=0)
        return net.get_weights()

    a, b, c = train(5), train(5), train(6)
    assert all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))
    assert not all(np.array_equal(p, q) for p, q in zip(a, c, strict=True))


def test_fit_seed_fixes_the_shuffling(digits):
    (X, y), _ = digits
    nets = [pn.mlp([64, 8, 10], seed=0) for _ in range(3)]
    for net, seed in zip(nets, [1, 1, 2], strict=True):
        net.fit(X[:100], y[:100], epochs=2, batch_size=10, seed=seed, verbose=0)
    w = [net.get_weights()[0] for net in nets]
    assert np.array_equal(w[0], w[1]) and not np.array_equal(w[0], w[2])


# --- the public API -------------------------------------------------------------------------

def test_labels_as_indices_or_one_hot_train_identically(digits):
    (X, y), _ = digits
    a, b = pn.mlp([64, 8, 10], seed=0), pn.mlp([64, 8, 10], seed=0)
    ha = a.fit(X[:100], y[:100], epochs=2, seed=0, verbose=0)
    hb = b.fit(X[:100], pn.one_hot(y[:100], 10), epochs=2, seed=0, verbose=0)
    assert ha.history == {**hb.history, "time": ha["time"]}
    assert np.array_equal(a.get_weights()[0], b.get_weights()[0])


def test_binary_targets_as_vector_or_column(circles):
    (X, y), _ = circles
    a, b = pn.mlp([2, 4, 1], output="sigmoid", seed=0), pn.mlp([2, 4, 1], output="sigmoid", seed=0)
    a.fit(X, y, epochs=1, seed=0, verbose=0)
    b.fit(X, y.reshape(-1, 1), epochs=1, seed=0, verbose=0)
    assert np.array_equal(a.get_weights()[0], b.get_weights()[0])
    pred = a.predict(X)
    assert pred.shape == (len(X),) and set(np.unique(pred)) <= {0, 1}


def test_multilabel_network_predicts_indicator_rows(rng):
    X = rng.normal(size=(200, 3))
    Y = np.stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 0] + X[:, 2] > 0], axis=1).astype(int)
    net = pn.mlp([3, 16, 3], output="sigmoid", seed=0)
    history = net.fit(X, Y, epochs=60, batch_size=16, verbose=0)
    assert net.multilabel
    pred = net.predict(X)
    assert pred.shape == (200, 3)
    exact = np.mean(np.all(pred == Y, axis=1))
    assert exact >= 0.85
    assert net.evaluate(X, Y)["accuracy"] == pytest.approx(exact)
    assert history["accuracy"][-1] > history["accuracy"][0]


def test_regressor_has_loss_but_no_accuracy(rng):
    X = rng.normal(size=(100, 2))
    y = X @ np.array([1.5, -2.0]) + 0.3
    net = pn.mlp([2, 1], output="identity", optimizer=pn.SGD(lr=0.1), dtype="float64", seed=0)
    assert net.loss.name == "mse" and not net.classifier
    history = net.fit(X, y, epochs=50, batch_size=None, verbose=0)
    assert "accuracy" not in history.history
    assert set(net.evaluate(X, y)) == {"loss"}
    assert net.evaluate(X, y)["loss"] < 1e-3
    np.testing.assert_allclose(net.predict(X)[:, 0], y, atol=0.05)


def test_history_with_validation_data(digits, capsys):
    (X, y), (X_test, y_test) = digits
    net = pn.mlp([64, 16, 10], seed=0)
    history = net.fit(X, y, epochs=3, validation_data=(X_test, y_test), verbose=1)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "time"}
    assert all(len(v) == 3 for v in history.history.values())
    assert history["val_loss"][-1] == pytest.approx(net.evaluate(X_test, y_test)["loss"],
                                                    rel=1e-5)
    assert history.epoch == [1, 2, 3] and len(net.history) == 3
    out = capsys.readouterr().out
    assert "Epoch 3/3" in out and "val_accuracy" in out and "\r" not in out
    net.fit(X, y, epochs=1, verbose=0)
    assert len(net.history) == 4 and capsys.readouterr().out == ""


def test_epoch_loss_is_the_weighted_mean_of_batch_losses(rng):
    X, y = rng.normal(size=(10, 2)), rng.integers(0, 2, 10)
    net = pn.mlp([2, 3, 1], output="sigmoid", optimizer=pn.SGD(lr=0.5), dtype="float64", seed=0)
    ref = pn.mlp([2, 3, 1], output="sigmoid", optimizer=pn.SGD(lr=0.5), dtype="float64", seed=0)
    losses = [ref.train_step(*ref.prepare(X[s:s + 4], y[s:s + 4]))[0] for s in (0, 4, 8)]
    history = net.fit(X, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    assert history["loss"][0] == pytest.approx((4 * losses[0] + 4 * losses[1] + 2 * losses[2])
                                               / 10, rel=1e-12)


def test_summary_lists_layers_shapes_and_parameter_counts(capsys):
    net = pn.mlp([784, 512, 10])
    text = net.summary()
    assert capsys.readouterr().out == text
    assert "(None, 512)" in text and "401,920" in text and "5,130" in text
    assert "Total params: 407,050" in text


def test_dense_parameters_can_be_written_in_place():
    dense = pn.Dense(2, 1)
    net = pn.Network([dense, pn.Sigmoid()], "binary_crossentropy", dtype="float64")
    W = net.layers[0].params["W"]
    W[...] = [[100.0], [0.0]]
    net.layers[0].params["b"][...] = -50.0
    assert net.predict(np.array([[1.0, 0.0], [0.0, 0.0]])).tolist() == [1, 0]
    net.fit(np.ones((4, 2)), [1, 1, 1, 1], epochs=1, verbose=0)
    assert net.layers[0].params["W"] is W  # updated in place, never replaced


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid:RuntimeWarning")
def test_divergence_stops_with_a_clear_error_and_keeps_finite_weights(digits):
    (X, y), _ = digits
    net = pn.mlp([64, 32, 1], output="identity", optimizer=pn.SGD(lr=10.0), seed=0)
    with pytest.raises(pn.DivergenceError, match=r"epoch \d+.*learning rate \(10\)"):
        net.fit(X, y, epochs=20, verbose=0)
    assert all(np.isfinite(p).all() for p in net.parameters().values())


@pytest.mark.parametrize("build, message", [
    (lambda: pn.Network([pn.Dense(2, 3), pn.ReLU(), pn.Dense(4, 1), pn.Sigmoid()],
                        "binary_crossentropy"),
     r"layer 2: Dense.* takes inputs of shape \(4,\), but is given \(3,\) \(the output of "
     r"layer 1, ReLU\(\)\)"),
    (lambda: pn.Network([pn.Dense(2, 3), pn.ReLU()], "categorical_crossentropy"),
     "expects a Softmax output"),
    (lambda: pn.Network([pn.Dense(2, 1), pn.Softmax()], "categorical_crossentropy"),
     "at least 2 units"),
    (lambda: pn.Network([pn.ReLU()], "mse"), "cannot tell the shape of the network's input"),
    (lambda: pn.Network([pn.Flatten(), pn.Dense(4, 1)], "mse"), "pass input_shape="),
    (lambda: pn.Network([pn.Dense(2, 1)], "mse", input_shape=(3,)),
     r"layer 0: .* takes inputs of shape \(2,\), but is given \(3,\) \(the network's input "
     r"shape\)"),
    (lambda: pn.Network([pn.ReLU()], "mse", input_shape=(0, 2)), "input_shape must be a tuple"),
    (lambda: pn.Network([pn.ReLU()], "mse", input_shape=(2, 3)), "end the network with Flatten"),
    (lambda: pn.Network([pn.Dense(2, 1), pn.Sigmoid()], "hinge"), "unknown loss 'hinge'"),
    (lambda: pn.Network([pn.Dense(2, 1), pn.Sigmoid()], "binary_crossentropy",
                        optimizer="adagrad"), "unknown optimizer 'adagrad'"),
    (lambda: pn.Network([pn.Dense(2, 1), pn.Sigmoid()], "binary_crossentropy",
                        dtype="int32"), "dtype must be"),
    (lambda: pn.Dense(2, 1, init="zeros"), "unknown initializer 'zeros'"),
    (lambda: pn.mlp([2, 3, 1], activation="swish"), "unknown activation 'swish'"),
    (lambda: pn.SGD(lr=0), r"lr must be a number in \(0"),
    (lambda: pn.SGD(nesterov=True), "nesterov=True needs momentum > 0"),
    (lambda: pn.Adam(beta1=1.0), "beta1"),
    (lambda: pn.Dropout(1.0), "rate"),
])
def test_bad_construction_is_refused_with_a_clear_message(build, message):
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.parametrize("init", sorted(pn.nn.initializers.INITIALIZERS))
def test_initializers_have_the_documented_scale(init):
    W = pn.Dense(400, 300, init=init, seed=0, dtype="float64").params["W"]
    expected_std = {
        "normal": 1.0, "scaled_normal": 1 / np.sqrt(400), "small_normal": 0.01,
        "glorot_uniform": np.sqrt(2 / 700), "glorot_normal": np.sqrt(2 / 700),
        "he_normal": np.sqrt(2 / 400), "he_uniform": np.sqrt(2 / 400),
    }[init]
    assert W.std() == pytest.approx(expected_std, rel=0.02)
    assert abs(W.mean()) < 0.01 * max(expected_std, 0.1)
