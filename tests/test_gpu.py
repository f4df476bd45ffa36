"""On a real NVIDIA GPU through CuPy; skipped where CuPy or a GPU is missing (as in CI).

The same networks trained on the CPU (NumPy) and on the GPU (CuPy) from the same weights
and batches: float32 results agree to 1e-4 relative, and a model trained on the GPU saves
and loads on either device.
"""

import numpy as np
import pytest

import plainnet
from plainnet import SGD, Adam, backend


def _gpu_count() -> int:
    try:
        import cupy
        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:  # no CuPy, no driver or no device
        return 0


pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(_gpu_count() == 0, reason="needs CuPy and an NVIDIA GPU")]


def _data(n=512, d=64, k=10, seed=0):
    g = np.random.default_rng(seed)
    X = g.standard_normal((n, d)).astype(np.float32)
    y = np.argmax(X[:, :k] + 0.5 * g.standard_normal((n, k)), axis=1)
    return X, y


def _relative_error(a, b):
    return float(np.abs(a - b).max() / np.abs(b).max())


@pytest.mark.parametrize("optimizer", [lambda: SGD(lr=0.1, momentum=0.9), lambda: Adam(lr=0.01)],
                         ids=["sgd", "adam"])
def test_ten_full_batch_steps_match_the_cpu(optimizer):
    X, y = _data()
    cpu = plainnet.mlp([64, 128, 10], optimizer=optimizer(), seed=0)
    gpu = plainnet.mlp([64, 128, 10], optimizer=optimizer(), seed=0, device="cuda")
    import cupy

    assert isinstance(gpu.parameters()["0.W"], cupy.ndarray)
    cpu.fit(X, y, epochs=10, batch_size=None, verbose=0)
    gpu.fit(X, y, epochs=10, batch_size=None, verbose=0)
    for name, w in cpu.parameters().items():
        assert _relative_error(backend.to_numpy(gpu.parameters()[name]), w) < 1e-4, name
    np.testing.assert_allclose(gpu.history.history["loss"], cpu.history.history["loss"],
                               rtol=1e-4)


def test_fit_save_and_load(tmp_path):
    X, y = _data(n=2000)
    cpu = plainnet.mlp([64, 128, 10], seed=0)
    gpu = plainnet.mlp([64, 128, 10], seed=0, device="cuda")
    for net in (cpu, gpu):
        net.fit(X, y, epochs=3, batch_size=64, validation_data=(X[:200], y[:200]), verbose=0)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):  # the same batches
        np.testing.assert_allclose(gpu.history.history[key], cpu.history.history[key],
                                   rtol=1e-3, err_msg=key)
    P = gpu.predict_proba(X)
    assert type(P) is np.ndarray
    gpu.save(tmp_path / "m.npz")
    for device in ("cpu", "cuda"):
        loaded = plainnet.load(tmp_path / "m.npz", device=device)
        np.testing.assert_allclose(loaded.predict_proba(X), P, rtol=1e-4, atol=1e-6)
    again = plainnet.load(tmp_path / "m.npz", device="cuda")
    again.fit(X, y, epochs=1, batch_size=64, verbose=0)  # the moments came along


def test_device_inputs_and_outputs():
    import cupy

    X, y = _data()
    net = plainnet.mlp([64, 32, 10], seed=0, device="cuda")
    cpu = plainnet.mlp([64, 32, 10], seed=0)
    cpu.fit(X, y, epochs=2, batch_size=128, verbose=0)
    net.fit(cupy.asarray(X), cupy.asarray(y), epochs=2, batch_size=128, verbose=0)
    assert isinstance(net.predict(cupy.asarray(X), on_device=True), cupy.ndarray)
    assert net.evaluate(X, y) == pytest.approx(cpu.evaluate(X, y), rel=1e-4)


def test_dropout_on_the_gpu():
    X, y = _data()
    net = plainnet.Network([plainnet.Dense(64, 64), plainnet.ReLU(), plainnet.Dropout(0.5),
                            plainnet.Dense(64, 10), plainnet.Softmax()],
                           "categorical_crossentropy", optimizer="adam", seed=0, device="cuda")
    net.fit(X, y, epochs=2, batch_size=64, verbose=0)
    assert np.isfinite(net.history.history["loss"]).all()
