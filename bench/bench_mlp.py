"""plainnet against PyTorch and scikit-learn on the CPU: same MLP, data, epochs, batches.

    python bench/bench_mlp.py                # the full run (a few minutes)
    python bench/bench_mlp.py --epochs 2     # a quick look

Every framework runs in a worker process of its own (so that no two thread pools share a
process, and each has its own peak memory); this parent process only sends "run one epoch"
to each worker in turn, so that the epochs of all frameworks interleave and share the same
machine load. Ratios are peer time / plainnet time: above 1 means plainnet is faster.

Each worker trains the way a user would, in one multi-epoch call of its framework's own
loop (plainnet's ``fit(epochs=E)``, scikit-learn's ``fit`` with ``max_iter=E``, a PyTorch
epoch loop), paced by a hook at every epoch boundary (a plainnet callback, an override of
the method scikit-learn calls after each epoch): the hook answers the parent with the
epoch's wall time and waits for the next "run one epoch". The checks of the input that
every call makes once are therefore paid once, as in real use, not once per epoch.

Unless ``--keep-openblas-env`` is given, the script unsets OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE for its own process and its workers (it re-executes itself with the
cleaned environment, and says so): with OPENBLAS_CORETYPE=Haswell, OpenBLAS would use its
AVX2 kernel on a CPU that has AVX-512.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
REEXEC_MARK = "PLAINNET_BENCH_UNSET"
SRC = Path(__file__).resolve().parents[1] / "src"
N_CLASSES = 10
#: the seed of the shuffling, the same permutations for plainnet and PyTorch
SHUFFLE_SEED = 1000
#: untimed epochs before the timed ones
WARMUP = 1


# --- measurements done inside a worker -----------------------------------------------------

def _status_kib(field: str) -> int | None:
    """VmRSS / VmHWM of this process in KiB (Linux), else None."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _rss_mib() -> float:
    kib = _status_kib("VmRSS")
    return float("nan") if kib is None else kib / 1024


def _reset_peak_rss() -> bool:
    """Reset VmHWM, so that the peak measured next is that of training, not of loading."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_rss_mib() -> float:
    hwm = _status_kib("VmHWM")
    kib = hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024


def _nbytes(a: object) -> int:
    """Bytes of a NumPy array or a PyTorch tensor (0 for anything else)."""
    if hasattr(a, "element_size"):
        return a.numel() * a.element_size()
    return a.nbytes if isinstance(a, np.ndarray) else 0


def _blas_info() -> list[dict]:
    from threadpoolctl import threadpool_info

    keep = ("user_api", "internal_api", "prefix", "version", "architecture", "num_threads",
            "threading_layer")
    return [{k: lib[k] for k in keep if k in lib} for lib in threadpool_info()]


def _fashion_mnist(dtype: str) -> tuple[np.ndarray, ...]:
    from plainnet.datasets import load

    (X, y), (X_test, y_test) = load("fashion-mnist")
    return X.astype(dtype, copy=False), y, X_test.astype(dtype, copy=False), y_test


class Pacer:
    """One epoch per command of the parent, inside a framework's own training loop.

    The loop calls ``begin()`` before each epoch (it waits for the parent's "epoch", except
    for the first, which the worker has already read) and ``end(value)`` after it (it
    answers with the epoch's wall time, from the return of ``begin`` to the call of
    ``end``).
    """

    def __init__(self, commands, answer, epochs: int) -> None:
        self.commands, self.answer, self.epochs = commands, answer, epochs
        self.started = 0
        self.t0 = 0.0

    def begin(self) -> None:
        if self.started:
            cmd = json.loads(next(self.commands))
            if cmd["op"] != "epoch":
                raise RuntimeError(f"expected an epoch command during training, got {cmd}")
        self.started += 1
        self.t0 = time.perf_counter()

    def end(self, value: float | None = None) -> None:
        self.answer({"seconds": time.perf_counter() - self.t0, "value": value})


class PlainnetMLP:
    """plainnet's mlp([784, hidden, 10]) trained by one Network.fit(epochs=E) call."""

    def __init__(self, cfg: dict) -> None:
        import plainnet as pn

        self.X, self.y, self.X_test, self.y_test = _fashion_mnist(cfg["dtype"])
        if cfg["optimizer"] == "sgd":
            opt = pn.SGD(lr=cfg["lr"])
        else:
            opt = pn.Adam(lr=cfg["lr"], weight_decay=cfg.get("weight_decay", 0.0))
        self.net = pn.mlp([self.X.shape[1], cfg["hidden"], N_CLASSES], optimizer=opt,
                          dtype=cfg["dtype"], seed=0)
        self.bs = cfg["batch_size"]
        self.model_bytes = sum(p.nbytes for p in self.net.parameters().values())

    def train(self, pacer: Pacer) -> None:
        from plainnet.training.callbacks import Callback

        class Pace(Callback):
            def on_epoch_begin(self, epoch: int) -> None:
                pacer.begin()

            def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
                pacer.end(logs["time"])  # and fit's own figure for the epoch

        self.net.fit(self.X, self.y, epochs=pacer.epochs, batch_size=self.bs, verbose=0,
                     seed=SHUFFLE_SEED, callbacks=[Pace()])

    def accuracy(self) -> float:
        return float(np.mean(self.net.predict(self.X_test) == self.y_test))


