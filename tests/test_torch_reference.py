"""The whole training step against PyTorch: the same initial weights and data give the
same loss history and parameters after 12 full-batch steps, to float64 rounding."""

import zlib

import numpy as np
import pytest

import plainnet as pn

torch = pytest.importorskip("torch")

STEPS = 12
RTOL = 1e-7

OPTIMIZERS = {
    "sgd": (lambda: pn.SGD(lr=0.1),
            lambda groups: torch.optim.SGD(groups, lr=0.1)),
    "sgd-momentum-wd": (lambda: pn.SGD(lr=0.05, momentum=0.9, weight_decay=0.01),
                        lambda groups: torch.optim.SGD(groups, lr=0.05, momentum=0.9)),
    "sgd-nesterov-wd": (lambda: pn.SGD(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.02),
                        lambda groups: torch.optim.SGD(groups, lr=0.05, momentum=0.8,
                                                       nesterov=True)),
    "adam": (lambda: pn.Adam(lr=0.01),
             lambda groups: torch.optim.Adam(groups, lr=0.01)),
    "adam-wd": (lambda: pn.Adam(lr=0.02, beta1=0.8, beta2=0.99, eps=1e-7, weight_decay=0.05),
                lambda groups: torch.optim.Adam(groups, lr=0.02, betas=(0.8, 0.99), eps=1e-7)),
    "rmsprop": (lambda: pn.RMSProp(lr=0.01),
                lambda groups: torch.optim.RMSprop(groups, lr=0.01, alpha=0.99, eps=1e-8)),
    "rmsprop-momentum-wd": (lambda: pn.RMSProp(lr=0.005, rho=0.9, momentum=0.5,
                                               weight_decay=0.01),
                            lambda groups: torch.optim.RMSprop(groups, lr=0.005, alpha=0.9,
                                                               momentum=0.5)),
}
WEIGHT_DECAY = {"sgd-momentum-wd": 0.01, "sgd-nesterov-wd": 0.02, "adam-wd": 0.05,
                "rmsprop-momentum-wd": 0.01}

LOSSES = {
    # output activation, loss name, torch loss on the pre-activation, outputs
    "cce": ("softmax", "categorical_crossentropy", 3),
    "bce": ("sigmoid", "binary_crossentropy", 1),
    "bce-multilabel": ("sigmoid", "binary_crossentropy", 3),
    "mse": ("identity", "mse", 2),
}


def _data(loss_key, rng, n=40):
    X = rng.normal(size=(n, 4))
    if loss_key == "cce":
        return X, rng.integers(0, 3, n)
    if loss_key == "bce":
        return X, rng.integers(0, 2, n)
    if loss_key == "bce-multilabel":
        return X, rng.integers(0, 2, (n, 3))
    return X, rng.normal(size=(n, 2))


def _torch_loss(loss_key, z, y):
    if loss_key == "cce":
        return torch.nn.functional.cross_entropy(z, torch.as_tensor(y))
    if loss_key.startswith("bce"):
        t = torch.as_tensor(y, dtype=torch.float64).reshape(z.shape)
        return torch.nn.functional.binary_cross_entropy_with_logits(z, t)
    return torch.nn.functional.mse_loss(z, torch.as_tensor(y))


@pytest.mark.torch
@pytest.mark.parametrize("opt_key", OPTIMIZERS)
@pytest.mark.parametrize("loss_key", LOSSES)
def test_training_matches_pytorch(opt_key, loss_key):
    rng = np.random.default_rng(zlib.crc32(f"{opt_key} {loss_key}".encode()))
    X, y = _data(loss_key, rng)
    output, loss_name, k = LOSSES[loss_key]
    ours, theirs = OPTIMIZERS[opt_key]
    net = pn.mlp([4, 6, 5, k], activation="tanh", output=output, loss=loss_name,
                 optimizer=ours(), dtype="float64", seed=7)

    linears = [torch.nn.Linear(a, b, dtype=torch.float64) for a, b in [(4, 6), (6, 5), (5, k)]]
    dense = [layer for layer in net.layers if isinstance(layer, pn.Dense)]
    with torch.no_grad():
        for lin, d in zip(linears, dense, strict=True):
            lin.weight.copy_(torch.as_tensor(d.params["W"].T))
            lin.bias.copy_(torch.as_tensor(d.params["b"]))
    decay = WEIGHT_DECAY.get(opt_key, 0.0)
    groups = [{"params": [lin.weight for lin in linears], "weight_decay": decay},
              {"params": [lin.bias for lin in linears], "weight_decay": 0.0}]
    opt = theirs(groups)
    Xt = torch.as_tensor(X)
    torch_losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        z = torch.tanh(linears[1](torch.tanh(linears[0](Xt))))
        loss = _torch_loss(loss_key, linears[2](z), y)
        loss.backward()
        opt.step()
        torch_losses.append(loss.item())

    history = net.fit(X, y, epochs=STEPS, batch_size=None, verbose=0)
    np.testing.assert_allclose(history["loss"], torch_losses, rtol=RTOL)
    for lin, d in zip(linears, dense, strict=True):
        np.testing.assert_allclose(d.params["W"], lin.weight.detach().numpy().T, rtol=RTOL,
                                   atol=1e-12)
        np.testing.assert_allclose(d.params["b"], lin.bias.detach().numpy(), rtol=RTOL,
                                   atol=1e-12)
    assert net.optimizer.iterations == STEPS


@pytest.mark.torch
@pytest.mark.parametrize("batch_size", [8, 13])
def test_minibatch_epoch_matches_pytorch_relu(batch_size):
    """Mini-batches in a fixed order (no shuffle), ReLU hidden layers, a last partial batch."""
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(50, 4)), rng.integers(0, 3, 50)
    net = pn.mlp([4, 16, 3], optimizer=pn.SGD(lr=0.1, momentum=0.9), dtype="float64", seed=1)
    lin = [torch.nn.Linear(4, 16, dtype=torch.float64), torch.nn.Linear(16, 3, dtype=torch.float64)]
    with torch.no_grad():
        for layer, d in zip(lin, net.layers[::2], strict=True):
            layer.weight.copy_(torch.as_tensor(d.params["W"].T))
            layer.bias.copy_(torch.as_tensor(d.params["b"]))
    opt = torch.optim.SGD([p for layer in lin for p in layer.parameters()], lr=0.1, momentum=0.9)
    epoch_losses = []
    for _ in range(3):
        total = 0.0
        for s in range(0, 50, batch_size):
            xb, yb = torch.as_tensor(X[s:s + batch_size]), torch.as_tensor(y[s:s + batch_size])
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(lin[1](torch.relu(lin[0](xb))), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
        epoch_losses.append(total / 50)
    history = net.fit(X, y, epochs=3, batch_size=batch_size, shuffle=False, verbose=0)
    np.testing.assert_allclose(history["loss"], epoch_losses, rtol=RTOL)
    np.testing.assert_allclose(net.layers[2].params["W"], lin[1].weight.detach().numpy().T,
                               rtol=RTOL, atol=1e-12)
