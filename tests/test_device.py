"""The GPU path, tested without a GPU: the strict CuPy stand-in of tests/strict_cupy.py
refuses every implicit conversion to NumPy and counts transfers and synchronisations.

What it proves: fit, evaluate and predict run from the same source on either array
library, give the NumPy backend's results, move the data once, and talk to the device a
bounded number of times per epoch, however many batches an epoch has.
"""

import sys
import types

import numpy as np
import pytest

import plainnet
from plainnet import Dense, DeviceError, Dropout, Network, ReLU, Softmax, mlp


def _data(n=200, d=6, k=3, seed=0):
    g = np.random.default_rng(seed)
    X = g.standard_normal((n, d)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)
    return X, y % k


def _weights(net):
    return {k: plainnet.backend.to_numpy(v) for k, v in net.parameters().items()}


# --- a missing GPU: one clear line ------------------------------------------------------------

def test_cuda_without_cupy_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy raises ImportError
    with pytest.raises(DeviceError, match=r"needs CuPy, which is not installed.*plainnet\[gpu\]"):
        mlp([2, 3], device="cuda")


def test_cuda_without_a_gpu_says_so(monkeypatch):
    def no_device():
        raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")
    fake = types.SimpleNamespace(ndarray=type("ndarray", (), {}), cuda=types.SimpleNamespace(
        runtime=types.SimpleNamespace(getDeviceCount=no_device)))
    monkeypatch.setitem(sys.modules, "cupy", fake)
    with pytest.raises(DeviceError, match="CuPy is installed but finds no usable GPU"):
        Network([Dense(2, 3), Softmax()], "categorical_crossentropy", device="cuda")


def test_unknown_device_is_refused():
    with pytest.raises(ValueError, match="device must be 'cpu' or 'cuda', got 'gpu'"):
        mlp([2, 3], device="gpu")


# --- the same results, no implicit conversion, bounded transfers -------------------------------

@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop"])
def test_fit_evaluate_predict_equal_numpy_backend(strict_cupy, optimizer):
    X, y = _data()
    cpu = mlp([6, 16, 3], optimizer=optimizer, seed=1)
    gpu = mlp([6, 16, 3], optimizer=optimizer, seed=1, device="cuda")
    assert isinstance(gpu.parameters()["0.W"], strict_cupy.ndarray)
    h_cpu = cpu.fit(X, y, epochs=3, batch_size=16, validation_data=(X[:50], y[:50]), verbose=0)
    h_gpu = gpu.fit(X, y, epochs=3, batch_size=16, validation_data=(X[:50], y[:50]), verbose=0)
    for key in h_cpu.history:  # a loss is summed another way on a device (backend.inner)
        if key != "time":
            np.testing.assert_allclose(h_gpu.history[key], h_cpu.history[key], rtol=1e-6)
    for name, w in _weights(cpu).items():  # the gradients are the same: so are the weights
        np.testing.assert_array_equal(_weights(gpu)[name], w)
    assert gpu.evaluate(X, y) == pytest.approx(cpu.evaluate(X, y), rel=1e-6)
    P = gpu.predict_proba(X)
    assert type(P) is np.ndarray  # NumPy unless asked otherwise
    np.testing.assert_array_equal(P, cpu.predict_proba(X))
    np.testing.assert_array_equal(gpu.predict(X), cpu.predict(X))
    assert isinstance(gpu.predict(X, on_device=True), strict_cupy.ndarray)


def test_fit_takes_device_inputs(strict_cupy):
    X, y = _data()
    net = mlp([6, 8, 3], seed=0, device="cuda")
    Xd, yd = strict_cupy.asarray(X), strict_cupy.asarray(y)
    net.fit(Xd, yd, epochs=2, batch_size=32, verbose=0)
    assert net.predict(Xd).shape == (200,)
    assert set(net.evaluate(Xd, yd)) == {"loss", "accuracy"}


def _fit_counts(strict_cupy, epochs, **fit_args):
    X, y = _data()
    net = mlp([6, 8, 3], seed=0, device="cuda")
    strict_cupy.reset_counts()
    net.fit(X, y, epochs=epochs, batch_size=8, verbose=0, **fit_args)
    return dict(strict_cupy.counts)


def test_transfers_and_waits_are_bounded_per_epoch(strict_cupy):
    """25 batches an epoch; what the device is asked for grows with the epochs, not the
    batches: the order (1 transfer), the loss and correct count (2 reads), the weights'
    finiteness (one read per array)."""
    two, five = _fit_counts(strict_cupy, 2), _fit_counts(strict_cupy, 5)
    per_epoch = {k: (five[k] - two[k]) / 3 for k in five}
    assert per_epoch["to_device"] == 1  # the epoch's order; the data went over once
    assert per_epoch["to_host"] == 0
    assert per_epoch["syncs"] <= 8  # 2 sums + 4 parameter arrays
    assert two["to_device"] == 2 + 2  # X and T once, and one order per epoch


def test_full_batch_epoch_sends_nothing(strict_cupy):
    two, five = (_fit_counts(strict_cupy, e, shuffle=False) for e in (2, 5))
    assert five["to_device"] == two["to_device"] == 2


