"""The ``plainnet`` command: train, evaluate, predict, datasets, gradcheck, sweep, playground.

Each subcommand is a pair of functions, ``_<name>_arguments(parser)`` and
``_<name>(args) -> exit status``, listed in :data:`COMMANDS`. Errors a user can
make end with one line on stderr and no traceback: exit status 2 for a bad
command line (an unknown option, data set or name, a bad number), 1 for a file
that is missing or broken or a run that failed (divergence), 130 after Ctrl-C.

Every parser, argument and exit status lives here. ``sweep`` and ``playground`` are libraries
(:func:`plainnet.sweep.sweep`, :func:`plainnet.playground.serve`) that these commands call;
nothing in plainnet imports this module but the ``__main__`` modules.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import numpy as np

from . import __version__
from .datasets.images import IMAGE_SUFFIXES

EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130
T = TypeVar("T")
PLOT_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg")
IMAGE_TYPES = ", ".join(IMAGE_SUFFIXES)  # for the help and the messages of predict


class UsageError(ValueError):
    """A bad command line: reported in one line, exit status 2."""


class CommandError(Exception):
    """A command that cannot go on, e.g. with a model file it cannot use: one line, exit
    status 1."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line (no usage block) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _positive(kind: Callable[[str], Any], allow_zero: bool = False) -> Callable[[str], Any]:
    """An argparse type: a number of ``kind`` > 0 (or >= 0)."""
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid {kind.__name__} value: {text!r}") from None
        if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
            bound = ">= 0" if allow_zero else "> 0"
            raise argparse.ArgumentTypeError(f"must be a finite number {bound}, got {text!r}")
        return value
    parse.__name__ = kind.__name__
    return parse


def _fraction(text: str) -> float:
    value = _positive(float, allow_zero=True)(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"must be a fraction in [0, 1), got {text!r}")
    return value


def _writable(path: str | None, option: str, example: str, suffixes: Sequence[str] = ()
              ) -> None:
    """Refuse, before any work, an output that is a directory, whose directory is missing
    or whose suffix cannot be written; ``example`` is a file name to suggest."""
    if not path:
        return
    if Path(path).is_dir():
        raise UsageError(f"{option} {path} is a directory; give a file name, e.g. "
                         f"{Path(path) / example}")
    parent = Path(path).parent
    if not parent.is_dir():
        raise UsageError(f"{option} {path}: the directory {str(parent)!r} does not exist")
    if suffixes and Path(path).suffix.lower() not in suffixes:
        raise UsageError(f"{option} {path}: the file name must end in one of "
                         f"{', '.join(suffixes)}")


def _load_model(path: str) -> Any:
    from .network import load

    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no such model file")
    return load(path)


def _save_plot(fig: Any, path: str) -> None:
    fig.savefig(path, dpi=100)
    print(f"Wrote {path}")


# --- train -----------------------------------------------------------------------------------

def _train_arguments(p: argparse.ArgumentParser) -> None:
    from .jobs import DEFAULTS

    d = DEFAULTS
    p.add_argument("--dataset", default=d["dataset"], metavar="NAME",
                   help=f"data set name (default: {d['dataset']}; see 'plainnet datasets')")
    p.add_argument("--path", metavar="PATH",
                   help="directory or file of the data set, for sets that need one")
    p.add_argument("--hidden", type=_positive(int), nargs="+", default=d["hidden"],
                   metavar="N", help=f"hidden layer widths (default: {d['hidden'][0]})")
    p.add_argument("--activation", default=d["activation"], metavar="NAME",
                   help=f"hidden activation: relu, leaky_relu, tanh, sigmoid (default: "
                        f"{d['activation']})")
    p.add_argument("--optimizer", default=d["optimizer"], metavar="NAME",
                   help=f"sgd, adam or rmsprop (default: {d['optimizer']})")
    p.add_argument("--lr", type=_positive(float), default=d["lr"], metavar="X",
                   help=f"learning rate (default: {d['lr']})")
    p.add_argument("--epochs", type=_positive(int), default=d["epochs"], metavar="N",
                   help=f"epochs (default: {d['epochs']})")
    p.add_argument("--batch-size", type=_positive(int), default=d["batch_size"], metavar="N",
                   help=f"mini-batch size (default: {d['batch_size']})")
    p.add_argument("--weight-decay", type=_positive(float, allow_zero=True),
                   default=d["weight_decay"], metavar="X", help="L2 weight decay (default: 0)")
    p.add_argument("--val-split", type=_fraction, default=d["val_split"], metavar="F",
                   help=f"share of the training set held out for validation (default: "
                        f"{d['val_split']})")
    p.add_argument("--seed", type=_positive(int, allow_zero=True), default=d["seed"],
                   metavar="N",
                   help=f"seed for weights, split and shuffling (default: {d['seed']})")
    p.add_argument("--device", default=d["device"], choices=["cpu", "cuda"],
                   help="where to train: cpu (NumPy) or cuda (an NVIDIA GPU through CuPy: "
                        'pip install "plainnet[gpu]"); default: %(default)s')
    p.add_argument("--out", default="model.npz", metavar="FILE",
                   help="model file to write (default: model.npz)")
    p.add_argument("--plot", default="curves.png", metavar="FILE",
                   help="loss and accuracy curves to write (default: curves.png)")
    p.add_argument("--no-out", action="store_true", help="do not write a model file")
    p.add_argument("--no-plot", action="store_true", help="do not write the curves")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no summary and no progress; only the results")


