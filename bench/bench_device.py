"""plainnet on a GPU against PyTorch on the same GPU: 784-512-10 on Fashion-MNIST.

    python bench/bench_device.py --device cuda [--epochs 4] [--data-dir DIR]

Both train the same MLP (ReLU hidden layer, softmax output, cross-entropy), in float32,
with the same optimizer settings and the same batch orders (one permutation per epoch,
drawn on the host and sent once). Each framework's loop is what a user writes for speed:
plainnet's ``fit``; PyTorch eager with the batch losses and correct counts summed on the
device and read once per epoch (no ``.item()`` per batch). An epoch's time ends with that
read, so it includes waiting for the device. The first epoch (kernel compilation, memory
pool warm-up) is left out; the best of the others is reported.

Ratios are PyTorch time / plainnet time: above 1, plainnet is faster.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import plainnet
from plainnet import SGD, Adam, Callback

BATCHES = (128, 512, 4096)
OPTIMIZERS = ("sgd", "adam")


def load_data(data_dir: str | None) -> tuple[np.ndarray, np.ndarray, str]:
    """Fashion-MNIST's training set as float32 in [0, 1], or, where its files are missing,
    random data of the same shape (the speed does not depend on the values)."""
    try:
        (X, y), _ = plainnet.datasets.load("fashion-mnist", path=data_dir)
        return X.astype(np.float32), y.astype(np.int64), "Fashion-MNIST"
    except plainnet.DataFileError as exc:
        print(f"# {exc}; using random data of Fashion-MNIST's shape")
        g = np.random.default_rng(0)
        return (g.random((60000, 784), dtype=np.float32), g.integers(0, 10, 60000),
                "random 60000x784")


def make_optimizer(name: str) -> plainnet.Optimizer:
    return SGD(lr=0.01) if name == "sgd" else Adam(lr=0.001)


class _EpochTimes(Callback):
    def __init__(self) -> None:
        self.times: list[float] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        self.times.append(logs["time"])


def time_plainnet(X, y, opt: str, batch: int, epochs: int, device: str) -> tuple[float, float]:
    net = plainnet.mlp([784, 512, 10], optimizer=make_optimizer(opt), seed=0, device=device)
    times = _EpochTimes()
    history = net.fit(X, y, epochs=epochs, batch_size=batch, seed=0, verbose=0,
                      callbacks=[times])
    return min(times.times[1:]), history.history["accuracy"][-1]


def time_torch(X, y, opt: str, batch: int, epochs: int, device: str) -> tuple[float, float]:
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(),
                                torch.nn.Linear(512, 10)).to(device)
    optimizer = (torch.optim.SGD(model.parameters(), lr=0.01) if opt == "sgd"
                 else torch.optim.Adam(model.parameters(), lr=0.001))
    loss_fn = torch.nn.CrossEntropyLoss()
    Xd = torch.as_tensor(X, device=device)
    yd = torch.as_tensor(y, device=device)
    n, rng, times = len(X), np.random.default_rng(0), []
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.as_tensor(rng.permutation(n), device=device)
        loss_sum = torch.zeros((), device=device, dtype=torch.float64)
        correct = torch.zeros((), device=device, dtype=torch.int64)
        for s in range(0, n, batch):
            idx = order[s:s + batch]
            xb, yb = Xd[idx], yd[idx]
            out = model(xb)
            loss = loss_fn(out, yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach().double() * len(idx)
            correct += (out.argmax(1) == yb).sum()
        accuracy = float(correct) / n  # the epoch's one read: it waits for the device
        float(loss_sum)
        times.append(time.perf_counter() - start)
    return min(times[1:]), accuracy


def describe(device: str) -> None:
    print(f"# host: {platform.processor() or platform.machine()}, Python "
          f"{platform.python_version()}, NumPy {np.__version__}")
    if device == "cuda":
        import cupy
        import torch

        props = cupy.cuda.runtime.getDeviceProperties(0)
        print(f"# GPU: {props['name'].decode()}, CuPy {cupy.__version__}, "
              f"PyTorch {torch.__version__} (CUDA {torch.version.cuda})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    parser.add_argument("--epochs", type=int, default=4, help="epochs per run (>= 2)")
    parser.add_argument("--data-dir", default=None, help="directory of the Fashion-MNIST IDX files")
    parser.add_argument("--batches", default=",".join(map(str, BATCHES)))
    parser.add_argument("--optimizers", default=",".join(OPTIMIZERS))
    args = parser.parse_args(argv)
    X, y, name = load_data(args.data_dir)
    describe(args.device)
    print(f"# data: {name}; model 784-512-10 float32; best epoch of {args.epochs} "
          "(the first left out)")
    print(f"{'optimizer':>9} {'batch':>6} {'plainnet s':>11} {'torch s':>9} "
          f"{'torch/plainnet':>15} {'acc plainnet':>13} {'acc torch':>10}")
    for opt in args.optimizers.split(","):
        for batch in map(int, args.batches.split(",")):
            t_p, acc_p = time_plainnet(X, y, opt, batch, args.epochs, args.device)
            t_t, acc_t = time_torch(X, y, opt, batch, args.epochs, args.device)
            print(f"{opt:>9} {batch:>6} {t_p:>11.4f} {t_t:>9.4f} {t_t / t_p:>15.2f} "
                  f"{acc_p:>13.4f} {acc_t:>10.4f}", flush=True)


if __name__ == "__main__":
    main()
