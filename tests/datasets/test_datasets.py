"""Data sets: the toy sets, digits, IDX (MNIST, Fashion-MNIST), mnist.pkl.gz, CSV and the
helpers. Every file is written by the tests themselves, including broken and hostile ones."""

import collections
import gzip
import io
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

import plainnet as pn
from plainnet import datasets
from plainnet.datasets.mnist_pickle import ArrayUnpickler
from plainnet.datasets.tables import read_table

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


# --- writing test files ----------------------------------------------------------------------

def idx_bytes(arr: np.ndarray, code: int = 0x08) -> bytes:
    """An IDX file: magic 0, 0, type code, ndim; big-endian uint32 dims; big-endian data."""
    dtype = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[code]
    head = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return head + arr.astype(dtype).tobytes()


def write(path: Path, data: bytes, gz: bool = False) -> Path:
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def make_images(n, rng, side=28):
    return rng.integers(0, 256, size=(n, side, side), dtype=np.uint8)


def write_mnist_dir(directory: Path, rng, n_train=30, n_test=10, gz=False, sep="-"):
    """The four MNIST files, as the MNIST page (sep='-') or Kaggle's copy (sep='.') name them."""
    directory.mkdir(exist_ok=True)
    parts = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images, labels = make_images(n, rng), rng.integers(0, 10, n).astype(np.uint8)
        suffix = ".gz" if gz else ""
        write(directory / f"{split}-images{sep}idx3-ubyte{suffix}", idx_bytes(images), gz)
        write(directory / f"{split}-labels{sep}idx1-ubyte{suffix}", idx_bytes(labels), gz)
        parts[split] = images, labels
    return parts