def _train(args: argparse.Namespace) -> int:
    from .jobs import DEFAULTS, resolve_options, train_job

    options = {key: getattr(args, key) for key in DEFAULTS}
    try:
        resolve_options(options)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    from .backend import device_library

    device_library(args.device)  # no GPU, or no CuPy: said before any work
    out = None if args.no_out else args.out
    plot = None if args.no_plot else args.plot
    _writable(out, "--out", "model.npz")
    _writable(plot, "--plot", "curves.png", PLOT_SUFFIXES)

    result = _quiet_if_diverged(lambda: train_job(options, verbose=0 if args.quiet else 1,
                                                  out=out, summary=not args.quiet))
    for part in ("val", "test"):
        if result[f"{part}_accuracy"] is not None:
            print(f"{'Validation' if part == 'val' else 'Test'} accuracy: "
                  f"{result[f'{part}_accuracy']:.4f}  (loss {result[f'{part}_loss']:.4f})")
    if out:
        print(f"Wrote {out}")
    if plot and result["epochs"]:
        from .plotting import plot_history

        _save_plot(plot_history(result["history"]), plot)
    if result["interrupted"]:
        kept = f"; saved the model so far to {out}" if out else ""
        print(f"plainnet train: {result['stop_reason'] or 'interrupted (Ctrl-C)'}{kept}",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


# --- evaluate --------------------------------------------------------------------------------

def _evaluate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="model file (.npz)")
    p.add_argument("--dataset", help="data set whose test split to use (default: the one the "
                                     "model was trained on)")
    p.add_argument("--path", help="directory or file of the data set")
    p.add_argument("--plot", help="write the confusion matrix as a picture (e.g. cm.png)")


def _confusion_text(C: np.ndarray) -> str:
    """The confusion matrix as aligned text: rows true classes, columns predicted."""
    k = len(C)
    width = max(len(str(C.max())), len(str(k - 1)), 3)
    lines = ["true \\ predicted", " " * 5 + " ".join(f"{j:>{width}}" for j in range(k))]
    lines += [f"{i:>4} " + " ".join(f"{v:>{width}}" for v in row) for i, row in enumerate(C)]
    return "\n".join(lines)


