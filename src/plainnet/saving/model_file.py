"""Model files: one ``.npz`` with a JSON header, read with ``allow_pickle=False``.

The archive holds ``header`` (UTF-8 JSON as uint8), every parameter as
``param/<name>`` and the optimizer's state as ``optimizer/<name>/<key>``
(``<name>`` as in :meth:`Network.parameters`, e.g. ``0.W``). The header holds the
format version, the architecture (each layer's class and ``get_config()``), the
hyperparameters (loss, optimizer, dtype, seed), the optimizer's step count, the
training history, the input metadata, and the state of every random generator,
so that a reloaded network continues training exactly as the original would have.

An optimizer or loss class may name a built-in class to be saved as (``_saved_as``, as the
scikit-learn estimators' variants do), with its ``get_config()``: the reloaded network
predicts exactly as the original and trains on by the built-in rule. Any other class is
refused, so that no custom update rule is silently replaced by another.

Saving validates every parameter first and writes a temporary file in the target's
directory that then replaces the target (:func:`atomic_write`), so a failed save leaves
an older file as it was. Loading refuses anything else with a :class:`ModelFileError`
naming the file.
``load`` also reads the JSON models that network2.py's ``save()`` writes.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from .. import optimizers
from ..errors import ModelFileError
from ..nn import activations, losses
from ..nn.dense import Dense
from ..nn.dropout import Dropout
from ..nn.layer import Layer
from ..training.history import History

if TYPE_CHECKING:
    from ..network import Network

FORMAT = "plainnet-model"
#: the format version this plainnet writes and reads
VERSION = 1

_LAYERS: dict[str, type[Layer]] = {cls.__name__: cls for cls in
                                   (Dense, Dropout, *activations.ACTIVATIONS.values())}
_OPTIMIZERS: dict[str, type[optimizers.Optimizer]] = {
    cls.__name__: cls for cls in optimizers.OPTIMIZERS.values()}
_LOSSES: dict[str, type[losses.Loss]] = {cls.name: cls for cls in losses.LOSSES.values()}
_FLOAT_DTYPES = ("float32", "float64")


# --- saving --------------------------------------------------------------------------------

@contextlib.contextmanager
def atomic_write(path: Path, mode: str = "wb", **open_args: Any) -> Iterator[IO[Any]]:
    """A file to write ``path``'s new content to: a fresh temporary file beside ``path``,
    synced and renamed over it when the block ends, deleted if the block raises. So an
    interrupted write leaves the old file byte for byte as it was and nothing behind.

    It is created with mode 0o666, so the umask sets its permissions as for ``open()``.
    """
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, mode, **open_args) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _saved_class(obj: Any, registered: dict[str, Any]) -> Any:
    """The class a model file records for ``obj``: its own, or the built-in one its class
    declares itself saved as (``_saved_as``, not inherited by further subclasses); None
    when that class is not among ``registered``."""
    cls = vars(type(obj)).get("_saved_as", type(obj))
    return cls if cls in registered.values() else None


def _rng_state(rng: np.random.Generator) -> dict[str, Any]:
    return rng.bit_generator.state


def _set_rng_state(rng: np.random.Generator, state: dict[str, Any]) -> None:
    if state.get("bit_generator") != type(rng.bit_generator).__name__:
        raise ValueError(f"random generator {state.get('bit_generator')!r}, expected "
                         f"{type(rng.bit_generator).__name__}")
    rng.bit_generator.state = state


def _has_rng(layer: Layer) -> bool:
    """Layers that draw random numbers while training (Dropout) keep a generator."""
    return isinstance(getattr(layer, "_rng", None), np.random.Generator)


def _plain(value: Any) -> Any:
    """NumPy scalars and arrays in ``network.metadata`` as JSON numbers and lists."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} {value!r} is not a JSON value")