class Py2Pickler(pickle._Pickler):
    """Writes bytes as Python 2 ``str`` (BINSTRING) and names ``numpy.core.multiarray``,
    as the cPickle that wrote network2.py's mnist.pkl.gz did."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj):
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str


def py2_pickle(obj) -> bytes:
    buf = io.BytesIO()
    Py2Pickler(buf, protocol=2).dump(obj)
    return buf.getvalue().replace(b"numpy._core.multiarray", b"numpy.core.multiarray")


def mnist_pkl_triple(rng, sizes=(50, 10, 20)):
    def part(n):
        X = (rng.integers(0, 256, (n, 784)) / 256).astype(np.float32)
        return X, rng.integers(0, 10, n).astype(np.int64)
    return tuple(part(n) for n in sizes)


# --- toy sets and digits ---------------------------------------------------------------------

@pytest.mark.parametrize("name", ["circles", "moons"])
def test_toy_sets_are_fixed_float32_int64_and_split_80_20(name):
    (X, y), (X_te, _y_te) = datasets.load(name, n_samples=200, noise=0.1)
    assert X.shape == (160, 2) and X_te.shape == (40, 2)  # n_samples is the total
    assert X.dtype == np.float32 and y.dtype == np.int64 and set(y) == {0, 1}
    (X2, _y2), _ = datasets.load(name, n_samples=200, noise=0.1)
    np.testing.assert_array_equal(X, X2)  # fixed seed
    (X3, _), _ = datasets.load(name, n_samples=200, noise=0.3)
    assert not np.array_equal(X, X3)  # noise is honoured
    assert datasets.metadata(name) == {}


def test_digits_are_scaled_and_split_with_stratification():
    (X, y), (X_te, y_te) = datasets.load("digits")
    assert X.shape[1] == 64 and len(X) + len(X_te) == 1797
    assert X.dtype == np.float32 and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    share = np.bincount(y_te, minlength=10) / np.bincount(np.concatenate([y, y_te]))
    assert np.all(np.abs(share - 0.2) < 0.02)
    assert datasets.metadata("digits") == {"image_shape": [8, 8], "pixel_max": 16.0}


def test_available_lists_every_set_with_source_and_presence():
    sets = datasets.available()
    assert set(sets) == {"circles", "moons", "digits", "fashion-mnist", "mnist", "mnist-pkl",
                         "csv"}
    assert all(isinstance(s["source"], str) and s["source"] for s in sets.values())
    assert sets["digits"]["present"] is True and sets["mnist"]["present"] is False
    assert sets["fashion-mnist"]["present"] == FASHION_DIR.is_dir()


@pytest.mark.parametrize("call, message", [
    (lambda: datasets.load("cifar"), "unknown data set 'cifar'.*'mnist'"),
    (lambda: datasets.load("circles", n_sample=10), r"takes the options.*n_sample"),
    (lambda: datasets.load("digits", path="/tmp"), "takes no path="),
    (lambda: datasets.load("circles", n_samples=0), "n_samples"),
    (lambda: datasets.load("moons", noise=-1.0), "noise"),
    (lambda: datasets.metadata("imagenet"), "unknown data set"),
    # metadata refuses what load refuses, for the fixed sets too
    (lambda: datasets.metadata("digits", n_samples=5), r"'digits' takes no options, got"),
    (lambda: datasets.metadata("mnist", validation="drop"), r"takes no options"),
    (lambda: datasets.metadata("circles", n_sample=10), r"takes the options.*n_sample"),
    (lambda: datasets.metadata("digits", path="/tmp"), "takes no path="),
])
def test_bad_names_and_options_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- IDX: MNIST and Fashion-MNIST ------------------------------------------------------------

@pytest.mark.parametrize("gz, sep", [(False, "-"), (True, "-"), (True, ".")])
def test_mnist_reads_a_directory_of_idx_files(tmp_path, rng, gz, sep):
    parts = write_mnist_dir(tmp_path / "m", rng, gz=gz, sep=sep)
    (X, y), (_X_te, y_te) = datasets.load("mnist", path=tmp_path / "m")
    images, labels = parts["train"]
    assert X.shape == (30, 784) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(X, images.reshape(30, -1) / np.float32(255))
    np.testing.assert_array_equal(y, labels)
    np.testing.assert_array_equal(y_te, parts["t10k"][1])
    assert datasets.metadata("mnist") == {"image_shape": [28, 28], "pixel_max": 255.0}


def test_mnist_without_path_says_how_to_get_the_files():
    with pytest.raises(pn.DataFileError, match=r"path=.*train-images-idx3-ubyte"):
        datasets.load("mnist")


def test_mnist_directory_missing_a_file_names_it(tmp_path, rng):
    write_mnist_dir(tmp_path, rng)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(pn.DataFileError, match="lacks t10k-labels-idx1-ubyte"):
        datasets.load("mnist", path=tmp_path)
    with pytest.raises(pn.DataFileError, match="nowhere does not exist; pass path= to the"):
        datasets.load("mnist", path=tmp_path / "nowhere")


def test_idx_reader_reads_every_type_code(tmp_path, rng):
    from plainnet.datasets.idx import read_idx

    for code, values in [(0x08, [0, 255]), (0x09, [-128, 127]), (0x0B, [-300, 300]),
                         (0x0C, [-70000, 70000]), (0x0D, [0.5, -1.25]), (0x0E, [1e-300, 2.0])]:
        arr = np.array([values, values[::-1]])
        got = read_idx(write(tmp_path / f"t{code}", idx_bytes(arr, code)))
        np.testing.assert_array_equal(got, arr)
        assert got.dtype.isnative


def _good_labels(tmp_path, n=4):
    return write(tmp_path / "labels", idx_bytes(np.zeros(n, np.uint8)))


@pytest.mark.parametrize("damage, message", [
    (lambda b: b"\x01" + b[1:], "magic number .* does not start with two zero bytes"),
    (lambda b: b[:2] + b"\x07" + b[3:], "unknown IDX type code 0x07"),
    (lambda b: b[:-5], r"truncated: dimensions \(4, 28, 28\) of uint8 need 3152 bytes, the "
                       "file has 3147"),
    (lambda b: b + b"\x00", "too long"),
    (lambda b: b[:10], "truncated IDX header"),
    (lambda b: b[:3], "shorter than the 4-byte magic number"),
    (lambda b: b[:3] + b"\x00", "0 dimensions"),
])
def test_damaged_idx_files_are_refused_naming_the_file(tmp_path, rng, damage, message):
    from plainnet.datasets.idx import read_idx_pair

    images = write(tmp_path / "images", damage(idx_bytes(make_images(4, rng))))
    with pytest.raises(pn.DataFileError, match=message) as err:
        read_idx_pair(images, _good_labels(tmp_path))
    assert str(images) in str(err.value)
    assert isinstance(err.value, ValueError)


def test_image_and_label_counts_must_agree(tmp_path, rng):
    write_mnist_dir(tmp_path, rng)
    write(tmp_path / "train-labels-idx1-ubyte", idx_bytes(np.zeros(29, np.uint8)))
    with pytest.raises(pn.DataFileError, match=r"holds 30 images but .* holds 29 labels"):
        datasets.load("mnist", path=tmp_path)


def test_images_and_labels_must_have_their_shapes(tmp_path, rng):
    from plainnet.datasets.idx import read_idx_pair

    flat = write(tmp_path / "flat", idx_bytes(np.zeros((4, 784), np.uint8)))
    with pytest.raises(pn.DataFileError, match="3 dimensions"):
        read_idx_pair(flat, _good_labels(tmp_path))
    images = write(tmp_path / "images", idx_bytes(make_images(4, rng)))
    floats = write(tmp_path / "floats", idx_bytes(np.zeros(4), 0x0D))
    with pytest.raises(pn.DataFileError, match=f"{floats}: expected labels as integers"):
        read_idx_pair(images, floats)


def test_truncated_and_corrupt_gzip_files_name_the_file(tmp_path, rng):
    write_mnist_dir(tmp_path, rng, gz=True)
    target = tmp_path / "train-images-idx3-ubyte.gz"
    data = target.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    with pytest.raises(pn.DataFileError, match="gzip stream is truncated") as err:
        datasets.load("mnist", path=tmp_path)
    assert str(target) in str(err.value)
    target.write_bytes(data[:10] + bytes(b ^ 0xFF for b in data[10:40]) + data[40:])
    with pytest.raises(pn.DataFileError, match=f"{target}: the gzip stream is corrupt"):
        datasets.load("mnist", path=tmp_path)


def test_fashion_mnist_path_overrides_the_debian_files(tmp_path, rng):
    parts = write_mnist_dir(tmp_path, rng, n_train=12, n_test=6)
    (X, y), (X_te, _y_te) = datasets.load("fashion-mnist", path=tmp_path)
    assert X.shape == (12, 784) and X_te.shape == (6, 784)
    np.testing.assert_array_equal(y, parts["train"][1])


def test_fashion_mnist_without_the_package_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(datasets, "FASHION_MNIST_DIRS", ("/nonexistent/fashion-mnist",))
    with pytest.raises(pn.DataFileError, match="apt install dataset-fashion-mnist"):
        datasets.load("fashion-mnist")
    assert datasets.available()["fashion-mnist"]["present"] is False


@pytest.mark.skipif(not FASHION_DIR.is_dir(), reason="dataset-fashion-mnist is not installed")
def test_fashion_mnist_from_the_debian_package():
    (X, y), (X_te, y_te) = datasets.load("fashion-mnist")
    assert X.shape == (60000, 784) and X_te.shape == (10000, 784)
    assert X.dtype == np.float32 and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(np.bincount(y), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(y_te), [1000] * 10)


# --- mnist.pkl.gz ----------------------------------------------------------------------------

def test_mnist_pkl_reads_a_python2_pickle_and_merges_validation(tmp_path, rng):
    triple = mnist_pkl_triple(rng)
    raw = py2_pickle(triple)
    assert b"numpy.core.multiarray" in raw and pickle.BINSTRING in raw
    write(tmp_path / "mnist.pkl.gz", raw, gz=True)
    (X, y), (X_te, _y_te) = datasets.load("mnist-pkl", path=tmp_path / "mnist.pkl.gz")
    np.testing.assert_array_equal(X, np.concatenate([triple[0][0], triple[1][0]]))
    np.testing.assert_array_equal(y, np.concatenate([triple[0][1], triple[1][1]]))
    np.testing.assert_array_equal(X_te, triple[2][0])
    assert X.dtype == np.float32 and y.dtype == np.int64
    (X, y), _ = datasets.load("mnist-pkl", path=tmp_path, validation="drop")  # a directory
    np.testing.assert_array_equal(y, triple[0][1])
    assert datasets.metadata("mnist-pkl") == {"image_shape": [28, 28], "pixel_max": 255.0}


def test_mnist_pkl_reads_python3_pickles_too(tmp_path, rng):
    triple = mnist_pkl_triple(rng, (5, 5, 5))
    for protocol in (2, pickle.HIGHEST_PROTOCOL):
        path = write(tmp_path / f"p{protocol}.pkl", pickle.dumps(triple, protocol=protocol))
        (_, y), _ = datasets.load("mnist-pkl", path=path, validation="drop")
        np.testing.assert_array_equal(y, triple[0][1])


def test_mnist_pkl_without_path_says_where_it_comes_from(tmp_path):
    with pytest.raises(pn.DataFileError, match=r"path=.*neural-networks-and-deep-learning"):
        datasets.load("mnist-pkl")
    with pytest.raises(pn.DataFileError, match=r"holds neither mnist.pkl.gz"):
        datasets.load("mnist-pkl", path=tmp_path)
    with pytest.raises(ValueError, match="validation must be 'merge' or 'drop'"):
        datasets.load("mnist-pkl", path=tmp_path, validation="keep")


def test_a_hostile_pickle_is_refused_without_running_code(tmp_path, rng, hostile):
    evil, marker = hostile
    triple = mnist_pkl_triple(rng, (3, 3, 3))
    payload = (triple[0], triple[1], (evil, triple[2][1]))
    path = write(tmp_path / "mnist.pkl.gz", pickle.dumps(payload, protocol=2), gz=True)
    with pytest.raises(pn.DataFileError, match=r"refused to load (posix|os|nt)\.system") as err:
        datasets.load("mnist-pkl", path=path)
    assert str(path) in str(err.value)
    assert not marker.exists()
    pickle.loads(pickle.dumps(evil))  # the same pickle, unrestricted, runs it
    assert marker.exists()


@pytest.mark.parametrize("payload, message", [
    (lambda t: (t[0], t[1], (collections.OrderedDict(a=1), t[2][1])),
     "refused to load collections.OrderedDict"),
    (lambda t: (t[0], t[1], (np.array([1, "a"], dtype=object), t[2][1])),
     r"array of Python objects \(dtype object\)"),
    (lambda t: t[:2], "expected a triple"),
    (lambda t: (t[0], t[1], [t[2][0], t[2][1]]), "test must be a pair of arrays"),
    (lambda t: (t[0], t[1], (t[2][0], t[2][1][:-1])), "test labels must be non-negative"),
    (lambda t: (t[0], (t[1][0][:, :10], t[1][1]), t[2]), "images of different sizes"),
    (lambda t: (t[0], (t[1][0].astype(np.int64), t[1][1]), t[2]),
     "validation images must be a finite float array"),
])
def test_mnist_pkl_holding_anything_else_is_refused(tmp_path, rng, payload, message):
    path = write(tmp_path / "x.pkl", pickle.dumps(payload(mnist_pkl_triple(rng, (3, 3, 3))), 2))
    with pytest.raises(pn.DataFileError, match=message):
        datasets.load("mnist-pkl", path=path)


def test_truncated_and_corrupt_mnist_pkl_are_refused(tmp_path, rng):
    raw = gzip.compress(py2_pickle(mnist_pkl_triple(rng, (3, 3, 3))))
    path = write(tmp_path / "cut.pkl.gz", raw[: len(raw) // 2])
    with pytest.raises(pn.DataFileError, match=f"{path}: truncated"):
        datasets.load("mnist-pkl", path=path)
    path = write(tmp_path / "bad.pkl", b"this is not a pickle at all")
    with pytest.raises(pn.DataFileError, match=str(path)):
        datasets.load("mnist-pkl", path=path)


def test_array_unpickler_admits_arrays_of_numbers_only():
    arrays = (np.arange(3), np.eye(2, dtype=np.float32))
    got = ArrayUnpickler(io.BytesIO(pickle.dumps(arrays))).load()
    np.testing.assert_array_equal(got[1], arrays[1])
    with pytest.raises(pickle.UnpicklingError, match=r"collections.OrderedDict"):
        ArrayUnpickler(io.BytesIO(pickle.dumps(collections.OrderedDict(a=1)))).load()


# --- CSV -------------------------------------------------------------------------------------

def csv_text(y, X, header=False):
    lines = [",".join(["label"] + [f"pixel{i}" for i in range(X.shape[1])])] if header else []
    lines += [",".join(str(v) for v in [label, *row]) for label, row in zip(y, X, strict=True)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("header", [True, False])
def test_csv_directory_with_train_and_test_files(tmp_path, rng, header):
    X = rng.integers(0, 256, (20, 784))
    y = rng.integers(0, 10, 20)
    (tmp_path / "mnist_train.csv").write_text(csv_text(y[:15], X[:15], header))
    (tmp_path / "mnist_test.csv").write_text(csv_text(y[15:], X[15:], header))
    (X_tr, y_tr), (X_te, _y_te) = datasets.load("csv", path=tmp_path)
    assert X_tr.dtype == np.float32 and y_tr.dtype == np.int64
    np.testing.assert_array_equal(y_tr, y[:15])
    np.testing.assert_allclose(X_te, X[15:] / 255.0, rtol=1e-6)  # 784 features: pixels
    assert datasets.metadata("csv", path=tmp_path) == {"image_shape": [28, 28],
                                                       "pixel_max": 255.0}


def test_one_csv_file_is_split_and_kept_unscaled_unless_asked(tmp_path, rng):
    X = rng.normal(size=(50, 3)).round(4)
    y = np.repeat([0, 1], 25)
    path = tmp_path / "data.csv"
    path.write_text(csv_text(y, X))
    (X_tr, _y_tr), (X_te, y_te) = datasets.load("csv", path=path, test_fraction=0.2)
    assert len(X_tr) == 40 and len(X_te) == 10 and np.bincount(y_te).tolist() == [5, 5]
    np.testing.assert_allclose(np.sort(np.concatenate([X_tr, X_te]), axis=0),
                               np.sort(X, axis=0), rtol=1e-6)
    assert datasets.metadata("csv", path=path) == {}
    ints = tmp_path / "digits.csv"
    ints.write_text(csv_text(y, rng.integers(0, 17, (50, 64))))
    (X_tr, _), _ = datasets.load("csv", path=ints, pixel_max=16)
    assert X_tr.max() <= 1.0
    assert datasets.metadata("csv", path=ints, pixel_max=16) == {"image_shape": [8, 8],
                                                                 "pixel_max": 16.0}


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("label,a\n", "expected rows of a label and at least one feature"),
    ("1,2,3\n4,5\n", "not a CSV table of numbers"),
    ("0,1\n1,x\n", "not a CSV table of numbers"),
    ("0,1\n1,nan\n", "line 2 holds NaN or infinity"),
    ("label,a\n0,1\n-1,2\n", "line 3: the label .* got -1"),
    ("0,1\n1.5,2\n", "line 2: the label .* got 1.5"),
])
def test_bad_csv_files_are_refused_naming_the_file(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(pn.DataFileError, match=message) as err:
        datasets.load("csv", path=path)
    assert str(path) in str(err.value)


def test_csv_pixels_out_of_range_and_bad_directories(tmp_path, rng):
    path = tmp_path / "px.csv"
    path.write_text(csv_text([0, 1], np.array([[0, 300], [1, 2]])))
    with pytest.raises(pn.DataFileError, match=r"from 0 to 300 lie outside \[0, 255\]"):
        datasets.load("csv", path=path, pixel_max=255)
    (tmp_path / "only").mkdir()
    (tmp_path / "only" / "x_train.csv").write_text("0,1\n")
    with pytest.raises(pn.DataFileError, match=r"exactly one \*test\*.csv file, found none"):
        datasets.load("csv", path=tmp_path / "only")
    with pytest.raises(pn.DataFileError, match="pass path="):
        datasets.load("csv")
    with pytest.raises(pn.DataFileError, match=r"missing.csv does not exist; pass path="):
        datasets.load("csv", path=tmp_path / "missing.csv")


def test_missing_paths_say_they_do_not_exist_and_what_to_pass(tmp_path):
    with pytest.raises(pn.DataFileError, match=r"nope.pkl.gz does not exist; pass path="):
        datasets.load("mnist-pkl", path=tmp_path / "nope.pkl.gz")
    (tmp_path / "file").write_text("x")
    with pytest.raises(pn.DataFileError, match=r"file is not a directory"):
        datasets.load("mnist", path=tmp_path / "file")


def test_a_csv_with_a_utf8_byte_order_mark_keeps_its_first_sample(tmp_path):
    path = tmp_path / "excel.csv"  # Excel's "CSV UTF-8"
    path.write_bytes("0,1,2\n1,3,4\n0,5,6\n1,7,8\n0,9,10\n".encode("utf-8-sig"))
    (X_tr, y_tr), (X_te, y_te) = datasets.load("csv", path=path, test_fraction=0.4)
    samples = sorted(zip(np.concatenate([y_tr, y_te]).tolist(),
                         np.concatenate([X_tr, X_te]).tolist(), strict=True))
    assert samples == [(0, [1, 2]), (0, [5, 6]), (0, [9, 10]), (1, [3, 4]), (1, [7, 8])]
    with_header = tmp_path / "header.csv"
    with_header.write_bytes("label,a,b\n0,1,2\n1,3,4\n".encode("utf-8-sig"))
    assert len(read_table(with_header)) == 2


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.5, "0.2"])
def test_csv_test_fraction_is_checked_first_under_its_own_name(tmp_path, fraction):
    path = tmp_path / "data.csv"
    path.write_text("0,1\n1,2\n")
    with pytest.raises(ValueError, match=r"^test_fraction must be"):
        datasets.load("csv", path=path, test_fraction=fraction)
    with pytest.raises(ValueError, match=r"^test_fraction must be"):  # before reading the file
        datasets.load("csv", path=tmp_path / "missing.csv", test_fraction=fraction)


def test_read_table_checks_finiteness_and_names_the_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n3,inf\n")
    with pytest.raises(pn.DataFileError, match=f"{path}: line 3 holds NaN or infinity"):
        read_table(path)


def test_csv_train_and_test_must_have_the_same_features(tmp_path):
    (tmp_path / "a_train.csv").write_text("0,1,2\n1,2,3\n")
    (tmp_path / "a_test.csv").write_text("0,1\n")
    with pytest.raises(pn.DataFileError, match=r"rows of 1 features, but .* has 2"):
        datasets.load("csv", path=tmp_path)


# --- helpers ---------------------------------------------------------------------------------

def test_one_hot_encoding_round_trips():
    y = np.array([2, 0, 1, 2])
    Y = datasets.one_hot(y, 3)
    assert Y.shape == (4, 3) and Y.sum() == 4
    np.testing.assert_array_equal(datasets.from_one_hot(Y), y)


def test_stratified_split_keeps_class_shares_and_every_sample(rng):
    y = np.repeat([0, 1, 2], [100, 50, 10])
    X = np.arange(len(y) * 2).reshape(-1, 2)
    (X_tr, _y_tr), (X_val, y_val) = datasets.train_val_split(X, y, val_fraction=0.2, seed=1)
    assert np.bincount(y_val).tolist() == [20, 10, 2]
    assert sorted(np.concatenate([X_tr[:, 0], X_val[:, 0]]).tolist()) == X[:, 0].tolist()
    np.testing.assert_array_equal(X_tr[:, 0] // 2, np.sort(X_tr[:, 0] // 2))  # order kept
    again = datasets.train_val_split(X, y, val_fraction=0.2, seed=1)
    np.testing.assert_array_equal(again[1][0], X_val)
    other = datasets.train_val_split(X, y, val_fraction=0.2, seed=2)
    assert not np.array_equal(other[1][0], X_val)
    (_, _), (_, y_plain) = datasets.train_val_split(X, y, 0.2, seed=1, stratify=False)
    assert len(y_plain) == 32


@pytest.mark.parametrize("args, message", [
    ((np.ones((4, 1)), np.zeros(3)), "different lengths"),
    ((np.ones((4, 1)), np.zeros(4), 1.0), "val_fraction"),
    ((np.ones((4, 1)), np.zeros(4), 0.01), "leaves one part empty"),
])
def test_split_refuses_bad_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        datasets.train_val_split(*args)


def test_standardize_uses_the_training_statistics(rng):
    X = rng.normal(3.0, 2.0, size=(500, 3)).astype(np.float32)
    X[:, 2] = 7.0  # a constant feature is centred, not divided by zero
    Z, mean, std = datasets.standardize(X)
    assert Z.dtype == np.float32
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(Z[:, :2].std(axis=0), 1, rtol=1e-4)
    assert np.all(Z[:, 2] == 0)
    Z2, _, _ = datasets.standardize(X[:10] + 1, mean, std)
    np.testing.assert_allclose(Z2, Z[:10] + 1 / std, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"mean and std must have shape \(3,\)"):
        datasets.standardize(X, mean[:2], std)
    with pytest.raises(ValueError, match="2-D numeric"):
        datasets.standardize(X[0])


def test_paths_may_start_with_a_tilde(tmp_path, rng, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    write_mnist_dir(tmp_path / "mnist", rng, n_train=5, n_test=5)
    (X, _), _ = datasets.load("mnist", path="~/mnist")
    assert X.shape == (5, 784)
