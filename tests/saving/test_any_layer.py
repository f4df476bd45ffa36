"""Model files for any layer: registered types, state arrays, image input shapes, files of
format 1, and arrays checked against the configs' shapes before anything is allocated."""

import json
import sys
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

import plainnet as pn
from plainnet.nn import register, registered

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@register
class Affine(pn.Layer):
    """y = x·s + t elementwise, with a running count of the batches seen (a state array)."""

    decayed = ("s",)

    def __init__(self, n: int, seed=None) -> None:
        super().__init__()
        self.seed = seed
        self.params = {"s": np.ones(n), "t": np.zeros(n)}
        self.grads = {"s": np.zeros(n), "t": np.zeros(n)}
        self.state = {"seen": np.zeros(1)}

    def reseed(self, seed):
        shape = self.params["s"].shape
        self.params["s"][...] = np.random.default_rng(seed).uniform(0.5, 1.5, shape)

    def forward(self, x, training=False):
        if training:
            self._x = x
            self.state["seen"] += 1
        return x * self.params["s"] + self.params["t"]

    def backward(self, grad, need_input_grad=True):
        self.grads["s"][...] = (grad * self._x).sum(axis=0)
        self.grads["t"][...] = grad.sum(axis=0)
        return grad * self.params["s"] if need_input_grad else None

    def get_config(self):
        return {"n": int(self.params["s"].shape[0])}


def test_a_file_of_format_1_loads_and_predicts_as_it_did():
    net = pn.load(FIXTURES / "model-v1.npz")
    expected = np.load(FIXTURES / "model-v1-expected.npz")
    # computed by plainnet 0.1 on another machine: equal up to the BLAS kernel's rounding
    np.testing.assert_allclose(net.predict_proba(expected["X"]), expected["proba"], rtol=1e-5)
    assert len(net.history) == 3 and net.metadata["dataset"] == "fixture"
    assert net.input_shape == (4,) and type(net.optimizer) is pn.Adam
    assert set(net.optimizer_slots()) == {"0.W", "0.b", "3.W", "3.b", "5.W", "5.b"}
    net.fit(expected["X"], np.arange(40) % 3, epochs=1, verbose=0)  # it trains on


def test_a_file_of_format_1_is_written_back_as_format_2(tmp_path):
    net = pn.load(FIXTURES / "model-v1.npz")
    net.save(tmp_path / "v2.npz")
    with np.load(tmp_path / "v2.npz") as archive:
        assert json.loads(archive["header"].tobytes())["version"] == 2
    back = pn.load(tmp_path / "v2.npz")
    assert all(np.array_equal(a, b) for a, b in zip(back.get_weights(), net.get_weights(),
                                                    strict=True))


def test_a_registered_layer_with_state_round_trips(tmp_path, rng):
    X = rng.normal(size=(30, 3))
    y = (X[:, 0] > 0).astype(int)
    net = pn.Network([pn.Dense(3, 4, seed=0), Affine(4), pn.Tanh(), pn.Dense(4, 2, seed=1),
                      pn.Softmax()], "categorical_crossentropy", optimizer="adam", seed=3)
    net.fit(X, y, epochs=2, batch_size=10, verbose=0)
    assert net.layers[1].state["seen"][0] == 6
    net.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as archive:
        header = json.loads(archive["header"].tobytes())
        assert "state/1.seen" in archive.files and "optimizer/1.t/m_sum" in archive.files
    assert header["layers"][1] == {"type": "Affine", "config": {"n": 4}}
    back = pn.load(tmp_path / "m.npz")
    assert isinstance(back.layers[1], Affine) and back.layers[1].state["seen"][0] == 6
    assert back.layers[1].state["seen"].dtype == np.float32
    np.testing.assert_array_equal(back.predict_proba(X), net.predict_proba(X))
    net.fit(X, y, epochs=1, batch_size=10, verbose=0, seed=1)
    back.fit(X, y, epochs=1, batch_size=10, verbose=0, seed=1)
    np.testing.assert_array_equal(back.predict_proba(X), net.predict_proba(X))


