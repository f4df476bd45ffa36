"""Model files: save and load round trips, exact continuation of training, atomic saves,
refusal of corrupt, truncated, unknown-version and hostile files, network2.py JSON models."""

import itertools
import json
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

import plainnet as pn
from plainnet.saving import model_file as pio


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 6)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 0.5)
    return X, y


def build(optimizer="adam", dtype="float32", seed=0):
    layers = [pn.Dense(6, 16, seed=1), pn.ReLU(), pn.Dropout(0.25), pn.Dense(16, 8, seed=2),
              pn.LeakyReLU(0.1), pn.Dense(8, 3, init="glorot_uniform", seed=3), pn.Softmax()]
    return pn.Network(layers, "categorical_crossentropy", optimizer=optimizer, dtype=dtype,
                      seed=seed)


def trained(data, **kwargs):
    net = build(**kwargs)
    net.metadata = {"image_shape": [2, 3], "pixel_max": 255.0, "dataset": "test"}
    net.fit(*data, epochs=2, batch_size=16, verbose=0)
    return net


def same_weights(a, b):
    return all(np.array_equal(p, q) for p, q in zip(a.get_weights(), b.get_weights(),
                                                    strict=True))


def leftovers(directory: Path, keep: set[str]):
    return sorted(p.name for p in directory.iterdir() if p.name not in keep)


# --- round trip and continuation -------------------------------------------------------------

@pytest.mark.parametrize("optimizer, dtype", [
    ("adam", "float32"),
    (pn.SGD(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3), "float64"),
    (pn.RMSProp(lr=0.01, momentum=0.5), "float32"),
])
def test_round_trip_keeps_everything(tmp_path, data, optimizer, dtype):
    net = trained(data, optimizer=optimizer, dtype=dtype)
    path = tmp_path / "model.npz"
    net.save(path)
    back = pn.load(path)
    assert repr(back) == repr(net)
    assert back.dtype == net.dtype and back.seed == net.seed
    assert [layer.get_config() for layer in back.layers] == [
        layer.get_config() for layer in net.layers]
    assert same_weights(back, net)
    np.testing.assert_array_equal(back.predict_proba(data[0]), net.predict_proba(data[0]))
    assert back.optimizer.get_config() == net.optimizer.get_config()
    assert back.optimizer.iterations == net.optimizer.iterations == 16
    assert back.optimizer_slots().keys() == net.optimizer_slots().keys() == net.parameters().keys()
    for name, state in net.optimizer_slots().items():
        for key, arr in state.items():
            np.testing.assert_array_equal(back.optimizer_slots()[name][key], arr)
    assert back.history.history == net.history.history and back.history.epoch == [1, 2]
    assert back.metadata == net.metadata
    assert back.multilabel is False


def test_the_file_is_an_npz_with_a_json_header_readable_without_pickle(tmp_path, data):
    path = tmp_path / "model.npz"
    trained(data).save(path)
    umask = os.umask(0o022)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # as open() would have made it
    with np.load(path, allow_pickle=False) as archive:
        header = json.loads(archive["header"].tobytes())
        names = set(archive.files)
    assert header["format"] == "plainnet-model" and header["version"] == pio.VERSION == 2
    assert header["hyperparameters"]["dtype"] == "float32"
    assert header["hyperparameters"]["optimizer"]["type"] == "Adam"
    assert header["optimizer_iterations"] == 16
    assert header["input_shape"] == [6]
    assert [spec["type"] for spec in header["layers"]] == [
        "Dense", "ReLU", "Dropout", "Dense", "LeakyReLU", "Dense", "Softmax"]
    assert header["layers"][0]["config"] == {"fan_in": 6, "fan_out": 16, "init": "he_normal"}
    assert header["arrays"]["param/0.W"] == [6, 16]
    assert {"param/0.W", "param/5.b", "optimizer/0.W/m_sum", "optimizer/0.W/v_sum"} <= names


@pytest.mark.parametrize("fit_seed", [7, None])
def test_a_reloaded_model_continues_training_exactly(tmp_path, data, fit_seed):
    a = build(optimizer="adam")
    a.fit(*data, epochs=2, batch_size=16, verbose=0, seed=fit_seed)
    a.save(tmp_path / "a.npz")
    b = pn.load(tmp_path / "a.npz")
    # dropout masks, shuffling (without a fit seed), Adam's moments and step all carry on
    a.fit(*data, epochs=2, batch_size=16, verbose=0, seed=fit_seed)
    b.fit(*data, epochs=2, batch_size=16, verbose=0, seed=fit_seed)
    assert same_weights(a, b)
    assert a.history.history["loss"] == b.history.history["loss"][:2] + a.history["loss"][2:]
    assert b.optimizer.iterations == a.optimizer.iterations == 32
    assert len(b.history) == 4


