"""Networks of any chain of layers: input and output shapes, image inputs, summary, state
arrays, the training flag, and seeds."""

import numpy as np
import pytest

import plainnet as pn


def image_net(**kwargs):
    return pn.Network([pn.Flatten(), pn.Dense(12, 4, seed=0), pn.ReLU(), pn.Dense(4, 3, seed=1),
                       pn.Softmax()], "categorical_crossentropy", input_shape=(1, 3, 4),
                      **kwargs)


def test_a_network_records_its_input_and_output_shape():
    net = image_net()
    assert net.input_shape == (1, 3, 4) and net.output_shape == (3,)
    assert net.n_inputs == 12 and net.n_outputs == 3
    dense = pn.Network([pn.ReLU(), pn.Dense(2, 1), pn.Sigmoid()], "binary_crossentropy")
    assert dense.input_shape == (2,)  # found through the shape-keeping ReLU


def test_no_dense_layer_is_needed():
    net = pn.Network([pn.Flatten(), pn.Tanh()], "mse", input_shape=(2, 2))
    assert net.output_shape == (4,)
    X = np.ones((3, 2, 2))
    net.fit(X, np.zeros((3, 4)), epochs=1, verbose=0)
    np.testing.assert_allclose(net.predict(X), np.tanh(1.0) * np.ones((3, 4)), rtol=1e-6)


def test_image_inputs_take_images_or_flat_rows(rng):
    net = image_net()
    images = rng.normal(size=(6, 1, 3, 4)).astype(np.float32)
    np.testing.assert_array_equal(net.predict_proba(images),
                                  net.predict_proba(images.reshape(6, 12)))
    net.fit(images.reshape(6, -1), [0, 1, 2, 0, 1, 2], epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"X has shape \(6, 3, 4\), but the network takes "
                                         r"samples of shape \(1, 3, 4\): pass \(n_samples, 1, "
                                         r"3, 4\) or flat rows \(n_samples, 12\)"):
        net.predict(images[:, 0])
    with pytest.raises(ValueError, match="X has shape"):
        net.predict(np.zeros((6, 13)))


def test_summary_prints_the_real_output_shapes():
    text = image_net().summary(file=None)
    assert "Input shape: (None, 1, 3, 4)" in text
    assert "0: Flatten()" in text and "(None, 12)" in text
    assert text.count("(None, 4)") == 2 and "(None, 3)" in text
    assert "Total params: 67" in text


class Scale(pn.Layer):
    """A layer with a trained parameter and a state array: y = s·x, counting its batches."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.params = {"s": np.ones(n)}
        self.grads = {"s": np.zeros(n)}
        self.state = {"batches": np.zeros(1)}

    def forward(self, x, training=False):
        if training:
            self._x = x
            self.state["batches"] += 1
        return x * self.params["s"]

    def backward(self, grad, need_input_grad=True):
        self.grads["s"][...] = (grad * self._x).sum(axis=0)
        return grad * self.params["s"]

    def get_config(self):
        return {"n": self.params["s"].shape[0]}


def test_state_is_cast_with_the_layer_and_kept_in_weights():
    layer = Scale(3)
    net = pn.Network([pn.Dense(2, 3, seed=0), layer, pn.Softmax()],
                     "categorical_crossentropy", dtype="float32")
    assert layer.state["batches"].dtype == np.float32 and layer.params["s"].dtype == np.float32
    assert set(net.states()) == {"1.batches"}
    net.fit(np.ones((4, 2)), [0, 1, 2, 0], epochs=2, batch_size=2, verbose=0)
    assert layer.state["batches"][0] == 4
    weights = net.get_weights()
    layer.state["batches"][0] = 0
    net.set_weights(weights)
    assert layer.state["batches"][0] == 4
    assert layer.training is True  # the network tells a layer whether it is training
    net.predict(np.ones((1, 2)))
    assert layer.training is False


def test_a_network_seed_makes_layers_without_their_own_seed_reproducible():
    def build(seed):
        return pn.Network([pn.Dense(4, 5), pn.Tanh(), pn.Dense(5, 3), pn.Softmax()],
                          "categorical_crossentropy", seed=seed)

    a, b, c = build(2), build(2), build(3)
    assert all(np.array_equal(p, q) for p, q in zip(a.get_weights(), b.get_weights(),
                                                    strict=True))
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])
    own = pn.Dense(4, 5, seed=7)
    kept = own.params["W"].copy()
    pn.Network([own, pn.Tanh(), pn.Dense(5, 3), pn.Softmax()], "categorical_crossentropy",
               seed=2)
    np.testing.assert_array_equal(own.params["W"], kept)  # a layer's own seed is kept


def test_a_seeded_network_keeps_the_weights_of_layers_another_network_had(rng):
    X, y = rng.normal(size=(40, 4)), rng.integers(0, 2, 40)
    a = pn.Network([pn.Dense(4, 3), pn.ReLU(), pn.Dense(3, 2), pn.Softmax()],
                   "categorical_crossentropy", optimizer="adam", seed=0)
    a.fit(X, y, epochs=3, verbose=0)
    trained = a.layers[0].params["W"].copy()
    b = pn.Network([*a.layers[:2], pn.Dense(3, 2), pn.Softmax()], "categorical_crossentropy",
                   seed=1)
    np.testing.assert_array_equal(b.layers[0].params["W"], trained)
    fresh = pn.Dense(3, 2)
    pn.Network([pn.Dense(4, 3, seed=5), pn.ReLU(), fresh, pn.Softmax()],
               "categorical_crossentropy", seed=1)
    again = pn.Dense(3, 2)
    pn.Network([pn.Dense(4, 3, seed=5), pn.ReLU(), again, pn.Softmax()],
               "categorical_crossentropy", seed=1)
    np.testing.assert_array_equal(fresh.params["W"], again.params["W"])  # fresh: seeded


def test_every_layer_knows_whether_the_network_is_training(rng):
    net = pn.mlp([3, 4, 2], seed=0)
    net.fit(rng.normal(size=(8, 3)), rng.integers(0, 2, 8), epochs=1, verbose=0)
    assert all(layer.training for layer in net.layers)  # the fused softmax too
    net.predict(rng.normal(size=(2, 3)))
    assert not any(layer.training for layer in net.layers)


def test_a_diverging_state_array_stops_training(rng):
    class Grows(Scale):
        def forward(self, x, training=False):
            if training:
                with np.errstate(over="ignore"):  # the overflow is the point
                    self.state["batches"] *= np.float32(1e30)
                self.state["batches"] += 1
            return super().forward(x, training)

    layer = Grows(3)
    net = pn.Network([pn.Dense(2, 3, seed=0), layer, pn.Softmax()], "categorical_crossentropy")
    with pytest.raises(pn.DivergenceError, match="epoch 1"):
        net.fit(np.ones((8, 2)), [0, 1, 2, 0, 1, 2, 0, 1], epochs=2, batch_size=2, verbose=0)
    assert layer.state["batches"][0] == 0  # put back as it was at the start of the epoch


def test_a_refused_network_leaves_its_layers_as_they_were():
    dense = pn.Dense(3, 4, dtype="float32")
    before = dense.params["W"].copy()
    with pytest.raises(ValueError, match="takes inputs of shape"):
        pn.Network([dense, pn.ReLU(), pn.Dense(5, 2), pn.Softmax()], "categorical_crossentropy",
                   dtype="float64", seed=3)
    assert dense.fresh and dense.params["W"].dtype == np.float32
    np.testing.assert_array_equal(dense.params["W"], before)
