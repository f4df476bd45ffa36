"""The fast path (scratch buffers, out=, the in-place ReLU backward, Adam's sums) gives the
numbers of a plain implementation written here.

The reference below is the textbook version: fresh arrays everywhere, float64, every
gradient computed from its equation (dZ = dA * g'(Z), dW = A_prevᵀ·dZ, db = Σ dZ,
dA_prev = dZ·Wᵀ) and every optimizer from the torch.optim update rules.
"""

import numpy as np
import pytest

import plainnet as pn
from plainnet.labels import one_hot

# --- the plain reference ---------------------------------------------------------------------

ACTIVATIONS = {  # name: (g(z), g'(z) given z and a = g(z))
    "relu": (lambda z: np.maximum(z, 0), lambda z, a: (z > 0) * 1.0),
    "leaky_relu": (lambda z: np.where(z > 0, z, 0.01 * z), lambda z, a: np.where(z > 0, 1, 0.01)),
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z, a: a * (1 - a)),
    "tanh": (np.tanh, lambda z, a: 1 - a**2),
    "identity": (lambda z: z, lambda z, a: np.ones_like(z)),
}


def ref_softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class Reference:
    """An MLP in plain float64 NumPy: weights [W0, b0, W1, b1, ...]."""

    def __init__(self, weights, hidden, output, loss, optimizer):
        self.p = [np.array(w, dtype=np.float64) for w in weights]
        self.hidden, self.output, self.loss, self.opt = hidden, output, loss, optimizer
        self.state = [{} for _ in self.p]
        self.t = 0

    def forward(self, X):
        A, cache = X, []
        n_layers = len(self.p) // 2
        for i in range(n_layers):
            Z = A @ self.p[2 * i] + self.p[2 * i + 1]
            cache.append((A, Z))
            if i < n_layers - 1:
                A = ACTIVATIONS[self.hidden][0](Z)
            elif self.output == "softmax":
                A = ref_softmax(Z)
            else:
                A = ACTIVATIONS[self.output][0](Z)
        return A, cache

    def gradients(self, X, T):
        A, cache = self.forward(X)
        n = len(X)
        if self.loss == "cce":
            loss = -np.sum(T * np.log(A)) / n
            dZ = (A - T) / n
        elif self.loss == "bce":
            loss = -np.mean(T * np.log(A) + (1 - T) * np.log(1 - A))
            dZ = (A - T) / A.size
        else:  # mse
            loss = np.mean((A - T) ** 2)
            dA = 2 * (A - T) / A.size
            if self.output == "softmax":  # the Jacobian of softmax applied to dA
                dZ = A * (dA - np.sum(dA * A, axis=1, keepdims=True))
            else:
                dZ = dA * ACTIVATIONS[self.output][1](cache[-1][1], A)
        grads = [None] * len(self.p)
        for i in reversed(range(len(cache))):
            A_prev, _ = cache[i]
            grads[2 * i] = A_prev.T @ dZ  # dW = A_prevᵀ·dZ
            grads[2 * i + 1] = dZ.sum(axis=0)  # db = Σ dZ
            if i > 0:
                dA = dZ @ self.p[2 * i].T  # dA_prev = dZ·Wᵀ
                Z_prev = cache[i - 1][1]
                dZ = dA * ACTIVATIONS[self.hidden][1](Z_prev, ACTIVATIONS[self.hidden][0](Z_prev))
        return loss, grads, A

    def step(self, X, T):
        loss, grads, A = self.gradients(X, T)
        self.t += 1
        kind, h = self.opt
        for i, (p, g) in enumerate(zip(self.p, grads, strict=True)):
            if h.get("weight_decay") and i % 2 == 0:  # weights decay, biases do not
                g = g + h["weight_decay"] * p
            s = self.state[i]
            if kind == "sgd":
                mu = h.get("momentum", 0.0)
                if mu:
                    s["b"] = g.copy() if "b" not in s else mu * s["b"] + g
                    g = g + mu * s["b"] if h.get("nesterov") else s["b"]
                self.p[i] = p - h["lr"] * g
            elif kind == "adam":
                b1, b2, eps = 0.9, 0.999, 1e-8
                s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
                s["v"] = b2 * s.get("v", 0) + (1 - b2) * g * g
                m_hat = s["m"] / (1 - b1**self.t)
                v_hat = s["v"] / (1 - b2**self.t)
                self.p[i] = p - h["lr"] * m_hat / (np.sqrt(v_hat) + eps)
            else:  # rmsprop
                rho, eps, mu = 0.99, 1e-8, h.get("momentum", 0.0)
                s["s"] = rho * s.get("s", 0) + (1 - rho) * g * g
                u = g / (np.sqrt(s["s"]) + eps)
                if mu:
                    s["b"] = mu * s.get("b", 0) + u
                    u = s["b"]
                self.p[i] = p - h["lr"] * u
        return loss, A


