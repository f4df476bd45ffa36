"""scikit-learn compatible estimators: ``MLPClassifier`` and ``MLPRegressor``.

Drop-in for the estimators of the same names in ``sklearn.neural_network`` (solvers
``"adam"``, ``"sgd"`` and ``"lbfgs"``), trained by a plainnet :class:`~plainnet.Network`
built with :func:`~plainnet.mlp`. The losses are in scikit-learn's units, so that ``tol``,
``alpha`` and ``loss_curve_`` mean what they mean there (n samples in a batch, k outputs):

==========  ==================================================  ==========================
output      loss                                                plainnet's loss
==========  ==================================================  ==========================
softmax     -(1/n) Σ_i Σ_k t log p                              categorical cross-entropy
logistic    -(1/n) Σ_i Σ_k t log p + (1-t) log(1-p)             k × binary cross-entropy
identity    (1/2nk) Σ (y - ŷ)²                                  ½ × mean squared error
exp         (1/n) Σ_i Σ_k y log(y/ŷ) - y + ŷ                    k × half Poisson deviance
==========  ==================================================  ==========================

plus the L2 penalty (alpha / 2n) Σ ‖W‖², whose gradient (alpha / n)·W is the optimizer's
``weight_decay``. With ``sample_weight``, the means over samples are weighted means and n
is the batch's total weight Σ w, as in scikit-learn. The initial weights, the updates
(Adam, SGD with momentum and its learning-rate schedules, L-BFGS through SciPy) and the
stopping rules are scikit-learn's too: without shuffling, a fit follows scikit-learn's to
rounding. ``X`` may be a SciPy sparse matrix (CSR or CSC), which the first layer uses as
it is. Importing this module imports scikit-learn; ``import plainnet`` does not.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
from sklearn.utils.validation import (
    check_is_fitted,
    check_random_state,
    column_or_1d,
    validate_data,
)

from . import backend
from .checks import check_dtype, check_number, check_sample_weight
from .errors import DivergenceError
from .network import Network, mlp
from .nn.dense import Dense
from .nn.functional import log_softmax
from .nn.losses import (
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    HalfPoissonDeviance,
    MeanSquaredError,
)
from .optimizers import SGD, Adam, Optimizer
from .training import lbfgs
from .training.callbacks import Callback

__all__ = ["MLPClassifier", "MLPRegressor"]

_ACTIVATIONS = ("identity", "logistic", "tanh", "relu")
_SOLVERS = ("lbfgs", "sgd", "adam")
_SCHEDULES = ("constant", "invscaling", "adaptive")
_REGRESSION_LOSSES = ("squared_error", "poisson")
#: the adaptive schedule stops once the learning rate falls to this, as in scikit-learn
_MIN_ADAPTIVE_LR = 1e-6


class _Penalty:
    """scikit-learn's L2 term for a batch whose samples weigh Σw in all (m, unweighted):
    (alpha / 2Σw)·Σ‖W‖² in the loss and (alpha / Σw)·W in the gradient, which is the
    optimizer's weight decay, set here before the step."""

    def __init__(self, alpha: float, network: Network) -> None:
        self.alpha, self.network = alpha, network

    def __call__(self, total_weight: float) -> float:
        self.network.optimizer.weight_decay = self.alpha / total_weight
        if not self.alpha:
            return 0.0
        coefs = (layer.params["W"] for layer in self.network.layers if isinstance(layer, Dense))
        # kept where it is computed (a GPU's 0-d array): summed into the batch loss unread
        squares = sum(backend.scalar(backend.inner(W, W)) for W in coefs)
        return 0.5 * self.alpha * squares / total_weight


class _Penalised:
    """A loss with scikit-learn's L2 term added to each training batch's loss (see
    :class:`_Penalty`; none while ``penalty`` is None): a batch loss, and so ``loss_``, then
    include it, as scikit-learn's do."""

    penalty: _Penalty | None = None

    def value_and_grad(self, a: Any, t: Any, sample_weight: Any = None) -> tuple[float, Any]:
        loss, grad = super().value_and_grad(a, t, sample_weight)
        return loss + self._penalty(a, sample_weight), grad

    def value_and_grad_logits(self, z: Any, t: Any, sample_weight: Any = None
                              ) -> tuple[float, Any]:
        loss, grad = super().value_and_grad_logits(z, t, sample_weight)
        return loss + self._penalty(z, sample_weight), grad

    def _penalty(self, out: Any, sample_weight: Any) -> float:
        if self.penalty is None:
            return 0.0
        return self.penalty(out.shape[0] if sample_weight is None else float(sample_weight.sum()))