def _evaluate(args: argparse.Namespace) -> int:
    from . import datasets
    from .metrics import confusion_matrix

    _writable(args.plot, "--plot", "confusion.png", PLOT_SUFFIXES)
    network = _load_model(args.model)
    name = args.dataset or network.metadata.get("dataset")
    if name is None:
        raise UsageError(f"{args.model} does not record the data set it was trained on; "
                         "pass --dataset NAME")
    try:
        datasets.metadata(name)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    path = args.path or (network.metadata.get("path") if not args.dataset else None)
    _, (X, y) = datasets.load(name, path=path)
    if X.shape[1] != network.n_inputs:
        raise UsageError(f"data set {name!r} has {X.shape[1]} features, the model "
                         f"{args.model} takes {network.n_inputs}")
    if not network.classifier:
        print(f"{args.model} on {name} (test split, {len(X)} samples)")
        print(f"Loss: {network.evaluate(X, y)['loss']:.4f}")
        return 0
    scores = network.evaluate(X, y)
    y_pred = network.predict(X)
    k = max(int(y.max()), int(y_pred.max()), network.n_outputs - 1) + 1
    C = confusion_matrix(y, y_pred, n_classes=k)
    print(f"{args.model} on {name} (test split, {len(X)} samples)")
    print(f"Loss: {scores['loss']:.4f}")
    print(f"Accuracy: {scores['accuracy']:.4f}")
    print("Per-class accuracy:")
    for c in range(k):
        n_c = int(C[c].sum())
        acc = f"{C[c, c] / n_c:.4f}" if n_c else "   -  "
        print(f"  class {c:>2}: {acc}  ({C[c, c]}/{n_c})")
    print("Confusion matrix:")
    print(_confusion_text(C))
    if args.plot:
        from .plotting import plot_confusion_matrix

        # the classes of the printed matrix, even those neither in y nor predicted
        _save_plot(plot_confusion_matrix(y, y_pred, class_names=[str(c) for c in range(k)]),
                   args.plot)
    return 0


# --- predict ---------------------------------------------------------------------------------

def _predict_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="model file (.npz)")
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help=f".npy or .csv files of rows, or images ({IMAGE_TYPES}) for "
                        "models trained on images; rows of raw pixels (values above 1) are divided "
                        "by the model's pixel_max")
    p.add_argument("--top", type=_positive(int), default=1, metavar="K",
                   help="show the K most likely classes (default: 1)")


def _read_rows(path: str, network: Any) -> np.ndarray:
    """Rows ``(n, n_inputs)`` from a .npy or .csv file (a header line is skipped). Rows of
    raw pixels (values above 1) of an image model are scaled by its ``pixel_max``."""
    from .datasets.tables import read_table
    from .errors import DataFileError

    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no such file")
    suffix = Path(path).suffix.lower()
    if suffix == ".npy":
        rows = _read_npy(path, network.input_shape)
    elif suffix == ".csv":
        rows = read_table(path)
    else:
        raise UsageError(f"{path}: unknown input type {suffix or '(no suffix)'!r}; give .npy "
                         f"or .csv files of rows, or images ({IMAGE_TYPES})")
    if rows.size == 0:
        raise DataFileError(f"{path}: expected rows of numbers, got a table of shape "
                            f"{rows.shape}")
    if rows.shape[1] != network.n_inputs:  # the file does not fit: a file problem, status 1
        raise DataFileError(f"{path}: rows of {rows.shape[1]} values, the model takes "
                            f"{network.n_inputs}")
    rows = rows.astype(np.float64)
    pixel_max = network.metadata.get("pixel_max")
    if pixel_max and rows.max() > 1.0:
        rows = rows / float(pixel_max)
    return rows


def _read_npy(path: str, input_shape: tuple[int, ...]) -> np.ndarray:
    """The rows ``(n, d)`` of a .npy file of finite numbers (one row if it is 1-D; samples
    of the model's ``input_shape``, such as images ``(n, 1, 28, 28)``, as flat rows)."""
    from .errors import DataFileError

    try:
        rows = np.load(path, allow_pickle=False)
    except (ValueError, EOFError) as exc:  # object arrays, truncated files
        raise DataFileError(f"{path}: not a .npy file of numbers ({exc})") from None
    if rows.ndim > 2 and rows.shape[1:] == tuple(input_shape):
        rows = rows.reshape(rows.shape[0], -1)
    if rows.dtype.kind not in "biuf" or rows.ndim not in (1, 2):
        raise DataFileError(f"{path}: expected rows of numbers, got {rows.dtype} of shape "
                            f"{rows.shape}")
    rows = rows.reshape(1, -1) if rows.ndim == 1 else rows  # one row
    finite = np.isfinite(rows).all(axis=1)
    if not finite.all():
        raise DataFileError(f"{path}: row {int(np.flatnonzero(~finite)[0])} (counting from 0) "
                            "holds NaN or infinity")
    return rows