def _check_savable(network: Network, path: Path) -> None:
    """Refuse, before writing anything, a network that the file could not hold or rebuild."""
    for i, layer in enumerate(network.layers):
        if _LAYERS.get(type(layer).__name__) is not type(layer):
            raise ModelFileError(f"{path}: cannot save layer {i} of type "
                                 f"{type(layer).__name__}; model files hold only "
                                 f"{', '.join(_LAYERS)}")
    if _saved_class(network.optimizer, _OPTIMIZERS) is None:
        raise ModelFileError(f"{path}: cannot save optimizer {type(network.optimizer).__name__}; "
                             f"model files hold only {', '.join(_OPTIMIZERS)}")
    if _saved_class(network.loss, _LOSSES) is None:
        raise ModelFileError(f"{path}: cannot save loss {type(network.loss).__name__}; "
                             f"model files hold only {', '.join(_LOSSES)}")
    for name, p in network.parameters().items():
        layer = network.layers[int(name.split(".")[0])]
        expected = (layer.fan_in, layer.fan_out) if name.endswith(".W") else (layer.fan_out,)
        if p.shape != expected or p.dtype != network.dtype:
            raise ModelFileError(f"{path}: parameter {name} is {p.dtype} of shape {p.shape}, "
                                 f"expected {network.dtype} of shape {expected}; not saved")
        if not np.isfinite(p).all():
            raise ModelFileError(f"{path}: parameter {name} holds NaN or infinity "
                                 f"({np.count_nonzero(~np.isfinite(p))} values); not saved")
    for name, state in network.optimizer.state.items():
        for key, arr in state.items():
            if not np.isfinite(arr).all():
                raise ModelFileError(f"{path}: optimizer state {name}/{key} holds NaN or "
                                     "infinity; not saved")


def _header(network: Network) -> dict[str, Any]:
    opt = network.optimizer
    return {
        "format": FORMAT,
        "version": VERSION,
        "architecture": [{"class": type(layer).__name__, "config": layer.get_config()}
                         for layer in network.layers],
        "hyperparameters": {
            "loss": _saved_class(network.loss, _LOSSES).name,
            "optimizer": {"class": _saved_class(opt, _OPTIMIZERS).__name__,
                          "config": opt.get_config()},
            "dtype": network.dtype.name,
            "seed": network.seed,
        },
        "optimizer_iterations": opt.iterations,
        "optimizer_state": {name: sorted(state) for name, state in opt.state.items()},
        "parameters": {name: list(p.shape) for name, p in network.parameters().items()},
        # JSON has no NaN or infinity: such a value (a diverged val_loss) is kept as "inf", …
        "history": {"epoch": network.history.epoch,
                    "history": {k: [v if math.isfinite(v) else repr(v) for v in vals]
                                for k, vals in network.history.history.items()}},
        "metadata": network.metadata,
        "multilabel": network.multilabel,
        "rng": {"network": _rng_state(network._rng),
                "layers": {str(i): _rng_state(layer._rng) for i, layer in
                           enumerate(network.layers) if _has_rng(layer)}},
    }


def save(network: Network, path: str | os.PathLike) -> None:
    """Write ``network`` to ``path`` (exactly that name; ``.npz`` is the usual suffix).

    Every parameter is checked first (finite, of the right shape and dtype). The file is
    written next to the target under a temporary name and renamed over it, so a failed
    save leaves an existing file byte for byte as it was and no temporary file behind.
    """
    path = Path(path).expanduser()
    _check_savable(network, path)
    try:
        header = json.dumps(_header(network), allow_nan=False, default=_plain).encode()
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: network.metadata or the history cannot be written as "
                             f"JSON ({exc}); not saved") from None
    arrays = {"header": np.frombuffer(header, np.uint8)}
    arrays.update({f"param/{n}": p for n, p in network.parameters().items()})
    arrays.update({f"optimizer/{n}/{k}": a for n, state in network.optimizer.state.items()
                   for k, a in state.items()})
    with atomic_write(path) as f:
        np.savez(f, **arrays)


# --- loading -------------------------------------------------------------------------------

def load(path: str | os.PathLike) -> Network:
    """The network saved in ``path``: a plainnet ``.npz`` model or a network2.py JSON model.

    Raises :class:`ModelFileError` (a ValueError) naming the file when it is neither, or is
    corrupt, truncated, of an unknown format version, or holds anything but numbers.
    """
    path = Path(path).expanduser()
    with open(path, "rb") as f:
        start = f.read(4)
    if start.startswith(b"PK\x03\x04"):
        return _load_npz(path)
    if start.lstrip()[:1] == b"{":
        return _load_network2(path)
    raise ModelFileError(f"{path}: not a model file: it is neither a plainnet .npz archive nor "
                         f"a network2.py JSON model (it starts with {start!r})")