class _SummedOverOutputs:
    """A loss that is a mean over all n·k elements, summed over the k outputs instead:
    a mean over samples (k × the loss), as scikit-learn's logistic and Poisson losses are."""

    def value_logits(self, z: Any, t: Any, sample_weight: Any = None) -> float:
        return super().value_logits(z, t, sample_weight) * z.shape[1]

    def value_and_grad_logits(self, z: Any, t: Any, sample_weight: Any = None
                              ) -> tuple[float, Any]:
        k = z.shape[1]
        loss, grad = super().value_and_grad_logits(z, t, sample_weight)
        grad *= z.dtype.type(k)  # (a - t)/(nk) · k = (a - t)/n
        return loss * k, grad


class _CrossEntropy(_Penalised, CategoricalCrossEntropy):
    """scikit-learn's log loss for a softmax output: categorical cross-entropy."""

    saved_as = CategoricalCrossEntropy  # a model file holds plainnet's built-in losses


class _SummedBinaryCrossEntropy(_Penalised, _SummedOverOutputs, BinaryCrossEntropy):
    """Binary cross-entropy summed over the k sigmoid units, mean over samples (k × ours)."""

    saved_as = BinaryCrossEntropy


class _SummedHalfPoissonDeviance(_Penalised, _SummedOverOutputs, HalfPoissonDeviance):
    """scikit-learn's Poisson loss: half the Poisson deviance summed over the k outputs,
    mean over samples (k × ours)."""

    saved_as = HalfPoissonDeviance


class _HalfSquaredError(_Penalised, MeanSquaredError):
    """scikit-learn's squared loss: the value is half the mean squared error,
    (1/2nk) Σ (a - t)², and the gradient (a - t)/n, what its backpropagation uses (the
    gradient of (1/2n) Σ (a - t)²). For one output (k = 1) the two agree. Weighted, n is
    Σ w and row i of the gradient is scaled by w_i."""

    saved_as = MeanSquaredError

    def value(self, a: np.ndarray, t: np.ndarray, sample_weight: Any = None) -> float:
        return 0.5 * super().value(a, t, sample_weight)

    def grad(self, a: np.ndarray, t: np.ndarray, sample_weight: Any = None) -> np.ndarray:
        if sample_weight is None:
            return (a - t) / a.dtype.type(a.shape[0])
        weights = (sample_weight / sample_weight.sum()).astype(a.dtype)
        return (a - t) * weights[:, None]


class _Adam(Adam):
    """Adam as scikit-learn writes it, ε outside the bias correction of v:

    p ← p - lr·sqrt(1-β2^t)/(1-β1^t) · m / (sqrt(v) + ε),

    which is torch.optim's rule (plainnet.Adam) with ε/sqrt(1-β2^t) in place of ε."""

    saved_as = Adam

    def __init__(self, lr: float, beta1: float, beta2: float, eps: float,
                 weight_decay: float = 0.0) -> None:
        super().__init__(lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay)
        self.epsilon = self.eps

    def step(self, params: Any, grads: Any, no_decay: Any = ()) -> None:
        t = self.iterations + 1  # the step about to be taken
        self.eps = self.epsilon / np.sqrt(1 - self.beta2**t)
        super().step(params, grads, no_decay)

    def get_config(self) -> dict[str, Any]:
        # the ε given, not the last step's ε/sqrt(1-β2^t); a model file saves this as Adam
        return {**super().get_config(), "eps": self.epsilon}


_LOSSES = {"softmax": _CrossEntropy, "logistic": _SummedBinaryCrossEntropy,
           "identity": _HalfSquaredError, "exp": _SummedHalfPoissonDeviance}


class _LearningRate:
    """What code reads of scikit-learn's private ``_optimizer``: ``learning_rate``, the
    current rate (which the invscaling and adaptive schedules change)."""

    def __init__(self, optimizer: Optimizer) -> None:
        self.learning_rate = optimizer.lr


class _NonFiniteWeightsError(DivergenceError, ValueError):
    """What scikit-learn raises when training produced non-finite weights (a ValueError),
    with plainnet's account of where (a DivergenceError)."""

    def __init__(self, error: DivergenceError) -> None:
        super().__init__(error.epoch, error.lr)
        self.args = ("Solver produced non-finite parameter weights. The input data may "
                     f"contain large values and need to be preprocessed. Here {error}",)


def _set_learning_rate(optimizer: Optimizer, lr: float) -> None:
    """Change the learning rate as scikit-learn's SGD does. It keeps the velocity
    v ← μ·v - lr·g, a step; torch.optim (and plainnet.SGD) the buffer b ← μ·b + g and steps
    by -lr·b. While lr holds they agree (v = -lr·b); at a change, b is rescaled by
    old / new so that the velocity carries over."""
    for state in optimizer.state.values():
        if "momentum_buffer" in state:
            state["momentum_buffer"] *= state["momentum_buffer"].dtype.type(optimizer.lr / lr)
    optimizer.lr = lr