def test_data_too_large_for_the_device_goes_batch_by_batch(strict_cupy):
    strict_cupy.free_memory[0] = 1000  # bytes: the training set does not fit
    X, y = _data()
    cpu, gpu = mlp([6, 8, 3], seed=0), mlp([6, 8, 3], seed=0, device="cuda")
    strict_cupy.reset_counts()
    gpu.fit(X, y, epochs=1, batch_size=50, shuffle=False, verbose=0)
    cpu.fit(X, y, epochs=1, batch_size=50, shuffle=False, verbose=0)
    assert strict_cupy.counts["to_device"] == 2 * 4  # X and T of each of the 4 batches
    for name, w in _weights(cpu).items():
        np.testing.assert_array_equal(_weights(gpu)[name], w)


def test_dropout_and_other_layers_run_on_the_device(strict_cupy):
    X, y = _data()
    net = Network([Dense(6, 16), ReLU(), Dropout(0.3), Dense(16, 3), Softmax()],
                  "categorical_crossentropy", optimizer="adam", seed=0, device="cuda")
    history = net.fit(X, y, epochs=2, batch_size=20, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


@pytest.mark.parametrize("output", ["sigmoid", "identity"])
def test_binary_and_regression_outputs(strict_cupy, output):
    X, y = _data()
    target = (y > 0).astype(float) if output == "sigmoid" else X[:, :1] * 2.0
    cpu = mlp([6, 8, 1], output=output, seed=0)
    gpu = mlp([6, 8, 1], output=output, seed=0, device="cuda")
    cpu.fit(X, target, epochs=2, batch_size=16, verbose=0)
    gpu.fit(X, target, epochs=2, batch_size=16, verbose=0)
    np.testing.assert_array_equal(gpu.predict(X), cpu.predict(X))


def test_save_and_load_across_devices(strict_cupy, tmp_path):
    X, y = _data()
    gpu = mlp([6, 8, 3], seed=0, device="cuda")
    gpu.fit(X, y, epochs=2, batch_size=32, verbose=0)
    gpu.save(tmp_path / "m.npz")
    on_cpu = plainnet.load(tmp_path / "m.npz")
    on_gpu = plainnet.load(tmp_path / "m.npz", device="cuda")
    assert on_cpu.device == "cpu" and on_gpu.device == "cuda"
    np.testing.assert_array_equal(on_cpu.predict_proba(X), gpu.predict_proba(X))
    np.testing.assert_array_equal(on_gpu.predict_proba(X), gpu.predict_proba(X))
    on_gpu.fit(X, y, epochs=1, verbose=0)  # the optimizer's moments moved too


def test_to_moves_there_and_back(strict_cupy):
    X, y = _data()
    net = mlp([6, 8, 3], seed=0)
    before = net.predict_proba(X)
    net.to("cuda")
    assert net.device == "cuda"
    assert all(layer.array_library == "cupy" for layer in net.layers)
    np.testing.assert_array_equal(net.predict_proba(X), before)
    net.fit(X, y, epochs=1, verbose=0)
    net.to("cpu")
    assert type(net.parameters()["0.W"]) is np.ndarray
    net.fit(X, y, epochs=1, verbose=0)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergence_on_the_device_restores_the_weights(strict_cupy):
    X, y = _data()
    net = mlp([6, 8, 3], optimizer=plainnet.SGD(lr=1e30), seed=0, device="cuda")
    before = _weights(net)
    with pytest.raises(plainnet.DivergenceError, match="epoch 1"):
        net.fit(X * 1e10, y, epochs=2, batch_size=16, verbose=0)
    for name, w in before.items():
        np.testing.assert_array_equal(_weights(net)[name], w)


# --- the command line ---------------------------------------------------------------------------

def test_cli_trains_on_the_device(strict_cupy, tmp_path, capsys):
    from plainnet import cli

    out = tmp_path / "m.npz"
    status = cli.main(["train", "--dataset", "circles", "--hidden", "8", "--epochs", "2",
                       "--device", "cuda", "--out", str(out), "--no-plot", "-q"])
    assert status == 0, capsys.readouterr().err
    assert strict_cupy.counts["to_device"] > 0  # it did run on the (stand-in) device
    assert plainnet.load(out).predict(np.zeros((1, 2))).shape == (1,)


def test_cli_without_cupy_says_so_in_one_line(monkeypatch, capsys):
    from plainnet import cli

    monkeypatch.setitem(sys.modules, "cupy", None)
    assert cli.main(["train", "--device", "cuda", "--no-out", "--no-plot"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "needs CuPy" in err and "Traceback" not in err


# --- the estimators -----------------------------------------------------------------------------

@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_estimator_on_the_device_equals_the_cpu(strict_cupy, solver):
    from plainnet.estimators import MLPClassifier

    X, y = _data()
    args = dict(hidden_layer_sizes=(8,), solver=solver, max_iter=5, random_state=0)
    with pytest.warns(Warning):  # 5 iterations do not converge
        cpu = MLPClassifier(**args).fit(X, y)
    with pytest.warns(Warning):
        gpu = MLPClassifier(**args, device="cuda").fit(X, y)
    assert isinstance(gpu.coefs_[0], strict_cupy.ndarray)
    np.testing.assert_allclose(gpu.loss_curve_ if solver != "lbfgs" else [gpu.loss_],
                               cpu.loss_curve_ if solver != "lbfgs" else [cpu.loss_], rtol=1e-5)
    P = gpu.predict_proba(X)
    assert type(P) is np.ndarray
    np.testing.assert_allclose(P, cpu.predict_proba(X), rtol=1e-5, atol=1e-7)
    assert gpu.score(X, y) == cpu.score(X, y)
