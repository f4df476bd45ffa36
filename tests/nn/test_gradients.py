"""Central-difference gradient checks (float64) for every layer, activation and loss,
alone and combined in networks."""

import numpy as np
import pytest

import plainnet as pn
from plainnet.gradcheck import numeric_gradient, relative_error
from plainnet.nn.losses import (
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    HalfPoissonDeviance,
    MeanSquaredError,
)

TOL = 1e-7


def _layer_input_error(layer, x, rng):
    """Relative error of dL/dx for L = Σ r ⊙ layer(x), with a random r."""
    r = rng.normal(size=layer.forward(x.copy(), training=False).shape)

    def f():
        return float(np.sum(r * layer.forward(x, training=False)))

    out = layer.forward(x, training=True)
    assert out.shape == r.shape
    analytic = layer.backward(r.copy()).copy()
    return relative_error(analytic, numeric_gradient(f, x))


# kinks (0 for ReLU family) are avoided by keeping inputs away from them
def _inputs(rng, shape=(6, 5)):
    x = rng.normal(size=shape)
    return x + np.sign(x) * 0.1


@pytest.mark.parametrize("layer", [
    pn.ReLU(), pn.LeakyReLU(0.1), pn.Sigmoid(), pn.Tanh(), pn.Softmax(), pn.Identity(), pn.Exp(),
], ids=lambda layer: type(layer).__name__)
def test_activation_backward_matches_central_differences(layer, rng):
    assert _layer_input_error(layer, _inputs(rng), rng) < TOL


def test_dense_input_and_parameter_gradients(rng):
    dense = pn.Dense(5, 3, seed=1, dtype="float64")
    x = _inputs(rng)
    assert _layer_input_error(dense, x, rng) < TOL
    r = rng.normal(size=(6, 3))

    def f():
        return float(np.sum(r * dense.forward(x, training=False)))

    dense.forward(x, training=True)
    dense.backward(r)
    for key in ("W", "b"):
        numeric = numeric_gradient(f, dense.params[key])
        assert relative_error(dense.grads[key], numeric) < TOL, key


def test_dropout_gradient_uses_the_forward_mask(rng):
    drop = pn.Dropout(0.4, seed=3)
    x = _inputs(rng)
    out = drop.forward(x, training=True)
    kept = out != 0
    assert 0 < kept.mean() < 1
    grad = drop.backward(np.ones_like(x))
    np.testing.assert_allclose(grad, kept / 0.6)
    assert drop.forward(x, training=False) is x  # nothing changes at prediction time


def _targets(kind, rng, n=7, k=4):
    if kind == "onehot":
        return pn.one_hot(rng.integers(0, k, n), k, dtype=np.float64)
    if kind == "counts":  # zeros among them: 0·log 0 = 0
        return rng.poisson(1.5, (n, k)).astype(np.float64)
    return rng.integers(0, 2, (n, k)).astype(np.float64)


@pytest.mark.parametrize("loss, activation, kind", [
    (CategoricalCrossEntropy(), pn.Softmax(), "onehot"),
    (BinaryCrossEntropy(), pn.Sigmoid(), "binary"),
    (MeanSquaredError(), pn.Identity(), "binary"),
    (MeanSquaredError(), pn.Sigmoid(), "onehot"),
    (HalfPoissonDeviance(), pn.Exp(), "counts"),
])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_loss_gradient_on_outputs_matches_central_differences(loss, activation, kind, weighted,
                                                              rng):
    t = _targets(kind, rng)
    a = activation.forward(rng.normal(size=t.shape))
    w = rng.uniform(0, 3, t.shape[0]) if weighted else None

    def f():
        return loss.value(a, t, w)

    assert relative_error(loss.grad(a, t, w), numeric_gradient(f, a)) < TOL


