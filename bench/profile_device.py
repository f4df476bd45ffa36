"""Where a GPU training step's time goes: cupyx's benchmark of one train_step and of its
parts (host time is Python and kernel launches; device time is the kernels).

    python bench/profile_device.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import cupy
from cupyx.profiler import benchmark

import plainnet


def profile(opt: plainnet.Optimizer, batch: int) -> None:
    net = plainnet.mlp([784, 512, 10], optimizer=opt, seed=0, device="cuda")
    X = cupy.random.random((batch, 784), dtype="float32")
    T = cupy.eye(10, dtype="float32")[cupy.random.randint(0, 10, batch)]
    params, grads = net.parameters(), net.gradients()
    print(f"--- {type(opt).__name__} batch {batch}")
    print(benchmark(net.train_step, (X, T), n_repeat=200, name="train_step"))
    print(benchmark(net.forward_to_loss, (X, True), n_repeat=200, name="forward"))
    out = net.forward_to_loss(X, True)
    print(benchmark(net.count_correct, (out, T), n_repeat=200, name="correct"))
    print(benchmark(net.loss.value_and_grad_logits, (out, T), n_repeat=200, name="loss"))
    print(benchmark(opt.step, (params, grads, net.no_decay()), n_repeat=200, name="optimizer"))


def main() -> None:
    for make in (lambda: plainnet.SGD(lr=0.01), lambda: plainnet.Adam(lr=0.001)):
        for batch in (128, 4096):
            profile(make(), batch)


if __name__ == "__main__":
    main()
