"""Network: a sequence of layers, a loss and an optimizer. Forward, backward, fit, predict.

The network knows nothing of the math of a layer: it calls ``forward`` down the list and
``backward`` up it. It works out the shape of every layer's output from its input shape,
so any chain of layers whose shapes fit is a network. When the output layer is the
activation its loss fuses with (softmax with categorical cross-entropy, sigmoid with
binary cross-entropy), it stops before that layer and hands the logits to the loss, whose
gradient is then (a - y)/m.
"""

from __future__ import annotations

import io as _io
import itertools
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import backend, optimizers
from .checks import check_dtype, check_number, check_sample_weight, check_X
from .errors import ModelFileError
from .labels import is_one_hot, predicted_labels, to_targets
from .nn import activations, initializers, losses, registered, registered_name
from .nn.activations import Sigmoid, Softmax
from .nn.dense import Dense
from .nn.layer import Layer, Shape, flat_size, random_generator
from .saving import model_file, network2
from .training import lbfgs, loop
from .training.history import History

#: rows per forward pass in predict and evaluate: bounds memory on large inputs
_CHUNK = 8192


class Network:
    """Layers, a loss and an optimizer.

    Parameters
    ----------
    layers : sequence of Layer
        For example ``[Dense(2, 10), ReLU(), Dense(10, 1), Sigmoid()]``; any chain whose
        shapes fit (each layer's ``output_shape`` takes the one before it).
    loss : str or Loss
        ``"binary_crossentropy"``, ``"categorical_crossentropy"`` or ``"mse"``.
    optimizer : str or Optimizer
        ``"sgd"``, ``"adam"``, ``"rmsprop"`` (their defaults) or an optimizer object.
    dtype : "float32" or "float64"
        The network casts every layer's arrays to it, and inputs once at its boundary.
    seed : int, optional
        Makes the network reproducible: layers built without a seed of their own draw
        their weights (and dropout masks) from it, and it seeds the shuffling.
    input_shape : tuple of int, optional
        The shape of one input sample, e.g. ``(1, 28, 28)``. Needed only when the layers
        cannot tell it (a Dense layer's ``fan_in`` does).
    device : "cpu" or "cuda"
        Where the network's arrays live and its math runs: NumPy on the CPU, or CuPy on an
        NVIDIA GPU (``pip install "plainnet[gpu]"``). See :meth:`to`.

    >>> import numpy as np
    >>> from plainnet import Dense, ReLU, Sigmoid
    >>> net = Network([Dense(2, 4), ReLU(), Dense(4, 1), Sigmoid()],
    ...               loss="binary_crossentropy", optimizer="adam", seed=0)
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    >>> net.predict(X).shape
    (4,)
    >>> net.input_shape, net.output_shape
    ((2,), (1,))
    """

    def __init__(
        self,
        layers: Sequence[Layer],
        loss: str | losses.Loss,
        optimizer: str | optimizers.Optimizer = "sgd",
        dtype: Any = "float32",
        seed: int | None = None,
        input_shape: Sequence[int] | None = None,
        device: str = "cpu",
    ) -> None:
        library = backend.device_library(device)  # a missing GPU is said before any work
        self.layers = _check_layers(layers)
        self.dtype = check_dtype(dtype)
        self.loss = losses.get(loss)
        self.optimizer = optimizers.get(optimizer)
        if seed is not None:
            check_number("seed", seed, low=0, integer=True)
        #: the shape of one input sample and of one output sample (no sample axis)
        self.input_shape = _find_input_shape(self.layers, input_shape)
        self.output_shape = self._check_shapes()
        self._fused = isinstance(self.layers[-1], self.loss.fused_activation or ())
        self._check_output_fits_loss()
        # all checked: from here on the layers are this network's
        for layer in self.layers:
            layer.astype(self.dtype)
        self.seed = seed
        #: the generator of the shuffling (a model file keeps its state)
        self.rng = backend.rng(seed)
        if seed is not None:
            self._seed_layers(seed)
        for layer in self.layers:
            layer.fresh = False
        # what the loss sees is the output of these (the logits when fused)
        self._loss_layers = self.layers[:-1] if self._fused else list(self.layers)
        # the backward pass stops at the first layer with parameters: nobody needs its dX
        self._first_trainable = next((i for i, layer in enumerate(self.layers) if layer.params),
                                     len(self.layers))
        # "<layer index>.<key>" of every parameter, worked out once: train_step names them all
        self._param_names = [(f"{i}.{k}", layer, k) for i, layer in enumerate(self.layers)
                             for k in layer.params]
        self._no_decay = frozenset(name for name, layer, k in self._param_names
                                   if k not in layer.decayed)
        self._flat = _Flat(self._param_names)
        #: labels were multi-hot rows (multi-label) when the network was trained
        self.multilabel = False
        #: every epoch this network has trained, across calls to fit
        self.history = History()
        #: what the inputs were (image shape, pixel scaling), recorded by data loaders and the CLI
        self.metadata: dict[str, Any] = {}
        #: where the arrays live: "cpu" or "cuda" (see :meth:`to`)
        self.device = "cpu"
        if library != "numpy":
            self.to(device)

    def to(self, device: str) -> Network:
        """Move every array (parameters, gradients, state, optimizer slots) to ``device``,
        "cpu" or "cuda", and return the network. From then on the math runs there: every
        layer computes with the array module of its arrays, the same source on either.
        Inputs may be NumPy or CuPy arrays; ``predict`` still returns NumPy.

        >>> net = mlp([2, 3], seed=0)
        >>> net.to("cpu") is net, net.device
        (True, 'cpu')
        >>> net.to("tpu")
        Traceback (most recent call last):
        ...
        ValueError: device must be 'cpu' or 'cuda', got 'tpu'
        """
        library = backend.device_library(device)
        def move(a: Any) -> Any:
            return backend.to_library(a, library)
        for layer in self.layers:
            layer.map_arrays(move, library)
        self._flat = _Flat(self._param_names)  # laid out afresh where the arrays now are
        self.optimizer.map_state(move)
        self.optimizer.array_library = library
        self.device = backend.device_of(library)
        return self

    def place(self, a: Any) -> Any:
        """``a`` where the network's arrays are (a transfer when it is elsewhere, else ``a``).

        >>> import numpy as np
        >>> x = np.ones((2, 3), "float32")
        >>> mlp([3, 2]).place(x) is x
        True
        """
        library = self.layers[0].array_library
        if library == "numpy" and not backend.on_device(a):
            return a  # host data for a host network: as it is (a sparse matrix too)
        self._refuse_sparse([a])
        return backend.to_library(a, library)

    def place_data(self, *arrays: Any) -> tuple[Any, ...]:
        """``arrays`` (a training set) moved to the network's device in one go when they fit
        in half its free memory; else as they are, and each batch is moved as it is used.

        >>> import numpy as np
        >>> X = np.zeros((4, 3), "float32")
        >>> mlp([3, 2]).place_data(X)[0] is X
        True
        """
        library = self.layers[0].array_library
        if library == "numpy":
            return tuple(self.place(a) for a in arrays)
        self._refuse_sparse(arrays)
        if not backend.fits_on_device(sum(int(a.nbytes) for a in arrays), library):
            return arrays
        return tuple(backend.to_library(a, library) for a in arrays)

    def _refuse_sparse(self, arrays: Iterable[Any]) -> None:
        if any(backend.is_sparse(a) for a in arrays):
            raise ValueError("sparse input is read on the CPU only: train this network on "
                             "device='cpu', or pass a dense array (X.toarray())")

    # --- structure ------------------------------------------------------------------------

    def _seed_layers(self, seed: int) -> None:
        """Each layer built without a seed of its own, and fresh (no network had it before:
        its weights were never trained, loaded or seeded), draws from its own child of
        ``seed``, so the same seed gives the same network."""
        children = np.random.SeedSequence(seed).spawn(len(self.layers))
        for layer, child in zip(self.layers, children, strict=True):
            if layer.seed is None and layer.fresh:
                layer.reseed(child)

    def _check_shapes(self) -> Shape:
        """Each layer's output shape from the one before; the network's output shape."""
        shape = self.input_shape
        for i, layer in enumerate(self.layers):
            try:
                shape = tuple(layer.output_shape(shape))
            except ValueError as exc:
                source = (f"the output of layer {i - 1}, {self.layers[i - 1]!r}" if i
                          else "the network's input shape")
                raise ValueError(f"layer {i}: {exc} ({source})") from None
        if len(shape) != 1:
            raise ValueError(f"the last layer gives samples of shape {shape}, but a loss takes "
                             f"rows of outputs: end the network with Flatten() and a Dense "
                             f"layer")
        return shape

    def _check_output_fits_loss(self) -> None:
        last = self.layers[-1]
        if isinstance(last, Softmax) and self.n_outputs < 2:
            raise ValueError("a softmax output needs at least 2 units; for two classes use one "
                             "unit with a Sigmoid output and binary_crossentropy")
        need = self.loss.fused_activation
        if need is not None and not self._fused:
            raise ValueError(f"loss {self.loss.name!r} expects a {need.__name__} output layer, "
                             f"got {type(last).__name__}; end the network with {need.__name__}()")

    @property
    def n_inputs(self) -> int:
        """Values in one input sample: ∏ input_shape (the width of a flat row)."""
        return flat_size(self.input_shape)

    @property
    def n_outputs(self) -> int:
        """Units of the output layer."""
        return self.output_shape[0]

    @property
    def classifier(self) -> bool:
        """True when the output layer gives class probabilities (softmax or sigmoid)."""
        return isinstance(self.layers[-1], (Softmax, Sigmoid))

    def parameters(self) -> dict[str, Any]:
        """Every parameter array by name, ``"<layer index>.<key>"`` (e.g. ``"0.W"``)."""
        return {name: layer.params[k] for name, layer, k in self._param_names}

    def gradients(self) -> dict[str, Any]:
        """Every gradient array, with the names of :meth:`parameters`."""
        return {name: layer.grads[k] for name, layer, k in self._param_names}

    def states(self) -> dict[str, Any]:
        """Every state array (non-trainable: running statistics), ``"<layer index>.<key>"``."""
        return {f"{i}.{k}": a for i, layer in enumerate(self.layers)
                for k, a in layer.state.items()}

    def no_decay(self) -> frozenset[str]:
        """Names of the parameters weight decay leaves alone (biases: not in ``decayed``)."""
        return self._no_decay

    def get_weights(self) -> list[Any]:
        """Copies of every parameter and state array, in layer order."""
        return [a.copy() for a in (*self.parameters().values(), *self.states().values())]

    def set_weights(self, weights: Iterable[Any]) -> None:
        """Write ``weights`` (as from :meth:`get_weights`) into the parameters and state
        arrays, in place."""
        arrays = [*self.parameters().items(), *self.states().items()]
        weights = list(weights)
        if len(weights) != len(arrays):
            raise ValueError(f"set_weights got {len(weights)} arrays, the network has "
                             f"{len(arrays)} parameter and state arrays")
        weights = [backend.asarray(w, xp=backend.array_module(p))
                   for (_, p), w in zip(arrays, weights, strict=True)]
        for (name, p), w in zip(arrays, weights, strict=True):
            if w.shape != p.shape:
                raise ValueError(f"array {name} has shape {p.shape}, got {w.shape}")
        for (_, p), w in zip(arrays, weights, strict=True):
            p[...] = w

    # --- forward and backward -------------------------------------------------------------

    def forward(self, X: Any, training: bool = False) -> Any:
        """The network output for ``X: (n, *input_shape)`` of the network's dtype."""
        return self._forward(self.layers, X, training)

    def forward_to_loss(self, X: Any, training: bool = False) -> Any:
        """What the loss takes for ``X``: the logits when the output activation is fused
        with the loss, else the output."""
        return self._forward(self._loss_layers, X, training)

    def _forward(self, layers: Sequence[Layer], X: Any, training: bool) -> Any:
        for layer in self.layers:  # every layer knows the mode, the fused output one too
            layer.training = training
        for layer in layers:
            X = layer.forward(X, training)
        return X

    def loss_value(self, out: Any, T: Any, sample_weight: Any = None) -> float:
        """The mean loss of ``out`` (as :meth:`forward_to_loss` gives it) for targets ``T``,
        weighted by ``sample_weight: (n,)`` when given."""
        if self._fused:
            return self.loss.value_logits(out, T, sample_weight)
        return self.loss.value(out, T, sample_weight)

    def compute_gradients(self, X: Any, T: Any, sample_weight: Any = None) -> float:
        """Forward, loss and backward for a batch; fills every layer's ``grads``.

        X: (n, *input_shape) and T: (n, n_outputs), both of the network's dtype;
        ``sample_weight: (n,)`` or None. Returns the loss.
        """
        return self._backward(self.forward_to_loss(X, training=True), T, sample_weight)

    def _backward(self, out: Any, T: Any, sample_weight: Any = None) -> float:
        """The loss, and the backward pass from its gradient down to the first layer with
        parameters: every layer's ``grads`` holds dL/d(its parameters)."""
        if self._fused:
            loss, grad = self.loss.value_and_grad_logits(out, T, sample_weight)
        else:
            loss, grad = self.loss.value_and_grad(out, T, sample_weight)
        layers = self._loss_layers
        for i in reversed(range(self._first_trainable, len(layers))):
            grad = layers[i].backward(grad, need_input_grad=i > self._first_trainable)
        return loss

    def train_step(self, X: Any, T: Any, sample_weight: Any = None) -> tuple[float, float]:
        """One update on a batch: forward, loss, backward, optimizer step.

        Returns the batch loss (before the update) and the number of correct predictions
        (their total weight with ``sample_weight: (n,)``). Afterwards every layer's ``grads``
        holds the gradient the step was taken with.
        """
        out = self.forward_to_loss(X, training=True)
        correct = self.count_correct(out, T, sample_weight)
        loss = self._backward(out, T, sample_weight)
        # one step over all the parameters at once (see _Flat), the optimizer's slots too
        flat = self._flat_layout()
        flat.collect_gradients()
        self.optimizer.step(flat.param_groups, flat.grad_groups, flat.no_decay)
        return loss, correct

    def _flat_layout(self) -> _Flat:
        """The flat layout of the parameters, laid out again when a layer has replaced one
        of its arrays (``Layer.astype``), its values and the optimizer's slots kept."""
        if not self._flat.intact():
            slots = self.optimizer_slots()
            self._flat = _Flat(self._param_names)
            self._set_optimizer_slots(slots)
        return self._flat

    def optimizer_slots(self) -> dict[str, dict[str, Any]]:
        """The optimizer's slots (momentum buffers, moments) by parameter name, as
        ``{"0.W": {"m_sum": array, ...}, ...}``: views of the arrays the optimizer updates.

        >>> import numpy as np
        >>> net = mlp([2, 3], optimizer="adam", seed=0)
        >>> _ = net.train_step(np.ones((4, 2), "float32"), np.eye(3, dtype="float32")[[0, 1, 2, 0]])
        >>> {name: sorted(slots) for name, slots in net.optimizer_slots().items()}
        {'0.W': ['m_sum', 'v_sum'], '0.b': ['m_sum', 'v_sum']}
        """
        return self._flat.split(self.optimizer.state)

    def _set_optimizer_slots(self, slots: dict[str, dict[str, Any]]) -> None:
        """Give the optimizer ``slots`` by parameter name (a file's, or those of the layout
        before): a parameter without one gets zeros, which each rule's first step treats
        as it treats no slot."""
        self.optimizer.state.clear()
        self.optimizer.state.update(self._flat.join(slots))

    def count_correct(self, out: Any, T: Any, sample_weight: Any = None) -> Any:
        """Correct predictions in a batch, from what :meth:`forward_to_loss` gave (logits
        when fused: σ(z) ≥ 0.5 ⇔ z ≥ 0), or their total weight given ``sample_weight: (n,)``;
        0 for a regressor."""
        if not self.classifier:
            return 0
        if self.multilabel or T.shape[1] == 1:
            threshold = 0.0 if self._fused else 0.5
            hits = (out >= threshold) == (T >= 0.5)
            hits = hits.ravel() if T.shape[1] == 1 else hits.all(axis=1)
        else:
            hits = out.argmax(axis=1) == T.argmax(axis=1)
        if sample_weight is None:
            return backend.count_true(hits)
        return backend.array_module(hits).dot(sample_weight, hits)

    # --- the public boundary --------------------------------------------------------------

    def check_inputs(self, X: Any, name: str = "X") -> Any:
        """``X`` checked and cast: ``(n, *input_shape)`` of the network's dtype (flat rows
        are reshaped for an image input); a ValueError naming the problem otherwise.

        >>> from plainnet import Flatten, Dense, Softmax
        >>> net = Network([Flatten(), Dense(4, 2), Softmax()], "categorical_crossentropy",
        ...               input_shape=(1, 2, 2))
        >>> net.check_inputs([[1, 2, 3, 4]]).shape
        (1, 1, 2, 2)
        """
        if backend.is_sparse(X) and not isinstance(self.layers[0], Dense):
            raise ValueError(f"{name} is a sparse matrix, which only a Dense first layer takes; "
                             f"this network starts with {type(self.layers[0]).__name__}: pass "
                             f"{name}.toarray()")
        return check_X(X, self.input_shape, self.dtype, name)

    def prepare(self, X: Any, y: Any, names: tuple[str, str] = ("X", "y")) -> tuple[Any, Any]:
        """Validated ``X: (n, *input_shape)`` and targets ``T: (n, n_outputs)`` for labels
        ``y`` (class indices, one-hot or 0/1 rows, or values for a regressor).

        >>> X, T = mlp([2, 3], seed=0).prepare([[0, 1], [1, 0]], [2, 0])
        >>> X.dtype.name, T.tolist()
        ('float32', [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
        """
        X = self.check_inputs(X, names[0])
        if backend.on_device(y):  # labels are converted on the host, once
            y = backend.to_numpy(y)
        try:
            y_len = None if isinstance(y, (str, bytes)) else len(y)
        except TypeError:  # a scalar, None, a 0-d array
            y_len = None
        if y_len is None:
            raise ValueError(f"{names[1]} must hold one label per sample of {names[0]}, got "
                             f"{type(y).__name__} {y!r}")
        if y_len != X.shape[0]:
            raise ValueError(f"{names[0]} and {names[1]} have different lengths: {X.shape[0]} "
                             f"samples and {y_len} labels")
        T = to_targets(y, self.n_outputs, self.dtype, classifier=self.classifier, name=names[1])
        return X, T

    def set_task(self, T: Any) -> None:
        """Learn from training targets whether the task is multi-label: a sigmoid output of
        several units trained on multi-hot rows."""
        self.multilabel = (isinstance(self.layers[-1], Sigmoid) and T.shape[1] > 1
                           and not is_one_hot(T))

    def forward_batches(self, X: Any, logits: bool = False) -> Any:
        """The output (or, with ``logits``, what the loss takes) for inputs already checked
        by :meth:`check_inputs`, computed in chunks of rows to bound memory; on the
        network's device."""
        forward = self.forward_to_loss if logits else self.forward
        X = self.place_data(X)[0]
        outs = [forward(self.place(X[i:i + _CHUNK]), training=False)
                for i in range(0, X.shape[0], _CHUNK)]
        return backend.array_module(outs[0]).concatenate(outs)

    def predict_proba(self, X: Any, on_device: bool = False) -> Any:
        """The output layer's values, (n, n_outputs): class probabilities for a classifier.
        A NumPy array, or with ``on_device`` an array where the network lives."""
        P = self.forward_batches(self.check_inputs(X))
        return P if on_device else backend.to_numpy(P)

    def predict(self, X: Any, on_device: bool = False) -> Any:
        """Class labels (n,): argmax, or 0/1 at 0.5 for one sigmoid unit; (n, k) 0/1 for a
        multi-label network. For a regressor, the outputs (n, n_outputs). A NumPy array, or
        with ``on_device`` an array where the network lives."""
        P = self.predict_proba(X, on_device=on_device)
        if not self.classifier:
            return P
        if self.multilabel:
            return (P >= 0.5).astype("int64")
        return predicted_labels(P)

    def evaluate(self, X: Any, y: Any, sample_weight: Any = None) -> dict[str, float]:
        """Mean loss and, for a classifier, accuracy: ``{"loss": ..., "accuracy": ...}``;
        both weighted means given ``sample_weight: (n,)``.

        The loss is the loss alone, without any weight decay term.
        """
        X, T = self.prepare(X, y)
        return self.evaluate_targets(X, T, check_sample_weight(sample_weight, X.shape[0]))

    def evaluate_targets(self, X: Any, T: Any, sample_weight: Any = None) -> dict[str, float]:
        """:meth:`evaluate` for inputs and targets already :meth:`prepare` d (and checked
        sample weights)."""
        n = X.shape[0]
        X, T = self.place_data(X, T)
        if sample_weight is not None:
            sample_weight = self.place(sample_weight)
        total = n if sample_weight is None else float(sample_weight.sum())
        loss = correct = 0.0  # sums where they are computed: read once, at the end
        for i in range(0, n, _CHUNK):
            rows = slice(i, i + _CHUNK)
            out = self.forward_to_loss(self.place(X[rows]), training=False)
            T_rows = self.place(T[rows])
            w = None if sample_weight is None else sample_weight[rows]
            loss += self.loss_value(out, T_rows, w) * (out.shape[0] if w is None else w.sum())
            correct += self.count_correct(out, T_rows, w)
        result = {"loss": float(loss) / total}
        if self.classifier:
            result["accuracy"] = float(correct) / total
        return result

    def fit(
        self,
        X: Any,
        y: Any,
        epochs: int = 1,
        batch_size: int | None = 32,
        shuffle: bool = True,
        validation_data: tuple[Any, Any] | None = None,
        verbose: int = 1,
        seed: int | None = None,
        callbacks: Any = None,
        sample_weight: Any = None,
    ) -> History:
        """Train on ``X: (n, *input_shape)`` and labels ``y``; returns this call's History.
        ``X`` may be a SciPy sparse matrix (CSR or CSC) when the first layer is Dense.

        ``batch_size=None`` trains full batch. An epoch's loss is the batch-size-weighted
        mean of the batch losses computed in its forward passes, before each update.
        ``seed`` fixes the shuffling of this call; without it the network's generator is used.
        ``callbacks``: :class:`plainnet.callbacks.Callback` objects (early stopping,
        checkpoints, learning-rate schedules). ``verbose``: 0 silent, 1 a progress bar on a
        terminal (plain lines otherwise), 2 one line per epoch. Ctrl-C stops after the
        current batch and returns the history so far (see ``History.stop_reason``).
        ``sample_weight: (n,)`` weighs each sample in the loss: each batch's loss is the
        weighted mean Σ w_i ℓ_i / Σ w_i.
        """
        callbacks = loop.check_arguments(epochs, batch_size, verbose, callbacks)
        X, T = self.prepare(X, y)
        sample_weight = check_sample_weight(sample_weight, X.shape[0])
        val = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise ValueError("validation_data must be a pair (X_val, y_val)")
            val = self.prepare(*validation_data,
                               names=("validation_data X", "validation_data y"))
        self.set_task(T)
        # moved to the device once (when they fit), not batch by batch
        if sample_weight is None:
            X, T = self.place_data(X, T)
        else:
            X, T, sample_weight = self.place_data(X, T, sample_weight)
        if val is not None:
            val = self.place_data(*val)
        rng = backend.rng(seed) if seed is not None else self.rng
        return loop.fit(self, X, T, epochs=epochs, batch_size=batch_size, shuffle=shuffle,
                        validation=val, verbose=verbose, rng=rng, callbacks=callbacks,
                        sample_weight=sample_weight)

    def fit_lbfgs(
        self,
        X: Any,
        y: Any,
        max_iter: int = 200,
        max_fun: int = 15000,
        tol: float = 1e-4,
        weight_decay: float = 0.0,
        sample_weight: Any = None,
        verbose: int = 0,
    ) -> History:
        """Train full batch by L-BFGS (SciPy's L-BFGS-B), as scikit-learn's MLPs do with
        ``solver="lbfgs"``: often the best choice for a small data set. Returns a History
        of one entry per iteration; ``stop_reason`` says why it stopped if it did not
        converge. Needs SciPy.

        It minimises the loss over all of ``X`` (weighted by ``sample_weight: (n,)`` when
        given) plus ½·weight_decay·Σ‖W‖², over every parameter at once, for at most
        ``max_iter`` iterations and ``max_fun`` loss evaluations, until the largest
        gradient component falls below ``tol``. The optimizer is not used. See
        :mod:`plainnet.training.lbfgs`.

        >>> net = mlp([2, 8, 2], activation="tanh", dtype="float64", seed=0)
        >>> history = net.fit_lbfgs([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0], tol=1e-8)
        >>> net.predict([[0, 0], [0, 1], [1, 0], [1, 1]]).tolist(), history.stop_reason
        ([0, 1, 1, 0], None)
        """
        X, T = self.prepare(X, y)
        self.set_task(T)
        result = lbfgs.minimize(self, X, T, sample_weight=check_sample_weight(sample_weight,
                                                                              X.shape[0]),
                                weight_decay=weight_decay, max_iter=max_iter, max_fun=max_fun,
                                tol=tol, verbose=verbose)
        for logs in result.history.history.get("loss", []):
            self.history.append({"loss": logs})
        return result.history

    # --- presentation and files -----------------------------------------------------------

    def summary(self, file: Any = None) -> str:
        """Print (and return) a table of layers, output shapes and parameter counts."""
        rows = [("Layer", "Output shape", "Params")]
        shape = self.input_shape
        for i, layer in enumerate(self.layers):
            shape = layer.output_shape(shape)
            rows.append((f"{i}: {layer!r}", str((None, *shape)), f"{layer.n_params:,}"))
        w0 = max(len(r[0]) for r in rows)
        w1 = max(len(r[1]) for r in rows)
        w2 = max(len(r[2]) for r in rows)
        out = _io.StringIO()
        rule = "-" * (w0 + w1 + w2 + 4)
        print(f"Input shape: {(None, *self.input_shape)}", file=out)
        for j, (a, b, c) in enumerate(rows):
            print(f"{a:<{w0}}  {b:<{w1}}  {c:>{w2}}", file=out)
            if j == 0:
                print(rule, file=out)
        print(rule, file=out)
        total = sum(layer.n_params for layer in self.layers)
        print(f"Total params: {total:,}", file=out)
        print(f"Loss: {self.loss.name}   Optimizer: {self.optimizer!r}   dtype: {self.dtype}",
              file=out)
        text = out.getvalue()
        print(text, end="", file=file)
        return text

    def get_config(self) -> dict[str, Any]:
        """What rebuilds this network without its arrays: each layer's registered type name
        and constructor arguments, the input shape, loss, optimizer, dtype and seed (plain
        JSON values). Refuses a layer, loss or optimizer a model file cannot name.

        >>> config = mlp([3, 2], output="softmax", seed=0).get_config()
        >>> [spec["type"] for spec in config["layers"]], config["input_shape"]
        (['Dense', 'Softmax'], [3])
        """
        layers = []
        for i, layer in enumerate(self.layers):
            name = registered_name(layer)
            if name is None:
                raise ValueError(f"layer {i} of type {type(layer).__name__} is not registered: "
                                 f"register it with plainnet.nn.register({type(layer).__name__})")
            layers.append({"type": name, "config": layer.get_config()})
        return {"layers": layers, "input_shape": list(self.input_shape),
                "hyperparameters": {"loss": _saved_type(self.loss, _LOSS_TYPES).name,
                                    "optimizer": {"type": _saved_type(self.optimizer,
                                                                      _OPTIMIZER_TYPES).__name__,
                                                  "config": self.optimizer.get_config()},
                                    "dtype": self.dtype.name, "seed": self.seed}}

    def state_dict(self) -> dict[str, Any]:
        """Every array the network holds, by model-file name: ``param/<i>.<key>``,
        ``state/<i>.<key>`` and ``optimizer/<i>.<key>/<slot>``.

        >>> {name: a.shape for name, a in mlp([3, 2], seed=0).state_dict().items()}
        {'param/0.W': (3, 2), 'param/0.b': (2,)}
        """
        arrays = {f"param/{name}": p for name, p in self.parameters().items()}
        arrays.update({f"state/{name}": a for name, a in self.states().items()})
        arrays.update({f"optimizer/{name}/{slot}": a
                       for name, slots in self.optimizer_slots().items()
                       for slot, a in slots.items()})
        return arrays

    def save(self, path: str | os.PathLike) -> None:
        """Write the network to ``path`` (exactly that name; ``.npz`` is the usual suffix):
        its config, every parameter, state array and optimizer slot, the history, metadata
        and the state of its random generators. See :func:`plainnet.load`.

        Every array is checked first (finite, of the right shape and dtype). The file is
        written next to the target under a temporary name and renamed over it, so a failed
        save leaves an existing file byte for byte as it was and no temporary file behind.
        """
        path = Path(path).expanduser()
        try:
            header = self.get_config()
        except ValueError as exc:
            raise ModelFileError(f"{path}: cannot save: {exc}") from None
        arrays = {k: backend.to_numpy(a) for k, a in self.state_dict().items()}
        self._check_savable(path, header["layers"], arrays)
        header.update(
            optimizer_iterations=self.optimizer.iterations,
            # JSON has no NaN or infinity: such a value (a diverged val_loss) is kept as "inf"
            history={"epoch": self.history.epoch,
                     "history": {k: [v if math.isfinite(v) else repr(v) for v in vals]
                                 for k, vals in self.history.history.items()}},
            metadata=self.metadata, multilabel=self.multilabel,
            rng={"network": self.rng.bit_generator.state,
                 "layers": {str(i): rng.bit_generator.state for i, rng in
                            enumerate(map(random_generator, self.layers)) if rng is not None}})
        model_file.write_model(path, header, arrays)

    def _check_savable(self, path: Path, layers: list[dict[str, Any]],
                       arrays: dict[str, Any]) -> None:
        """Refuse, before writing anything, arrays the file could not give back."""
        shapes = model_file.implied_shapes(layers)  # what loading will check the arrays against
        for name, a in arrays.items():
            expected = shapes.get(model_file.slot_parameter(name)
                                  if name.startswith("optimizer/") else name)
            if tuple(a.shape) != expected or a.dtype != self.dtype:
                raise ModelFileError(f"{path}: {name} is {a.dtype} of shape {a.shape}, expected "
                                     f"{self.dtype} of shape {expected}; not saved")
            if not np.isfinite(a).all():
                raise ModelFileError(f"{path}: {name} holds NaN or infinity "
                                     f"({int(np.count_nonzero(~np.isfinite(a)))} values); "
                                     "not saved")

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"Network([{inner}], loss={self.loss.name!r}, optimizer={self.optimizer!r})"


