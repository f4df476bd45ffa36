"""The `plainnet` command, driven through subprocesses as a user would run it."""

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import plainnet as pn
from _pngcheck import check_png
from plainnet import datasets
from plainnet.datasets.images import read_image
from plainnet.metrics import confusion_matrix

SRC = str(Path(__file__).resolve().parents[1] / "src")
ENV = {**os.environ, "PYTHONPATH": SRC}
FASHION = Path("/usr/share/datasets/fashion-mnist")
COMMANDS = ["train", "evaluate", "predict", "datasets", "gradcheck"]


def plainnet(*args, cwd=None, timeout=120):
    return subprocess.run([sys.executable, "-m", "plainnet", *map(str, args)], env=ENV,
                          cwd=cwd, capture_output=True, text=True, timeout=timeout)


def assert_one_line_error(result, status, *fragments):
    assert result.returncode == status, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A small digits model, its curves, and input files for predict."""
    d = tmp_path_factory.mktemp("cli")
    result = plainnet("train", "--hidden", "32", "--epochs", "8", "--out", d / "model.npz",
                      "--plot", d / "curves.png")
    assert result.returncode == 0, result.stderr
    _, (X, y) = datasets.load("digits")
    np.save(d / "rows.npy", X[:4])
    np.savetxt(d / "rows.csv", X[4:6] * 16, delimiter=",", fmt="%g",  # raw 0..16 pixels
               header=",".join(f"p{i}" for i in range(64)), comments="")
    from PIL import Image

    ink_on_paper = (255 - X[0].reshape(8, 8) * 255).round().astype(np.uint8)
    Image.fromarray(ink_on_paper).resize((80, 80), Image.Resampling.NEAREST).save(d / "d.png")
    pn.mlp([2, 4, 2], seed=0).save(d / "toy.npz")  # trained on no images
    (d / "notes.txt").write_text("hello\n")
    (d / "fake.png").write_text("not an image\n")
    np.save(d / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (d / "truncated.npy").write_bytes((d / "rows.npy").read_bytes()[:100])
    (d / "words.csv").write_text("1,2\n3,x\n")
    (d / "empty.csv").write_text("")
    (d / "header.csv").write_text("a,b\n")
    rows = X[:3].copy()
    rows[1, 5] = np.nan
    np.save(d / "nan.npy", rows)
    np.savetxt(d / "nan.csv", rows, delimiter=",", fmt="%g")
    return d, result, X, y


# --- train ------------------------------------------------------------------------------------

@pytest.mark.slow
def test_train_with_no_options_as_the_readme_says(tmp_path):
    result = plainnet("train", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Dense(fan_in=64, fan_out=512" in out and "Total params: 38,410" in out
    assert out.count("Epoch ") == 30 and "Epoch 30/30" in out
    test_accuracy = float(re.search(r"Test accuracy: ([0-9.]+)", out).group(1))
    assert test_accuracy >= 0.95
    network = pn.load(tmp_path / "model.npz")
    _, (X, y) = datasets.load("digits")
    assert network.evaluate(X, y)["accuracy"] == pytest.approx(test_accuracy, abs=1e-4)
    assert network.metadata["dataset"] == "digits"
    assert network.metadata["image_shape"] == [8, 8]
    check_png(tmp_path / "curves.png")
    assert result.stderr == ""


def test_train_options_reach_the_network(work, tmp_path):
    result = plainnet("train", "--dataset", "moons", "--hidden", "12", "7", "--activation",
                      "tanh", "--optimizer", "sgd", "--lr", "0.2", "--epochs", "3",
                      "--batch-size", "50", "--weight-decay", "0.001", "--val-split", "0",
                      "--seed", "3", "--out", tmp_path / "m.npz", "--no-plot", "-q")
    assert result.returncode == 0, result.stderr
    assert "Validation accuracy" not in result.stdout and "Test accuracy" in result.stdout
    assert "Epoch" not in result.stdout and "Layer" not in result.stdout  # quiet
    net = pn.load(tmp_path / "m.npz")
    assert [layer.fan_out for layer in net.layers if isinstance(layer, pn.Dense)] == [12, 7, 2]
    assert isinstance(net.layers[1], pn.Tanh) and isinstance(net.optimizer, pn.SGD)
    assert net.optimizer.lr == 0.2 and net.optimizer.weight_decay == 0.001
    assert len(net.history) == 3 and not (tmp_path / "curves.png").exists()


def test_a_csv_model_is_evaluated_on_its_recorded_files(work, tmp_path):
    _, _, X, y = work
    data = tmp_path / "data"
    data.mkdir()
    rows = np.column_stack([y, np.round(X * 16)]).astype(int)
    np.savetxt(data / "my_train.csv", rows[:300], fmt="%d", delimiter=",")
    np.savetxt(data / "my_test.csv", rows[300:], fmt="%d", delimiter=",")
    trained = plainnet("train", "--dataset", "csv", "--path", "data", "--hidden", "16",
                       "--epochs", "2", "--out", "csv.npz", "--no-plot", "-q", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = plainnet("evaluate", tmp_path / "csv.npz", cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert f"on csv (test split, {len(rows) - 300} samples)" in result.stdout
    test_accuracy = re.search(r"Test accuracy: ([0-9.]+)", trained.stdout).group(1)
    assert f"Accuracy: {test_accuracy}" in result.stdout


def test_train_writes_the_curves(work):
    d, result, _, _ = work
    check_png(d / "curves.png")
    assert "Wrote" in result.stdout and "curves.png" in result.stdout


def test_train_jobs_api_returns_the_measures():
    from plainnet.jobs import train_job

    result = train_job({"dataset": "circles", "hidden": 6, "epochs": 2, "val-split": 0.2})
    assert result["epochs"] == 2 and not result["interrupted"]
    assert 0 <= result["val_accuracy"] <= 1 and 0 <= result["test_accuracy"] <= 1
    assert result["seconds"] > 0 and isinstance(result["network"], pn.Network)
    with pytest.raises(ValueError, match="unknown training option"):
        train_job({"epoch": 3})


# --- evaluate, predict, datasets, gradcheck ---------------------------------------------------

def test_evaluate(work, tmp_path):
    d, _, X, y = work
    result = plainnet("evaluate", d / "model.npz", "--plot", tmp_path / "cm.png")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    network = pn.load(d / "model.npz")
    scores = network.evaluate(X, y)
    assert f"Accuracy: {scores['accuracy']:.4f}" in out
    assert f"Loss: {scores['loss']:.4f}" in out
    C = confusion_matrix(y, network.predict(X), n_classes=10)
    for c in range(10):
        assert f"class {c:>2}: {C[c, c] / C[c].sum():.4f}" in out
    matrix = out.split("Confusion matrix:\n")[1].splitlines()[2:12]
    np.testing.assert_array_equal([[int(v) for v in line.split()[1:]] for line in matrix], C)
    check_png(tmp_path / "cm.png")


def test_predict_rows_images_and_top_k(work):
    d, _, X, _ = work
    network = pn.load(d / "model.npz")
    result = plainnet("predict", d / "model.npz", d / "rows.npy", d / "rows.csv", d / "d.png",
                      "--top", "3")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 4 + 2 + 1
    as_png = np.round(X[:1] * 255) / 255  # the picture holds 8-bit gray levels
    P = network.predict_proba(np.concatenate([X[:6], as_png]))
    for line, p in zip(lines, P, strict=True):
        fields = line.split()
        classes, probs = [int(c) for c in fields[::2]], [float(v) for v in fields[1::2]]
        assert classes == list(np.argsort(-p)[:3])
        np.testing.assert_allclose(probs, p[classes], atol=1e-4)
    one = plainnet("predict", d / "model.npz", d / "rows.npy")
    assert [len(line.split()) for line in one.stdout.splitlines()] == [2, 2, 2, 2]


def test_predict_reads_pictures_and_image_arrays_for_a_network_of_image_input(work, tmp_path):
    """A network built in Python with input_shape=(1, 8, 8) records no image metadata: its
    input shape tells the picture size, and .npy files of images (n, 1, 8, 8) are rows."""
    d, _, X, _ = work
    net = pn.Network([pn.Flatten(), pn.Dense(64, 10, seed=0), pn.Softmax()],
                     "categorical_crossentropy", input_shape=(1, 8, 8))
    net.save(tmp_path / "cnnish.npz")
    images = X[:3].reshape(3, 1, 8, 8)
    np.save(tmp_path / "images.npy", images)
    result = plainnet("predict", tmp_path / "cnnish.npz", d / "d.png", tmp_path / "images.npy")
    assert result.returncode == 0, result.stderr
    as_png = np.round(X[:1] * 255) / 255
    P = net.predict_proba(np.concatenate([as_png, X[:3]]))
    assert [int(line.split()[0]) for line in result.stdout.splitlines()] == list(P.argmax(1))


def test_images_become_rows_of_the_models_shape_and_scale(tmp_path):
    from PIL import Image

    meta = {"image_shape": [4, 6], "pixel_max": 255.0}
    light_on_dark = np.zeros((40, 60), np.uint8)
    light_on_dark[10:30, 20:40] = 255
    Image.fromarray(light_on_dark).save(tmp_path / "a.png")
    expected = np.zeros((4, 6), np.float32)
    expected[1:3, 2:4] = 1.0
    np.testing.assert_array_equal(read_image(tmp_path / "a.png", meta), expected.ravel())
    # dark ink on white paper, in colour, as JPEG: inverted to light ink on black
    rgb = np.stack([255 - light_on_dark] * 3, axis=-1)
    Image.fromarray(rgb).save(tmp_path / "b.jpg", quality=95)
    np.testing.assert_allclose(read_image(tmp_path / "b.jpg", meta), expected.ravel(), atol=0.05)
    # black strokes on a transparent canvas
    rgba = np.zeros((40, 60, 4), np.uint8)
    rgba[10:30, 20:40, 3] = 255
    Image.fromarray(rgba).save(tmp_path / "c.png")
    np.testing.assert_array_equal(read_image(tmp_path / "c.png", meta), expected.ravel())
    with pytest.raises(ValueError, match="not trained on images"):
        read_image(tmp_path / "a.png", {})


def test_datasets_lists_what_is_available():
    result = plainnet("datasets")
    assert result.returncode == 0
    for name, info in datasets.available().items():
        line = next(line for line in result.stdout.splitlines() if line.startswith(name + " "))
        assert ("yes" if info["present"] else "no") in line and info["source"] in line


def test_gradcheck_prints_the_error_per_layer():
    result = plainnet("gradcheck", "--hidden", "6", "--activation", "relu", "--classes", "1")
    assert result.returncode == 0, result.stderr
    layers = [line for line in result.stdout.splitlines() if line.strip().startswith("layer")]
    assert len(layers) == 2
    errors = [float(e) for e in re.findall(r"[Wb]: ([0-9.e+-]+)", result.stdout)]
    assert len(errors) == 4 and max(errors) < 1e-6
    assert "OK" in result.stdout


def test_version_and_help_everywhere():
    result = plainnet("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"plainnet {pn.__version__}"
    top = plainnet("--help")
    assert top.returncode == 0 and all(c in top.stdout for c in COMMANDS)
    for command in COMMANDS:
        result = plainnet(command, "--help")
        assert result.returncode == 0 and result.stdout.startswith(f"usage: plainnet {command}")


# --- user errors ------------------------------------------------------------------------------

USAGE_ERRORS = [
    ((), "choose a command"),
    (("bogus",), "invalid choice: 'bogus'"),
    (("train", "--frobnicate"), "unrecognized arguments: --frobnicate"),
    (("train", "--dataset", "nope"), "unknown data set 'nope'"),
    (("train", "--lr", "abc"), "--lr: invalid float value: 'abc'"),
    (("train", "--lr", "-1"), "--lr: must be a finite number > 0, got '-1'"),
    (("train", "--lr", "1e999"), "--lr: must be a finite number > 0, got '1e999'"),
    (("train", "--epochs", "2.5"), "--epochs: invalid int value: '2.5'"),
    (("train", "--epochs", "0"), "--epochs: must be a finite number > 0"),
    (("train", "--val-split", "1.5"), "--val-split: must be a fraction in [0, 1)"),
    (("train", "--activation", "swish"), "unknown activation 'swish'"),
    (("train", "--optimizer", "lbfgs"), "unknown optimizer 'lbfgs'"),
    (("train", "--out", "/no/such/dir/m.npz"), "directory '/no/such/dir' does not exist"),
    (("train", "--plot", "curves.txt"), "--plot curves.txt: the file name must end in"),
    (("train", "--path", "/tmp"), "takes no path="),
    (("evaluate",), "the following arguments are required: model"),
    (("evaluate", "{d}/model.npz", "--dataset", "nope"), "unknown data set 'nope'"),
    (("evaluate", "{d}/model.npz", "--dataset", "circles"), "has 2 features"),
    (("predict", "{d}/model.npz"), "required: INPUT"),
    (("predict", "{d}/model.npz", "{d}/rows.npy", "--top", "0"), "--top: must be"),
    (("gradcheck", "--seed", "-3"), "--seed: must be a finite number >= 0, got '-3'"),
    (("predict", "{d}/model.npz", "{d}/notes.txt"), "unknown input type '.txt'"),
    (("predict", "{d}/toy.npz", "{d}/d.png"),
     "d.png: {d}/toy.npz records no image shape (it was not trained on images)"),
    (("train", "--out", "{d}"), "--out {d} is a directory; give a file name, e.g. {d}/model.npz"),
    (("train", "--plot", "{d}"), "--plot {d} is a directory; give a file name, e.g. {d}/curves"),
    (("evaluate", "{d}/model.npz", "--plot", "{d}"), "--plot {d} is a directory; give a file"),
    (("gradcheck", "--activation", "nope"), "unknown activation 'nope'"),
]

FILE_ERRORS = [
    (("evaluate", "{d}/missing.npz"), "missing.npz: no such model file"),
    (("evaluate", "{d}/notes.txt"), "notes.txt: not a model file"),
    (("predict", "{d}/model.npz", "{d}/missing.npy"), "missing.npy: no such file"),
    (("predict", "{d}/model.npz", "{d}/fake.png"), "fake.png"),
    (("predict", "{d}/model.npz", "{d}/objects.npy"), "objects.npy: not a .npy file of numbers"),
    (("predict", "{d}/model.npz", "{d}/truncated.npy"), "truncated.npy: not a .npy file"),
    (("predict", "{d}/model.npz", "{d}/words.csv"), "words.csv: not a CSV table of numbers"),
    (("predict", "{d}/model.npz", "{d}/empty.csv"), "empty.csv: empty file"),
    (("predict", "{d}/model.npz", "{d}/header.csv"), "header.csv: expected rows of numbers"),
    (("predict", "{d}/model.npz", "{d}/nan.npy"), "nan.npy: row 1 (counting from 0) holds NaN"),
    (("predict", "{d}/model.npz", "{d}/nan.csv"), "nan.csv: line 2 holds NaN or infinity"),
    (("predict", "{d}/toy.npz", "{d}/rows.npy"), "rows.npy: rows of 64 values, the model takes 2"),
    (("predict", "{d}/toy.npz", "{d}/rows.csv"), "rows.csv: rows of 64 values, the model takes 2"),
    (("train", "--dataset", "mnist"), "mnist: pass path="),
    (("train", "--dataset", "fashion-mnist", "--path", "{d}"), "lacks train-images"),
    (("train", "--hidden", "100000000000", "--no-out"), "not enough memory"),
    (("train", "--optimizer", "sgd", "--lr", "1e30", "--no-out", "--no-plot"),
     "training diverged in epoch 1"),
]


ERRORS = [(2, *case) for case in USAGE_ERRORS] + [(1, *case) for case in FILE_ERRORS]


@pytest.mark.parametrize(("status", "args", "message"), ERRORS,
                         ids=[" ".join(args) or "(none)" for _, args, _ in ERRORS])
def test_user_errors_are_one_line_and_exit_2_for_usage_1_for_files(work, status, args, message):
    d = work[0]
    result = plainnet(*[a.format(d=d) for a in args], cwd=d)
    assert_one_line_error(result, status, message.format(d=d))


def test_evaluate_draws_the_classes_it_prints(tmp_path, monkeypatch, capsys):
    import plainnet.cli

    data = tmp_path / "data"
    data.mkdir()
    (data / "a_train.csv").write_text("0,0,1\n1,1,0\n2,1,1\n")
    (data / "a_test.csv").write_text("0,0,1\n1,1,0\n")  # classes 0 and 1 only
    net = pn.mlp([2, 4, 3], seed=0)
    net.layers[-2].params["b"][:] = [50.0, 0.0, -50.0]  # predicts class 0 only
    net.metadata = {"dataset": "csv", "path": str(data), "n_classes": 3}
    net.save(tmp_path / "m.npz")
    drawn = []
    monkeypatch.setattr(plainnet.cli, "_save_plot", lambda fig, path: drawn.append(fig))
    assert plainnet.cli.main(["evaluate", str(tmp_path / "m.npz"), "--plot",
                              str(tmp_path / "cm.png")]) == 0
    assert "class  2:" in capsys.readouterr().out
    ax = drawn[0].axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2"]
    np.testing.assert_array_equal(np.array([int(t.get_text()) for t in ax.texts]).reshape(3, 3),
                                  [[1, 0, 0], [1, 0, 0], [0, 0, 0]])


def test_predict_help_lists_every_image_type():
    from plainnet.datasets.images import IMAGE_SUFFIXES

    text = " ".join(plainnet("predict", "--help").stdout.split())
    assert all(suffix in text for suffix in IMAGE_SUFFIXES)
    assert "PNG, JPEG" not in text


def test_warnings_are_shown_after_the_run_but_not_after_a_divergence(monkeypatch):
    import plainnet.cli

    shown = []
    monkeypatch.setattr(warnings, "showwarning", lambda message, *args: shown.append(message))

    def warns():
        warnings.warn("careful", UserWarning, stacklevel=1)
        return 0

    assert plainnet.cli._quiet_if_diverged(warns) == 0
    assert [str(m) for m in shown] == ["careful"]

    def diverges():
        warnings.warn("overflow encountered", RuntimeWarning, stacklevel=1)
        raise pn.DivergenceError(3, 1e9)

    shown.clear()
    with pytest.raises(pn.DivergenceError):
        plainnet.cli._quiet_if_diverged(diverges)
    assert shown == []


def test_a_failed_train_writes_nothing(work, tmp_path):
    result = plainnet("train", "--lr", "-1", cwd=tmp_path)
    assert result.returncode == 2 and list(tmp_path.iterdir()) == []


# --- Ctrl-C -----------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.skipif(not FASHION.is_dir(), reason="dataset-fashion-mnist is not installed")
def test_ctrl_c_in_a_fashion_mnist_run_saves_the_model(tmp_path):
    out, plot = tmp_path / "fashion.npz", tmp_path / "fashion.png"
    proc = subprocess.Popen(
        [sys.executable, "-m", "plainnet", "train", "--dataset", "fashion-mnist", "--hidden",
         "64", "--epochs", "50", "--out", str(out), "--plot", str(plot)],
        env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in proc.stdout:  # the loop says when Ctrl-C is caught
            lines.append(line)
            if line.startswith("Training on"):
                break
        time.sleep(1.0)  # well into epoch 1 of 50
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    assert took < 10
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    where = re.search(r"interrupted \(Ctrl-C\) in epoch (\d+)/50 after batch (\d+)/1688", stderr)
    assert where, stderr
    assert f"saved the model so far to {out}" in stderr
    network = pn.load(out)
    assert network.metadata["dataset"] == "fashion-mnist"
    done = len(network.history)
    assert network.optimizer.iterations == done * 1688 + int(where.group(2))
    assert int(where.group(1)) == done + 1
    assert "Test accuracy" in stdout


# --- progress on a terminal and in a pipe -----------------------------------------------------

def run_in_pty(args):
    """Run plainnet with stdout and stderr on a pseudo-terminal 100 columns wide."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "plainnet", *args], env=ENV, stdin=slave,
                            stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    chunks, deadline = [], time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if not select.select([master], [], [], 1.0)[0]:
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        return proc.wait(timeout=10), b"".join(chunks).decode()
    finally:
        proc.kill()
        os.close(master)


