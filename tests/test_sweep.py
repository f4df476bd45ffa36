"""plainnet.sweep and scikit-learn on Dask: each on a two-worker LocalCluster."""

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from plainnet import sweep as sweep_module
from plainnet.sweep import RESULT_COLUMNS, expand, read_grid, sweep, write_results

SRC = Path(__file__).resolve().parents[1] / "src"

GRID = """\
dataset = "digits"
epochs = 3
optimizer = "sgd"
val_split = 0.2

[grid]
hidden = [[8], [16]]
lr = [0.1, 1e30]  # 1e30 diverges: those runs fail, and the sweep goes on
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "grid.toml"
    path.write_text(text)
    return path


# --- the grid file: no cluster needed -------------------------------------------------------

def test_read_grid_and_expand(tmp_path):
    fixed, grid = read_grid(_write(tmp_path, GRID))
    assert fixed == {"dataset": "digits", "epochs": 3, "optimizer": "sgd", "val_split": 0.2}
    runs = expand(fixed, grid)
    assert [(r["hidden"], r["lr"]) for r in runs] == [([8], 0.1), ([8], 1e30), ([16], 0.1),
                                                     ([16], 1e30)]
    assert all(r["epochs"] == 3 for r in runs)


def test_no_grid_is_one_run(tmp_path):
    fixed, grid = read_grid(_write(tmp_path, 'dataset = "digits"\n'))
    assert expand(fixed, grid) == [{"dataset": "digits"}]


@pytest.mark.parametrize(("text", "match"), [
    ("epochs = \n", "not a valid TOML"),
    ("grid = 3\n", "must be a table"),
    ("[grid]\nlr = 0.1\n", r"\[grid\] lr must be a non-empty list"),
    ("[grid]\nlr = []\n", r"\[grid\] lr must be a non-empty list"),
    ("lr = 0.1\n[grid]\nlr = [0.1]\n", "both fixed"),
])
def test_bad_grid_files_are_refused(tmp_path, text, match):
    with pytest.raises(ValueError, match=match):
        read_grid(_write(tmp_path, text))


@pytest.mark.parametrize(("text", "match"), [
    ("[grid]\nlearning_rate = [0.1]\n", "run 0 .*unknown training option"),
    ("[grid]\nlr = [0.1, -1.0]\n", "run 1 .*lr must be"),
])
def test_bad_options_fail_before_any_cluster_starts(tmp_path, text, match):
    with pytest.raises(ValueError, match=match):
        sweep(_write(tmp_path, text), tmp_path / "out", workers=2)
    assert not (tmp_path / "out").exists()


def test_scheduler_and_workers_are_exclusive(tmp_path):
    with pytest.raises(ValueError, match="workers"):
        sweep(_write(tmp_path, GRID), tmp_path / "out", scheduler="tcp://x:1", workers=2)


def test_sweep_command_reports_a_bad_grid_in_one_line(tmp_path):
    grid = _write(tmp_path, "[grid]\nlr = 0.1\n")
    proc = subprocess.run([sys.executable, "-m", "plainnet", "sweep", str(grid), "--out",
                           str(tmp_path / "out")], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(SRC)}, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith("plainnet sweep: error:") and proc.stderr.count("\n") == 1
    assert "[grid] lr must be a non-empty list" in proc.stderr


def test_the_sweep_module_is_a_library_and_says_which_command_runs_a_sweep():
    proc = subprocess.run([sys.executable, "-m", "plainnet.sweep", "--help"],
                          capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(SRC)}, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "run a sweep with: plainnet sweep GRID.toml --out DIR" in proc.stderr


def test_a_missing_dask_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask", None)  # `import dask` now raises ImportError
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(ImportError, match=r"^sweeps need Dask: pip install 'plainnet\[dask\]'$"):
        sweep(_write(tmp_path, GRID), tmp_path / "out", workers=2)


def _row(run, status="ok"):
    return {"run": run, "lr": 0.1, "val_accuracy": 0.9, "test_accuracy": 0.8, "loss": 0.3,
            "seconds": 1.5, "status": status, "error": ""}


def test_results_are_written_atomically_with_the_umask_s_mode(tmp_path, monkeypatch):
    path = tmp_path / "results.csv"
    write_results(path, ["lr"], [_row(0)])
    umask = os.umask(0o022)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # as open() would have made it
    before = path.read_bytes()
    assert before.decode().splitlines() == [",".join(["run", "lr", *RESULT_COLUMNS]),
                                            "0,0.1,0.9,0.8,0.3,1.5,ok,"]

    class Crash:
        def __init__(self, f):
            self.f = f

        def writerow(self, row):
            if row[0] == 1:
                raise OSError("disk full")
            self.f.write(",".join(map(str, row)) + "\n")

    monkeypatch.setattr(sweep_module.csv, "writer", Crash)
    with pytest.raises(OSError, match="disk full"):
        write_results(path, ["lr"], [_row(0), _row(1)])
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.csv"]


# --- on a cluster ---------------------------------------------------------------------------

@pytest.mark.slow
def test_sweep_command_on_a_two_worker_local_cluster(tmp_path):
    from plainnet import load
    from plainnet.datasets import load as load_data

    grid = _write(tmp_path, GRID)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.run([sys.executable, "-m", "plainnet", "sweep", str(grid), "--out",
                           str(out), "--workers", "2"], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "LocalCluster with 2 worker processes" in proc.stdout
    progress = [line for line in proc.stdout.splitlines() if line.startswith("[")]
    assert [line[:5] for line in progress] == ["[1/4]", "[2/4]", "[3/4]", "[4/4]"]

    with open(out / "results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["run", "hidden", "lr", "val_accuracy", "test_accuracy", "loss",
                             "seconds", "status", "error"]
    assert [(r["run"], r["hidden"], r["status"]) for r in rows] == [
        ("0", "[8]", "ok"), ("1", "[8]", "failed"), ("2", "[16]", "ok"), ("3", "[16]", "failed")]
    for row in rows:
        if row["status"] == "ok":
            assert float(row["val_accuracy"]) > 0.3 and row["error"] == ""  # chance: 0.1
            assert float(row["loss"]) > 0 and float(row["seconds"]) >= 0
        else:
            assert "DivergenceError" in row["error"] and row["test_accuracy"] == ""

    ok = [r for r in rows if r["status"] == "ok"]
    best = max(ok, key=lambda r: float(r["val_accuracy"]))
    network = load(out / "best.npz")
    assert network.n_inputs == 64 and network.layers[0].fan_out == int(best["hidden"][1:-1])
    _, (X_test, y_test) = load_data("digits")
    assert network.evaluate(X_test, y_test)["accuracy"] == pytest.approx(
        float(best["test_accuracy"]))


@pytest.mark.slow
def test_sweep_on_an_existing_scheduler(tmp_path):
    from dask.distributed import LocalCluster

    grid = _write(tmp_path, 'dataset = "circles"\nepochs = 2\n[grid]\nhidden = [[4], [8]]\n')
    log = io.StringIO()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        rows = sweep(grid, tmp_path / "out", scheduler=cluster.scheduler_address, file=log)
    assert f"scheduler {cluster.scheduler_address} with 2 workers" in log.getvalue()
    assert [(r["run"], r["hidden"], r["status"]) for r in rows] == [(0, [4], "ok"),
                                                                    (1, [8], "ok")]
    assert (tmp_path / "out" / "best.npz").exists()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_grid_search_cv_through_joblibs_dask_backend():
    """scikit-learn's GridSearchCV on plainnet's estimator, its fits run by Dask workers."""
    import joblib
    from dask.distributed import Client, LocalCluster, get_task_stream
    from sklearn.datasets import load_digits
    from sklearn.model_selection import GridSearchCV

    from plainnet.estimators import MLPClassifier

    X, y = load_digits(return_X_y=True)
    X, y = X[:600] / 16.0, y[:600]
    params = {"hidden_layer_sizes": [(8,), (32,)], "learning_rate_init": [0.001, 0.01]}

    def search():
        return GridSearchCV(MLPClassifier(max_iter=10, random_state=0), params, cv=3,
                            n_jobs=-1)

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        with get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
            on_dask = search().fit(X, y)
    assert len(tasks.data) >= 12  # 4 candidates x 3 folds, run as tasks on the workers

    here = search().set_params(n_jobs=1).fit(X, y)
    assert on_dask.best_params_ == here.best_params_
    np.testing.assert_allclose(on_dask.cv_results_["mean_test_score"],
                               here.cv_results_["mean_test_score"])
    assert on_dask.best_score_ > 0.6  # chance: 0.1
