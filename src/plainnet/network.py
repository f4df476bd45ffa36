"""Network: a sequence of layers and a loss. Forward, backward, predict, fit.

The network knows nothing of the math of a layer: it calls ``forward`` down the
list and ``backward`` up it. When the output layer is the activation its loss
fuses with (softmax with categorical cross-entropy, sigmoid with binary
cross-entropy), it stops before that layer and hands the logits to the loss,
whose gradient is then (a - y)/m.
"""

from __future__ import annotations

import io as _io
import itertools
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from . import optimizers
from .checks import check_dtype, check_X
from .labels import is_one_hot, predicted_labels, to_targets
from .nn import activations, initializers, losses
from .nn.activations import Sigmoid, Softmax
from .nn.dense import Dense
from .nn.layer import Layer
from .training.history import History

#: rows per forward pass in predict and evaluate: bounds memory on large inputs
_CHUNK = 8192


class Network:
    """A multilayer perceptron: layers, a loss and an optimizer.

    Parameters
    ----------
    layers : sequence of Layer
        For example ``[Dense(2, 10), ReLU(), Dense(10, 1), Sigmoid()]``.
    loss : str or Loss
        ``"binary_crossentropy"``, ``"categorical_crossentropy"`` or ``"mse"``.
    optimizer : str or Optimizer
        ``"sgd"``, ``"adam"``, ``"rmsprop"`` (their defaults) or an optimizer object.
    dtype : "float32" or "float64"
        The network casts every layer's parameters to it, and inputs once at its boundary.
    seed : int, optional
        Seeds shuffling and dropout. Weights are seeded where they are drawn: ``Dense(seed=)``
        or :func:`mlp`.

    >>> import numpy as np
    >>> from plainnet import Dense, ReLU, Sigmoid
    >>> net = Network([Dense(2, 4, seed=0), ReLU(), Dense(4, 1, seed=1), Sigmoid()],
    ...               loss="binary_crossentropy", optimizer="adam", seed=0)
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    >>> net.predict(X).shape
    (4,)
    """

    def __init__(
        self,
        layers: Sequence[Layer],
        loss: str | losses.Loss,
        optimizer: str | optimizers.Optimizer = "sgd",
        dtype: Any = "float32",
        seed: int | None = None,
    ) -> None:
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
        if not any(isinstance(layer, Dense) for layer in layers):
            raise ValueError("layers must include at least one Dense layer")
        self.dtype = check_dtype(dtype)
        self.layers = [layer.astype(self.dtype) for layer in layers]
        self.loss = losses.get(loss)
        self.optimizer = optimizers.get(optimizer)
        self.seed = seed
        self._rng = np.random.default_rng(seed)
        if seed is not None:
            children = np.random.SeedSequence(seed).spawn(len(layers))
            for layer, child in zip(self.layers, children, strict=True):
                layer.reseed(child)
        self.n_inputs, self.n_outputs = self._check_widths()
        # (name, layer, key) of every parameter, for the dicts train_step hands the optimizer
        self._param_names = [(f"{i}.{k}", layer, k) for i, layer in enumerate(self.layers)
                             for k in layer.params]
        self._no_decay_names = {name for name, layer, k in self._param_names
                                if k not in layer.decayed}
        self._fused = isinstance(self.layers[-1], self.loss.fused_activation or ())
        self._check_output_fits_loss()
        self._first_trainable = next(i for i, layer in enumerate(self.layers) if layer.params)
        # what the loss sees is the output of these (the logits when fused); the backward pass
        # runs over them from the top down to the first layer with parameters, whose input
        # gradient nobody needs
        self._loss_layers = self.layers[:-1] if self._fused else list(self.layers)
        self._backward_plan = [(layer, i > self._first_trainable)
                               for i, layer in enumerate(self._loss_layers)
                               if i >= self._first_trainable][::-1]
        #: labels were multi-hot rows (multi-label) when the network was trained
        self.multilabel = False
        #: every epoch this network has trained, across calls to fit
        self.history = History()
        #: what the inputs were (image shape, pixel scaling), recorded by data loaders and the CLI
        self.metadata: dict[str, Any] = {}

    # --- structure ------------------------------------------------------------------------

    def _check_widths(self) -> tuple[int, int]:
        first = next(layer for layer in self.layers if isinstance(layer, Dense))
        width = n_inputs = first.fan_in
        for i, layer in enumerate(self.layers):
            if isinstance(layer, Dense) and layer.fan_in != width:
                raise ValueError(f"layer {i} ({layer!r}) expects {layer.fan_in} inputs, but the "
                                 f"layer before it gives {width}")
            width = layer.output_width(width)
        return n_inputs, width

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
    def classifier(self) -> bool:
        """True when the output layer gives class probabilities (softmax or sigmoid)."""
        return isinstance(self.layers[-1], (Softmax, Sigmoid))

    def parameters(self) -> dict[str, np.ndarray]:
        """Every parameter array by name, ``"<layer index>.<key>"`` (e.g. ``"0.W"``)."""
        return {name: layer.params[k] for name, layer, k in self._param_names}

    def gradients(self) -> dict[str, np.ndarray]:
        """Every gradient array, with the names of :meth:`parameters`."""
        return {name: layer.grads[k] for name, layer, k in self._param_names}

    def get_weights(self) -> list[np.ndarray]:
        """Copies of every parameter, in layer order."""
        return [p.copy() for p in self.parameters().values()]

    def set_weights(self, weights: Iterable[np.ndarray]) -> None:
        """Write ``weights`` (as from :meth:`get_weights`) into the parameters, in place."""
        params = list(self.parameters().items())
        weights = list(weights)
        if len(weights) != len(params):
            raise ValueError(f"set_weights got {len(weights)} arrays, the network has "
                             f"{len(params)} parameters")
        for (name, p), w in zip(params, weights, strict=True):
            w = np.asarray(w)
            if w.shape != p.shape:
                raise ValueError(f"parameter {name} has shape {p.shape}, got {w.shape}")
            p[...] = w

    # --- forward and backward -------------------------------------------------------------

    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        """The network output for ``X: (n, n_inputs)``, already of the network's dtype."""
        for layer in self.layers:
            X = layer.forward(X, training)
        return X

    def _forward_to_loss(self, X: np.ndarray, training: bool) -> np.ndarray:
        """What the loss takes: the logits when fused, else the output."""
        for layer in self._loss_layers:
            X = layer.forward(X, training)
        return X

    def _loss_value(self, out: np.ndarray, T: np.ndarray) -> float:
        return self.loss.value_logits(out, T) if self._fused else self.loss.value(out, T)

    def compute_gradients(self, X: np.ndarray, T: np.ndarray) -> float:
        """Forward, loss and backward for a batch; fills every layer's ``grads``.

        X: (n, n_inputs) and T: (n, n_outputs), both of the network's dtype. Returns the loss.
        """
        out = self._forward_to_loss(X, training=True)
        return self._backward(out, T)

    def _backward(self, out: np.ndarray, T: np.ndarray, scale: float = 1.0) -> float:
        """Loss and backward pass; every layer's ``grads`` becomes ``scale`` · its gradient."""
        if self._fused:
            loss, grad = self.loss.value_and_grad_logits(out, T)
        else:
            loss, grad = self.loss.value_and_grad(out, T)
        if scale != 1.0:  # the output gradient is small (n × k): scaling it scales them all
            grad *= grad.dtype.type(scale)
        for layer, need_input_grad in self._backward_plan:
            grad = layer.backward(grad, need_input_grad)
        return loss

    def train_step(self, X: np.ndarray, T: np.ndarray) -> tuple[float, int]:
        """One update on a batch: forward, loss, backward, optimizer step.

        Returns the batch loss (before the update) and the number of correct predictions.
        With plain SGD the learning rate is folded into the output gradient, lr·(a - y)/m,
        so every layer's ``grads`` holds its step lr·g and the update is p -= g; use
        :meth:`compute_gradients` for the gradients themselves.
        """
        out = self._forward_to_loss(X, training=True)
        correct = self._count_correct(out, T)
        lr = self.optimizer.lr_to_fold
        loss = self._backward(out, T, 1.0 if lr is None else lr)
        # built every step, not cached: a layer may rebind its arrays (Layer.astype)
        params, grads = self.parameters(), self.gradients()
        if lr is None:
            self.optimizer.step(params, grads, self._no_decay_names)
        else:
            self.optimizer.step(params, grads, prescaled=True)
        return loss, correct

    def _count_correct(self, out: np.ndarray, T: np.ndarray) -> int:
        """Correct predictions in a batch, from logits when fused (σ(z) ≥ 0.5 ⇔ z ≥ 0)."""
        if not self.classifier:
            return 0
        if self.multilabel or T.shape[1] == 1:
            threshold = 0.0 if self._fused else 0.5
            hits = (out >= threshold) == (T >= 0.5)
            return int(np.count_nonzero(hits if T.shape[1] == 1 else np.all(hits, axis=1)))
        return int(np.count_nonzero(out.argmax(axis=1) == T.argmax(axis=1)))

    # --- the public boundary --------------------------------------------------------------

    def _check_X(self, X: Any, name: str = "X") -> np.ndarray:
        return check_X(X, self.n_inputs, self.dtype, name)

    def _prepare(self, X: Any, y: Any, names: tuple[str, str] = ("X", "y")
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Validated ``X: (n, n_inputs)`` and targets ``T: (n, n_outputs)``."""
        X = self._check_X(X, names[0])
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

    def _set_task(self, T: np.ndarray) -> None:
        """Multi-label when a sigmoid output of several units is trained on multi-hot rows."""
        self.multilabel = (isinstance(self.layers[-1], Sigmoid) and T.shape[1] > 1
                           and not is_one_hot(T))

    def predict_proba(self, X: Any) -> np.ndarray:
        """The output layer's values, (n, n_outputs): class probabilities for a classifier."""
        return self._predict_checked(self._check_X(X))

    def _predict_checked(self, X: np.ndarray, logits: bool = False) -> np.ndarray:
        """The output (or, with ``logits``, what the loss takes) for an already checked
        ``X: (n, n_inputs)``, in chunks of rows."""
        forward = self._forward_to_loss if logits else self.forward
        return np.concatenate([forward(X[i:i + _CHUNK], training=False)
                               for i in range(0, len(X), _CHUNK)])

    def predict(self, X: Any) -> np.ndarray:
        """Class labels (n,): argmax, or 0/1 at 0.5 for one sigmoid unit; (n, k) 0/1 for a
        multi-label network. For a regressor, the outputs (n, n_outputs)."""
        P = self.predict_proba(X)
        if not self.classifier:
            return P
        if self.multilabel:
            return (P >= 0.5).astype(np.int64)
        return predicted_labels(P)

    def evaluate(self, X: Any, y: Any) -> dict[str, float]:
        """Mean loss and, for a classifier, accuracy: ``{"loss": ..., "accuracy": ...}``.

        The loss is the loss alone, without any weight decay term.
        """
        X, T = self._prepare(X, y)
        return self._evaluate(X, T)

    def _evaluate(self, X: np.ndarray, T: np.ndarray) -> dict[str, float]:
        loss = correct = 0.0
        for i in range(0, len(X), _CHUNK):
            out = self._forward_to_loss(X[i:i + _CHUNK], training=False)
            loss += self._loss_value(out, T[i:i + _CHUNK]) * len(out)
            correct += self._count_correct(out, T[i:i + _CHUNK])
        result = {"loss": loss / len(X)}
        if self.classifier:
            result["accuracy"] = correct / len(X)
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
    ) -> History:
        """Train on ``X: (n, n_inputs)`` and labels ``y``; returns this call's History.

        ``batch_size=None`` trains full batch. An epoch's loss is the batch-size-weighted
        mean of the batch losses computed in its forward passes, before each update.
        ``seed`` fixes the shuffling of this call; without it the network's generator is used.
        ``callbacks``: :class:`plainnet.callbacks.Callback` objects (early stopping,
        checkpoints, learning-rate schedules). ``verbose``: 0 silent, 1 a progress bar on a
        terminal (plain lines otherwise), 2 one line per epoch. Ctrl-C stops after the
        current batch and returns the history so far (see ``History.stop_reason``).
        """
        from .training.loop import fit

        return fit(self, X, y, epochs=epochs, batch_size=batch_size, shuffle=shuffle,
                   validation_data=validation_data, verbose=verbose, seed=seed,
                   callbacks=callbacks)

    # --- presentation and files -----------------------------------------------------------

    def summary(self, file: Any = None) -> str:
        """Print (and return) a table of layers, output shapes and parameter counts."""
        rows = [("Layer", "Output shape", "Params")]
        width = self.n_inputs
        for i, layer in enumerate(self.layers):
            width = layer.output_width(width)
            rows.append((f"{i}: {layer!r}", f"(None, {width})", f"{layer.n_params:,}"))
        w0 = max(len(r[0]) for r in rows)
        w1 = max(len(r[1]) for r in rows)
        w2 = max(len(r[2]) for r in rows)
        out = _io.StringIO()
        rule = "-" * (w0 + w1 + w2 + 4)
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

    def save(self, path: Any) -> None:
        """Write the network to ``path`` (.npz with a JSON header); see :func:`plainnet.load`."""
        from .saving.model_file import save

        save(self, path)

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"Network([{inner}], loss={self.loss.name!r}, optimizer={self.optimizer!r})"


_OUTPUT_LOSS = {"softmax": "categorical_crossentropy", "sigmoid": "binary_crossentropy",
                "logistic": "binary_crossentropy"}
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
) -> Network:
    """A multilayer perceptron from layer sizes, e.g. ``mlp([784, 512, 10])``.

    ``activation`` names the hidden activation (or one name per hidden layer); ``output``
    the output activation (``"softmax"``, ``"sigmoid"``, ``"identity"``, …). The loss is
    inferred from the output: softmax → categorical cross-entropy, sigmoid → binary
    cross-entropy, anything else → mse. ``init`` defaults to He for the ReLU family and
    Glorot (uniform) otherwise. ``seed`` fixes the weights, the shuffling and dropout.

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
        layer_seed = np.random.default_rng(seeds[i]) if seeds else None
        layers += [Dense(fan_in, fan_out, init=layer_init, seed=layer_seed, dtype=dtype), act]
    net_seed = int(seeds[-1].generate_state(1)[0]) if seeds else None
    return Network(layers, loss=loss, optimizer=optimizer, dtype=dtype, seed=net_seed)