def make_optimizer(kind, h):
    cls = {"sgd": pn.SGD, "adam": pn.Adam, "rmsprop": pn.RMSProp}[kind]
    return cls(**h)


CASES = {  # id: (hidden, output, loss, n_outputs, (optimizer kind, hyperparameters))
    "relu-softmax-sgd": ("relu", "softmax", "cce", 4, ("sgd", {"lr": 0.1})),
    "relu-identity-mse-sgd": ("relu", "identity", "mse", 2, ("sgd", {"lr": 0.05})),
    "relu-sigmoid-multilabel-sgd": ("relu", "sigmoid", "bce", 3, ("sgd", {"lr": 0.2})),
    "tanh-sigmoid-nesterov-l2": ("tanh", "sigmoid", "bce", 1,
                                 ("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True,
                                          "weight_decay": 1e-2})),
    "sigmoid-identity-adam-l2": ("sigmoid", "identity", "mse", 2,
                                 ("adam", {"lr": 0.01, "weight_decay": 1e-2})),
    "tanh-softmax-adam": ("tanh", "softmax", "cce", 3, ("adam", {"lr": 0.01})),
    "leaky-softmax-rmsprop-momentum": ("leaky_relu", "softmax", "cce", 3,
                                       ("rmsprop", {"lr": 0.01, "momentum": 0.5})),
    "relu-tanh-mse-rmsprop": ("relu", "tanh", "mse", 2, ("rmsprop", {"lr": 0.01})),
    "relu-softmax-momentum": ("relu", "softmax", "cce", 3, ("sgd", {"lr": 0.1, "momentum": 0.9})),
    "tanh-softmax-mse-rmsprop-l2": ("tanh", "softmax", "mse", 3,
                                    ("rmsprop", {"lr": 0.01, "weight_decay": 1e-2})),
}

TOL = {"float32": {"rtol": 2e-4, "atol": 2e-5}, "float64": {"rtol": 1e-9, "atol": 1e-11}}


def targets(loss, n, k, rng):
    if loss == "cce":
        return one_hot(rng.integers(0, k, n), k, dtype=np.float64)
    if loss == "bce":
        return (rng.random((n, k)) < 0.5).astype(np.float64)
    return rng.normal(size=(n, k))


def build(case, dtype, n_in=6):
    hidden, output, loss, k, (kind, h) = CASES[case]
    loss_name = {"cce": "categorical_crossentropy", "bce": "binary_crossentropy",
                 "mse": "mse"}[loss]
    net = pn.mlp([n_in, 8, 5, k], activation=hidden, output=output, loss=loss_name,
                 optimizer=make_optimizer(kind, h), dtype=dtype, seed=3)
    ref = Reference(net.get_weights(), hidden, output, loss, (kind, h))
    return net, ref, loss, k


# --- tests -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", list(CASES))
def test_train_steps_match_the_plain_reference(case, dtype, rng):
    net, ref, loss_kind, k = build(case, dtype)
    batch_sizes = [16, 16, 5, 32, 1, 16]  # a last partial batch, new sizes, a size seen before
    for bs in batch_sizes:
        X = rng.normal(size=(bs, 6))
        T = targets(loss_kind, bs, k, rng)
        loss, correct = net.train_step(X.astype(dtype), T.astype(dtype))
        ref_loss, A = ref.step(X, T)
        np.testing.assert_allclose(loss, ref_loss, **TOL[dtype])
        if loss_kind == "cce":
            assert correct == np.count_nonzero(A.argmax(axis=1) == T.argmax(axis=1))
        for p, p_ref in zip(net.get_weights(), ref.p, strict=True):
            assert p.dtype == np.dtype(dtype)
            np.testing.assert_allclose(p, p_ref, **TOL[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", ["relu-softmax-sgd", "relu-identity-mse-sgd",
                                  "tanh-sigmoid-nesterov-l2", "tanh-softmax-adam"])