def _predict(args: argparse.Namespace) -> int:
    from .datasets.images import image_shape, read_image

    network = _load_model(args.model)
    rows = []
    for path in args.inputs:
        if Path(path).suffix.lower() in IMAGE_SUFFIXES:
            if not Path(path).is_file():
                raise FileNotFoundError(f"{path}: no such file")
            try:
                image_shape(network.metadata, source=args.model, input_shape=network.input_shape)
            except ValueError as exc:
                raise UsageError(f"{path}: {exc}") from None
            rows.append(read_image(path, network.metadata, network.input_shape)[None, :])
        else:
            rows.append(_read_rows(path, network))
    P = network.predict_proba(np.concatenate(rows))
    if not network.classifier:
        for row in P:
            print(" ".join(f"{v:.6g}" for v in row))
        return 0
    if P.shape[1] == 1:  # one sigmoid unit: P(class 1)
        P = np.column_stack([1 - P[:, 0], P[:, 0]])
    top = min(args.top, P.shape[1])
    order = np.argsort(-P, axis=1, kind="stable")[:, :top]
    for p, classes in zip(P, order, strict=True):
        print("  ".join(f"{c} {p[c]:.4f}" for c in classes))
    return 0


# --- datasets and gradcheck ------------------------------------------------------------------

def _datasets_arguments(p: argparse.ArgumentParser) -> None:
    pass


def _datasets(args: argparse.Namespace) -> int:
    from . import datasets

    sets = datasets.available()
    width = max(map(len, sets))
    print(f"{'name':<{width}}  here  source")
    for name, info in sets.items():
        print(f"{name:<{width}}  {'yes' if info['present'] else 'no ':<4}  {info['source']}")
    return 0


def _gradcheck_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--hidden", type=_positive(int), nargs="+", default=[5, 4], metavar="N",
                   help="hidden layer widths (default: 5 4)")
    p.add_argument("--activation", default="tanh", help="hidden activation (default: tanh)")
    p.add_argument("--inputs", type=_positive(int), default=4, help="input width (default: 4)")
    p.add_argument("--classes", type=_positive(int), default=3,
                   help="classes; 1 means one sigmoid unit (default: 3)")
    p.add_argument("--samples", type=_positive(int), default=20,
                   help="random samples (default: 20)")
    p.add_argument("--seed", type=_positive(int, allow_zero=True), default=0,
                   help="seed (default: 0)")
    p.add_argument("--tolerance", type=_positive(float), default=1e-6,
                   help="largest relative error that passes (default: 1e-6)")


def _gradcheck(args: argparse.Namespace) -> int:
    from .gradcheck import gradcheck
    from .network import mlp

    output = "sigmoid" if args.classes == 1 else "softmax"
    sizes = [args.inputs, *args.hidden, args.classes]
    try:
        network = mlp(sizes, activation=args.activation, output=output, dtype="float64",
                      seed=args.seed)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    rng = np.random.default_rng(args.seed)
    X = rng.normal(size=(args.samples, args.inputs))
    y = rng.integers(0, max(args.classes, 2), size=args.samples)
    errors = gradcheck(network, X, y, max_entries=None)
    print(f"Gradient check of {'-'.join(map(str, sizes))} ({args.activation}, {output}) on "
          f"{args.samples} samples: relative error |backprop - numeric| / (|backprop| + "
          f"|numeric|)")
    for i, layer in enumerate(network.layers):
        if layer.params:
            parts = "  ".join(f"{key}: {errors[f'{i}.{key}']:.2e}" for key in layer.params)
            print(f"  layer {i} {layer!r}: {parts}")
    worst = max(errors.values())
    ok = worst < args.tolerance
    print(f"{'OK' if ok else 'FAILED'}: largest error {worst:.2e} "
          f"({'<' if ok else '>='} {args.tolerance:g})")
    return 0 if ok else EXIT_ERROR


# --- sweep and playground: libraries (sweep.py, playground/) that these commands call ---------

def _sweep_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("grid", metavar="GRID.toml",
                   help="fixed train options at the top level, lists under [grid]")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="directory for results.csv and best.npz (created if missing)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="an existing Dask scheduler, e.g. tcp://host:8786 (default: a "
                        "LocalCluster on this machine)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="worker processes of the LocalCluster (default: the CPU cores)")


def _sweep(args: argparse.Namespace) -> int:
    """Exit status 0 if any run succeeded, 1 if all failed."""
    from .sweep import sweep  # Dask loads when the sweep starts

    rows = sweep(args.grid, args.out, scheduler=args.scheduler, workers=args.workers)
    return 0 if any(row["status"] == "ok" for row in rows) else EXIT_ERROR


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be in [0, 65535] (0: any free port), got {port}")
    return port


