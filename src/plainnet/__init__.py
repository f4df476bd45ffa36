"""plainnet: neural networks in plain NumPy, with backpropagation written out by hand."""

from . import callbacks, datasets, nn, plotting
from .errors import DataFileError, DeviceError, DivergenceError, ModelFileError
from .gradcheck import gradcheck
from .labels import from_one_hot, one_hot
from .network import Network, load, mlp
from .nn.activations import Exp, Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .nn.dense import Dense, Flatten
from .nn.dropout import Dropout
from .nn.layer import Layer
from .nn.losses import (
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    HalfPoissonDeviance,
    Loss,
    MeanSquaredError,
)
from .optimizers import SGD, Adam, Optimizer, RMSProp
from .training.callbacks import Callback, EarlyStopping, LearningRateScheduler, ModelCheckpoint
from .training.history import History

__version__ = "0.1.0"

__all__ = [
    "SGD",
    "Adam",
    "BinaryCrossEntropy",
    "Callback",
    "CategoricalCrossEntropy",
    "DataFileError",
    "Dense",
    "DeviceError",
    "DivergenceError",
    "Dropout",
    "EarlyStopping",
    "Exp",
    "Flatten",
    "HalfPoissonDeviance",
    "History",
    "Identity",
    "Layer",
    "LeakyReLU",
    "LearningRateScheduler",
    "Loss",
    "MeanSquaredError",
    "ModelCheckpoint",
    "ModelFileError",
    "Network",
    "Optimizer",
    "RMSProp",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "__version__",
    "callbacks",
    "datasets",
    "from_one_hot",
    "gradcheck",
    "load",
    "mlp",
    "nn",
    "one_hot",
    "plotting",
]
