"""Model files: one ``.npz`` archive with a JSON header, read with ``allow_pickle=False``.

This module knows the format, not the network: it writes a header and named arrays, and
reads them back after checking them. :meth:`plainnet.Network.save` and
:func:`plainnet.load` turn a network into those and back.

The archive holds ``header`` (UTF-8 JSON as uint8) and one array per parameter
(``param/<i>.<key>``), state array (``state/<i>.<key>``, e.g. running statistics) and
optimizer slot (``optimizer/<i>.<key>/<slot>``), ``<i>`` being the layer's index. The
header (format version 2) holds:

- ``layers``: each layer's registered type name and constructor arguments
  (``{"type": "Dense", "config": {"fan_in": 784, "fan_out": 512, ...}}``);
- ``input_shape``, and ``hyperparameters``: loss, optimizer (type and config), dtype, seed;
- ``arrays``: the shape of every array in the archive;
- the optimizer's step count, the training history, the input metadata, whether the task
  was multi-label, and the state of every random generator, so that a reloaded network
  continues training exactly as the original would have.

Reading checks, before it allocates anything, that every array the layers' configs imply
(:meth:`plainnet.nn.Layer.array_shapes`) is there with that shape, stored uncompressed as
plainnet writes it, and within the file's size. Files of format version 1 (plainnet 0.1)
are read too. Writing goes to a temporary file beside the target that then replaces it
(:func:`atomic_write`), so a failed save leaves an older file as it was.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from ..errors import ModelFileError
from ..nn import registered

FORMAT = "plainnet-model"
#: the format version this plainnet writes
VERSION = 2
#: the versions it reads
READABLE = (1, 2)
FLOAT_DTYPES = ("float32", "float64")
#: a header larger than this is not a model's
_MAX_HEADER = 64 * 2**20


# --- writing ---------------------------------------------------------------------------------

@contextlib.contextmanager
def atomic_write(path: Path, mode: str = "wb", **open_args: Any) -> Iterator[IO[Any]]:
    """A file to write ``path``'s new content to: a fresh temporary file beside ``path``,
    synced and renamed over it when the block ends, deleted if the block raises. So an
    interrupted write leaves the old file byte for byte as it was and nothing behind.

    It is created with mode 0o666, so the umask sets its permissions as for ``open()``.
    """
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, mode, **open_args) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _plain(value: Any) -> Any:
    """NumPy scalars and arrays in the metadata as JSON numbers and lists."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} {value!r} is not a JSON value")


def write_model(path: str | os.PathLike, header: dict[str, Any], arrays: dict[str, Any]) -> None:
    """Write ``header`` (JSON values; ``format``, ``version`` and ``arrays`` are filled in)
    and ``arrays`` (NumPy arrays by archive name) to ``path``, atomically."""
    path = Path(path).expanduser()
    header = {"format": FORMAT, "version": VERSION, **header,
              "arrays": {name: list(a.shape) for name, a in arrays.items()}}
    try:
        text = json.dumps(header, allow_nan=False, default=_plain).encode()
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: network.metadata or the history cannot be written as "
                             f"JSON ({exc}); not saved") from None
    members = {"header": np.frombuffer(text, np.uint8)}
    members.update({name: np.asarray(a) for name, a in arrays.items()})
    with atomic_write(path) as f:
        np.savez(f, **members)


# --- reading ---------------------------------------------------------------------------------

_READ_ERRORS = (OSError, EOFError, KeyError, ValueError, TypeError, zipfile.BadZipFile,
                zlib.error, RuntimeError, NotImplementedError, OverflowError, MemoryError)
#: what a hostile header can make the checks of its values, or building from them, raise
HEADER_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError,
                  MemoryError)