def _playground_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=_port, default=8765,
                   help="port to listen on (default: 8765; 0 picks a free one)")
    p.add_argument("--model", metavar="MODEL.npz",
                   help="a model file (plainnet's .npz) for the Draw page; without it a quick "
                        "model is trained on scikit-learn's digits at start-up")


def _playground(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C; status 1 when the model file cannot be used, the address cannot be
    listened on (an OSError) or the web stack is not installed (an ImportError)."""
    from .playground import load_model, serve  # its web stack (an extra) loads in serve

    model = None
    if args.model is not None:
        try:
            model = load_model(args.model)
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot use --model {args.model}: {exc}") from None
    serve(host=args.host, port=args.port, model=model)
    return 0


# --- the command -----------------------------------------------------------------------------

COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None],
                          Callable[[argparse.Namespace], int]]] = {
    "train": ("train an MLP on a data set; write the model and its curves",
              _train_arguments, _train),
    "evaluate": ("loss, accuracy, per-class accuracy and confusion matrix of a model",
                 _evaluate_arguments, _evaluate),
    "predict": (f"predict the class of rows (.npy, .csv) or images ({IMAGE_TYPES})",
                _predict_arguments, _predict),
    "datasets": ("list the data sets and where they come from", _datasets_arguments, _datasets),
    "gradcheck": ("check backpropagation against finite differences on a small network",
                  _gradcheck_arguments, _gradcheck),
    "sweep": ("run a grid of trainings (GRID.toml) on a Dask cluster", _sweep_arguments,
              _sweep),
    "playground": ("start the local web playground: watch a network learn, draw digits",
                   _playground_arguments, _playground),
}

EPILOG = ("exit status: 0 success, 1 a missing or broken file or a failed run, 2 a bad "
          "command line, 130 interrupted (Ctrl-C)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="plainnet", epilog=EPILOG,
                     description="Neural networks in plain NumPy, with backpropagation "
                                 "written out by hand.")
    parser.add_argument("--version", action="version", version=f"plainnet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (summary, add_arguments, run) in COMMANDS.items():
        p = sub.add_parser(name, help=summary, description=summary, epilog=EPILOG)
        add_arguments(p)
        p.set_defaults(run=run, parser=p)
    return parser


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, MemoryError):  # e.g. --hidden 10000000
        text = f"not enough memory: {text}"
    if isinstance(exc, OSError) and exc.filename and str(exc.filename) not in text:
        text = f"{exc.filename}: {text}"
    return " ".join(text.split())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: sys.argv[1:]); returns the exit status."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command is None:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command is None:
        parser.error(f"choose a command: {', '.join(COMMANDS)}")
    if extra:  # said by the subcommand's parser, which names itself
        args.parser.error(f"unrecognized arguments: {' '.join(extra)}")
    prog = f"plainnet {args.command}"
    try:
        return args.run(args)
    except BaseException as exc:
        if os.environ.get("PLAINNET_DEBUG"):
            raise
        status = _exit_status(exc)
        if status is None:  # a bug, not a user's error: the traceback helps
            raise
        if isinstance(exc, KeyboardInterrupt):
            print(f"{prog}: interrupted (Ctrl-C)", file=sys.stderr)
        elif not isinstance(exc, BrokenPipeError):  # `plainnet ... | head`: not an error
            print(f"{prog}: error: {_one_line(exc)}", file=sys.stderr)
        return status


def _quiet_if_diverged(run: Callable[[], T]) -> T:
    """``run()``; the overflow warnings of a diverging run are dropped, since its
    DivergenceError says it all in one line. Other warnings are shown once it ends."""
    from .errors import DivergenceError

    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            return run()
    except DivergenceError:
        caught = []
        raise
    finally:  # outside catch_warnings: shown, not recorded again
        for w in caught:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)


def _exit_status(exc: BaseException) -> int | None:
    """The exit status for an exception a user can cause, None for anything else."""
    from .errors import DataFileError, DeviceError, DivergenceError, ModelFileError

    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, (CommandError, DataFileError, ModelFileError, DivergenceError, OSError,
                        ImportError, MemoryError, DeviceError)):
        return EXIT_ERROR  # the files and the run name themselves in their messages
    if isinstance(exc, ValueError):
        return EXIT_USAGE
    return None