def test_continuation_would_differ_without_the_saved_state(tmp_path, data):
    """The test above can fail: a fresh network with the same weights does not continue the
    same way (Adam's moments and the generators are missing)."""
    a = build()
    a.fit(*data, epochs=2, batch_size=16, verbose=0, seed=7)
    fresh = build()
    fresh.set_weights(a.get_weights())
    a.fit(*data, epochs=1, batch_size=16, verbose=0, seed=7)
    fresh.fit(*data, epochs=1, batch_size=16, verbose=0, seed=7)
    assert not same_weights(a, fresh)


def test_multilabel_and_regression_networks_round_trip(tmp_path, rng):
    X = rng.normal(size=(40, 4))
    Y = (rng.random((40, 3)) > 0.5).astype(float)
    net = pn.mlp([4, 5, 3], output="sigmoid", seed=0)
    net.fit(X, Y, epochs=1, verbose=0)
    net.save(tmp_path / "ml.npz")
    back = pn.load(tmp_path / "ml.npz")
    assert back.multilabel and back.predict(X).shape == (40, 3)
    reg = pn.mlp([4, 3, 2], output="identity", optimizer="sgd", seed=0)
    reg.save(tmp_path / "reg.npz")
    assert pn.load(tmp_path / "reg.npz").loss.name == "mse"


def test_a_callable_initializer_is_saved_by_name(tmp_path):
    def ones(shape, rng):
        return np.ones(shape)

    net = pn.Network([pn.Dense(2, 2, init=ones), pn.Softmax()], "categorical_crossentropy")
    net.save(tmp_path / "m.npz")
    back = pn.load(tmp_path / "m.npz")
    assert back.layers[0].get_config()["init"] == "ones"
    assert same_weights(back, net)


# --- atomic saves ----------------------------------------------------------------------------

def test_a_non_finite_parameter_is_refused_and_the_old_file_kept(tmp_path, data):
    path = tmp_path / "model.npz"
    net = trained(data)
    net.save(path)
    before = path.read_bytes()
    net.layers[3].params["W"][0, 0] = np.nan
    with pytest.raises(pn.ModelFileError, match=r"param/3.W holds NaN or infinity") as err:
        net.save(path)
    assert str(path) in str(err.value) and isinstance(err.value, ValueError)
    assert path.read_bytes() == before
    assert leftovers(tmp_path, {"model.npz"}) == []


def test_a_parameter_of_the_wrong_shape_is_refused(tmp_path, data):
    net = trained(data)
    net.layers[0].params["b"] = np.zeros(5, np.float32)
    with pytest.raises(pn.ModelFileError, match=r"param/0.b is float32 of shape \(5,\)"):
        net.save(tmp_path / "m.npz")
    assert leftovers(tmp_path, set()) == []


