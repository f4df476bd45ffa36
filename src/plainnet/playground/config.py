"""What a Learn session trains, as the client may choose it, validated field by field.

The client sends a JSON object; :func:`parse_config` turns it into a :class:`LearnConfig` or
refuses it with a :class:`RequestError` whose message names the field, the value seen and what
is allowed. Fields left out take their defaults; unknown fields are refused.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ..checks import check_number, lookup
from .data import DATASETS
from .errors import RequestError, check_object

MAX_HIDDEN_LAYERS = 6
MAX_UNITS = 32

#: name -> the allowed choices
CHOICES: dict[str, tuple[str, ...]] = {
    "dataset": tuple(DATASETS),
    "activation": ("relu", "tanh", "sigmoid", "leaky_relu"),
    "output": ("sigmoid", "softmax"),
    "optimizer": ("adam", "sgd", "rmsprop"),
}

#: name -> (low, high, integer, low_open): the allowed interval of each numeric field
RANGES: dict[str, tuple[float, float, bool, bool]] = {
    "n_samples": (20, 2000, True, False),
    "noise": (0.0, 1.0, False, False),
    "test_fraction": (0.1, 0.9, False, False),
    "lr": (0.0, 10.0, False, True),
    "batch_size": (1, 2000, True, False),
    "weight_decay": (0.0, 1.0, False, False),
    "dropout": (0.0, 0.9, False, False),
    "seed": (0, 2**31 - 1, True, False),
}


@dataclass(frozen=True)
class LearnConfig:
    """A data set, a network and how to train it. ``hidden`` lists the units per hidden layer;
    ``output`` is one sigmoid unit (binary cross-entropy) or two softmax units."""

    dataset: str = "circles"
    n_samples: int = 400
    noise: float = 0.1
    test_fraction: float = 0.5
    hidden: tuple[int, ...] = (8, 8)
    activation: str = "tanh"
    output: str = "sigmoid"
    optimizer: str = "adam"
    lr: float = 0.03
    batch_size: int = 16
    weight_decay: float = 0.0
    dropout: float = 0.0
    seed: int = 0

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "hidden": list(self.hidden)}


FIELDS = tuple(f.name for f in dataclasses.fields(LearnConfig))


def _check(check: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a core check (its message names the field) and answer its ValueError as a 400."""
    try:
        return check(*args, **kwargs)
    except ValueError as exc:
        raise RequestError(str(exc)) from None


def _hidden(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list) or len(value) > MAX_HIDDEN_LAYERS:
        raise RequestError(f"hidden must be a list of at most {MAX_HIDDEN_LAYERS} unit counts "
                           f"(one per hidden layer), got {value!r}")
    return tuple(_check(check_number, f"hidden[{i}]", units, low=1,
                        high=MAX_UNITS, integer=True) for i, units in enumerate(value))


def parse_config(body: Any) -> LearnConfig:
    """A :class:`LearnConfig` from a JSON object, or a RequestError (400) saying what is wrong."""
    check_object(body, FIELDS, "the configuration")
    values: dict[str, Any] = {}
    for name, value in body.items():
        if name == "hidden":
            values[name] = _hidden(value)
        elif name in CHOICES:
            table = {choice: choice for choice in CHOICES[name]}
            values[name] = _check(lookup, name, value, table)
        else:
            low, high, integer, low_open = RANGES[name]
            values[name] = _check(check_number, name, value, low=low, high=high,
                                  integer=integer, low_open=low_open)
    return LearnConfig(**values)


def options() -> dict[str, Any]:
    """What the client may choose: defaults, choices and ranges, to build its form from."""
    return {
        "defaults": LearnConfig().to_json(),
        "choices": {name: list(choices) for name, choices in CHOICES.items()},
        "ranges": {name: {"min": low, "max": high, "integer": integer, "min_open": low_open}
                   for name, (low, high, integer, low_open) in RANGES.items()},
        "hidden": {"max_layers": MAX_HIDDEN_LAYERS, "max_units": MAX_UNITS},
    }
