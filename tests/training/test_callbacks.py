"""EarlyStopping, ModelCheckpoint and LearningRateScheduler."""

import math

import numpy as np
import pytest

import plainnet as pn
from plainnet.training.callbacks import (
    Callback,
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
)


@pytest.fixture
def data():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 3)).astype(np.float32)
    y = (X[:, 0] > X[:, 2]).astype(np.int64)
    return X, y


class Scripted(Callback):
    """Writes a scripted metric ``score`` into each epoch's logs and keeps the weights
    after every epoch; put it first in the list."""

    def __init__(self, scores):
        self.scores, self.weights = scores, []

    def on_epoch_end(self, epoch, logs):
        logs["score"] = self.scores[epoch - 1]
        self.weights.append(self.network.get_weights())


def assert_weights_equal(a, b):
    for x, z in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, z)


# --- EarlyStopping ----------------------------------------------------------------------------

def test_early_stopping_waits_patience_epochs_and_restores_the_best(data):
    scripted = Scripted([5.0, 4.0, 4.5, 4.2, 4.1, 3.0, 2.0])
    stop = EarlyStopping(monitor="score", patience=3)
    network = pn.mlp([3, 6, 2], seed=0)
    history = network.fit(*data, epochs=7, verbose=0, callbacks=[scripted, stop])
    assert len(history) == 5  # epochs 3, 4, 5 do not improve on epoch 2
    assert stop.best_epoch == 2 and history.stop_reason.startswith("early stopping after epoch 5")
    assert "best score 4.0000 in epoch 2" in history.stop_reason
    assert_weights_equal(network.get_weights(), scripted.weights[1])


def test_early_stopping_min_delta_and_no_restore(data):
    scripted = Scripted([5.0, 4.95, 4.9, 4.85, 1.0])
    stop = EarlyStopping(monitor="score", patience=2, min_delta=0.1, restore_best=False)
    network = pn.mlp([3, 6, 2], seed=0)
    history = network.fit(*data, epochs=5, verbose=0, callbacks=[scripted, stop])
    assert len(history) == 3 and stop.best_epoch == 1  # 0.05 steps are no improvement
    assert_weights_equal(network.get_weights(), scripted.weights[-1])


def test_early_stopping_on_accuracy_maximises(data):
    scripted = Scripted([0.5, 0.7, 0.6, 0.65, 0.9])
    stop = EarlyStopping(monitor="val_score_accuracy", patience=2)

    class Rename(Callback):
        def on_epoch_end(self, epoch, logs):
            logs["val_score_accuracy"] = logs.pop("score")

    history = pn.mlp([3, 6, 2], seed=0).fit(*data, epochs=5, verbose=0,
                                             callbacks=[scripted, Rename(), stop])
    assert len(history) == 4 and stop.best_epoch == 2


def test_early_stopping_stops_an_overfitting_run():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 20)).astype(np.float32)
    y = rng.integers(0, 2, 40)  # noise: validation loss soon rises
    X_val, y_val = rng.normal(size=(200, 20)).astype(np.float32), rng.integers(0, 2, 200)
    network = pn.mlp([20, 64, 2], optimizer=pn.Adam(lr=0.01), seed=0)
    stop = EarlyStopping(patience=3)
    history = network.fit(X, y, epochs=200, batch_size=8, validation_data=(X_val, y_val),
                          verbose=0, callbacks=[stop])
    assert len(history) < 200 and len(history) == stop.best_epoch + 3
    best = min(history["val_loss"])
    assert network.evaluate(X_val, y_val)["loss"] == pytest.approx(best, rel=1e-5)


def test_early_stopping_needs_its_metric(data):
    with pytest.raises(ValueError, match=r"'val_loss' is not among .* pass validation_data"):
        pn.mlp([3, 4, 2], seed=0).fit(*data, epochs=2, verbose=0, callbacks=[EarlyStopping()])
    with pytest.raises(ValueError, match="patience must be"):
        EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match="unknown mode 'up'"):
        EarlyStopping(mode="up")


# --- ModelCheckpoint --------------------------------------------------------------------------

def test_checkpoint_saves_only_improvements(data, tmp_path):
    scripted = Scripted([3.0, 2.0, 4.0, 1.0, 1.5])
    check = ModelCheckpoint(tmp_path / "m-{epoch}.npz", monitor="score")
    pn.mlp([3, 6, 2], seed=0).fit(*data, epochs=5, verbose=0, callbacks=[scripted, check])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m-1.npz", "m-2.npz", "m-4.npz"]
    assert check.saved == [str(tmp_path / f"m-{e}.npz") for e in (1, 2, 4)]
    assert_weights_equal(pn.load(tmp_path / "m-4.npz").get_weights(), scripted.weights[3])