_READ_ERRORS = (OSError, EOFError, KeyError, ValueError, TypeError, zipfile.BadZipFile,
                zlib.error)


def _read_npz(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The JSON header and every array of the archive, or a ModelFileError."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except _READ_ERRORS as exc:
        raise ModelFileError(f"{path}: corrupt, truncated or unsafe model file ({exc})") from None
    if "header" not in arrays or arrays["header"].dtype != np.uint8:
        raise ModelFileError(f"{path}: not a plainnet model file: it has no JSON header")
    try:
        header = json.loads(arrays.pop("header").tobytes().decode())
    except (UnicodeDecodeError, ValueError) as exc:
        raise ModelFileError(f"{path}: the JSON header is corrupt ({exc})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a plainnet model file (format "
                             f"{header.get('format') if isinstance(header, dict) else None!r})")
    if header.get("version") != VERSION:
        raise ModelFileError(f"{path}: unknown model format version {header.get('version')!r}; "
                             f"this plainnet reads version {VERSION} (a newer plainnet may "
                             "have written it)")
    for name, arr in arrays.items():
        if arr.dtype.name not in _FLOAT_DTYPES:
            raise ModelFileError(f"{path}: array {name!r} is {arr.dtype}; model files hold "
                                 "only float32 or float64 numbers")
    return header, arrays


def _load_npz(path: Path) -> Network:
    header, arrays = _read_npz(path)
    try:
        return _build(header, arrays)
    except ModelFileError as exc:
        raise ModelFileError(f"{path}: {exc}") from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise ModelFileError(f"{path}: the header does not describe a valid network "
                             f"({type(exc).__name__}: {exc})") from None


def _build(header: dict[str, Any], arrays: dict[str, np.ndarray]) -> Network:
    from ..network import Network

    hyper = header["hyperparameters"]
    layers = []
    for i, spec in enumerate(header["architecture"]):
        cls = _LAYERS.get(spec["class"])
        if cls is None:
            raise ModelFileError(f"unknown layer class {spec['class']!r}")
        config = dict(spec["config"])
        if cls is Dense:  # checked before building, so a forged size cannot exhaust memory
            stored = arrays.get(f"param/{i}.W")
            declared = (config.get("fan_in"), config.get("fan_out"))
            if stored is None or stored.shape != declared:
                raise ModelFileError(f"layer {i} is Dense{declared}, but its stored weights "
                                     f"are {'missing' if stored is None else stored.shape}")
        init = config.pop("init", None) if cls is Dense else None
        layer = cls(**config)
        if init is not None:  # only names the first draw, which the saved weights replace
            layer.init = str(init)
        layers.append(layer)
    opt_spec = hyper["optimizer"]
    opt_cls = _OPTIMIZERS.get(opt_spec["class"])
    if opt_cls is None:
        raise ModelFileError(f"unknown optimizer class {opt_spec['class']!r}")
    loss = _LOSSES.get(hyper["loss"])
    if loss is None:
        raise ModelFileError(f"unknown loss {hyper['loss']!r}")
    if hyper["dtype"] not in _FLOAT_DTYPES:
        raise ModelFileError(f"unknown dtype {hyper['dtype']!r}")
    network = Network(layers, loss=loss(), optimizer=opt_cls(**opt_spec["config"]),
                      dtype=hyper["dtype"], seed=hyper["seed"])

    params = network.parameters()
    if sorted(params) != sorted(header["parameters"]):
        raise ModelFileError(f"the architecture has parameters {sorted(params)}, the header "
                             f"lists {sorted(header['parameters'])}")
    expected = {f"param/{n}" for n in params} | {
        f"optimizer/{n}/{k}" for n, keys in header["optimizer_state"].items() for k in keys}
    if set(arrays) != expected:
        raise ModelFileError(f"the archive holds arrays {sorted(arrays)}, the header describes "
                             f"{sorted(expected)}")
    for name, p in params.items():
        _fill(p, arrays[f"param/{name}"], f"parameter {name}")
    opt = network.optimizer
    for name, keys in header["optimizer_state"].items():
        if name not in params:
            raise ModelFileError(f"optimizer state for unknown parameter {name!r}")
        opt.state[name] = {k: _fill(np.empty_like(params[name]), arrays[f"optimizer/{name}/{k}"],
                                    f"optimizer state {name}/{k}") for k in keys}
    opt.iterations = int(header["optimizer_iterations"])

    history = History()
    history.epoch = [int(e) for e in header["history"]["epoch"]]
    history.history = {str(k): [float(v) for v in vals]
                       for k, vals in header["history"]["history"].items()}
    network.history = history
    network.metadata = dict(header["metadata"])
    network.multilabel = bool(header["multilabel"])
    _set_rng_state(network._rng, header["rng"]["network"])
    for i, state in header["rng"]["layers"].items():
        layer = network.layers[int(i)]
        if not _has_rng(layer):
            raise ModelFileError(f"random generator state for layer {i}, which has none")
        _set_rng_state(layer._rng, state)
    return network


def _fill(target: np.ndarray, value: np.ndarray, what: str) -> np.ndarray:
    """Copy ``value`` into ``target`` after checking its shape, dtype and finiteness."""
    if value.shape != target.shape or value.dtype != target.dtype:
        raise ModelFileError(f"{what} is {value.dtype} of shape {value.shape}, expected "
                             f"{target.dtype} of shape {target.shape}")
    if not np.isfinite(value).all():
        raise ModelFileError(f"{what} holds NaN or infinity")
    target[...] = value
    return target


# --- network2.py JSON models ---------------------------------------------------------------

#: network2.py's cost classes and the loss with the same gradient direction
_NETWORK2_COSTS = {"CrossEntropyCost": "binary_crossentropy", "QuadraticCost": "mse"}
_NETWORK2_KEYS = {"sizes", "weights", "biases", "cost"}


def _load_network2(path: Path) -> Network:
    """A network2.py model: ``{"sizes", "weights" (out, in), "biases" (out, 1), "cost"}``.

    Each layer becomes ``Dense`` with ``W = weightsᵀ`` and ``b = biases[:, 0]`` followed by
    ``Sigmoid``, in float64 as network2.py computes.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return _network2(data)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise ModelFileError(f"{path}: not a valid network2.py JSON model "
                             f"({type(exc).__name__}: {exc})") from None


def _network2(data: dict[str, Any]) -> Network:
    from ..network import Network

    missing = sorted(_NETWORK2_KEYS - (set(data) if isinstance(data, dict) else set()))
    if missing:
        raise ValueError(f"it lacks {', '.join(map(repr, missing))}")
    sizes, cost = data["sizes"], data["cost"]
    if (not isinstance(sizes, list) or len(sizes) < 2
            or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 1
                       for s in sizes)):
        raise ValueError(f"sizes must list at least 2 positive integers, got {sizes!r}")
    if cost not in _NETWORK2_COSTS:
        raise ValueError(f"unknown cost {cost!r}; network2.py writes "
                         f"{', '.join(_NETWORK2_COSTS)}")
    weights = [np.asarray(w, dtype=np.float64) for w in data["weights"]]
    biases = [np.asarray(b, dtype=np.float64) for b in data["biases"]]
    if len(weights) != len(sizes) - 1 or len(biases) != len(sizes) - 1:
        raise ValueError(f"{len(sizes)} sizes need {len(sizes) - 1} weight matrices and bias "
                         f"vectors, got {len(weights)} and {len(biases)}")
    layers: list[Layer] = []
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        n_in, n_out = sizes[i], sizes[i + 1]
        if w.shape != (n_out, n_in) or b.shape != (n_out, 1):
            raise ValueError(f"layer {i}: weights {w.shape} and biases {b.shape}, expected "
                             f"{(n_out, n_in)} and {(n_out, 1)}")
        if not (np.isfinite(w).all() and np.isfinite(b).all()):
            raise ValueError(f"layer {i}: weights or biases hold NaN or infinity")
        dense = Dense(n_in, n_out, init="normal", dtype="float64")
        dense.params["W"][...] = w.T
        dense.params["b"][...] = b[:, 0]
        layers += [dense, activations.Sigmoid()]
    network = Network(layers, loss=_NETWORK2_COSTS[cost], optimizer="sgd", dtype="float64")
    network.metadata = {"imported_from": "network2.py JSON", "cost": cost}
    return network