class TorchMLP:
    """The same network in PyTorch, from the same initial weights, on the same batches
    (tensors in memory, no DataLoader, 2 threads)."""

    def __init__(self, cfg: dict) -> None:
        import torch

        import plainnet as pn

        torch.set_num_threads(2)
        self.torch = torch
        X, y, X_test, y_test = _fashion_mnist(cfg["dtype"])
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
        self.X_test, self.y_test = torch.from_numpy(X_test), y_test
        sizes = [X.shape[1], cfg["hidden"], N_CLASSES]
        ref = pn.mlp(sizes, dtype=cfg["dtype"], seed=0)  # plainnet's initial weights
        tdtype = getattr(torch, cfg["dtype"])
        self.model = torch.nn.Sequential(
            torch.nn.Linear(sizes[0], sizes[1], dtype=tdtype), torch.nn.ReLU(),
            torch.nn.Linear(sizes[1], sizes[2], dtype=tdtype))
        with torch.no_grad():
            for lin, dense in zip(self.model[::2], ref.layers[::2], strict=True):
                lin.weight.copy_(torch.from_numpy(dense.params["W"].T))
                lin.bias.copy_(torch.from_numpy(dense.params["b"]))
        params = self.model.parameters()
        if cfg["optimizer"] == "sgd":
            self.opt = torch.optim.SGD(params, lr=cfg["lr"])
        else:
            self.opt = torch.optim.Adam(params, lr=cfg["lr"])
        self.bs = cfg["batch_size"]
        self.model_bytes = sum(p.numel() * p.element_size() for p in self.model.parameters())
        build = dict(kv.split("=", 1) for kv in torch.__config__.show().replace(",", "\n")
                     .split() if kv.startswith(("BLAS_INFO=", "USE_MKLDNN=")))
        self.blas_note = (f"torch {torch.__version__} (its own BLAS, not threadpoolctl's): "
                          f"BLAS_INFO={build.get('BLAS_INFO')}, "
                          f"oneDNN={torch.backends.mkldnn.is_available()}, CPU capability "
                          f"{torch.backends.cpu.get_cpu_capability()}, "
                          f"{torch.get_num_threads()} threads")

    def train(self, pacer: Pacer) -> None:
        torch, X, y, n = self.torch, self.X, self.y, len(self.X)
        cross_entropy = torch.nn.functional.cross_entropy
        rng = np.random.default_rng(SHUFFLE_SEED)  # the permutations of plainnet's fit
        for _ in range(pacer.epochs):
            pacer.begin()
            perm = torch.from_numpy(rng.permutation(n))
            for start in range(0, n, self.bs):
                rows = perm[start:start + self.bs]
                self.opt.zero_grad(set_to_none=True)
                loss = cross_entropy(self.model(X[rows]), y[rows])
                loss.backward()
                self.opt.step()
            pacer.end()

    def accuracy(self) -> float:
        with self.torch.no_grad():
            pred = self.model(self.X_test).argmax(dim=1).numpy()
        return float(np.mean(pred == self.y_test))