def test_a_crash_while_writing_leaves_the_old_file_and_no_temporary(tmp_path, data,
                                                                   monkeypatch):
    path = tmp_path / "model.npz"
    trained(data).save(path)
    before = path.read_bytes()

    def crash(file, **arrays):
        file.write(b"PK\x03\x04 half an archive")
        raise OSError("disk full")

    monkeypatch.setattr(pio.np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        build(seed=5).save(path)
    assert path.read_bytes() == before
    assert leftovers(tmp_path, {"model.npz"}) == []


def test_metadata_that_json_cannot_hold_is_refused_before_writing(tmp_path, data):
    path = tmp_path / "model.npz"
    net = trained(data)
    net.save(path)
    before = path.read_bytes()
    net.metadata["transform"] = np.sqrt
    with pytest.raises(pn.ModelFileError, match=r"cannot be written as JSON.*ufunc"):
        net.save(path)
    assert path.read_bytes() == before and leftovers(tmp_path, {"model.npz"}) == []


def test_saving_into_a_missing_directory_fails_cleanly(tmp_path):
    with pytest.raises(FileNotFoundError):
        build().save(tmp_path / "no" / "such" / "dir.npz")


def test_layers_the_file_cannot_rebuild_are_refused(tmp_path):
    class Square(pn.Layer):
        def forward(self, x, training=False):
            return x * x

    net = pn.Network([pn.Dense(2, 2), Square(), pn.Dense(2, 1), pn.Sigmoid()],
                     "binary_crossentropy")
    with pytest.raises(pn.ModelFileError, match="cannot save: layer 1 of type Square is not "
                                                r"registered: register it with plainnet.nn"):
        net.save(tmp_path / "m.npz")
    assert leftovers(tmp_path, set()) == []


def test_classes_that_declare_a_built_in_are_saved_as_it(tmp_path, data):
    """A class naming the built-in it is saved as (the scikit-learn estimators' Adam and
    losses) is saved as that class, with its get_config(); the reloaded network predicts
    the same. Its own subclasses do not inherit the declaration."""
    class ScaledAdam(pn.Adam):
        saved_as = pn.Adam

    class DoubledCrossEntropy(pn.CategoricalCrossEntropy):
        saved_as = pn.CategoricalCrossEntropy
        name = "doubled"

    class Further(ScaledAdam):
        pass

    net = build(optimizer=ScaledAdam(lr=0.01, eps=1e-6))
    net.loss = DoubledCrossEntropy()
    net.fit(*data, epochs=1, verbose=0)
    net.save(tmp_path / "m.npz")
    back = pn.load(tmp_path / "m.npz")
    assert type(back.optimizer) is pn.Adam and back.optimizer.get_config() == {
        "lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-6, "weight_decay": 0.0}
    assert type(back.loss) is pn.CategoricalCrossEntropy
    np.testing.assert_array_equal(back.predict_proba(data[0]), net.predict_proba(data[0]))
    with pytest.raises(pn.ModelFileError, match="cannot save: Further is not one a model file can"):
        build(optimizer=Further(lr=0.01)).save(tmp_path / "f.npz")


def test_optimizers_and_losses_the_file_cannot_rebuild_are_refused(tmp_path):
    class Sign(pn.SGD):  # a subclass with its own rule must not be saved as SGD
        def _update(self, p, g, state):
            p -= self.lr * np.sign(g)

    class Hinge(pn.Loss):
        name = "hinge"

    with pytest.raises(pn.ModelFileError, match="cannot save: Sign is not one a model file can "
                                                "name; model files hold SGD, Adam, RMSProp"):
        build(optimizer=Sign(lr=0.1)).save(tmp_path / "m.npz")
    net = build()
    net.loss = Hinge()
    with pytest.raises(pn.ModelFileError, match="cannot save: Hinge is not one a model file can "
                                                "name; model files hold binary_crossentropy"):
        net.save(tmp_path / "m.npz")
    assert leftovers(tmp_path, set()) == []


def test_atomic_write_in_text_mode(tmp_path):
    path = tmp_path / "notes.txt"
    with pio.atomic_write(path, "w", encoding="utf-8") as f:
        f.write("first\n")
    with pytest.raises(RuntimeError, match="stop"), pio.atomic_write(path, "w") as f:
        f.write("half")
        raise RuntimeError("stop")
    assert path.read_text() == "first\n" and leftovers(tmp_path, {"notes.txt"}) == []


# --- refusing bad files ----------------------------------------------------------------------

def rewrite(path: Path, change_header=None, change_arrays=None):
    """Rewrite a saved model with its header or arrays changed (a plain np.savez)."""
    with np.load(path) as archive:
        arrays = {k: archive[k] for k in archive.files}
    header = json.loads(arrays.pop("header").tobytes())
    if change_header:
        change_header(header)
    if change_arrays:
        change_arrays(arrays)
    np.savez(path, header=np.frombuffer(json.dumps(header).encode(), np.uint8), **arrays)


@pytest.fixture
def saved(tmp_path, data):
    path = tmp_path / "model.npz"
    trained(data).save(path)
    return path


def check_refused(path, message):
    with pytest.raises(pn.ModelFileError, match=message) as err:
        pn.load(path)
    assert str(path) in str(err.value)


def test_a_truncated_file_is_refused(saved):
    raw = saved.read_bytes()
    for cut in (len(raw) // 2, len(raw) - 10, 30):
        saved.write_bytes(raw[:cut])
        check_refused(saved, "corrupt, truncated or unsafe")


def test_a_corrupted_file_is_refused(saved):
    raw = bytearray(saved.read_bytes())
    with zipfile.ZipFile(saved) as zf:
        info = zf.getinfo("param/0.W.npy")
    middle = info.header_offset + 200  # inside the stored weights
    raw[middle:middle + 8] = b"\xff" * 8
    saved.write_bytes(bytes(raw))
    check_refused(saved, "Bad CRC-32")


def test_an_empty_or_foreign_file_is_refused(tmp_path):
    for name, content in [("empty.npz", b""), ("text.npz", b"hello"),
                          ("weights.npy", b"\x93NUMPY\x01\x00")]:
        (tmp_path / name).write_bytes(content)
        check_refused(tmp_path / name, "not a model file")
    np.savez(tmp_path / "plain.npz", W=np.zeros(3))
    check_refused(tmp_path / "plain.npz", "it has no JSON header")


def test_an_unknown_version_is_refused(saved):
    rewrite(saved, lambda h: h.update(version=99))
    check_refused(saved, "unknown model format version 99; this plainnet reads versions 1, 2")


@pytest.mark.parametrize("change, message", [
    (lambda h: h.update(format="kerasish"), "not a plainnet model file"),
    (lambda h: h["layers"].__setitem__(1, {"type": "Evil", "config": {}}),
     "unknown layer type 'Evil': it is not registered"),
    (lambda h: h["layers"].__setitem__(1, {"type": "os.system", "config": {}}),
     "unknown layer type 'os.system'"),
    (lambda h: h["layers"][0]["config"].update(fan_out=10**9),
     r"array param/0.W: the header lists \(6, 16\), the layers' configs imply "
     r"\(6, 1000000000\)"),
    (lambda h: h["layers"].insert(0, h["layers"][0]),
     r"array param/1.W: the header lists none, the layers' configs imply \(6, 16\)"),
    (lambda h: h["layers"][2]["config"].update(rate=2.0), "does not describe.*rate"),
    (lambda h: h["layers"][0].update(config=[6, 16]), "config must be an object"),
    (lambda h: h["hyperparameters"]["optimizer"].update({"type": "os.system"}),
     "unknown optimizer type"),
    (lambda h: h["hyperparameters"].update(loss="hinge"), "unknown loss 'hinge'"),
    (lambda h: h["hyperparameters"].update(dtype="object"), "unknown dtype 'object'"),
    (lambda h: h.pop("layers"), "does not describe a valid network"),
    (lambda h: h.update(input_shape=[7]), r"takes inputs of shape \(6,\)"),
    (lambda h: h["rng"].update(network={"bit_generator": "MT19937"}), "random generator"),
])
def test_a_header_that_does_not_fit_is_refused(saved, change, message):
    rewrite(saved, change)
    check_refused(saved, message)


@pytest.mark.parametrize("change, message", [
    (lambda a: a.__setitem__("param/0.W", a["param/0.W"][:, :4]),
     r"array param/0.W has shape \(6, 4\), but the layers' configs imply \(6, 16\)"),
    (lambda a: a.__setitem__("param/0.b", a["param/0.b"][:4]),
     r"array param/0.b has shape \(4,\), but the layers' configs imply \(16,\)"),
    (lambda a: a.__setitem__("optimizer/3.W/v_sum", a["optimizer/3.W/v_sum"].T),
     r"array optimizer/3.W/v_sum has shape \(8, 16\), but the layers' configs imply "
     r"\(16, 8\)"),
    (lambda a: a.__setitem__("param/0.W", a["param/0.W"].astype(np.float64)),
     "array param/0.W is float64, expected float32"),
    (lambda a: a["param/0.b"].__setitem__(0, np.inf), "array param/0.b holds NaN"),
    (lambda a: a.pop("optimizer/0.W/m_sum"), "the archive holds arrays"),
    (lambda a: a.__setitem__("extra", np.zeros(2)), "the archive holds arrays"),
    (lambda a: a.__setitem__("param/0.b", a["param/0.b"].astype(np.int64)),
     "array param/0.b is int64, expected float32"),
])
def test_arrays_that_do_not_fit_are_refused(saved, change, message):
    rewrite(saved, change_arrays=change)
    check_refused(saved, message)


def test_a_hostile_object_array_is_refused_without_running_code(saved, hostile):
    evil, marker = hostile
    array = np.array([evil, 1], dtype=object)
    rewrite(saved, change_arrays=lambda a: a.__setitem__("param/0.b", array))
    check_refused(saved, "array param/0.b is object, expected float32")
    assert not marker.exists()
    with np.load(saved, allow_pickle=True) as archive:  # what plain unpickling would do
        archive["param/0.b"]
    assert marker.exists()


def test_a_pickle_file_is_refused_without_running_code(tmp_path, hostile):
    evil, marker = hostile
    path = tmp_path / "model.npz"
    path.write_bytes(pickle.dumps(evil))
    check_refused(path, "not a model file")
    assert not marker.exists()


# --- network2.py JSON models -----------------------------------------------------------------

def network2_json(path, sizes, cost, rng):
    """What network2.py's Network.save writes: weights (out, in), biases (out, 1)."""
    weights = [rng.normal(size=(y, x)) / np.sqrt(x) for x, y in itertools.pairwise(sizes)]
    biases = [rng.normal(size=(y, 1)) for y in sizes[1:]]
    data = {"sizes": sizes, "weights": [w.tolist() for w in weights],
            "biases": [b.tolist() for b in biases], "cost": cost}
    path.write_text(json.dumps(data))
    return weights, biases


def network2_feedforward(weights, biases, a):
    """network2.py's forward pass for one column input ``a: (n_in, 1)``."""
    for w, b in zip(weights, biases, strict=True):
        a = 1.0 / (1.0 + np.exp(-(np.dot(w, a) + b)))
    return a


@pytest.mark.parametrize("cost, loss", [("CrossEntropyCost", "binary_crossentropy"),
                                        ("QuadraticCost", "mse")])
def test_network2_json_models_predict_as_network2_does(tmp_path, rng, cost, loss):
    path = tmp_path / "net.json"
    weights, biases = network2_json(path, [12, 7, 5, 4], cost, rng)
    net = pn.load(path)
    assert net.loss.name == loss and net.dtype == np.float64
    X = rng.random((25, 12))
    expected = np.hstack([network2_feedforward(weights, biases, x.reshape(-1, 1)) for x in X]).T
    np.testing.assert_allclose(net.predict_proba(X), expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(net.predict(X), expected.argmax(axis=1))
    net.save(tmp_path / "converted.npz")  # and it can be saved as a plainnet model
    np.testing.assert_array_equal(pn.load(tmp_path / "converted.npz").predict_proba(X),
                                  net.predict_proba(X))


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(cost="HingeCost"), "unknown cost 'HingeCost'"),
    (lambda d: d.update(sizes=[4]), "sizes must list at least 2"),
    (lambda d: d.update(sizes=[4, 3.5, 2]), "sizes must list at least 2"),
    (lambda d: d["weights"].pop(), "need 2 weight matrices"),
    (lambda d: d["weights"].__setitem__(0, np.zeros((4, 3)).tolist()),
     r"layer 0: weights \(4, 3\) and biases \(3, 1\), expected \(3, 4\) and \(3, 1\)"),
    (lambda d: d["biases"][1][0].__setitem__(0, None), "NaN or infinity"),
    (lambda d: d.pop("cost"), "it lacks 'cost'"),
])
def test_bad_network2_json_is_refused(tmp_path, rng, change, message):
    path = tmp_path / "net.json"
    network2_json(path, [4, 3, 2], "CrossEntropyCost", rng)
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    check_refused(path, message)


def test_truncated_network2_json_is_refused(tmp_path, rng):
    path = tmp_path / "net.json"
    network2_json(path, [4, 3, 2], "CrossEntropyCost", rng)
    path.write_text(path.read_text()[:-20])
    check_refused(path, "not a valid network2.py JSON model")


def test_paths_may_start_with_a_tilde(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    build().save("~/m.npz")
    assert (tmp_path / "m.npz").is_file() and pn.load("~/m.npz").n_inputs == 6


def test_numpy_values_in_metadata_and_non_finite_history_are_kept(tmp_path, data):
    net = trained(data)
    net.metadata.update(pixel_max=np.float32(255.0), mean=np.arange(3.0), n=np.int64(4))
    net.history.history["val_loss"] = [0.5, float("inf")]
    net.save(tmp_path / "m.npz")
    back = pn.load(tmp_path / "m.npz")
    assert back.metadata["pixel_max"] == 255.0 and back.metadata["mean"] == [0.0, 1.0, 2.0]
    assert back.metadata["n"] == 4
    assert back.history["val_loss"] == [0.5, float("inf")]
