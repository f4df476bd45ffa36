"""plainnet's MLPClassifier against scikit-learn's, each with its library's default settings.

    python bench/bench_estimators.py                                   # the full run
    python bench/bench_estimators.py --train-size 2000 --max-iter 5    # a quick look

On the digits (scikit-learn's, 1,438 training and 359 test images) and on Fashion-MNIST
(60,000 and 10,000, from Debian's ``dataset-fashion-mnist``), both estimators are built
with nothing but ``random_state`` (so: 100 ReLU units, Adam at 1e-3, batches of 200, up to
200 epochs, stopping when the loss improves by less than 1e-4 for 10 epochs) and fitted on
the same data, float32 as plainnet's loaders give it (``--input float64``: as scikit-learn's
``load_digits`` gives it); both then train in the input's dtype, and they draw the same
initial weights. ``--sklearn-input float64`` gives scikit-learn float64 and plainnet
float32, what each library's own loaders hand a user (scikit-learn then trains in float64).

Each fit runs in this process, the two libraries alternating, ``--repeats`` times; the
script reports the median fit time (wall, and the process's CPU time, which a busy machine
disturbs less) of each, the ratio scikit-learn / plainnet (above 1: plainnet is faster),
the epochs run and the test accuracy, and says whether plainnet trained at least 2x faster
at the same accuracy (not lower by more than ``--accuracy-tolerance``).

``--max-iter`` and ``--train-size`` change the defaults, for a quick check only: the
verdict then says that it was not a run with the defaults. The CPU and the BLAS (as
threadpoolctl sees it) are printed first, as in bench_mlp.py.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

SRC = Path(__file__).resolve().parents[1] / "src"
#: plainnet must train at least this many times faster
TARGET = 2.0


def cpu_model() -> str:
    """The CPU's model name (Linux: /proc/cpuinfo), else what platform says."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_info() -> list[str]:
    from threadpoolctl import threadpool_info

    return [f"{lib.get('internal_api')} {lib.get('version')} ({lib.get('architecture')}, "
            f"{lib.get('num_threads')} threads, {lib.get('prefix')})"
            for lib in threadpool_info()]


def load(name: str, train_size: int | None, dtype: str) -> tuple[np.ndarray, ...]:
    from plainnet.datasets import load as load_dataset

    (X, y), (X_test, y_test) = load_dataset(name)
    if train_size is not None:
        X, y = X[:train_size], y[:train_size]
    return X.astype(dtype), y, X_test.astype(dtype), y_test


def fit_once(make, X, y, X_test, y_test) -> dict[str, float]:
    est = make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter: reported as epochs
        start, cpu = time.perf_counter(), time.process_time()
        est.fit(X, y)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu, "epochs": est.n_iter_,
            "accuracy": float(np.mean(est.predict(X_test) == y_test))}


def compare(name: str, args: argparse.Namespace) -> bool:
    from sklearn.neural_network import MLPClassifier as SkMLPClassifier

    from plainnet.estimators import MLPClassifier

    data = {"plainnet": load(name, args.train_size, args.input),
            "scikit-learn": load(name, args.train_size, args.sklearn_input or args.input)}
    X, X_test = data["plainnet"][0], data["plainnet"][2]
    settings = {"random_state": 0}
    if args.max_iter is not None:
        settings["max_iter"] = args.max_iter
    makers = {"plainnet": lambda: MLPClassifier(**settings),
              "scikit-learn": lambda: SkMLPClassifier(**settings)}
    runs: dict[str, list[dict[str, float]]] = {lib: [] for lib in makers}
    print(f"\n{name}: {X.shape[0]} training, {X_test.shape[0]} test samples of {X.shape[1]} "
          f"features; settings {settings}; input {X.dtype} to plainnet, "
          f"{data['scikit-learn'][0].dtype} to scikit-learn", flush=True)
    for r in range(args.repeats):
        order = list(makers) if r % 2 == 0 else list(makers)[::-1]  # alternate who goes first
        for lib in order:
            run = fit_once(makers[lib], *data[lib])
            runs[lib].append(run)
            print(f"  {lib:>12}: {run['seconds']:8.2f} s (CPU {run['cpu']:.2f} s), "
                  f"{run['epochs']:3d} epochs, "
                  f"test accuracy {run['accuracy']:.4f}", flush=True)
    med = {lib: {k: statistics.median(run[k] for run in rs) for k in rs[0]}
           for lib, rs in runs.items()}
    ours, theirs = med["plainnet"], med["scikit-learn"]
    ratio = theirs["seconds"] / ours["seconds"]
    per_epoch = (theirs["seconds"] / theirs["epochs"]) / (ours["seconds"] / ours["epochs"])
    same = ours["accuracy"] >= theirs["accuracy"] - args.accuracy_tolerance
    print(f"  median fit: plainnet {ours['seconds']:.2f} s, scikit-learn {theirs['seconds']:.2f}"
          f" s: scikit-learn / plainnet = {ratio:.2f} (per epoch {per_epoch:.2f}; CPU time "
          f"{theirs['cpu'] / ours['cpu']:.2f})")
    print(f"  test accuracy: plainnet {ours['accuracy']:.4f}, scikit-learn "
          f"{theirs['accuracy']:.4f} (plainnet's is {'' if same else 'NOT '}the same or "
          f"better, within {args.accuracy_tolerance})")
    return ratio >= TARGET and same


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["digits", "fashion-mnist"],
                        choices=["digits", "fashion-mnist"])
    parser.add_argument("--repeats", type=int, default=3, help="fits per library and data set")
    parser.add_argument("--max-iter", type=int, help="not the default: for a quick check")
    parser.add_argument("--train-size", type=int, help="first N training samples only")
    parser.add_argument("--accuracy-tolerance", type=float, default=0.01)
    parser.add_argument("--input", choices=["float32", "float64"], default="float32",
                        help="the dtype of the data both get")
    parser.add_argument("--sklearn-input", choices=["float32", "float64"],
                        help="scikit-learn's data in another dtype than plainnet's")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(SRC))
    import sklearn

    import plainnet

    print(f"CPU: {cpu_model()}; Python {platform.python_version()}, NumPy {np.__version__}, "
          f"scikit-learn {sklearn.__version__}, plainnet {plainnet.__version__} "
          f"({Path(plainnet.__file__).parent})")
    for line in blas_info():
        print(f"BLAS: {line}")
    verdicts = {name: compare(name, args) for name in args.datasets}
    defaults = args.max_iter is None and args.train_size is None
    print()
    for name, ok in verdicts.items():
        print(f"{name}: plainnet {'is' if ok else 'is NOT'} at least {TARGET:g}x faster at the "
              f"same accuracy" + ("" if defaults else " (NOT a run with the defaults: "
                                                       "--max-iter/--train-size were given)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
