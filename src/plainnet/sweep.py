"""Hyperparameter sweeps: every combination of a grid, one ``plainnet train`` run each, fanned
out over a Dask distributed cluster.

GRID.toml holds fixed settings at its top level, with the keys of the ``plainnet train``
options, and a ``[grid]`` table of lists; each combination of the lists is one run::

    dataset = "digits"
    epochs = 10
    [grid]
    hidden = [[16], [64]]
    lr = [0.001, 0.01]

The runs go to a ``LocalCluster`` on this machine (``workers`` processes of one thread
each) or to an existing scheduler. Each run is :func:`plainnet.jobs.train_job` on a worker;
the client prints a line as each run finishes and rewrites ``DIR/results.csv`` (one row a
run: its parameters, validation and test accuracy, loss, seconds, status, error) and
``DIR/best.npz`` (the run of highest validation accuracy so far). A run that fails is
recorded as failed, with its error, and the others go on.

Dask is imported only when a sweep starts, so that ``import plainnet`` stays light.
``plainnet sweep`` (in :mod:`plainnet.cli`) calls :func:`sweep`, and so does
``python -m plainnet.sweep``.
"""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import itertools
import json
import os
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from .checks import check_number
from .jobs import resolve_options, train_job
from .saving.model_file import atomic_write

#: the columns of results.csv after the run number and the grid's parameters
RESULT_COLUMNS = ("val_accuracy", "test_accuracy", "loss", "seconds", "status", "error")


def _distributed() -> Any:
    """``dask.distributed``, imported when a sweep starts; the dask extra installs it."""
    try:
        import dask.distributed
    except ImportError:
        raise ImportError("sweeps need Dask: pip install 'plainnet[dask]'") from None
    return dask.distributed


def _tomllib() -> Any:
    try:
        import tomllib  # Python 3.11+
    except ImportError:  # pragma: no cover - Python 3.10: the dask extra installs tomli
        import tomli as tomllib
    return tomllib