def test_fit_with_a_last_partial_batch_matches_the_reference(case, dtype, rng):
    net, ref, loss_kind, k = build(case, dtype)
    n, bs = 37, 8  # batches of 8, 8, 8, 8 and 5
    X = rng.normal(size=(n, 6))
    T = targets(loss_kind, n, k, rng)
    history = net.fit(X.astype(dtype), T.astype(dtype), epochs=2, batch_size=bs,
                      shuffle=False, verbose=0)
    for epoch in range(2):
        weighted = 0.0
        for start in range(0, n, bs):
            loss, _ = ref.step(X[start:start + bs], T[start:start + bs])
            weighted += loss * len(X[start:start + bs])
        np.testing.assert_allclose(history["loss"][epoch], weighted / n, **TOL[dtype])
    for p, p_ref in zip(net.get_weights(), ref.p, strict=True):
        np.testing.assert_allclose(p, p_ref, **TOL[dtype])


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam", "rmsprop"])
def test_after_a_train_step_grads_hold_the_gradient_whatever_the_optimizer(rng, optimizer):
    net, ref, _, k = build("relu-softmax-sgd", "float64")
    net.optimizer = {"sgd": pn.SGD(0.1), "momentum": pn.SGD(0.1, momentum=0.9),
                     "adam": pn.Adam(0.01), "rmsprop": pn.RMSProp(0.01)}[optimizer]
    X = rng.normal(size=(10, 6))
    T = targets("cce", 10, k, rng)
    _, ref_grads, _ = ref.gradients(X, T)
    net.train_step(X, T)  # the gradients at the weights before the step
    for g, g_ref in zip(net.gradients().values(), ref_grads, strict=True):
        np.testing.assert_allclose(g, g_ref, rtol=1e-10, atol=1e-12)
    net.compute_gradients(X, T)  # after the step, the weights have moved
    moved = [not np.allclose(g, g_ref) for g, g_ref in
             zip(net.gradients().values(), ref_grads, strict=True)]
    assert any(moved)


def test_buffers_are_kept_per_batch_size_and_reallocated_when_it_changes(rng):
    net, _, _, k = build("relu-softmax-sgd", "float32")
    dense, relu = net.layers[0], net.layers[1]

    def step(n):
        net.train_step(rng.normal(size=(n, 6)).astype(np.float32),
                       one_hot(rng.integers(0, k, n), k))

    step(16)
    z, mask, ones = dense._buffers["z"], relu._buffers["mask"], net.layers[2]._buffers["ones"]
    step(16)
    assert dense._buffers["z"] is z and relu._buffers["mask"] is mask  # allocated once
    assert net.layers[2]._buffers["ones"] is ones
    step(5)  # a last partial batch
    assert dense._buffers["z"].shape == (5, 8) and relu._buffers["mask"].shape == (5, 8)
    assert net.layers[2]._buffers["ones"].shape == (5,)
    np.testing.assert_array_equal(net.layers[2]._buffers["ones"], 1)  # a fresh one, filled
    step(16)
    assert dense._buffers["z"].shape == (16, 8)