class SklearnMLP:
    """scikit-learn's MLPClassifier, trained by one fit(max_iter=E) call."""

    def __init__(self, cfg: dict) -> None:
        self.X, self.y, self.X_test, self.y_test = _fashion_mnist(cfg["dtype"])
        self.cfg = cfg
        self.model_bytes = (cfg["hidden"] * (self.X.shape[1] + 1 + N_CLASSES) + N_CLASSES) \
            * self.X.dtype.itemsize

    def train(self, pacer: Pacer) -> None:
        from sklearn.neural_network import MLPClassifier

        class Paced(MLPClassifier):
            # scikit-learn calls this after every epoch of its stochastic solvers
            def _update_no_improvement_count(self, *args, **kwargs):
                super()._update_no_improvement_count(*args, **kwargs)
                pacer.end()
                if pacer.started < pacer.epochs:
                    pacer.begin()

        cfg, E = self.cfg, pacer.epochs
        # no stopping on a plateau: every run trains exactly E epochs
        if cfg["optimizer"] == "sgd":
            self.clf = Paced((cfg["hidden"],), solver="sgd", learning_rate_init=cfg["lr"],
                             momentum=0.0, nesterovs_momentum=False, alpha=0.0,
                             batch_size=cfg["batch_size"], random_state=0, max_iter=E,
                             n_iter_no_change=E + 1)
        else:  # its defaults: Adam, lr 1e-3, alpha 1e-4, batch min(200, n)
            self.clf = Paced((cfg["hidden"],), random_state=0, max_iter=E,
                             n_iter_no_change=E + 1)
        pacer.begin()
        self.clf.fit(self.X, self.y)

    def accuracy(self) -> float:
        return float(np.mean(self.clf.predict(self.X_test) == self.y_test))


class Sgemm:
    """The machine's SGEMM rate in this run: float32 n×n products on NumPy's BLAS."""

    def __init__(self, cfg: dict) -> None:
        rng = np.random.default_rng(0)
        n = cfg["n"]
        self.A, self.B = (rng.random((n, n), dtype=np.float32) for _ in range(2))
        self.C = np.empty((n, n), np.float32)
        self.X = self.y = None
        self.model_bytes = 0

    def train(self, pacer: Pacer) -> None:
        for _ in range(pacer.epochs):
            pacer.begin()
            best = float("inf")
            for _ in range(5):
                t = time.perf_counter()
                np.matmul(self.A, self.B, out=self.C)
                best = min(best, time.perf_counter() - t)
            pacer.end(2 * self.A.shape[0] ** 3 / best / 1e9)  # GFLOP/s

    def accuracy(self) -> float:
        return float("nan")


class TinyPlainnet:
    """circles, 2-10-5-1, sigmoid output, full batch, SGD: overhead dominates."""

    def __init__(self, cfg: dict) -> None:
        import plainnet as pn
        from plainnet.datasets import load

        (self.X, self.y), _ = load("circles")
        self.net = pn.mlp([2, 10, 5, 1], output="sigmoid", optimizer=pn.SGD(lr=0.5), seed=0)
        self.Xp, self.T = self.net.prepare(self.X, self.y)
        self.n_iter, self.use_fit = cfg["iterations"], cfg["use_fit"]
        self.model_bytes = 0

    def train(self, pacer: Pacer) -> None:
        for _ in range(pacer.epochs):
            pacer.begin()
            if self.use_fit:  # the public loop: one epoch is one full-batch step
                self.net.fit(self.X, self.y, epochs=self.n_iter, batch_size=None, verbose=0)
            else:
                for _ in range(self.n_iter):
                    self.net.train_step(self.Xp, self.T)
            pacer.end()

    def accuracy(self) -> float:
        return float("nan")


