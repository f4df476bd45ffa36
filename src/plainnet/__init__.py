"""plainnet: neural networks in plain NumPy, with backpropagation written out by hand."""

from . import callbacks, datasets, plotting
from ._idx import DataFileError
from .activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .callbacks import Callback, EarlyStopping, LearningRateScheduler, ModelCheckpoint
from .gradcheck import gradcheck
from .io import ModelFileError, load
from .labels import from_one_hot, one_hot
from .layers import Dense, Dropout, Layer
from .losses import BinaryCrossEntropy, CategoricalCrossEntropy, Loss, MeanSquaredError
from .network import Network, mlp
from .optimizers import SGD, Adam, Optimizer, RMSProp
from .training import DivergenceError, History

__version__ = "0.1.0"

__all__ = [
    "SGD",
    "Adam",
    "BinaryCrossEntropy",
    "Callback",
    "CategoricalCrossEntropy",
    "DataFileError",
    "Dense",
    "DivergenceError",
    "Dropout",
    "EarlyStopping",
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
    "one_hot",
    "plotting",
]