def read_model(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The header (upgraded to version 2) and arrays of the model file ``path``.

    Raises :class:`~plainnet.errors.ModelFileError` naming the file when it is not a
    plainnet model, is corrupt or truncated, of an unknown version, or holds arrays other
    than the header describes and the layers' configs imply.
    """
    path = Path(path).expanduser()
    try:
        with zipfile.ZipFile(path) as archive:
            return _read_archive(path, archive)
    except ModelFileError as exc:
        raise ModelFileError(f"{path}: {exc}") from None
    except RecursionError:
        raise ModelFileError(f"{path}: the JSON header is nested too deeply") from None
    except _READ_ERRORS as exc:
        raise ModelFileError(f"{path}: corrupt, truncated or unsafe model file ({exc})") from None


def _read_archive(path: Path, archive: zipfile.ZipFile
                  ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    infos = {info.filename: info for info in archive.infolist()}
    if len(infos) != len(archive.infolist()):
        raise ModelFileError("the archive holds two members of one name")
    size = path.stat().st_size
    for name, info in infos.items():
        if info.compress_type != zipfile.ZIP_STORED or info.file_size > size:
            raise ModelFileError(f"member {name!r} is compressed or larger than the "
                                 "file; plainnet writes its arrays uncompressed")
    if "header.npy" not in infos:
        raise ModelFileError("not a plainnet model file: it has no JSON header")
    header, expected = _parse_header(_read_member(archive, infos["header.npy"], np.uint8))
    found = {name[:-4] for name in infos if name.endswith(".npy")} - {"header"}
    if found != set(expected) or len(infos) != len(found) + 1:
        raise ModelFileError(f"the archive holds arrays {sorted(infos)}, the header "
                             f"describes {sorted(f'{n}.npy' for n in expected)}")
    dtype = header["hyperparameters"]["dtype"]
    shapes = {name: _member_shape(archive, infos[f"{name}.npy"], dtype) for name in expected}
    for name, shape in expected.items():
        if shapes[name] != shape:
            raise ModelFileError(f"array {name} has shape {shapes[name]}, but the "
                                 f"layers' configs imply {shape}")
    arrays = {name: _read_data(archive, infos[f"{name}.npy"]) for name in expected}
    for name, a in arrays.items():
        if not np.isfinite(a).all():
            raise ModelFileError(f"array {name} holds NaN or infinity")
    return header, arrays


def _parse_header(raw: np.ndarray) -> tuple[dict[str, Any], dict[str, tuple[int, ...]]]:
    """The header (upgraded to version 2) and the arrays it describes (:func:`expected_arrays`),
    or a ModelFileError."""
    try:
        header = json.loads(raw.tobytes().decode(), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ModelFileError(f"the JSON header is corrupt ({exc})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError(f"not a plainnet model file (format "
                             f"{header.get('format') if isinstance(header, dict) else None!r})")
    version = header.get("version")
    if version not in READABLE or isinstance(version, bool):
        raise ModelFileError(f"unknown model format version {version!r}; this plainnet "
                             f"reads versions {', '.join(map(str, READABLE))} (a newer plainnet "
                             "may have written it)")
    try:
        if version == 1:
            header = _upgrade_v1(header)
        # every layer type known, every config of the right kind, the arrays they imply
        return header, expected_arrays(header)
    except ModelFileError:
        raise
    except HEADER_ERRORS as exc:
        raise ModelFileError(f"the header does not describe a valid network "
                             f"({type(exc).__name__}: {exc})") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a model file may hold")


def _upgrade_v1(header: dict[str, Any]) -> dict[str, Any]:
    """A version-1 header (plainnet 0.1: ``architecture``, ``parameters``,
    ``optimizer_state``) in the form of version 2."""
    hyper = dict(header["hyperparameters"])
    opt = hyper["optimizer"]
    hyper["optimizer"] = {"type": opt["class"], "config": opt["config"]}
    params = {f"param/{name}": shape for name, shape in header["parameters"].items()}
    slots = {f"optimizer/{name}/{key}": header["parameters"][name]
             for name, keys in header["optimizer_state"].items() for key in keys}
    upgraded = {k: v for k, v in header.items()
                if k not in ("architecture", "parameters", "optimizer_state")}
    upgraded.update(version=2, hyperparameters=hyper, input_shape=None, arrays=params | slots,
                    layers=[{"type": spec["class"], "config": spec["config"]}
                            for spec in header["architecture"]])
    return upgraded


def implied_shapes(layers: list[dict[str, Any]]) -> dict[str, tuple[int, ...]]:
    """The shape of every parameter (``param/<i>.<key>``) and state array (``state/...``)
    that layers given as ``[{"type": ..., "config": ...}]`` hold, from
    :meth:`Layer.array_shapes`: nothing is built or allocated for a layer that gives them.

    >>> implied_shapes([{"type": "Dense", "config": {"fan_in": 3, "fan_out": 2}}])
    {'param/0.W': (3, 2), 'param/0.b': (2,)}
    """
    shapes: dict[str, tuple[int, ...]] = {}
    for i, spec in enumerate(layers):
        cls = registered(spec["type"])
        config = spec["config"]
        if not isinstance(config, dict):
            raise ModelFileError(f"layer {i}: config must be an object, got {config!r}")
        implied = cls.array_shapes(config)
        for kind, prefix in (("params", "param"), ("state", "state")):
            for key, shape in implied[kind].items():
                shapes[f"{prefix}/{i}.{key}"] = tuple(int(d) for d in shape)
    return shapes


def slot_parameter(name: str) -> str:
    """The parameter an optimizer slot ``optimizer/<i>.<key>/<slot>`` belongs to, as
    ``param/<i>.<key>``: a slot is shaped as its parameter."""
    return f"param/{name.split('/')[1]}"


def expected_arrays(header: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """Every array a version-2 header's network holds, with the shape its layers' configs
    imply (:func:`implied_shapes`; optimizer slots shaped as their parameter), after
    checking that the header lists exactly those. Nothing is built or allocated."""
    if header["hyperparameters"]["dtype"] not in FLOAT_DTYPES:
        raise ModelFileError(f"unknown dtype {header['hyperparameters']['dtype']!r}")
    expected = implied_shapes(header["layers"])
    declared = {name: tuple(shape) for name, shape in header["arrays"].items()}
    for name in [*expected, *sorted(set(declared) - set(expected))]:
        if name.startswith("optimizer/"):
            if slot_parameter(name) not in expected:
                raise ModelFileError(f"optimizer state {name} for unknown parameter "
                                     f"{name.split('/')[1]!r}")
            expected[name] = expected[slot_parameter(name)]
        if declared.get(name) != expected.get(name):
            raise ModelFileError(f"array {name}: the header lists "
                                 f"{declared.get(name, 'none')}, the layers' configs imply "
                                 f"{expected.get(name, 'none')}")
    return expected


_NPY_HEADERS = {(1, 0): np.lib.format.read_array_header_1_0,
                (2, 0): np.lib.format.read_array_header_2_0}


def _member_shape(archive: zipfile.ZipFile, info: zipfile.ZipInfo, dtype: str
                  ) -> tuple[int, ...]:
    """The shape an archive member declares, read from its .npy header alone; its dtype and
    size are checked against ``dtype`` and the member's stored length."""
    with archive.open(info) as f:
        read_header = _NPY_HEADERS.get(np.lib.format.read_magic(f))
        if read_header is None:
            raise ModelFileError(f"array {info.filename[:-4]} is of an unknown .npy version")
        shape, _, dt = read_header(f)  # C or Fortran order: np.load reads either
        offset = f.tell()
    if dt != np.dtype(dtype):
        raise ModelFileError(f"array {info.filename[:-4]} is {dt}, expected {dtype}")
    if offset + math.prod(shape) * dt.itemsize != info.file_size:
        raise ModelFileError(f"array {info.filename[:-4]} declares shape {shape}, which does "
                             "not fit its stored size")
    return tuple(shape)


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, dtype: Any) -> np.ndarray:
    """A member's array, after its .npy header is checked against ``dtype`` and its size."""
    shape = _member_shape(archive, info, dtype)
    if info.filename == "header.npy" and math.prod(shape) > _MAX_HEADER:
        raise ModelFileError(f"the header is {math.prod(shape)} bytes long; a model's is far "
                             "smaller")
    return _read_data(archive, info)


def _read_data(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    """A member's array; its .npy header was checked by :func:`_member_shape`."""
    with archive.open(info) as f:
        return np.lib.format.read_array(f, allow_pickle=False)