class TinyTorch:
    def __init__(self, cfg: dict) -> None:
        import torch

        from plainnet.datasets import load

        torch.set_num_threads(2)
        self.torch = torch
        (X, y), _ = load("circles")
        self.X = torch.from_numpy(X)
        self.t = torch.from_numpy(y.astype(np.float32)).reshape(-1, 1)
        nn = torch.nn
        self.model = nn.Sequential(nn.Linear(2, 10), nn.ReLU(), nn.Linear(10, 5), nn.ReLU(),
                                   nn.Linear(5, 1))
        self.opt = torch.optim.SGD(self.model.parameters(), lr=0.5)
        self.n_iter = cfg["iterations"]
        self.model_bytes = 0

    def train(self, pacer: Pacer) -> None:
        bce = self.torch.nn.functional.binary_cross_entropy_with_logits
        for _ in range(pacer.epochs):
            pacer.begin()
            for _ in range(self.n_iter):
                self.opt.zero_grad(set_to_none=True)
                loss = bce(self.model(self.X), self.t)
                loss.backward()
                self.opt.step()
            pacer.end()

    def accuracy(self) -> float:
        return float("nan")


WORKERS = {"plainnet": PlainnetMLP, "torch": TorchMLP, "sklearn": SklearnMLP, "sgemm": Sgemm,
           "tiny-plainnet": TinyPlainnet, "tiny-torch": TinyTorch}


def worker_main(kind: str, cfg: dict) -> None:
    """Answer one JSON line per command read from stdin: epoch, accuracy, memory, blas.

    The first "epoch" starts the framework's training loop for all ``cfg["epochs"]``
    epochs; its pacing hook reads the later "epoch" commands itself.
    """
    warnings.simplefilter("ignore")  # scikit-learn's ConvergenceWarning at the end
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing but answers on the pipe

    def answer(obj: dict) -> None:
        out.write(json.dumps(obj) + "\n")
        out.flush()

    base_mib = _rss_mib()  # the interpreter and NumPy: the framework is imported by the worker
    w = WORKERS[kind](cfg)
    data_bytes = sum(_nbytes(getattr(w, name, None)) for name in ("X", "y", "X_test", "y_test"))
    loaded_mib = _rss_mib()
    reset = _reset_peak_rss()
    commands = iter(sys.stdin)
    pacer = Pacer(commands, answer, cfg["epochs"])
    for line in commands:
        cmd = json.loads(line)
        if cmd["op"] == "epoch":
            if pacer.started:
                raise RuntimeError(f"{kind}: more epochs asked for than cfg['epochs']")
            w.train(pacer)
            if pacer.started != pacer.epochs:
                raise RuntimeError(f"{kind} trained {pacer.started} of {pacer.epochs} epochs")
        elif cmd["op"] == "accuracy":
            answer({"accuracy": w.accuracy()})
        elif cmd["op"] == "memory":
            answer({"base_mib": base_mib, "loaded_mib": loaded_mib,
                    "train_peak_mib": _peak_rss_mib(), "peak_reset": reset,
                    "data_mib": data_bytes / 2**20, "model_mib": w.model_bytes / 2**20})
        elif cmd["op"] == "blas":
            answer({"blas": _blas_info(), "note": getattr(w, "blas_note", "")})
        else:
            break


# --- the parent: start workers, interleave epochs, report ----------------------------------

class Worker:
    def __init__(self, name: str, kind: str, cfg: dict) -> None:
        self.name = name
        env = dict(os.environ, PYTHONPATH=str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", kind, json.dumps(cfg)], env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.times: list[float] = []
        self.values: list[float] = []

    def ask(self, **cmd) -> dict:
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"worker {self.name} died (exit code {self.proc.wait()})")
        return json.loads(line)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def interleave(workers: list[Worker], rounds: int, warmup: int = WARMUP, pause: float = 0.5
               ) -> None:
    """Each round runs one epoch of every worker, in an order that rotates each round.

    Before each epoch the parent waits ``pause`` seconds: BLAS and OpenMP threads spin for a
    while after their last call, and the previous worker's must not eat into the next epoch.
    """
    for r in range(warmup + rounds):
        k = r % len(workers)
        for w in workers[k:] + workers[:k]:
            time.sleep(pause)
            answer = w.ask(op="epoch")
            if r >= warmup:
                w.times.append(answer["seconds"])
                w.values.append(answer["value"])


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def mlp_flops(n: int, sizes: list[int]) -> float:
    """FLOPs of one epoch: forward X·W, dW = Xᵀ·dZ for every layer, dX = dZ·Wᵀ for all but
    the first (no gradient is taken for the input). Elementwise work is not counted."""
    pairs = list(itertools.pairwise(sizes))
    per_sample = sum(2 * a * b for a, b in pairs) * 2 + sum(2 * a * b for a, b in pairs[1:])
    return float(n) * per_sample