class _EpochEnd(Callback):
    """scikit-learn's bookkeeping after each epoch (the loss curve, the invscaling rate)
    and its stopping rule: after more than n_iter_no_change epochs without improvement,
    sgd's adaptive schedule divides the rate by 5, anything else stops."""

    def __init__(self, estimator: _BaseMLP, n_samples: int, validation: tuple[Any, Any, Any],
                 bar: Any) -> None:
        self.estimator, self.n_samples, self.validation, self.bar = (estimator, n_samples,
                                                                     validation, bar)

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        est = self.estimator
        est._end_epoch(logs["loss"], self.n_samples, self.validation, self.bar)
        if est._no_improvement_count > est.n_iter_no_change:
            if est._lower_learning_rate(self.network.optimizer):
                est._no_improvement_count = 0
            else:
                self.stop_training = True


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    """Exact, as scikit-learn checks: "SGD" is not "sgd"."""
    if not (isinstance(value, str) and value in choices):
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")


def _progress_bar(total: int) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is in the progress extra
        raise ImportError("progress=True needs tqdm: pip install 'plainnet[progress]'") from None
    return tqdm(total=total, unit="epoch", leave=False)


class _BaseMLP(BaseEstimator):
    """What the classifier and the regressor share: parameters, the training loop, stopping."""

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int | float = 10,
        max_fun: int = 15000,
        dtype: Any = None,
        progress: bool = False,
        device: str = "cpu",
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dtype = dtype
        self.progress = progress
        self.device = device

    # --- parameters -----------------------------------------------------------------------

    def _check_params(self) -> list[int]:
        """Refuse a bad hyperparameter before any work; returns the hidden layer sizes."""
        _check_choice("solver", self.solver, _SOLVERS)
        _check_choice("activation", self.activation, _ACTIVATIONS)
        backend.device_library(self.device)  # no GPU, or no CuPy: said before any work
        _check_choice("learning_rate", self.learning_rate, _SCHEDULES)
        check_number("alpha", self.alpha, low=0.0)
        check_number("learning_rate_init", self.learning_rate_init, low=0.0, low_open=True)
        check_number("power_t", self.power_t, low=0.0)
        check_number("max_iter", self.max_iter, low=1, integer=True)
        check_number("max_fun", self.max_fun, low=1, integer=True)
        check_number("tol", self.tol, low=0.0)
        check_number("momentum", self.momentum, low=0.0, high=1.0)
        check_number("validation_fraction", self.validation_fraction, low=0.0, high=1.0,
                     high_open=True)
        check_number("beta_1", self.beta_1, low=0.0, high=1.0, high_open=True)
        check_number("beta_2", self.beta_2, low=0.0, high=1.0, high_open=True)
        check_number("epsilon", self.epsilon, low=0.0, low_open=True)
        if self.n_iter_no_change != np.inf:  # inf: never stop early
            check_number("n_iter_no_change", self.n_iter_no_change, low=1, integer=True)
        if self.batch_size != "auto":
            check_number("batch_size", self.batch_size, low=1, integer=True)
        if self.dtype is not None:
            check_dtype(self.dtype)
        sizes = self.hidden_layer_sizes
        if np.isscalar(sizes):
            return [int(check_number("hidden_layer_sizes", sizes, low=1, integer=True))]
        return [int(check_number(f"hidden_layer_sizes[{i}]", s, low=1, integer=True))
                for i, s in enumerate(sizes)]

    def _check_solver(self) -> bool:
        """partial_fit is there for the stochastic solvers only, as in scikit-learn."""
        if self.solver == "lbfgs":
            raise AttributeError("partial_fit is only available for stochastic optimizers; "
                                 "solver='lbfgs' is not stochastic")
        return True

    def _input_dtype(self) -> Any:
        """float32 input stays float32, anything else becomes float64, unless ``dtype`` says."""
        return (np.float64, np.float32) if self.dtype is None else check_dtype(self.dtype)

    def _new_optimizer(self) -> Optimizer:
        if self.solver == "sgd":
            return SGD(lr=self.learning_rate_init, momentum=self.momentum,
                       nesterov=bool(self.nesterovs_momentum) and self.momentum > 0)
        return _Adam(lr=self.learning_rate_init, beta1=self.beta_1, beta2=self.beta_2,
                     eps=self.epsilon)

    def _batch_size(self, n_samples: int) -> int:
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(f"batch_size={self.batch_size} is larger than the {n_samples} "
                          "training samples; it is clipped to the sample size", stacklevel=3)
        return min(int(self.batch_size), n_samples)

    # --- the network and the weights ------------------------------------------------------

    def _build_network(self, n_features: int, hidden: list[int], n_outputs: int,
                       dtype: Any) -> None:
        """A new network of the given sizes, and the attributes that describe it."""
        out = self._out_activation()
        self.network_ = mlp([n_features, *hidden, n_outputs], activation=self.activation,
                            output=out, loss=_LOSSES[out](), optimizer=self._new_optimizer(),
                            dtype=dtype, seed=0, device=self.device)
        self._keep_network_arrays()
        self.out_activation_ = out
        self.n_outputs_ = n_outputs
        self.n_layers_ = len(hidden) + 2

    def _dense_layers(self) -> list[Dense]:
        return [layer for layer in self.network_.layers if isinstance(layer, Dense)]

    def _keep_network_arrays(self) -> None:
        # the network's own arrays: training updates them in place, so these stay current
        self.coefs_ = [layer.params["W"] for layer in self._dense_layers()]
        self.intercepts_ = [layer.params["b"] for layer in self._dense_layers()]

    def _use_assigned_weights(self) -> None:
        """Arrays assigned to ``coefs_`` or ``intercepts_`` since the fit (scikit-learn lets
        one set them) are copied into the network, which predicts and trains with them."""
        dense = self._dense_layers()
        for attr, key in (("coefs_", "W"), ("intercepts_", "b")):
            assigned = list(getattr(self, attr))
            if len(assigned) != len(dense):
                raise ValueError(f"{attr} holds {len(assigned)} arrays; the network has "
                                 f"{len(dense)} layers")
            for i, (layer, a) in enumerate(zip(dense, assigned, strict=True)):
                p = layer.params[key]
                if a is p:
                    continue
                a = np.asarray(a)
                if a.size != p.size:
                    raise ValueError(f"{attr}[{i}] has shape {a.shape}, expected {p.shape}")
                a = a.reshape(p.shape)
                if np.array_equal(a, p):  # equal copies (unpickled separately, say)
                    continue
                if not p.flags.writeable:  # loaded read-only (a memory map)
                    layer.params[key] = p = p.copy()
                p[...] = a
        self._keep_network_arrays()

    def _initialize(self, n_features: int, hidden: list[int], n_outputs: int, dtype: Any,
                    rng: np.random.RandomState) -> None:
        """A new network with freshly drawn weights, and every fitted attribute reset."""
        self._build_network(n_features, hidden, n_outputs, dtype)
        self._draw_weights(rng)
        self._reset_counters()

    def _reset_counters(self) -> None:
        self.t_ = 0
        self.loss_curve_: list[float] = []
        self._no_improvement_count = 0
        self._reset_stopping()

    def _draw_weights(self, rng: np.random.RandomState) -> None:
        """scikit-learn's initialisation, draw for draw from the same ``random_state``: per
        layer W then b ~ U(-r, r) with r = sqrt(f / (fan_in + fan_out)), f = 2 for logistic
        hidden units, else 6 (Glorot)."""
        factor = 2.0 if self.activation == "logistic" else 6.0
        weights = []
        for W in self.coefs_:
            bound = np.sqrt(factor / (W.shape[0] + W.shape[1]))
            weights += [rng.uniform(-bound, bound, W.shape), rng.uniform(-bound, bound, W.shape[1])]
        self.network_.set_weights(weights)

    def _reset_stopping(self) -> None:
        """What the stopping rule tracks: the best validation score or the best loss."""
        self._best_weights = self.network_.get_weights()
        if self.early_stopping:
            self.validation_scores_: list[float] | None = []
            self.best_validation_score_: float | None = -np.inf
            self.best_loss_: float | None = None
        else:
            self.validation_scores_ = self.best_validation_score_ = None
            self.best_loss_ = np.inf

    def _check_same_shape(self, n_features: int, hidden: list[int], n_outputs: int) -> None:
        units = [layer.fan_in for layer in self._dense_layers()]
        units.append(self.network_.n_outputs)
        if units != [n_features, *hidden, n_outputs]:
            raise ValueError(f"warm_start and partial_fit continue the fitted network of layer "
                             f"sizes {units}, but the parameters and data now ask for "
                             f"{[n_features, *hidden, n_outputs]}; set warm_start=False to "
                             "start afresh")

    # --- fitting --------------------------------------------------------------------------

    def _fit(self, X: Any, y: Any, sample_weight: Any, incremental: bool) -> Any:
        hidden = self._check_params()
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        first_pass = not hasattr(self, "coefs_") or not (self.warm_start or incremental)
        X, y, T = self._validate_input(X, y, incremental, reset=first_pass)
        w = check_sample_weight(sample_weight, X.shape[0])
        rng = check_random_state(self.random_state)
        if first_pass:
            self._initialize(X.shape[1], hidden, T.shape[1], X.dtype, rng)
        elif not hasattr(self, "network_"):  # coefs_ and intercepts_ set by hand, no fit yet
            assigned = self.coefs_, self.intercepts_
            self._build_network(X.shape[1], hidden, T.shape[1], X.dtype)
            self.coefs_, self.intercepts_ = assigned
            self._use_assigned_weights()
            if not hasattr(self, "loss_curve_"):
                self._reset_counters()
        else:
            self._use_assigned_weights()
            self._check_same_shape(X.shape[1], hidden, T.shape[1])
            if self.early_stopping != (self.best_loss_ is None):  # switched since the last fit
                self._reset_stopping()
        net = self.network_
        if self.solver == "lbfgs":
            self._fit_lbfgs(net, X, T, w)
            return self
        if not incremental:  # scikit-learn restarts the optimizer on every call to fit
            net.optimizer = self._new_optimizer()
        net.loss.penalty = _Penalty(float(self.alpha), net)

        validation = (None, None, None)
        if self.early_stopping:
            X, T, w, validation = self._split(X, y, T, w, rng)
        # drawn after the weights and the split, so that those match scikit-learn's draws
        self._shuffle_rng = np.random.default_rng(rng.randint(np.iinfo(np.int32).max))
        self._train(net, X, T, w, validation, self._batch_size(X.shape[0]), incremental)
        return self

    def _split(self, X: Any, y: Any, T: np.ndarray, w: Any, rng: np.random.RandomState
               ) -> tuple[Any, np.ndarray, Any, tuple[Any, Any, Any]]:
        """scikit-learn's split for early stopping, draw for draw: the training part of
        ``X``, ``T`` and the weights, and the validation part ``(X, y, weights)``."""
        # stratified on the 0/1 target of a single output, as scikit-learn does
        classifier = isinstance(self, ClassifierMixin)
        stratify = T.astype(bool) if T.shape[1] == 1 and classifier else None
        n = X.shape[0]
        if self.validation_fraction == 0:
            train, val = np.arange(n), np.arange(0)
        else:
            train, val = train_test_split(np.arange(n), test_size=self.validation_fraction,
                                          random_state=rng, stratify=stratify)
        if len(val) < 2:
            raise ValueError(f"The validation set is too small. Increase 'validation_fraction' "
                             f"or the size of your dataset: validation_fraction="
                             f"{self.validation_fraction} of {n} samples leaves {len(val)} "
                             "for validation, and early stopping needs at least 2")
        w_train, w_val = (None, None) if w is None else (w[train], w[val])
        return X[train], T[train], w_train, (X[val], y[val], w_val)

    def _train(self, net: Network, X: Any, T: np.ndarray, w: Any,
               validation: tuple[Any, Any, Any], batch: int, incremental: bool) -> None:
        """All epochs in one ``Network.fit`` (X and T are validated once): the loss adds
        the L2 penalty batch by batch, a callback applies scikit-learn's rules after each
        epoch."""
        epochs = 1 if incremental else int(self.max_iter)
        bar = _progress_bar(epochs) if self.progress else None
        rules = _EpochEnd(self, X.shape[0], validation, bar)
        self.n_iter_ = 0
        seed = int(self._shuffle_rng.integers(2**63))
        try:
            history = net.fit(X, T, epochs=epochs, batch_size=batch, shuffle=bool(self.shuffle),
                              verbose=0, seed=seed, callbacks=[rules], sample_weight=w)
            if history.interrupted:  # Ctrl-C: fit stopped after the current batch
                raise KeyboardInterrupt
            if not incremental and not rules.stop_training and self.n_iter_ == self.max_iter:
                warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                              "reached and the optimization hasn't converged yet.",
                              ConvergenceWarning, stacklevel=4)
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.", stacklevel=4)
        except DivergenceError as error:
            if not self.early_stopping:
                raise _NonFiniteWeightsError(error) from None
            self._diverged(error)
        finally:
            if bar is not None:
                bar.close()
        if self.early_stopping:
            net.set_weights(self._best_weights)

    def _diverged(self, error: DivergenceError) -> None:
        """With early stopping, a diverging fit keeps its best weights (restored after
        training) and warns, as scikit-learn does; the diverged epoch scores NaN."""
        self.n_iter_ += 1
        self.validation_scores_.append(float("nan"))
        warnings.warn(f"{error} Early stopping keeps the weights of the best validation "
                      f"score, {self.best_validation_score_:g}.", ConvergenceWarning,
                      stacklevel=5)

    def _fit_lbfgs(self, net: Network, X: Any, T: np.ndarray, w: Any) -> None:
        """scikit-learn's ``solver="lbfgs"``: the whole loss, L2 term included, minimised by
        SciPy's L-BFGS-B over θ = (every W, then every b), scikit-learn's order."""
        net.loss.penalty = None  # the L2 term is minimize's weight decay here
        total = X.shape[0] if w is None else float(w.sum())
        dense = [i for i, layer in enumerate(net.layers) if isinstance(layer, Dense)]
        order = [f"{i}.W" for i in dense] + [f"{i}.b" for i in dense]
        result = lbfgs.minimize(net, X, T, sample_weight=w, weight_decay=self.alpha / total,
                                max_iter=self.max_iter, max_fun=self.max_fun, tol=self.tol,
                                verbose=int(bool(self.verbose)), order=order)
        self.n_iter_ = min(result.n_iter, self.max_iter)
        self.loss_ = result.loss
        self.loss_curve_ = list(result.history.history.get("loss", []))
        if not result.converged:
            warnings.warn(f"lbfgs failed to converge after {result.n_iter} iteration(s) "
                          f"({result.message}). Increase the number of iterations (max_iter="
                          f"{self.max_iter}) or of loss evaluations (max_fun={self.max_fun}), "
                          "or scale the data.", ConvergenceWarning, stacklevel=4)
        if not all(np.isfinite(backend.to_numpy(p)).all() for p in net.parameters().values()):
            raise ValueError("Solver produced non-finite parameter weights. The input data "
                             "may contain large values and need to be preprocessed.")

    def _loss_grad_lbfgs(self, packed_coef_inter: np.ndarray, X: Any, y: Any,
                         sample_weight: Any = None, *buffers: Any) -> tuple[float, np.ndarray]:
        """scikit-learn's private objective of L-BFGS, for code that calls it: the loss with
        its L2 term and the gradient at θ = (coefs_, then intercepts_) flattened, on ``X``
        and the 0/1 or value targets ``y: (n, n_outputs)``. The arrays scikit-learn passes
        after ``sample_weight`` are not needed."""
        check_is_fitted(self)
        net = self.network_
        net.loss.penalty = None
        X = net.check_inputs(X)
        T = np.asarray(y, dtype=net.dtype).reshape(X.shape[0], -1)
        w = check_sample_weight(sample_weight, X.shape[0])
        total = X.shape[0] if w is None else float(w.sum())
        dense = [i for i, layer in enumerate(net.layers) if isinstance(layer, Dense)]
        order = [f"{i}.W" for i in dense] + [f"{i}.b" for i in dense]
        _, loss_and_gradient = lbfgs.objective(net, X, T, sample_weight=w,
                                               weight_decay=self.alpha / total, order=order)
        return loss_and_gradient(np.asarray(packed_coef_inter, dtype=np.float64))

    def _end_epoch(self, loss: float, n_samples: int, validation: tuple[Any, Any, Any],
                   bar: Any) -> None:
        """Record an epoch as scikit-learn does: loss_ (with the L2 penalty), the stopping
        count, the learning rate of the invscaling schedule."""
        self.n_iter_ += 1
        self.t_ += n_samples
        self.loss_ = loss
        self.loss_curve_.append(self.loss_)
        if self.verbose:
            print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}", flush=True)
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{self.loss_:.4f}")
        self._update_no_improvement_count(*validation)
        if self.solver == "sgd" and self.learning_rate == "invscaling":
            _set_learning_rate(self.network_.optimizer,
                               self.learning_rate_init / (self.t_ + 1) ** self.power_t)

    def _lower_learning_rate(self, optimizer: Optimizer) -> bool:
        """On a plateau: divide the rate by 5 for sgd's adaptive schedule (True: go on), or
        stop (False)."""
        what = "Validation score" if self.early_stopping else "Training loss"
        message = (f"{what} did not improve more than tol={self.tol:f} for "
                   f"{self.n_iter_no_change} consecutive epochs.")
        adaptive = self.solver == "sgd" and self.learning_rate == "adaptive"
        if not adaptive or optimizer.lr <= _MIN_ADAPTIVE_LR:
            if self.verbose:
                print(message + " Stopping.", flush=True)
            return False
        _set_learning_rate(optimizer, optimizer.lr / 5.0)
        if self.verbose:
            print(message + f" Setting learning rate to {optimizer.lr:f}", flush=True)
        return True

    def _update_no_improvement_count(self, X_val: Any, y_val: Any, w_val: Any) -> None:
        if self.early_stopping:
            score = self._score(X_val, y_val, w_val)
            self.validation_scores_.append(score)
            if self.verbose:
                print(f"Validation score: {score:f}", flush=True)
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_weights = self.network_.get_weights()
        else:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            self.best_loss_ = min(self.best_loss_, self.loss_curve_[-1])

    def _score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """The validation score on already validated data: accuracy or R²; NaN if not finite."""
        out = backend.to_numpy(self.network_.forward_batches(X))
        if not np.isfinite(out).all():
            return float("nan")
        return float(self._score_function(y, self._decode(out), sample_weight=sample_weight))

    @property
    def _optimizer(self) -> Any:
        """scikit-learn's private attribute, as far as code reads it (the learning rate)."""
        return _LearningRate(self.network_.optimizer)

    # --- predicting -----------------------------------------------------------------------

    def _validated(self, X: Any) -> Any:
        """``X: (n, n_features_in_)`` checked against the fit, of the network's dtype (CSR if
        sparse); the network holds any weights assigned to ``coefs_``/``intercepts_``."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse=["csr", "csc"],
                          dtype=self._input_dtype())
        self._use_assigned_weights()
        X = X.astype(self.network_.dtype, copy=False)
        return X.tocsr() if backend.is_sparse(X) else X  # rows are sliced in chunks

    def _output(self, X: Any) -> np.ndarray:
        """The output layer's values ``(n, n_outputs_)``."""
        X = self._validated(X)  # first: it raises NotFittedError before network_ is read
        return backend.to_numpy(self.network_.forward_batches(X))

    def _validate_X_y(self, X: Any, y: Any, reset: bool, **kwargs: Any) -> tuple[Any, Any]:
        """``X`` (sparse as CSR) and ``y`` validated as scikit-learn does."""
        X, y = validate_data(self, X, y, multi_output=True, dtype=self._input_dtype(),
                             accept_sparse=["csr", "csc"], reset=reset, **kwargs)
        if backend.is_sparse(X):
            X = X.tocsr()  # batches are slices of rows
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, y

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        """Train on ``X: (n_samples, n_features)`` (an array, or a SciPy sparse matrix) and
        ``y``, each sample weighted by ``sample_weight: (n_samples,)`` if given; returns
        ``self``."""
        return self._fit(X, y, sample_weight, incremental=False)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multilayer perceptron classifier, a drop-in for ``sklearn.neural_network.MLPClassifier``.

    The parameters have scikit-learn's names, order, defaults and meanings. Two more:
    ``dtype`` (None: float32 input stays float32, any other becomes float64; or
    ``"float32"``/``"float64"`` for every input), ``progress`` (a tqdm bar over the
    epochs) and ``device`` ("cpu", or "cuda" for a GPU through CuPy: ``coefs_`` are then
    CuPy arrays, and ``predict`` returns NumPy). Labels may be of any kind (strings too), or
    a multi-label indicator
    matrix ``(n_samples, n_classes)``. ``X`` may be a SciPy sparse matrix. The fitted
    :class:`~plainnet.Network` is ``network_``; ``coefs_`` and ``intercepts_`` are its
    arrays (arrays assigned to them are copied into it at the next predict or fit).

    >>> import numpy as np
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 10, dtype=np.float32)
    >>> y = np.array(["no", "yes", "yes", "no"] * 10)
    >>> clf = MLPClassifier((16,), learning_rate_init=0.05, max_iter=300, random_state=0)
    >>> clf.fit(X, y).predict(X[:4]).tolist()
    ['no', 'yes', 'yes', 'no']
    >>> clf.predict_proba(X[:4]).dtype, clf.coefs_[0].shape
    (dtype('float32'), (2, 16))
    """

    _score_function = staticmethod(accuracy_score)

    def _out_activation(self) -> str:
        # one sigmoid unit for two classes, several for multi-label, softmax otherwise
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Validated ``X``, labels ``y`` and the target matrix ``T: (n, n_outputs)``."""
        X, y = self._validate_X_y(X, y, reset)
        check_classification_targets(y)
        if not hasattr(self, "classes_") or not (self.warm_start or incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start and not incremental and set(classes) != set(self.classes_):
                raise ValueError("warm_start can only be used where `y` has the same classes "
                                 "as in the previous call to fit. Previously got "
                                 f"{self.classes_}, `y` has {classes}")
            if not set(classes) <= set(self.classes_):
                raise ValueError(f"y has classes not in classes_: classes_ is {self.classes_}, "
                                 f"y has {classes}")
        T = self._label_binarizer.transform(y).astype(X.dtype)
        return X, y, T

    @available_if(_BaseMLP._check_solver)
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None,
                    classes: Any = None) -> MLPClassifier:
        """One epoch over ``X`` and ``y`` (weighted by ``sample_weight``). The first call
        needs ``classes``, every label that any call will see (not needed for a multi-label
        indicator ``y``). Not there for ``solver="lbfgs"``."""
        if not hasattr(self, "classes_"):
            multilabel = type_of_target(y).startswith("multilabel")
            if classes is None and not multilabel:
                raise ValueError("classes must be passed on the first call to partial_fit: "
                                 "every label any call will see, e.g. np.unique(y_all)")
            self._label_binarizer = LabelBinarizer().fit(y if multilabel else classes)
            self.classes_ = self._label_binarizer.classes_
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"classes={classes!r} differs from classes_={self.classes_!r} "
                             "given on the first call to partial_fit")
        return self._fit(X, y, sample_weight, incremental=True)

    def _decode(self, out: np.ndarray) -> np.ndarray:
        return self._label_binarizer.inverse_transform(out.ravel() if out.shape[1] == 1
                                                       else out)

    def predict(self, X: Any) -> np.ndarray:
        """Labels ``(n_samples,)`` of ``classes_``, or ``(n_samples, n_classes)`` 0/1 for
        multi-label."""
        return self._decode(self._output(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities ``(n_samples, n_classes)``, in the order of ``classes_``; for
        multi-label, each label's probability."""
        P = self._output(X)
        return np.hstack([1 - P, P]) if P.shape[1] == 1 else P

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """``log(predict_proba(X))``; where a probability underflows to 0, its log comes from
        the logits, so that it stays finite."""
        X = self._validated(X)
        Z = self.network_.forward_batches(X, logits=True)
        P = backend.to_numpy(self.network_.layers[-1].forward(Z))  # predict_proba's, bit for bit
        Z = backend.to_numpy(Z)
        if self.out_activation_ == "softmax":
            from_logits = log_softmax(Z)
        else:
            from_logits = -np.logaddexp(0, -Z)  # log σ(z)
            if self.n_outputs_ == 1:  # and log(1 - σ(z)) for the first class
                P, from_logits = np.hstack([1 - P, P]), np.hstack([-np.logaddexp(0, Z),
                                                                   from_logits])
        with np.errstate(divide="ignore"):
            return np.where(P > 0, np.log(P), from_logits)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multilayer perceptron regressor, a drop-in for ``sklearn.neural_network.MLPRegressor``.

    ``loss="squared_error"`` trains half the mean squared error with an identity output;
    ``loss="poisson"`` half the Poisson deviance with an exponential output, for counts
    ``y ≥ 0``. ``y`` may be ``(n,)`` or ``(n, n_outputs)``. Parameters in scikit-learn's
    order (``loss`` first), and as :class:`MLPClassifier`.

    >>> import numpy as np
    >>> X = np.linspace(-1, 1, 200).reshape(-1, 1)
    >>> reg = MLPRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.01, max_iter=500,
    ...                    random_state=0)
    >>> reg.fit(X, X[:, 0] ** 2).score(X, X[:, 0] ** 2) > 0.9
    True
    """

    _score_function = staticmethod(r2_score)

    def __init__(
        self,
        loss: str = "squared_error",
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int | float = 10,
        max_fun: int = 15000,
        dtype: Any = None,
        progress: bool = False,
        device: str = "cpu",
    ) -> None:
        super().__init__(
            hidden_layer_sizes, activation, solver=solver, alpha=alpha, batch_size=batch_size,
            learning_rate=learning_rate, learning_rate_init=learning_rate_init,
            power_t=power_t, max_iter=max_iter, shuffle=shuffle, random_state=random_state,
            tol=tol, verbose=verbose, warm_start=warm_start, momentum=momentum,
            nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
            validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2,
            epsilon=epsilon, n_iter_no_change=n_iter_no_change, max_fun=max_fun, dtype=dtype,
            progress=progress, device=device)
        self.loss = loss

    def _check_params(self) -> list[int]:
        _check_choice("loss", self.loss, _REGRESSION_LOSSES)
        return super()._check_params()

    def _out_activation(self) -> str:
        return "exp" if self.loss == "poisson" else "identity"

    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool
                        ) -> tuple[Any, np.ndarray, np.ndarray]:
        X, y = self._validate_X_y(X, y, reset, y_numeric=True)
        if self.loss == "poisson" and (y < 0).any():
            raise ValueError("loss='poisson' needs counts or rates y >= 0; y has "
                             f"{int(np.count_nonzero(y < 0))} negative values")
        return X, y, y.reshape(len(y), -1).astype(X.dtype)

    @available_if(_BaseMLP._check_solver)
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """One epoch over ``X`` and ``y`` (weighted by ``sample_weight``). Not there for
        ``solver="lbfgs"``."""
        return self._fit(X, y, sample_weight, incremental=True)

    def _decode(self, out: np.ndarray) -> np.ndarray:
        return out.ravel() if out.shape[1] == 1 else out

    def predict(self, X: Any) -> np.ndarray:
        """Predicted values ``(n_samples,)``, or ``(n_samples, n_outputs)``."""
        return self._decode(self._output(X))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