def test_a_buffer_is_reallocated_when_the_dtype_asked_for_changes():
    relu = pn.ReLU()
    x32 = np.array([[-1.0, 2.0]], dtype=np.float32)
    relu.forward(x32, training=True)
    assert relu._buffers["mask"].dtype == np.float32  # the mask multiplies without a cast
    a = relu.forward(x32.astype(np.float64), training=True)
    assert a.dtype == np.float64 and relu._buffers["mask"].dtype == np.float64
    np.testing.assert_array_equal(relu.backward(np.ones((1, 2))), [[0.0, 1.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_leaky_relu_writes_into_its_buffers_and_its_slope_at_zero_is_alpha(dtype):
    """LeakyReLU keeps a mask of slopes (1 or alpha) like ReLU's: no fresh arrays in
    training, the backward in place, the numbers of np.where."""
    leaky = pn.LeakyReLU(0.1)
    x = np.array([[-2.0, 0.0, 3.0], [1e-30, -0.5, -0.0]], dtype=dtype)
    alpha = dtype(0.1)
    a = leaky.forward(x, training=True)
    assert a is leaky._buffers["a"] and a.dtype == dtype
    np.testing.assert_array_equal(a, np.where(x > 0, x, x * alpha))
    np.testing.assert_array_equal(leaky.forward(x), a)  # inference gives the same numbers
    grad = np.ones_like(x)
    assert leaky.backward(grad) is grad  # in place, as ReLU's
    np.testing.assert_array_equal(grad, [[alpha, alpha, 1], [1, alpha, alpha]])
    mask = leaky._buffers["mask"]
    assert leaky.forward(x * 2, training=True) is a and leaky._buffers["mask"] is mask


def test_train_step_updates_the_arrays_that_parameters_returns(rng):
    # the dicts train_step hands the optimizer must be the live arrays, through set_weights
    # (which writes in place) and a change of optimizer
    net, _, _, k = build("relu-softmax-sgd", "float32")
    X = rng.normal(size=(16, 6)).astype(np.float32)
    T = one_hot(rng.integers(0, k, 16), k)
    net.set_weights([np.zeros_like(w) for w in net.get_weights()])
    for optimizer in (net.optimizer, pn.Adam(0.01)):
        net.optimizer = optimizer
        before = net.get_weights()
        net.train_step(X, T)
        after = net.parameters()
        assert any(not np.array_equal(a, b) for a, b in zip(after.values(), before, strict=True))
        assert all(a is net.layers[int(name.split(".")[0])].params[name.split(".")[1]]
                   for name, a in after.items())


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_train_step_follows_arrays_a_layer_rebinds(rng, optimizer):
    """Regression: train_step used dicts of the arrays built in __init__; once Layer.astype
    rebound a layer's arrays, training silently stopped changing them."""
    net = pn.mlp([6, 5, 3], optimizer=optimizer, dtype="float64", seed=0)
    X = rng.normal(size=(16, 6))
    T = one_hot(rng.integers(0, 3, 16), 3, np.float64)
    net.train_step(X, T)
    dense = net.layers[0]
    old_W = dense.params["W"]
    dense.astype(np.float32).astype(np.float64)  # new arrays, same dtype as the network
    assert dense.params["W"] is not old_W
    before = dense.params["W"].copy()
    net.train_step(X, T)
    assert not np.array_equal(dense.params["W"], before)


def test_optimizer_scratch_is_allocated_once_per_group(rng):
    """The network hands the optimizer two flat groups (decayed weights, the rest)."""
    net, _, _, k = build("tanh-softmax-adam", "float32")
    X = rng.normal(size=(16, 6)).astype(np.float32)
    T = one_hot(rng.integers(0, k, 16), k)
    net.train_step(X, T)
    scratch = dict(net.optimizer._buffers)
    assert set(scratch) == {"decayed", "rest"}
    assert set(net.optimizer_slots()) == set(net.parameters())
    net.train_step(X, T)
    assert all(net.optimizer._buffers[name] is a for name, a in scratch.items())


@pytest.mark.parametrize("case", ["relu-softmax-sgd", "tanh-softmax-adam",
                                  "relu-sigmoid-multilabel-sgd", "relu-identity-mse-sgd"])
def test_predict_between_train_steps_changes_nothing(case, rng):
    net_a, _, loss_kind, k = build(case, "float32")
    net_b, _, _, _ = build(case, "float32")
    X_other = rng.normal(size=(16, 6)).astype(np.float32)  # the batch size used in training
    held = []
    for _ in range(4):
        X = rng.normal(size=(16, 6)).astype(np.float32)
        T = targets(loss_kind, 16, k, rng).astype(np.float32)
        P = net_a.predict_proba(X_other)
        held.append((P, P.copy()))
        for out in (net_a.forward(X_other), net_a.layers[0].forward(X_other),
                    net_a.layers[1].forward(net_a.layers[0].forward(X_other))):
            held.append((out, out.copy()))
        net_a.evaluate(X_other, T)
        out_a = net_a.train_step(X, T)
        out_b = net_b.train_step(X, T)
        assert out_a == out_b
    for a, b in zip(net_a.get_weights(), net_b.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # bit for bit
    for P, P_copy in held:  # outside training, fresh arrays: training did not overwrite them
        np.testing.assert_array_equal(P, P_copy)


def test_training_leaves_the_callers_arrays_alone(rng):
    # ReLU first: its forward reads X and must not write into it
    net = pn.Network([pn.ReLU(), pn.Dense(6, 4, seed=0), pn.ReLU(), pn.Dense(4, 3, seed=1),
                      pn.Softmax()], loss="categorical_crossentropy", optimizer=pn.SGD(0.1))
    X = rng.normal(size=(16, 6)).astype(np.float32)
    T = one_hot(rng.integers(0, 3, 16), 3)
    X0, T0 = X.copy(), T.copy()
    net.train_step(X, T)
    net.fit(X, T, epochs=2, batch_size=None, verbose=0)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(T, T0)


def test_relu_backward_is_the_mask_times_the_gradient(rng):
    relu = pn.ReLU()
    z = rng.normal(size=(7, 5))
    a = relu.forward(z, training=True)
    np.testing.assert_array_equal(a, np.maximum(z, 0))
    grad = rng.normal(size=(7, 5))
    expected = grad * (z > 0)
    dz = relu.backward(grad.copy())
    np.testing.assert_array_equal(dz, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_matches_the_plain_reference(dtype, rng):
    drop, ref_rng = pn.Dropout(0.3, seed=5), np.random.default_rng(5)
    for n in (9, 9, 4):  # the same stream of draws as a plain keep mask / (1 - rate)
        x, grad = rng.normal(size=(n, 6)).astype(dtype), rng.normal(size=(n, 6)).astype(dtype)
        mask = (ref_rng.random((n, 6), dtype=dtype) >= 0.3) / dtype(0.7)
        np.testing.assert_array_equal(drop.forward(x, training=True), x * mask)
        np.testing.assert_array_equal(drop.backward(grad), grad * mask)
    np.testing.assert_array_equal(drop.forward(x), x)  # nothing at prediction time


def test_a_prediction_between_forward_and_backward_changes_no_gradient(rng):
    # e.g. a server thread predicting while another trains: layers keep their training state
    layers = [pn.Dense(6, 8, seed=0), pn.ReLU(), pn.Dropout(0.5, seed=1), pn.Tanh(),
              pn.Dense(8, 3, seed=2), pn.Sigmoid()]
    x, x_other = rng.normal(size=(10, 6)), rng.normal(size=(4, 6))
    grad = rng.normal(size=(10, 3))

    def grads(predict_between):
        for layer in layers:
            layer.reseed(5)
        a = x
        for layer in layers:
            a = layer.forward(a, training=True)
        if predict_between:
            p = x_other
            for layer in layers:
                p = layer.forward(p)
        g = grad.copy()
        for layer in reversed(layers):
            g = layer.backward(g)
        return [layer.grads["W"].copy() for layer in layers if layer.params] + [g]

    for a, b in zip(grads(False), grads(True), strict=True):
        np.testing.assert_array_equal(a, b)


def test_parameters_are_views_of_one_flat_array(rng):
    """The optimizer steps over two flat groups; each layer's params and grads are views."""
    net = pn.mlp([6, 5, 3], optimizer="adam", seed=0)
    W = net.layers[0].params["W"]
    assert W.base is not None
    assert all(p.base is W.base for p in net.parameters().values())  # one array for all
    X = rng.normal(size=(16, 6)).astype(np.float32)
    net.train_step(X, one_hot(rng.integers(0, 3, 16), 3))
    decayed, rest = net.optimizer._buffers["decayed"], net.optimizer._buffers["rest"]
    assert decayed.size == 6 * 5 + 5 * 3 and rest.size == 5 + 3  # weights, then biases
    X = rng.normal(size=(16, 6)).astype(np.float32)
    net.train_step(X, one_hot(rng.integers(0, 3, 16), 3))
    assert net.layers[0].params["W"] is W  # updated in place


class _Rebinding(pn.Dense):
    """A layer written the simple way: backward binds a new gradient array."""

    def backward(self, grad, need_input_grad=True):
        x = self._x
        self.grads["W"] = x.T @ grad
        self.grads["b"] = grad.sum(axis=0)
        return grad @ self.params["W"].T if need_input_grad else None


def test_a_layer_that_binds_new_gradients_still_trains(rng):
    def net_of(first):
        return pn.Network([first, pn.ReLU(), pn.Dense(5, 3), pn.Softmax()],
                          "categorical_crossentropy", optimizer="sgd", dtype="float64", seed=0)
    plain, rebinding = net_of(pn.Dense(6, 5)), net_of(_Rebinding(6, 5))
    X, T = rng.normal(size=(16, 6)), one_hot(rng.integers(0, 3, 16), 3, np.float64)
    for _ in range(3):
        plain.train_step(X, T)
        rebinding.train_step(X, T)
    for name, w in plain.parameters().items():
        np.testing.assert_allclose(rebinding.parameters()[name], w, rtol=1e-12)