def import_time(repeats: int = 5) -> tuple[float, list[str]]:
    code = ("import sys, time; t = time.perf_counter(); import plainnet; "
            "d = time.perf_counter() - t; "
            "heavy = [m for m in ('torch', 'sklearn', 'scipy', 'matplotlib', 'tqdm', 'dask', "
            "'pandas') if m in sys.modules]; print(d, ','.join(heavy))")
    env = dict(os.environ, PYTHONPATH=str(SRC))
    times, heavy = [], ""
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True).stdout.split()
        times.append(float(out[0]))
        heavy = out[1] if len(out) > 1 else ""
    return median(times), [m for m in heavy.split(",") if m]


def run_group(title: str, specs: list[tuple[str, str, dict]], rounds: int, pause: float
              ) -> list[Worker]:
    print(f"\n## {title}", flush=True)
    workers = [Worker(name, kind, {**cfg, "epochs": WARMUP + rounds}) for name, kind, cfg in specs]
    try:
        interleave(workers, rounds, pause=pause)
        for w in workers:
            w.accuracy = w.ask(op="accuracy")["accuracy"]
            w.memory = w.ask(op="memory")
            answer = w.ask(op="blas")
            w.blas, w.blas_note = answer["blas"], answer["note"]
    finally:
        for w in workers:
            w.close()
    ref = workers[0].times
    print(f"{'':26s} {'median s':>9s} {'best s':>8s} {'ratio':>6s} {'paired':>7s} {'best':>6s} "
          f"{'test acc':>9s} {'peak RSS MiB':>13s}")
    for w in workers:
        paired = median([t / r for t, r in zip(w.times, ref, strict=True)])
        print(f"{w.name:26s} {median(w.times):9.3f} {min(w.times):8.3f} "
              f"{median(w.times) / median(ref):6.2f} {paired:7.2f} {min(w.times) / min(ref):6.2f} "
              f"{w.accuracy:9.4f} {w.memory['train_peak_mib']:13.0f}")
    for w in workers:
        print(f"  {w.name:24s} epochs (s): {' '.join(f'{t:.3f}' for t in w.times)}")
    return workers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs (after 1 warm-up)")
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--tiny-iterations", type=int, default=2000)
    parser.add_argument("--keep-openblas-env", action="store_true",
                        help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE as they are")
    parser.add_argument("--pause", type=float, default=0.5,
                        help="seconds of quiet before each epoch (spinning threads go to sleep)")
    parser.add_argument("--groups", help="comma-separated subset of: sgd128, sgd512, adam128, "
                        "defaults, tiny (default: all)")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(args.worker[0], json.loads(args.worker[1]))
        return
    if not args.keep_openblas_env and any(v in os.environ for v in OPENBLAS_VARS):
        unset = {v: os.environ[v] for v in OPENBLAS_VARS if v in os.environ}
        env = {k: v for k, v in os.environ.items() if k not in OPENBLAS_VARS}
        env[REEXEC_MARK] = " ".join(f"{k}={v}" for k, v in unset.items())
        os.execve(sys.executable, [sys.executable, *sys.argv], env)

    print("# plainnet vs PyTorch vs scikit-learn (MLP, CPU)")
    print(f"command: python {' '.join(sys.argv)}")
    if os.environ.get(REEXEC_MARK):
        print(f"NOTE: this benchmark unset {os.environ[REEXEC_MARK]} for its own process and its "
              "workers (re-executed itself); the rest of the machine is unchanged.")
    else:
        print("OpenBLAS environment: " + (", ".join(f"{v}={os.environ[v]}" for v in OPENBLAS_VARS
                                                     if v in os.environ) or "(none set)"))
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start; "
          f"Python {sys.version.split()[0]}, NumPy {np.__version__}")
    E, H = args.epochs, args.hidden
    sizes = [784, H, N_CLASSES]

    def cfg(**kw):
        return {"hidden": H, "dtype": "float32", **kw}

    sgd = {"optimizer": "sgd", "lr": 0.1}
    adam = {"optimizer": "adam", "lr": 1e-3}
    tiny = {"iterations": args.tiny_iterations}
    groups = {
        "sgd128": (f"784-{H}-10 ReLU/softmax, plain SGD lr 0.1, batch 128, float32", [
            ("plainnet", "plainnet", cfg(batch_size=128, **sgd)),
            ("torch", "torch", cfg(batch_size=128, **sgd)),
            ("sklearn (sgd, float32)", "sklearn", cfg(batch_size=128, **sgd))]),
        "sgd512": (f"784-{H}-10, plain SGD lr 0.1, batch 512, float32; SGEMM alongside", [
            ("plainnet", "plainnet", cfg(batch_size=512, **sgd)),
            ("torch", "torch", cfg(batch_size=512, **sgd)),
            ("sklearn (sgd, float32)", "sklearn", cfg(batch_size=512, **sgd)),
            ("sgemm 2048 (s: 5 products)", "sgemm", {"n": 2048})]),
        "adam128": (f"784-{H}-10, Adam lr 1e-3, batch 128, float32", [
            ("plainnet", "plainnet", cfg(batch_size=128, **adam)),
            ("torch", "torch", cfg(batch_size=128, **adam))]),
        # scikit-learn's defaults: Adam lr 1e-3, batch 200, alpha 1e-4 (its gradient gets
        # alpha/batch · W, biases excluded: plainnet's weight_decay), float64 input
        "defaults": (f"784-{H}-10, scikit-learn's defaults (Adam, batch 200, alpha 1e-4, "
                     "float64 input) vs plainnet Adam float32, same settings", [
            ("plainnet (float32)", "plainnet",
             cfg(batch_size=200, weight_decay=1e-4 / 200, **adam)),
            ("sklearn defaults (f64)", "sklearn", cfg(dtype="float64", optimizer="defaults"))]),
        "tiny": (f"tiny net: circles (800 samples), 2-10-5-1, full batch, SGD lr 0.5; "
                 f"{args.tiny_iterations} iterations per timed block", [
            ("plainnet train_step", "tiny-plainnet", {**tiny, "use_fit": False}),
            ("plainnet fit", "tiny-plainnet", {**tiny, "use_fit": True}),
            ("torch", "tiny-torch", tiny)]),
    }
    chosen = args.groups.split(",") if args.groups else list(groups)
    results = {g: run_group(f"{groups[g][0]}; {E} epochs", groups[g][1], E, args.pause)
               for g in chosen}
    report(results, sizes, args)
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")


