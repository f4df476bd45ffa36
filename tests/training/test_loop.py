"""The fit loop: progress display, History, callback hook points, Ctrl-C, divergence."""

import io
import os
import re
import signal
import sys
import threading
import time

import numpy as np
import pytest

import plainnet as pn
from plainnet.training import progress
from plainnet.training.callbacks import Callback


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    return X, y


def net():
    return pn.mlp([4, 8, 2], seed=0)


class Terminal(io.StringIO):
    """A stdout that says it is a terminal."""

    def isatty(self):
        return True


# --- progress ---------------------------------------------------------------------------------

def test_plain_lines_when_not_a_terminal(data, capsys):
    X, y = data
    net().fit(X, y, epochs=3, batch_size=50, validation_data=(X[:20], y[:20]), verbose=1)
    out = capsys.readouterr().out
    assert "\r" not in out
    lines = out.splitlines()
    assert lines[0] == "Training on 200 samples, validating on 20: 3 epochs of 4 batches"
    epoch_lines = [line for line in lines if line.startswith("Epoch ")]
    assert [line.split(" - ")[0] for line in epoch_lines] == ["Epoch 1/3", "Epoch 2/3",
                                                              "Epoch 3/3"]
    for line in epoch_lines:
        for key in ("loss: ", "accuracy: ", "val_loss: ", "val_accuracy: "):
            assert key in line