def test_an_image_network_keeps_its_input_shape(tmp_path, rng):
    net = pn.Network([pn.Flatten(), pn.Dense(12, 3, seed=0), pn.Softmax()],
                     "categorical_crossentropy", input_shape=(1, 3, 4))
    net.save(tmp_path / "m.npz")
    back = pn.load(tmp_path / "m.npz")
    assert back.input_shape == (1, 3, 4)
    X = rng.normal(size=(2, 1, 3, 4)).astype(np.float32)
    np.testing.assert_array_equal(back.predict_proba(X), net.predict_proba(X))


def rewrite_header(path, change):
    with np.load(path) as archive:
        arrays = {k: archive[k] for k in archive.files}
    header = json.loads(arrays.pop("header").tobytes())
    change(header)
    np.savez(path, header=np.frombuffer(json.dumps(header).encode(), np.uint8), **arrays)


def test_a_forged_huge_layer_is_refused_before_anything_is_allocated(tmp_path):
    """The config and the header's list agree on a 2^40-value weight; the stored member is
    small. The .npy header is read, not the member: nothing near that size is allocated."""
    path = tmp_path / "m.npz"
    pn.mlp([6, 4, 2], seed=0).save(path)
    n = 2**20

    def forge(header):
        header["layers"][0]["config"].update(fan_in=n, fan_out=n)
        header["layers"][2]["config"].update(fan_in=n)
        header["input_shape"] = [n]
        header["arrays"].update({"param/0.W": [n, n], "param/0.b": [n], "param/2.W": [n, 2]})
    rewrite_header(path, forge)
    tracemalloc.start()
    try:
        with pytest.raises(pn.ModelFileError, match=r"array param/0.W has shape \(6, 4\), but "
                                                     r"the layers' configs imply \(1048576, "):
            pn.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20


def test_a_member_whose_npy_header_lies_about_its_size_is_refused(tmp_path):
    """A member declaring more values than it stores (its checksum right) is refused from
    its .npy header, before its data is read."""
    path = tmp_path / "m.npz"
    pn.mlp([6, 4, 2], seed=0).save(path)
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    npy = members["param/2.b.npy"]
    members["param/2.b.npy"] = npy.replace(b"(2,)", b"(9,)", 1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(pn.ModelFileError, match=r"array param/2.b declares shape \(9,\), which "
                                                "does not fit its stored size"):
        pn.load(path)


def test_a_compressed_member_is_refused(tmp_path):
    path = tmp_path / "m.npz"
    pn.mlp([6, 4, 2], seed=0).save(path)
    with np.load(path) as archive:
        arrays = {k: archive[k] for k in archive.files}
    np.savez_compressed(path, **arrays)
    with pytest.raises(pn.ModelFileError, match="compressed or larger than the file"):
        pn.load(path)


def test_a_file_naming_an_unregistered_layer_is_refused_and_nothing_is_imported(tmp_path):
    path = tmp_path / "m.npz"
    pn.mlp([6, 4, 2], seed=0).save(path)
    rewrite_header(path, lambda h: h["layers"][1].update(type="subprocess"))
    before = set(sys.modules)
    with pytest.raises(pn.ModelFileError, match="unknown layer type 'subprocess': it is not "
                                                "registered"):
        pn.load(path)
    assert set(sys.modules) == before


def test_register_refuses_what_it_cannot_hold():
    with pytest.raises(TypeError, match="register takes a Layer subclass"):
        register(int)
    with pytest.raises(ValueError, match="must be an identifier"):
        register(Affine, name="my layer")

    class Dense(pn.Layer):
        pass

    with pytest.raises(ValueError, match=r"the layer name .Dense. is taken by plainnet\.nn\.dense"):
        register(Dense)
    assert registered("Dense") is pn.Dense
    with pytest.raises(ValueError, match="unknown layer type 'Nope'"):
        registered("Nope")


# --- what the header says is checked, whatever its JSON holds ---------------------------------

def trained_file(tmp_path, optimizer="adam"):
    path = tmp_path / "m.npz"
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 6)), rng.integers(0, 2, 20)
    net = pn.mlp([6, 4, 2], optimizer=optimizer, seed=0)
    net.fit(X, y, epochs=2, batch_size=10, verbose=0)
    net.save(path)
    return path


def raw_rewrite(path, change):
    """Rewrite the header as text, so that values json.dumps cannot write (1e400) go in."""
    with np.load(path) as archive:
        arrays = {k: archive[k] for k in archive.files}
    text = change(arrays.pop("header").tobytes().decode())
    np.savez(path, header=np.frombuffer(text.encode(), np.uint8), **arrays)


