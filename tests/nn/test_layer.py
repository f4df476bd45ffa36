"""Layers as shapes: output_shape and Flatten."""

import numpy as np
import pytest

import plainnet as pn


def test_output_shape_walks_the_layers():
    assert pn.Dense(3, 5).output_shape((3,)) == (5,)
    assert pn.ReLU().output_shape((2, 4, 4)) == (2, 4, 4)
    assert pn.Flatten().output_shape((2, 4, 4)) == (32,)
    with pytest.raises(ValueError, match=r"takes inputs of shape \(3,\), but is given \(4,\)$"):
        pn.Dense(3, 5).output_shape((4,))
    with pytest.raises(ValueError, match=r"is given \(1, 2, 2\); put Flatten\(\) before it"):
        pn.Dense(4, 5).output_shape((1, 2, 2))


def test_flatten_is_a_view_and_its_backward_restores_the_shape(rng):
    x = rng.normal(size=(5, 2, 3, 4))
    flat = pn.Flatten()
    out = flat.forward(x, training=True)
    assert out.shape == (5, 24) and np.shares_memory(out, x)
    np.testing.assert_array_equal(out[1], x[1].ravel())
    grad = rng.normal(size=(5, 24))
    back = flat.backward(grad)
    assert back.shape == x.shape
    np.testing.assert_array_equal(back.reshape(5, -1), grad)
