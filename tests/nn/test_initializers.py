"""Initializers for any weight shape: fans, the distributions, and their errors."""

import numpy as np
import pytest

import plainnet as pn
from plainnet.nn import initializers


@pytest.mark.parametrize("shape, fans", [((3, 2), (3, 2)), ((16, 3, 5, 5), (75, 400)),
                                         ((8, 4, 3), (12, 24))])
def test_fans_of_any_weight_shape(shape, fans):
    assert initializers.fans(shape) == fans


@pytest.mark.parametrize("name", sorted(initializers.INITIALIZERS))
def test_initializers_draw_any_kernel_shape_with_its_fans(name):
    W = initializers.draw(name, (64, 32, 3, 3), np.random.default_rng(0))
    assert W.shape == (64, 32, 3, 3)
    fan_in, fan_out = 32 * 9, 64 * 9
    expected = {"normal": 1.0, "scaled_normal": 1 / np.sqrt(fan_in), "small_normal": 0.01,
                "glorot_uniform": np.sqrt(2 / (fan_in + fan_out)),
                "glorot_normal": np.sqrt(2 / (fan_in + fan_out)),
                "he_normal": np.sqrt(2 / fan_in), "he_uniform": np.sqrt(2 / fan_in)}[name]
    assert W.std() == pytest.approx(expected, rel=0.05)


def test_an_initializer_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match=r"returned shape \(2,\), expected \(3, 2\)"):
        pn.Dense(3, 2, init=lambda shape, rng: np.zeros(2))


def test_an_initializer_of_plainnet_0_1_gets_a_message_that_says_what_changed():
    with pytest.raises(TypeError, match=r"takes \(fan_in, fan_out, rng\); initializers now "
                                        r"take \(shape, rng\)"):
        pn.Dense(3, 2, init=lambda fan_in, fan_out, rng: np.ones((fan_in, fan_out)))


def test_fans_refuse_a_shape_without_them():
    for shape in [(3,), (0, 3), (4, 0, 3, 3)]:
        with pytest.raises(ValueError, match="at least 2 dimensions, each of at least 1"):
            initializers.fans(shape)