@pytest.mark.parametrize("loss, activation, kind", [
    (CategoricalCrossEntropy(), pn.Softmax(), "onehot"),
    (BinaryCrossEntropy(), pn.Sigmoid(), "binary"),
    (HalfPoissonDeviance(), pn.Exp(), "counts"),
])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_fused_loss_gradient_is_a_minus_y_over_m(loss, activation, kind, weighted, rng):
    t = _targets(kind, rng)
    z = rng.normal(size=t.shape) * 2
    w = rng.uniform(0, 3, t.shape[0]) if weighted else None

    def f():
        return loss.value_logits(z, t, w)

    value, grad = loss.value_and_grad_logits(z, t, w)
    assert relative_error(grad, numeric_gradient(f, z)) < TOL
    # the fused value is the unfused loss of the activation's output
    assert value == pytest.approx(loss.value(activation.forward(z), t, w), rel=1e-12)
    m = t.shape[0] if isinstance(loss, CategoricalCrossEntropy) else t.size
    # row i of the gradient of the weighted mean carries n·w_i / Σ w
    rows = 1.0 if w is None else (len(w) * w / w.sum())[:, None]
    np.testing.assert_allclose(grad, rows * (activation.forward(z) - t) / m, rtol=1e-12)


NETWORKS = {
    "relu-softmax-cce": lambda: pn.mlp([5, 8, 6, 3], "relu", "softmax", dtype="float64", seed=0),
    "tanh-sigmoid-bce": lambda: pn.mlp([5, 7, 3], "tanh", "sigmoid", dtype="float64", seed=1),
    "leaky-identity-mse": lambda: pn.mlp([5, 6, 6, 2], "leaky_relu", "identity",
                                         dtype="float64", seed=2),
    "sigmoid-sigmoid-mse": lambda: pn.mlp([5, 4, 3], "sigmoid", "sigmoid", loss="mse",
                                          dtype="float64", seed=3),
    "mixed-softmax-mse": lambda: pn.mlp([5, 6, 4, 3], ["tanh", "sigmoid"], "softmax",
                                        loss="mse", dtype="float64", seed=4),
}


@pytest.mark.parametrize("name", NETWORKS)
def test_whole_network_gradients(name, rng):
    net = NETWORKS[name]()
    X = rng.normal(size=(9, 5))
    k = net.n_outputs
    if net.loss.name == "categorical_crossentropy" or name == "mixed-softmax-mse":
        y = rng.integers(0, k, 9)
    elif net.loss.name == "binary_crossentropy":
        y = rng.integers(0, 2, (9, k))
    else:
        y = rng.normal(size=(9, k)) if name.startswith("leaky") else rng.integers(0, 2, (9, k))
    errors = pn.gradcheck(net, X, y, max_entries=None)
    assert set(errors) == set(net.parameters())
    assert max(errors.values()) < 1e-6, errors


def test_gradcheck_with_dropout_in_the_network(rng):
    layers = [pn.Dense(4, 8, seed=0), pn.Tanh(), pn.Dropout(0.3), pn.Dense(8, 3, seed=1),
              pn.Softmax()]
    net = pn.Network(layers, "categorical_crossentropy", dtype="float64", seed=0)
    errors = pn.gradcheck(net, rng.normal(size=(10, 4)), rng.integers(0, 3, 10))
    assert max(errors.values()) < 1e-6, errors


def test_gradcheck_finds_a_wrong_backward(rng):
    class BrokenTanh(pn.Tanh):
        def backward(self, grad, need_input_grad=True):
            return grad * (1 - self._a)  # forgot the square

    net = pn.Network([pn.Dense(3, 4, seed=0), BrokenTanh(), pn.Dense(4, 2, seed=1),
                      pn.Softmax()], "categorical_crossentropy", dtype="float64")
    errors = pn.gradcheck(net, rng.normal(size=(6, 3)), rng.integers(0, 2, 6))
    assert errors["0.W"] > 1e-3


def test_gradcheck_works_on_a_float64_copy_and_leaves_a_float32_network_alone(rng):
    net = pn.mlp([4, 6, 3], "leaky_relu", "sigmoid", seed=0)  # float32, multi-label below
    arrays = net.parameters()
    before = net.get_weights()
    X, y = rng.normal(size=(8, 4)), rng.integers(0, 2, (8, 3))
    errors = pn.gradcheck(net, X, y, max_entries=None)
    assert max(errors.values()) < 1e-6, errors  # central differences in float32 are far off
    assert net.dtype == np.float32 and not net.multilabel
    assert all(net.parameters()[name] is a and a.dtype == np.float32
               for name, a in arrays.items())
    assert all(np.array_equal(a, b) for a, b in zip(net.get_weights(), before, strict=True))