class _Flat:
    """Every parameter of a network in one flat array, and every gradient in another, with
    each layer's ``params`` and ``grads`` views into them.

    The optimizer then steps over the whole network in one pass per rule (torch's "foreach"
    idea) instead of one per parameter: the same arithmetic on every element, a fraction of
    the calls. It matters where a call costs more than its arithmetic: a small network, or
    a GPU, where every operation is a kernel launch. Parameters weight decay applies to
    come first, so the optimizer sees two groups, ``"decayed"`` and ``"rest"``, and its
    slots are kept per group (:meth:`split` and :meth:`join` convert them to and from
    slots by parameter name, as model files hold them).
    """

    def __init__(self, names: list[tuple[str, Layer, str]]) -> None:
        ordered = ([e for e in names if e[2] in e[1].decayed]
                   + [e for e in names if e[2] not in e[1].decayed])
        first = [layer.params[k] for _, layer, k in ordered[:1]]
        dtype = first[0].dtype if first else np.dtype("float32")
        if any(layer.params[k].dtype != dtype for _, layer, k in ordered):
            raise ValueError("the layers of one network must share a dtype: cast the network "
                             "(Network(..., dtype=...)), not one of its layers")
        xp = backend.array_module(*first)
        sizes = [int(layer.params[k].size) for _, layer, k in ordered]
        total, self.n_decayed = sum(sizes), sum(
            n for n, (_, layer, k) in zip(sizes, ordered, strict=True) if k in layer.decayed)
        P, G = backend.empty((total,), dtype, xp), backend.zeros((total,), dtype, xp)
        #: (name, layer, key, offset, parameter view, gradient view)
        self.entries: list[tuple[str, Layer, str, int, Any, Any]] = []
        offset = 0
        for (name, layer, k), n in zip(ordered, sizes, strict=True):
            p, g = layer.params[k], layer.grads.get(k)
            pv, gv = P[offset:offset + n].reshape(p.shape), G[offset:offset + n].reshape(p.shape)
            pv[...] = p
            if g is not None and g.shape == p.shape:
                gv[...] = g
            layer.params[k], layer.grads[k] = pv, gv
            self.entries.append((name, layer, k, offset, pv, gv))
            offset += n
        cut = self.n_decayed
        groups = {"decayed": slice(0, cut), "rest": slice(cut, total)}
        groups = {g: s for g, s in groups.items() if s.stop > s.start}
        self.param_groups = {g: P[s] for g, s in groups.items()}
        self.grad_groups = {g: G[s] for g, s in groups.items()}
        self.no_decay = frozenset({"rest"})
        self._groups = groups

    def intact(self) -> bool:
        """Whether every layer still holds its parameter views (``Layer.astype`` and the
        like replace them)."""
        return all(layer.params[k] is pv for _, layer, k, _, pv, _ in self.entries)

    def collect_gradients(self) -> None:
        """Put back a gradient a layer bound anew instead of writing it into its array."""
        for _, layer, k, _, _, gv in self.entries:
            g = layer.grads[k]
            if g is not gv:
                gv[...] = g
                layer.grads[k] = gv

    def _where(self, offset: int) -> tuple[str, int]:
        group = "decayed" if offset < self.n_decayed else "rest"
        return group, offset - self._groups[group].start

    def split(self, state: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Slots by group (an optimizer's ``state``) as views by parameter name."""
        out: dict[str, dict[str, Any]] = {}
        for name, _, _, offset, pv, _ in self.entries:
            group, start = self._where(offset)
            slots = state.get(group, {})
            if slots:
                out[name] = {slot: a[start:start + pv.size].reshape(pv.shape)
                             for slot, a in slots.items()}
        return {name: out[name] for name, *_ in sorted(self.entries, key=_layer_order)
                if name in out}

    def join(self, slots: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Slots by parameter name as arrays by group, where the parameters are (zeros for
        a parameter without a slot its group has)."""
        state: dict[str, dict[str, Any]] = {}
        for name, _, _, offset, pv, _ in self.entries:
            group, start = self._where(offset)
            for slot, a in slots.get(name, {}).items():
                group_slots = state.setdefault(group, {})
                if slot not in group_slots:
                    group_slots[slot] = backend.zeros(self.param_groups[group].shape, pv.dtype,
                                                      backend.array_module(pv))
                view = group_slots[slot][start:start + pv.size].reshape(pv.shape)
                view[...] = backend.to_library(a, backend.array_module(pv).__name__)
        return state


def _layer_order(entry: tuple[Any, ...]) -> tuple[int, str]:
    """Parameters in layer order ("0.W", "0.b", "2.W", ...), whatever the flat order."""
    index, key = entry[0].split(".", 1)
    return int(index), key


_OPTIMIZER_TYPES = {cls.__name__: cls for cls in optimizers.OPTIMIZERS.values()}
_LOSS_TYPES = {cls.name: cls for cls in losses.LOSSES.values()}


def _saved_type(obj: Any, types: dict[str, type]) -> Any:
    """The built-in class a model file records for ``obj``: its own, or the one its class
    declares itself saved as (``saved_as``, not inherited by further subclasses)."""
    cls = vars(type(obj)).get("saved_as", type(obj))
    if cls not in types.values():
        raise ValueError(f"{type(obj).__name__} is not one a model file can name; model files "
                         f"hold {', '.join(types)}")
    return cls


def load(path: str | os.PathLike, device: str = "cpu") -> Network:
    """The network saved in ``path``: a plainnet ``.npz`` model (format 1 or 2) or a
    network2.py JSON model, on ``device`` ("cpu" or "cuda"; a file does not say where it
    was trained).

    Raises :class:`ModelFileError` (a ValueError) naming the file when it is neither, or is
    corrupt, truncated, of an unknown format version, or holds anything but numbers.

    >>> import tempfile, pathlib
    >>> net = mlp([4, 3, 2], seed=0)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.npz"
    >>> net.save(path)
    >>> bool((load(path).parameters()["0.W"] == net.parameters()["0.W"]).all())
    True
    """
    path = Path(path).expanduser()
    backend.device_library(device)  # a missing GPU is said before the file is read
    with open(path, "rb") as f:
        start = f.read(4)
    if start.startswith(b"PK\x03\x04"):
        header, arrays = model_file.read_model(path)
    elif start.lstrip()[:1] == b"{":
        header, arrays = network2.read_network2(path)
    else:
        raise ModelFileError(f"{path}: not a model file: it is neither a plainnet .npz archive "
                             f"nor a network2.py JSON model (it starts with {start!r})")
    try:
        network = _from_file(header, arrays)
    except ModelFileError as exc:
        raise ModelFileError(f"{path}: {exc}") from None
    except model_file.HEADER_ERRORS as exc:
        raise ModelFileError(f"{path}: the header does not describe a valid network "
                             f"({type(exc).__name__}: {exc})") from None
    return network.to(device)


def _from_file(header: dict[str, Any], arrays: dict[str, Any]) -> Network:
    """The network a checked header and its arrays describe."""
    hyper = header["hyperparameters"]
    layers = [_build_layer(spec) for spec in header["layers"]]
    opt_spec = hyper["optimizer"]
    opt_cls = _OPTIMIZER_TYPES.get(opt_spec["type"])
    if opt_cls is None:
        raise ModelFileError(f"unknown optimizer type {opt_spec['type']!r}")
    loss = _LOSS_TYPES.get(hyper["loss"])
    if loss is None:
        raise ModelFileError(f"unknown loss {hyper['loss']!r}")
    # no seed here: the layers' weights and generators come from the file
    network = Network(layers, loss=loss(), optimizer=opt_cls(**opt_spec["config"]),
                      dtype=hyper["dtype"], input_shape=header["input_shape"])
    if hyper["seed"] is not None:
        check_number("seed", hyper["seed"], low=0, integer=True)
    network.seed = hyper["seed"]
    live = {f"param/{n}": p for n, p in network.parameters().items()}
    live.update({f"state/{n}": a for n, a in network.states().items()})
    for name, target in live.items():
        target[...] = arrays[name]
    _fill_optimizer(network, arrays, header.get("optimizer_iterations", 0))
    network.history = _history(header.get("history", {"epoch": [], "history": {}}))
    network.metadata = dict(header.get("metadata", {}))
    multilabel = header.get("multilabel", False)
    if not isinstance(multilabel, bool):
        raise ModelFileError(f"multilabel must be true or false, got {multilabel!r}")
    network.multilabel = multilabel
    _set_rng_states(network, header.get("rng"))
    return network


def _fill_optimizer(network: Network, arrays: dict[str, Any], iterations: Any) -> None:
    """The optimizer's slots and step count from a file, each slot one its rule keeps."""
    opt, slots = network.optimizer, {}
    for name, a in arrays.items():
        if name.startswith("optimizer/"):
            _, param, slot = name.split("/")
            slots.setdefault(param, {})[slot] = a
    allowed = opt.slot_names()
    for param, kept in slots.items():
        if set(kept) != allowed:
            raise ModelFileError(f"optimizer slots {sorted(kept)} of {param}: "
                                 f"{type(opt).__name__} as configured keeps {sorted(allowed)}")
    opt.iterations = check_number("optimizer_iterations", iterations, low=0, integer=True)
    if slots and not opt.iterations:
        raise ModelFileError("optimizer slots with optimizer_iterations 0")
    network._set_optimizer_slots(slots)


def _history(stored: dict[str, Any]) -> History:
    """A History from its JSON form; every list as long as the list of epochs."""
    history = History()
    history.epoch = [check_number("history epoch", e, low=1, integer=True)
                     for e in stored["epoch"]]
    history.history = {str(k): [float(v) for v in vals] for k, vals in stored["history"].items()}
    lengths = {k: len(v) for k, v in history.history.items() if len(v) != len(history.epoch)}
    if lengths:
        raise ModelFileError(f"the history has {len(history.epoch)} epochs but lists of "
                             f"lengths {lengths}")
    return history


def _build_layer(spec: dict[str, Any]) -> Layer:
    cls = registered(spec["type"])
    config = dict(spec["config"])
    init = config.get("init")
    if cls is Dense and init not in initializers.INITIALIZERS:
        # a custom initializer only named the first draw, which the saved weights replace
        del config["init"]
        layer = cls(**config)
        layer.init = str(init)
        return layer
    return cls(**config)


def _set_rng_states(network: Network, states: dict[str, Any] | None) -> None:
    if states is None:
        return
    _set_rng_state(network.rng, states["network"])
    for i, state in states["layers"].items():
        layer = network.layers[int(i)]
        rng = random_generator(layer)
        if rng is None:
            raise ModelFileError(f"random generator state for layer {i}, which has none")
        _set_rng_state(rng, state)


def _set_rng_state(rng: np.random.Generator, state: dict[str, Any]) -> None:
    if state.get("bit_generator") != type(rng.bit_generator).__name__:
        raise ValueError(f"random generator {state.get('bit_generator')!r}, expected "
                         f"{type(rng.bit_generator).__name__}")
    rng.bit_generator.state = state


def _check_layers(layers: Any) -> list[Layer]:
    """``layers`` as a non-empty list of Layer objects, or a ValueError saying how."""
    if isinstance(layers, Layer):
        name = type(layers).__name__
        raise ValueError(f"layers must be a list of Layer objects, got a single {name}: "
                         f"pass it in a list, e.g. Network([{name}(...), ...], loss=...)")
    try:
        layers = list(layers)
    except TypeError:
        raise ValueError("layers must be a list of Layer objects such as [Dense(2, 10), "
                         f"ReLU(), Dense(10, 1), Sigmoid()], got {layers!r}") from None
    if not layers or not all(isinstance(layer, Layer) for layer in layers):
        raise ValueError("layers must be a non-empty sequence of Layer objects, got "
                         f"{[type(layer).__name__ for layer in layers]}")
    return layers


def _find_input_shape(layers: list[Layer], given: Sequence[int] | None) -> Shape:
    """The shape of one input sample: ``given``, or the first layer's that knows it when
    every layer before it keeps its input's shape (activations, dropout)."""
    if given is not None:
        try:
            shape = tuple(given)
        except TypeError:
            shape = None
        if not shape or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool)
                                and d >= 1 for d in shape):
            raise ValueError(f"input_shape must be a tuple of positive integers such as "
                             f"(784,) or (1, 28, 28), got {given!r}")
        return tuple(int(d) for d in shape)
    for layer in layers:
        if layer.input_shape is not None:
            return tuple(layer.input_shape)
        if type(layer).output_shape is not Layer.output_shape:  # it may change the shape
            break
    raise ValueError("cannot tell the shape of the network's input from its layers: pass "
                     "input_shape=, e.g. Network([...], loss=..., input_shape=(1, 28, 28))")


_OUTPUT_LOSS = {"softmax": "categorical_crossentropy", "sigmoid": "binary_crossentropy",
                "logistic": "binary_crossentropy", "exp": "poisson"}
_RELU_FAMILY = (activations.ReLU, activations.LeakyReLU)


def mlp(
    sizes: Sequence[int],
    activation: str | Sequence[str] = "relu",
    output: str = "softmax",
    loss: str | losses.Loss | None = None,
    optimizer: str | optimizers.Optimizer = "adam",
    init: str | None = None,
    dtype: Any = "float32",
    seed: int | None = None,
    device: str = "cpu",
) -> Network:
    """A multilayer perceptron from layer sizes, e.g. ``mlp([784, 512, 10])``.

    ``activation`` names the hidden activation (or one name per hidden layer); ``output``
    the output activation (``"softmax"``, ``"sigmoid"``, ``"identity"``, …). The loss is
    inferred from the output: softmax → categorical cross-entropy, sigmoid → binary
    cross-entropy, exp → half Poisson deviance, anything else → mse. ``init`` defaults to He
    for the ReLU family and Glorot (uniform) otherwise. ``seed`` fixes the weights, the
    shuffling and dropout. ``device``: "cpu" or "cuda" (see :class:`Network`); the weights
    are the same on either.

    >>> net = mlp([2, 10, 5, 1], output="sigmoid", seed=0)
    >>> [type(layer).__name__ for layer in net.layers]
    ['Dense', 'ReLU', 'Dense', 'ReLU', 'Dense', 'Sigmoid']
    >>> net.loss.name
    'binary_crossentropy'
    """
    try:
        sizes = list(sizes)
    except TypeError:  # mlp(5): a single number
        raise ValueError(f"sizes must list at least 2 positive integers (inputs, ..., outputs), "
                         f"e.g. mlp([784, 512, 10]), got {sizes!r}") from None
    if len(sizes) < 2 or not all(isinstance(s, (int, np.integer)) and s >= 1 for s in sizes):
        raise ValueError(f"sizes must list at least 2 positive integers (inputs, ..., outputs), "
                         f"got {sizes}")
    n_hidden = len(sizes) - 2
    try:
        names = [activation] * n_hidden if isinstance(activation, str) else list(activation)
    except TypeError:  # None, or one layer object that every hidden layer would share
        raise ValueError(f"activation must name the hidden activation ('relu', 'tanh', ...) "
                         f"or list one per hidden layer, got {activation!r}") from None
    if len(names) != n_hidden:
        raise ValueError(f"activation lists {len(names)} names for {n_hidden} hidden layers")
    hidden = [activations.get(name) for name in names]
    out_layer = activations.get(output)
    if init is not None:
        initializers.get(init)  # refuse an unknown name before building anything
    if loss is None:
        loss = _OUTPUT_LOSS.get(output.lower() if isinstance(output, str) else "", "mse")
    seeds = np.random.SeedSequence(seed).spawn(len(sizes)) if seed is not None else None
    layers: list[Layer] = []
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        act = hidden[i] if i < n_hidden else out_layer
        layer_init = init or ("he_normal" if isinstance(act, _RELU_FAMILY) else "glorot_uniform")
        layer_seed = backend.rng(seeds[i]) if seeds else None
        layers += [Dense(fan_in, fan_out, init=layer_init, seed=layer_seed, dtype=dtype), act]
    net_seed = int(seeds[-1].generate_state(1)[0]) if seeds else None
    return Network(layers, loss=loss, optimizer=optimizer, dtype=dtype, seed=net_seed,
                   device=device)