def read_grid(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """The fixed settings and the ``[grid]`` lists of a GRID.toml file.

    Raises ValueError naming the file and the key when the file is not TOML, ``[grid]``
    is not a table, a grid value is not a non-empty list, or a key is both fixed and in
    the grid.
    """
    tomllib = _tomllib()
    with open(path, "rb") as f:
        try:
            fixed = tomllib.load(f)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: not a valid TOML file ({exc})") from None
    grid = fixed.pop("grid", {})
    if not isinstance(grid, dict):
        raise ValueError(f"{path}: 'grid' must be a table ([grid]) of lists, got {grid!r}")
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ValueError(f"{path}: [grid] {key} must be a non-empty list of values, "
                             f"got {values!r}")
    both = sorted(set(fixed) & set(grid))
    if both:
        raise ValueError(f"{path}: {both} both fixed at the top level and listed in [grid]; "
                         "keep each key in one place")
    return fixed, grid


def expand(fixed: Mapping[str, Any], grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """One options dict per combination of the grid's lists, in the order of the file.

    >>> expand({"epochs": 5}, {"hidden": [[16], [64]], "lr": [0.001, 0.01]})[1]
    {'epochs': 5, 'hidden': [16], 'lr': 0.01}
    """
    keys = list(grid)
    return [{**fixed, **dict(zip(keys, combination, strict=True))}
            for combination in itertools.product(*(grid[k] for k in keys))]


def run(options: Mapping[str, Any]) -> dict[str, Any]:
    """One run, on a worker: ``train_job(options)``, never raising.

    Returns the measurements of RESULT_COLUMNS and the trained ``network`` (None when the
    run failed; then ``error`` says why).
    """
    start = time.perf_counter()
    try:
        result = train_job(options, verbose=0)
    except Exception as exc:  # the sweep goes on: the error is the result
        return _failed(exc, time.perf_counter() - start)
    return {
        "val_accuracy": result["val_accuracy"],
        "test_accuracy": result["test_accuracy"],
        "loss": result["loss"],
        "seconds": result["seconds"],
        "status": "interrupted" if result["interrupted"] else "ok",
        "error": "",
        "network": result["network"],
    }


def _failed(exc: BaseException, seconds: float | None = None) -> dict[str, Any]:
    message = " ".join(str(exc).split()) or type(exc).__name__
    return {"val_accuracy": None, "test_accuracy": None, "loss": None, "seconds": seconds,
            "status": "failed", "error": f"{type(exc).__name__}: {message}", "network": None}


def _score(result: Mapping[str, Any]) -> float | None:
    """What picks the best run: validation accuracy, or test accuracy without a validation
    split (val_split = 0)."""
    if result["status"] != "ok":
        return None
    score = result["val_accuracy"]
    return result["test_accuracy"] if score is None else score


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    return json.dumps(value) if isinstance(value, (list, dict)) else value


def write_results(path: Path, keys: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    """Write results.csv: run, the grid's keys, then RESULT_COLUMNS. Written as
    :func:`plainnet.saving.model_file.atomic_write` writes, so an interrupted write leaves
    the last complete file."""
    with atomic_write(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["run", *keys, *RESULT_COLUMNS])
        for row in rows:
            writer.writerow([row["run"], *(_cell(row[k]) for k in keys),
                             *(_cell(row[c]) for c in RESULT_COLUMNS)])


@contextlib.contextmanager
def _client(scheduler: str | None, workers: int | None, file: TextIO) -> Iterator[Any]:
    """A Dask client: of the scheduler at ``scheduler``, or of a new LocalCluster of
    ``workers`` single-threaded processes, closed on exit."""
    distributed = _distributed()
    Client, LocalCluster = distributed.Client, distributed.LocalCluster
    if scheduler is not None:
        with Client(scheduler) as client:
            n = len(client.scheduler_info().get("workers", {}))
            print(f"Cluster: scheduler {scheduler} with {n} workers", file=file, flush=True)
            yield client
        return
    # a dashboard only where its package (bokeh) is installed; ":0" picks a free port
    dashboard = ":0" if importlib.util.find_spec("bokeh") else None
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=dashboard) as cluster, Client(cluster) as client:
        where = f", dashboard {client.dashboard_link}" if dashboard else ""
        print(f"Cluster: LocalCluster with {workers} worker processes{where}", file=file,
              flush=True)
        yield client


def sweep(
    grid_path: str | os.PathLike,
    out: str | os.PathLike,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    file: TextIO | None = None,
) -> list[dict[str, Any]]:
    """Run every combination of ``grid_path``'s grid on a Dask cluster; write
    ``out/results.csv`` and ``out/best.npz``. Returns the rows of results.csv, by run.

    ``workers`` (default: the number of CPU cores) sizes the LocalCluster started when no
    ``scheduler`` address is given. Every run's options are checked before any starts.
    """
    file = sys.stdout if file is None else file
    if scheduler is not None and workers is not None:
        raise ValueError("workers sizes a new LocalCluster; with scheduler="
                         f"{scheduler!r} the cluster's own workers run the sweep")
    if workers is None:
        workers = os.cpu_count() or 1
    check_number("workers", workers, low=1, integer=True)
    fixed, grid = read_grid(grid_path)
    runs = expand(fixed, grid)
    for i, options in enumerate(runs):
        try:
            resolve_options(options)
        except ValueError as exc:
            raise ValueError(f"{grid_path}: run {i} ({_describe(options, grid)}): {exc}"
                             ) from None
    out = Path(out)
    keys = list(grid)
    rows: list[dict[str, Any] | None] = [None] * len(runs)
    best: tuple[float, int] | None = None

    as_completed = _distributed().as_completed
    with _client(scheduler, workers, file) as client:
        out.mkdir(parents=True, exist_ok=True)
        print(f"Sweep: {len(runs)} runs of {grid_path}, results in {out}", file=file,
              flush=True)
        futures = {client.submit(run, options, pure=False): i for i, options in enumerate(runs)}
        for done, future in enumerate(as_completed(futures), start=1):
            i = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # the worker itself died (KilledWorker) or vanished
                result = _failed(exc)
            network = result.pop("network")  # only the best run's network is kept, on disk
            rows[i] = {"run": i, **{k: runs[i][k] for k in keys}, **result}
            score = _score(result)
            if score is not None and (best is None or (score, -i) > best):
                best = (score, -i)
                network.save(out / "best.npz")
            write_results(out / "results.csv", keys, [r for r in rows if r is not None])
            print(f"[{done}/{len(runs)}] {_line(rows[i], grid)}", file=file, flush=True)
    if best is None:
        print(f"No run succeeded: {out / 'best.npz'} was not written", file=file, flush=True)
    else:
        print(f"Best: run {-best[1]} ({_describe(runs[-best[1]], grid)}), saved to "
              f"{out / 'best.npz'}", file=file, flush=True)
    return [r for r in rows if r is not None]


def _describe(options: Mapping[str, Any], grid: Mapping[str, Any]) -> str:
    return " ".join(f"{k}={json.dumps(options[k])}" for k in grid) or "fixed settings"


def _line(row: Mapping[str, Any], grid: Mapping[str, Any]) -> str:
    head = f"run {row['run']} {_describe(row, grid)}: {row['status']}"
    if row["status"] == "failed":
        return f"{head} - {row['error']}"
    parts = [f"{c} {row[c]:.4f}" for c in ("val_accuracy", "test_accuracy", "loss")
             if row[c] is not None]
    return f"{head}, {', '.join(parts)} ({row['seconds']:.2f} s)"


if __name__ == "__main__":  # a library: say which command runs a sweep (cli is not imported)
    print("plainnet.sweep is a library; run a sweep with: plainnet sweep GRID.toml --out DIR "
          "(or python -m plainnet sweep ...)", file=sys.stderr)
    sys.exit(2)