def test_verbose_0_is_silent(data, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdout", Terminal())
    net().fit(*data, epochs=2, verbose=0)
    assert sys.stdout.getvalue() == ""
    assert capsys.readouterr().err == ""


class Slow(Callback):
    def on_batch_end(self, batch, loss):
        time.sleep(0.03)  # slow enough for tqdm (every 0.1 s) to redraw mid-epoch


def test_bar_on_a_terminal_with_loss_and_accuracy(data, monkeypatch):
    monkeypatch.setattr(sys, "stdout", Terminal())
    net().fit(*data, epochs=2, batch_size=20, verbose=1, callbacks=[Slow()])
    out = sys.stdout.getvalue()
    assert "\r" in out  # tqdm redraws its line
    # the running loss and accuracy while the epoch goes on
    assert re.search(r"Epoch 1/2:\s+\d+%\|.*\| [1-9]/10 .*loss=[0-9.]+, acc=[0-9.]+\]", out)
    assert " 0/10 " in out and "batch/s" in out  # the bar as the epoch starts
    assert re.search(r"Epoch 2/2: 10/10 \[[0-9:]+, loss=[0-9.]+, acc=[0-9.]+\]", out)
    assert "Epoch 1/2 - " not in out  # not the plain lines as well


def test_verbose_2_is_plain_lines_even_on_a_terminal(data, monkeypatch):
    monkeypatch.setattr(sys, "stdout", Terminal())
    net().fit(*data, epochs=2, verbose=2)
    out = sys.stdout.getvalue()
    assert "\r" not in out and "Epoch 2/2 - " in out


def test_notebook_uses_tqdm_auto(monkeypatch):
    import tqdm.auto

    monkeypatch.setattr(progress, "_in_notebook", lambda: True)
    assert progress.Progress(1, epochs=1, n_batches=3).tqdm is tqdm.auto.tqdm
    monkeypatch.setattr(progress, "_in_notebook", lambda: False)
    assert progress.Progress(1, epochs=1, n_batches=3).tqdm is None  # a pipe: plain lines


def test_without_tqdm_a_terminal_gets_plain_lines(data, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import fails
    monkeypatch.setattr(sys, "stdout", Terminal())
    net().fit(*data, epochs=2, verbose=1)
    out = sys.stdout.getvalue()
    assert "\r" not in out and "Epoch 2/2 - " in out


# --- history ----------------------------------------------------------------------------------

def test_history_holds_the_four_lists_and_times(data):
    X, y = data
    network = net()
    history = network.fit(X, y, epochs=4, validation_data=(X[:50], y[:50]), verbose=0)
    assert history.epoch == [1, 2, 3, 4] and len(history) == 4
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "time"}
    assert all(len(v) == 4 for v in history.history.values())
    assert all(t > 0 for t in history["time"])
    assert history["loss"][-1] < history["loss"][0]
    assert history.stop_reason is None and not history.interrupted
    # the last entry agrees with an evaluation of the trained network
    assert history["val_loss"][-1] == pytest.approx(network.evaluate(X[:50], y[:50])["loss"])
    network.fit(X, y, epochs=2, verbose=0)
    assert len(network.history) == 6  # the network's own history spans both calls


# --- callbacks hook points --------------------------------------------------------------------

class Recorder(Callback):
    def __init__(self):
        self.calls = []

    def on_train_begin(self):
        self.calls.append(("train_begin",))

    def on_epoch_begin(self, epoch):
        self.calls.append(("epoch_begin", epoch))

    def on_batch_end(self, batch, loss):
        assert np.isfinite(loss)
        self.calls.append(("batch_end", batch))

    def on_epoch_end(self, epoch, logs):
        self.calls.append(("epoch_end", epoch, sorted(logs)))

    def on_train_end(self, history):
        self.calls.append(("train_end", len(history)))


def test_hooks_are_called_in_order(data):
    X, y = data
    rec = Recorder()
    network = net()
    network.fit(X, y, epochs=2, batch_size=100, verbose=0, callbacks=[rec])
    assert rec.network is network
    keys = ["accuracy", "loss", "time"]
    assert rec.calls == [
        ("train_begin",),
        ("epoch_begin", 1), ("batch_end", 1), ("batch_end", 2), ("epoch_end", 1, keys),
        ("epoch_begin", 2), ("batch_end", 1), ("batch_end", 2), ("epoch_end", 2, keys),
        ("train_end", 2),
    ]


def test_a_callback_can_stop_training_and_say_why(data, capsys):
    class StopAfterTwo(Callback):
        def on_epoch_end(self, epoch, logs):
            if epoch == 2:
                self.stop_training, self.stop_reason = True, "enough after epoch 2"

    history = net().fit(*data, epochs=10, verbose=1, callbacks=StopAfterTwo())
    assert len(history) == 2 and history.stop_reason == "enough after epoch 2"
    assert "Stopped: enough after epoch 2" in capsys.readouterr().out


def test_callbacks_must_be_callback_objects(data):
    with pytest.raises(ValueError, match="callbacks must be"):
        net().fit(*data, callbacks=["early"], verbose=0)


# --- Ctrl-C -----------------------------------------------------------------------------------

class CtrlC(Callback):
    """Sends this process SIGINT after batch ``batch`` of epoch ``epoch``."""

    def __init__(self, epoch, batch, times=1):
        self.at, self.times = (epoch, batch), times

    def on_epoch_begin(self, epoch):
        self.epoch = epoch

    def on_batch_end(self, batch, loss):
        if (self.epoch, batch) == self.at:
            for _ in range(self.times):
                os.kill(os.getpid(), signal.SIGINT)


def test_ctrl_c_stops_after_the_batch_and_returns_the_history(data, capsys):
    X, y = data
    network = net()
    history = network.fit(X, y, epochs=5, batch_size=20, verbose=1, callbacks=[CtrlC(2, 3)])
    assert history.interrupted and len(history) == 1  # the part of epoch 2 is no epoch
    assert history.stop_reason == ("interrupted (Ctrl-C) in epoch 2/5 after batch 3/10 "
                                   "(1 complete epochs in the history)")
    assert network.optimizer.iterations == 10 + 3  # epoch 1 and three batches: consistent
    assert all(np.isfinite(p).all() for p in network.parameters().values())
    assert "Stopped: interrupted (Ctrl-C) in epoch 2/5 after batch 3/10" in capsys.readouterr().out
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored
    network.predict(X)  # still usable


def test_ctrl_c_with_early_stopping_ends_with_the_best_weights_the_reason_claims_nothing_else(
        data):
    """Regression: the reason said the network keeps the weights after the interrupted
    batch, but EarlyStopping(restore_best=True) puts back those of its best epoch."""
    X, y = data
    stop = pn.callbacks.EarlyStopping(monitor="loss", patience=10, restore_best=True)
    network = net()
    history = network.fit(X, y, epochs=5, batch_size=20, verbose=0,
                          callbacks=[stop, CtrlC(2, 3)])
    assert history.interrupted and stop.best_epoch == 1
    assert "weights" not in history.stop_reason
    for w, best in zip(network.get_weights(), stop.best_weights, strict=True):
        np.testing.assert_array_equal(w, best)


def test_ctrl_c_in_the_last_batch_keeps_the_whole_epoch(data):
    history = net().fit(*data, epochs=5, batch_size=50, verbose=0, callbacks=[CtrlC(2, 4)])
    assert history.interrupted and len(history) == 2
    assert "end of epoch 2/5" in history.stop_reason


def test_second_ctrl_c_raises_keyboard_interrupt(data):
    with pytest.raises(KeyboardInterrupt):
        net().fit(*data, epochs=3, batch_size=20, verbose=0, callbacks=[CtrlC(1, 2, times=2)])
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_fit_in_a_worker_thread_leaves_signals_alone(data):
    results = []
    thread = threading.Thread(target=lambda: results.append(net().fit(*data, verbose=0)))
    thread.start()
    thread.join()
    assert len(results[0]) == 1


# --- divergence -------------------------------------------------------------------------------

def test_divergence_stops_training_on_its_own(data):
    X, y = data
    network = pn.mlp([4, 8, 2], optimizer=pn.SGD(lr=1e30), seed=0)
    before = network.get_weights()
    rec = Recorder()
    with pytest.raises(pn.DivergenceError, match="epoch 1"), np.errstate(over="ignore",
                                                                          invalid="ignore"):
        network.fit(X * 1e3, y, epochs=50, verbose=0, callbacks=[rec])
    assert ("epoch_end", 1, ["accuracy", "loss", "time"]) not in rec.calls
    for w, b in zip(network.get_weights(), before, strict=True):
        np.testing.assert_array_equal(w, b)


@pytest.mark.parametrize("optimizer", [
    lambda: pn.SGD(lr=1e3, momentum=0.9),
    lambda: pn.Adam(lr=1e30),
])
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_after_divergence_the_optimizer_starts_afresh_so_a_smaller_lr_trains_and_saves(
        data, optimizer, tmp_path):
    """Regression: only the weights were put back; the momentum buffers (Adam's moments)
    stayed NaN, so a refit with a smaller rate diverged again and save() refused."""
    X, y = data
    network = pn.mlp([4, 8, 2], optimizer=optimizer(), seed=0)
    with pytest.raises(pn.DivergenceError, match="optimizer starts afresh"):
        network.fit(X * 1e3, y, epochs=20, batch_size=20, verbose=0)
    assert network.optimizer.state == {} and network.optimizer.iterations == 0
    network.optimizer.lr = 1e-3
    history = network.fit(X, y, epochs=3, batch_size=20, verbose=0)
    assert len(history) == 3 and all(np.isfinite(history["loss"]))
    assert network.optimizer.iterations == 3 * 10
    assert all(np.isfinite(a).all() for s in network.optimizer.state.values()
               for a in s.values())
    network.save(tmp_path / "net.npz")
    assert pn.load(tmp_path / "net.npz").optimizer.iterations == 30
