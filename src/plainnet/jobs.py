"""One training run from a dict of options: what ``plainnet train`` does, and what each
run of a sweep does.

``train_job(options)`` takes the keys of the ``plainnet train`` options (all optional;
:data:`DEFAULTS` fills the rest), loads the data set, holds out a stratified validation
split, builds an MLP, trains it and measures it on the test set:

>>> result = train_job({"dataset": "circles", "hidden": [8], "epochs": 2})
>>> sorted(result)  # doctest: +NORMALIZE_WHITESPACE
['epochs', 'history', 'interrupted', 'loss', 'network', 'options', 'seconds',
 'stop_reason', 'test_accuracy', 'test_loss', 'val_accuracy', 'val_loss']
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from . import backend, datasets, optimizers
from .checks import check_number, lookup
from .network import Network, mlp
from .nn.activations import ACTIVATIONS

#: ``plainnet train`` with no options: digits, 64-512-10 ReLU, Adam; >= 0.95 test accuracy
#: in well under a second of training
DEFAULTS: dict[str, Any] = {
    "dataset": "digits",
    "path": None,
    "hidden": [512],
    "activation": "relu",
    "optimizer": "adam",
    "lr": 0.001,
    "epochs": 30,
    "batch_size": 32,
    "weight_decay": 0.0,
    "val_split": 0.1,
    "seed": 0,
    "device": "cpu",
}


def resolve_options(options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """:data:`DEFAULTS` updated with ``options`` (``-`` or ``_`` in keys alike), each value
    checked; an unknown key or a bad value raises ValueError naming it."""
    given = {str(k).replace("-", "_"): v for k, v in (options or {}).items()}
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown training option(s) {unknown}; the options are "
                         f"{sorted(DEFAULTS)}")
    opts = {**DEFAULTS, **given}
    hidden = opts["hidden"]
    hidden = [hidden] if isinstance(hidden, (int, np.integer)) else list(hidden)
    for width in hidden:
        check_number("hidden", width, low=1, integer=True)
    opts["hidden"] = [int(w) for w in hidden]
    lookup("activation", opts["activation"], ACTIVATIONS)
    lookup("optimizer", opts["optimizer"], optimizers.OPTIMIZERS)
    check_number("lr", opts["lr"], low=0.0, low_open=True)
    check_number("epochs", opts["epochs"], low=1, integer=True)
    check_number("batch_size", opts["batch_size"], low=1, integer=True)
    check_number("weight_decay", opts["weight_decay"], low=0.0)
    check_number("val_split", opts["val_split"], low=0.0, high=1.0, high_open=True)
    if opts["seed"] is not None:
        check_number("seed", opts["seed"], low=0, integer=True)
    lookup("device", opts["device"], backend.DEVICES)  # its name; whether it is here, at use
    datasets.metadata(opts["dataset"])  # an unknown data set fails here, before any work
    return opts


def build_network(opts: Mapping[str, Any], n_inputs: int, n_classes: int) -> Network:
    """The MLP ``n_inputs - hidden... - n_classes`` (softmax) that ``opts`` describe."""
    optimizer = lookup("optimizer", opts["optimizer"], optimizers.OPTIMIZERS)(
        lr=opts["lr"], weight_decay=opts["weight_decay"])
    return mlp([n_inputs, *opts["hidden"], max(n_classes, 2)], activation=opts["activation"],
               optimizer=optimizer, seed=opts["seed"], device=opts["device"])


def train_job(options: Mapping[str, Any] | None = None, *, verbose: int = 0,
              out: str | os.PathLike | None = None, summary: bool = False) -> dict[str, Any]:
    """Train one network as ``options`` say; save it to ``out`` if given.

    Returns ``{"network", "history", "options" (resolved), "val_accuracy", "val_loss"
    (None without a validation split), "test_accuracy", "test_loss", "loss" (the last
    epoch's training loss), "epochs" (completed), "seconds" (training time),
    "interrupted", "stop_reason"}``. A Ctrl-C stops training after the current batch: the
    network so far is measured, saved to ``out`` and returned with ``interrupted`` True.
    ``verbose`` is passed to fit; ``summary`` prints the architecture first.
    """
    opts = resolve_options(options)
    (X, y), (X_test, y_test) = datasets.load(opts["dataset"], path=opts["path"])
    validation = None
    if opts["val_split"] > 0:
        (X, y), validation = datasets.train_val_split(X, y, opts["val_split"], seed=opts["seed"])
    n_classes = int(max(y.max(), y_test.max())) + 1
    network = build_network(opts, X.shape[1], n_classes)
    network.metadata = {"dataset": opts["dataset"], "n_classes": n_classes,
                        **datasets.metadata(opts["dataset"], path=opts["path"])}
    if opts["path"] is not None:
        # absolute: evaluate finds the data again from any directory
        network.metadata["path"] = os.path.abspath(os.path.expanduser(opts["path"]))
    if summary:
        network.summary()
    start = time.perf_counter()
    history = network.fit(X, y, epochs=opts["epochs"], batch_size=opts["batch_size"],
                          validation_data=validation, verbose=verbose, seed=opts["seed"])
    seconds = time.perf_counter() - start
    test = network.evaluate(X_test, y_test)
    val = network.evaluate(*validation) if validation is not None else {}
    if out is not None:
        network.save(out)
    return {
        "network": network,
        "history": history,
        "options": opts,
        "val_accuracy": val.get("accuracy"),
        "val_loss": val.get("loss"),
        "test_accuracy": test["accuracy"],
        "test_loss": test["loss"],
        "loss": history["loss"][-1] if len(history) else None,
        "epochs": len(history),
        "seconds": seconds,
        "interrupted": history.interrupted,
        "stop_reason": history.stop_reason,
    }