def test_checkpoint_one_file_holds_the_best(data, tmp_path):
    scripted = Scripted([3.0, 2.0, 4.0, 5.0])
    path = tmp_path / "best.npz"
    pn.mlp([3, 6, 2], seed=0).fit(*data, epochs=4, verbose=0,
                                  callbacks=[scripted, ModelCheckpoint(path, monitor="score")])
    assert_weights_equal(pn.load(path).get_weights(), scripted.weights[1])


def test_checkpoint_every_epoch_with_metric_fields(data, tmp_path):
    X, y = data
    check = ModelCheckpoint(tmp_path / "e{epoch:02d}-{val_accuracy:.2f}.npz",
                            save_best_only=False)
    history = pn.mlp([3, 6, 2], seed=0).fit(X, y, epochs=3, validation_data=(X, y),
                                            verbose=0, callbacks=[check])
    names = [f"e{e:02d}-{a:.2f}.npz" for e, a in zip(history.epoch, history["val_accuracy"],
                                                     strict=True)]
    assert sorted(p.name for p in tmp_path.iterdir()) == names


@pytest.mark.parametrize("scores, mode", [([1.0, 2.0], "min"), ([0.9, 0.5], "max")])
def test_a_reused_callback_forgets_the_best_of_the_last_fit(data, tmp_path, scores, mode):
    """Each fit starts from a fresh best: a second fit worse than the first still has a best
    epoch and a checkpoint."""
    stop = EarlyStopping(monitor="score", mode=mode, patience=5)
    check = ModelCheckpoint(tmp_path / "best-{score}.npz", monitor="score", mode=mode)
    network = pn.mlp([3, 4, 2], seed=0)
    for score in scores:
        network.fit(*data, epochs=1, verbose=0, callbacks=[Scripted([score]), stop, check])
        assert stop.best_epoch == 1 and stop._monitor.best == score
    assert check.saved == [str(tmp_path / f"best-{score}.npz") for score in scores]


def test_checkpoint_refuses_an_unknown_field(data, tmp_path):
    check = ModelCheckpoint(tmp_path / "{step}.npz", monitor="loss")
    with pytest.raises(ValueError, match="has a field that is not 'epoch'"):
        pn.mlp([3, 4, 2], seed=0).fit(*data, epochs=1, verbose=0, callbacks=[check])


# --- LearningRateScheduler --------------------------------------------------------------------

@pytest.mark.parametrize(("sched", "expected"), [
    (LearningRateScheduler.step(every=2, factor=0.1), [1.0, 1.0, 0.1, 0.1, 0.01]),
    (LearningRateScheduler.exponential(factor=0.5), [1.0, 0.5, 0.25, 0.125, 0.0625]),
    (LearningRateScheduler.cosine(epochs=4, min_lr=0.2),
     [1.0, 0.2 + 0.8 * (1 + math.cos(math.pi / 4)) / 2, 0.6,
      0.2 + 0.8 * (1 + math.cos(3 * math.pi / 4)) / 2, 0.2]),
])
def test_presets_set_the_rate_of_each_epoch(data, sched, expected):
    network = pn.mlp([3, 4, 2], optimizer=pn.SGD(lr=1.0), seed=0)
    history = network.fit(*data, epochs=5, verbose=0, callbacks=[sched])
    assert history["lr"] == pytest.approx(expected)
    assert network.optimizer.lr == pytest.approx(expected[-1])


def test_a_custom_schedule_gets_the_current_rate(data):
    network = pn.mlp([3, 4, 2], optimizer=pn.SGD(lr=0.8), seed=0)
    sched = LearningRateScheduler(lambda epoch, lr: lr if epoch == 0 else lr / 2)
    history = network.fit(*data, epochs=4, verbose=0, callbacks=[sched])
    assert history["lr"] == pytest.approx([0.8, 0.4, 0.2, 0.1])


def test_the_optimizer_really_uses_the_scheduled_rate(data):
    X, y = data
    a = pn.mlp([3, 4, 2], optimizer=pn.SGD(lr=0.5), seed=0)
    a.fit(X, y, epochs=2, shuffle=False, verbose=0,
          callbacks=[LearningRateScheduler.step(every=1, factor=0.1)])
    b = pn.mlp([3, 4, 2], optimizer=pn.SGD(lr=0.5), seed=0)
    b.fit(X, y, epochs=1, shuffle=False, verbose=0)
    b.optimizer.lr = 0.05
    b.fit(X, y, epochs=1, shuffle=False, verbose=0)
    assert_weights_equal(a.get_weights(), b.get_weights())


def test_bad_schedules_are_refused(data):
    with pytest.raises(ValueError, match="fn must be a function"):
        LearningRateScheduler(0.1)
    with pytest.raises(ValueError, match="every must be"):
        LearningRateScheduler.step(every=0)
    with pytest.raises(ValueError, match=r"lr=0\.0 for epoch 2"):
        pn.mlp([3, 4, 2], seed=0).fit(*data, epochs=3, verbose=0, callbacks=[
            LearningRateScheduler(lambda epoch, lr: 0.0 if epoch else lr)])