def test_progress_bar_on_a_terminal_plain_lines_in_a_pipe(tmp_path):
    args = ["train", "--hidden", "16", "--epochs", "3", "--no-out", "--no-plot"]
    status, tty = run_in_pty(args)
    assert status == 0, tty
    piped = plainnet(*args)
    assert piped.returncode == 0
    # a terminal: tqdm bars, redrawn with carriage returns, with loss and accuracy
    assert "\r" in tty.replace("\r\n", "\n")
    assert re.search(r"Epoch 3/3:\s+0%\|", tty)  # a bar, drawn as the epoch starts
    # each finished epoch is one line of metrics
    finished = re.findall(r"Epoch (\d)/3: 41/41 \[[0-9:]+, loss=[0-9.]+, acc=[0-9.]+, "
                          r"val_loss=[0-9.]+, val_acc=[0-9.]+\]", tty)
    assert finished == ["1", "2", "3"]
    assert "Epoch 1/3 - " not in tty
    # a pipe: one plain line per epoch, nothing redrawn
    assert "\r" not in piped.stdout and "\r" not in piped.stderr
    epochs = [line for line in piped.stdout.splitlines() if line.startswith("Epoch")]
    assert [line.split(" - ")[0] for line in epochs] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    # the same run either way
    accuracy = re.search(r"Test accuracy: [0-9.]+", piped.stdout).group(0)
    assert accuracy in tty