def report(results: dict[str, list[Worker]], sizes: list[int], args: argparse.Namespace
           ) -> None:
    """Derived figures and the goals of the issue, for the groups that ran."""
    def paired(group: str, i: int, j: int = 0) -> float:
        g = results[group]
        return median([a / b for a, b in zip(g[i].times, g[j].times, strict=True)])

    print("\n## Derived figures")
    goals: list[tuple[str, float, float | None]] = []
    if "sgd128" in results:
        goals += [("PyTorch / plainnet, SGD batch 128 >= 1.3", paired("sgd128", 1), 1.3),
                  ("sklearn SGD f32 / plainnet, batch 128 >= 1.5", paired("sgd128", 2), 1.5)]
        p, t = results["sgd128"][0], results["sgd128"][1]
        goals.append(("|test accuracy plainnet - torch|, SGD batch 128", abs(p.accuracy
                                                                             - t.accuracy), -0.01))
        m = p.memory
        ratio = (m["train_peak_mib"] - m["base_mib"]) / (m["data_mib"] + m["model_mib"])
        print(f"plainnet memory (batch 128): interpreter+NumPy {m['base_mib']:.0f} MiB, data "
              f"{m['data_mib']:.0f} MiB, model {m['model_mib']:.1f} MiB, peak RSS while "
              f"training {m['train_peak_mib']:.0f} MiB (peak reset after loading: "
              f"{m['peak_reset']}); (peak - interpreter) / (data + model) = {ratio:.2f}")
        goals.append(("(peak RSS - interpreter) / (data + model) <= 1.5", ratio, -1.5))
        for w in results["sgd128"]:
            m = w.memory
            print(f"  {w.name:24s} interpreter+NumPy {m['base_mib']:5.0f}, with its library "
                  f"and data {m['loaded_mib']:5.0f}, training peak {m['train_peak_mib']:5.0f} MiB")
        print("BLAS per worker (threadpoolctl):")
        for w in results["sgd128"]:
            libs = "; ".join(f"{b.get('internal_api')} {b.get('version', '')} "
                             f"{b.get('architecture', '')} ({b.get('num_threads')} threads)"
                             for b in w.blas)
            print(f"  {w.name:24s} {libs}")
            if w.blas_note:
                print(f"  {'':24s} {w.blas_note}")
    if "sgd512" in results:
        goals += [("PyTorch / plainnet, SGD batch 512 >= 1.1", paired("sgd512", 1), 1.1),
                  ("sklearn SGD f32 / plainnet, batch 512 (reported)", paired("sgd512", 2), None)]
        flops = mlp_flops(60000, sizes)
        times, peaks = results["sgd512"][0].times, results["sgd512"][3].values
        rates = [flops / t / 1e9 for t in times]
        paired_fraction = median([r / p for r, p in zip(rates, peaks, strict=True)])
        best_fraction = max(rates) / max(peaks)
        print(f"plainnet at batch 512: median {median(rates):.1f}, best {max(rates):.1f} GFLOP/s "
              f"({flops / 1e9:.1f} GFLOP per epoch, no input gradient, epochs timed whole); "
              f"SGEMM 2048³ in the same run: median {median(peaks):.1f}, best {max(peaks):.1f} "
              f"GFLOP/s. Fraction of the peak: best/best {best_fraction:.0%}, median of the "
              f"per-round fractions {paired_fraction:.0%}")
        in_fit = [flops / t / 1e9 for t in results["sgd512"][0].values]
        print(f"  the same with the epoch times fit records itself (History 'time'): median "
              f"{median(in_fit):.1f}, best {max(in_fit):.1f} GFLOP/s -> best/best "
              f"{max(in_fit) / max(peaks):.0%}")
        goals += [("fraction of SGEMM peak, batch 512, best/best >= 0.6", best_fraction, 0.6),
                  ("fraction of SGEMM peak, batch 512, median per round", paired_fraction,
                   None)]
    if "adam128" in results:
        goals.append(("PyTorch / plainnet, Adam batch 128 (reported)", paired("adam128", 1),
                      None))
    if "defaults" in results:
        goals.append(("sklearn defaults / plainnet >= 3", paired("defaults", 1), 3.0))
    if "tiny" in results:
        its = [args.tiny_iterations / median(w.times) for w in results["tiny"]]
        print(f"tiny net iterations/s: plainnet train_step {its[0]:.0f}, plainnet fit "
              f"{its[1]:.0f}, torch {its[2]:.0f}")
        goals += [("tiny net: plainnet train_step it/s / torch >= 3", paired("tiny", 2), 3.0),
                  ("tiny net: plainnet fit it/s / torch (reported)", paired("tiny", 2, 1), None)]
    imp, heavy = import_time()
    print(f"import plainnet: {imp * 1000:.0f} ms (median of 5 fresh interpreters, NumPy "
          f"included); heavy modules loaded: {', '.join(heavy) or 'none'}")
    goals.append(("import plainnet seconds <= 0.3", imp, -0.3))

    print("\n## Goals (time ratios: the median over rounds of peer / plainnet in that round; "
          "'best' columns above: fastest epoch / fastest epoch)")
    for text, value, goal in goals:
        if goal is None:
            verdict = "reported"
        elif goal > 0:
            verdict = "MET" if value >= goal else "NOT MET"
        else:
            verdict = "MET" if value <= -goal else "NOT MET"
        print(f"  {text:54s} {value:8.3f}  {verdict}")


if __name__ == "__main__":
    main()
