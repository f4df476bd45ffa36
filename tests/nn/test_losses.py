"""Losses against PyTorch: the half Poisson deviance, and every loss with sample weights."""

import numpy as np
import pytest

import plainnet as pn
from plainnet.nn.losses import (
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    HalfPoissonDeviance,
    MeanSquaredError,
)

torch = pytest.importorskip("torch")
F = torch.nn.functional

pytestmark = pytest.mark.torch


def _xlogx(t):
    return np.where(t > 0, t * np.log(np.where(t > 0, t, 1)), 0)


def test_poisson_is_pytorchs_poisson_nll_plus_a_term_of_the_targets(rng):
    """PoissonNLLLoss(log_input=True) is mean(e^z - t·z); the half deviance adds
    mean(t log t - t), which depends on the targets only: same gradient."""
    z = rng.normal(size=(9, 3))
    t = rng.poisson(2.0, size=(9, 3)).astype(np.float64)
    zt = torch.tensor(z, requires_grad=True)
    reference = torch.nn.PoissonNLLLoss(log_input=True, full=False)(zt, torch.tensor(t))
    reference.backward()
    value, grad = HalfPoissonDeviance().value_and_grad_logits(z, t)
    assert value == pytest.approx(reference.item() + np.mean(_xlogx(t) - t), rel=1e-12)
    np.testing.assert_allclose(grad, zt.grad.numpy(), rtol=1e-12)
    # a perfect prediction of the counts has loss 0, as a deviance should
    assert HalfPoissonDeviance().value(np.maximum(t, 1e-300), t) == pytest.approx(0, abs=1e-12)


def _torch_per_sample(name, z, t):
    """PyTorch's loss of each sample (reduction="none", then the mean or sum over k as
    plainnet's mean does), from the logits (or the outputs for mse)."""
    if name == "categorical_crossentropy":
        return F.cross_entropy(z, t, reduction="none")  # t: probability rows
    if name == "binary_crossentropy":
        return F.binary_cross_entropy_with_logits(z, t, reduction="none").mean(dim=1)
    if name == "poisson":
        constant = torch.tensor(_xlogx(t.numpy()) - t.numpy())
        return (F.poisson_nll_loss(z, t, log_input=True, full=False, reduction="none")
                + constant).mean(dim=1)
    return F.mse_loss(z, t, reduction="none").mean(dim=1)


def _targets(name, rng, shape):
    if name == "categorical_crossentropy":
        return pn.one_hot(rng.integers(0, shape[1], shape[0]), shape[1], dtype=np.float64)
    if name == "poisson":
        return rng.poisson(1.5, size=shape).astype(np.float64)
    return rng.integers(0, 2, size=shape).astype(np.float64)


@pytest.mark.parametrize("loss", [CategoricalCrossEntropy(), BinaryCrossEntropy(),
                                  MeanSquaredError(), HalfPoissonDeviance()],
                         ids=lambda loss: loss.name)
def test_weighted_losses_match_pytorch(loss, rng):
    """Σ w_i ℓ_i / Σ w_i and its gradient, against PyTorch's per-sample losses weighted by
    hand; zero weights included."""
    z = rng.normal(size=(8, 3))
    t = _targets(loss.name, rng, z.shape)
    w = rng.uniform(0, 2, size=8)
    w[2] = 0.0
    zt = torch.tensor(z, requires_grad=True)
    reference = (torch.tensor(w) * _torch_per_sample(loss.name, zt, torch.tensor(t))).sum()
    reference = reference / w.sum()
    reference.backward()
    fused = loss.fused_activation is not None
    value, grad = (loss.value_and_grad_logits(z, t, w) if fused
                   else loss.value_and_grad(z, t, w))
    assert value == pytest.approx(reference.item(), rel=1e-12)
    np.testing.assert_allclose(grad, zt.grad.numpy(), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("loss", [CategoricalCrossEntropy(), BinaryCrossEntropy(),
                                  MeanSquaredError(), HalfPoissonDeviance()],
                         ids=lambda loss: loss.name)
def test_integer_weights_are_repeated_samples(loss, rng):
    z = rng.normal(size=(6, 3))
    t = _targets(loss.name, rng, z.shape)
    w = np.array([1, 0, 3, 2, 1, 1])
    repeated = _value(loss, np.repeat(z, w, axis=0), np.repeat(t, w, axis=0))
    assert _value(loss, z, t, w) == pytest.approx(repeated, rel=1e-12)
    # equal weights change nothing
    assert _value(loss, z, t, np.full(6, 2.5)) == pytest.approx(_value(loss, z, t), rel=1e-12)


def _value(loss, z, t, w=None):
    """The loss from the logits where it fuses with an activation, else of the outputs z."""
    return loss.value_logits(z, t, w) if loss.fused_activation else loss.value(z, t, w)