@pytest.mark.parametrize("change, message", [
    (lambda h: h["hyperparameters"].update(seed="abc"), r"seed must be an integer"),
    (lambda h: h["hyperparameters"].update(seed=-1), r"seed must be an integer in \[0"),
    (lambda h: h.update(optimizer_iterations=-1), "optimizer_iterations must be an integer"),
    (lambda h: h.update(optimizer_iterations=2.5), "optimizer_iterations must be an integer"),
    (lambda h: h.update(multilabel="no"), "multilabel must be true or false"),
    (lambda h: h["history"]["history"]["loss"].pop(), "the history has 2 epochs but lists"),
    (lambda h: h["layers"][1].update(type="LeakyReLU", config={"alpha": 10**400}),
     "alpha must be a number within float range"),
])
def test_header_values_of_the_wrong_kind_are_refused(tmp_path, change, message):
    path = trained_file(tmp_path)
    rewrite_header(path, change)
    with pytest.raises(pn.ModelFileError, match=message) as err:
        pn.load(path)
    assert str(path) in str(err.value)


def test_optimizer_slots_must_be_those_its_rule_keeps(tmp_path):
    path = trained_file(tmp_path)
    with np.load(path) as archive:
        arrays = {k: archive[k] for k in archive.files}
    header = json.loads(arrays.pop("header").tobytes())
    renamed = {k.replace("v_sum", "bogus"): v for k, v in arrays.items()}
    header["arrays"] = {k.replace("v_sum", "bogus"): v for k, v in header["arrays"].items()}
    np.savez(path, header=np.frombuffer(json.dumps(header).encode(), np.uint8), **renamed)
    with pytest.raises(pn.ModelFileError, match=r"optimizer slots \['bogus', 'm_sum'\] of 0.W: "
                                                r"Adam as configured keeps \['m_sum', 'v_sum'\]"):
        pn.load(path)


@pytest.mark.parametrize("text", ["1e400", "-1e400"])
def test_a_size_beyond_float_range_is_refused(tmp_path, text):
    path = trained_file(tmp_path)
    raw_rewrite(path, lambda h: h.replace('"fan_in": 6', f'"fan_in": {text}', 1))
    with pytest.raises(pn.ModelFileError, match="fan_in must be an integer"):
        pn.load(path)


def test_two_members_of_one_name_are_refused(tmp_path):
    path = trained_file(tmp_path)
    with zipfile.ZipFile(path, "a") as zf, pytest.warns(UserWarning, match="Duplicate name"):
        zf.writestr("param/0.b.npy", zf.read("param/0.b.npy"))
    with pytest.raises(pn.ModelFileError, match="two members of one name"):
        pn.load(path)


def test_a_network2_weight_beyond_float_range_is_refused(tmp_path):
    path = tmp_path / "net.json"
    path.write_text('{"sizes": [2, 1], "weights": [[[1e400, 0]]], "biases": [[0]], '
                    '"cost": "QuadraticCost"}'.replace("1e400", "1" + "0" * 400))
    with pytest.raises(pn.ModelFileError, match=r"not a valid network2\.py JSON model"):
        pn.load(path)


def test_a_registered_layer_that_cannot_work_out_its_shapes_cheaply_is_refused_cleanly(tmp_path):
    """Affine builds itself to tell its shapes; a forged size makes that fail, and the failure
    is a ModelFileError, not a MemoryError."""
    path = tmp_path / "m.npz"
    pn.Network([pn.Dense(3, 4, seed=0), Affine(4), pn.Dense(4, 2, seed=1), pn.Softmax()],
               "categorical_crossentropy").save(path)
    rewrite_header(path, lambda h: h["layers"][1]["config"].update(n=2**62))
    with pytest.raises(pn.ModelFileError, match="does not describe a valid network"):
        pn.load(path)


def test_register_works_as_a_decorator_with_a_name_and_again_for_a_redefined_class():
    @register(name="Twice")
    class Twice(pn.Layer):
        def forward(self, x, training=False):
            return 2 * x

    assert registered("Twice") is Twice

    class Twice(pn.Layer):
        pass

    register(Twice, name="Twice")
    assert registered("Twice") is Twice
