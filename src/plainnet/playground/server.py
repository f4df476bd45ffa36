"""Serving the playground: its Draw model from a file (or trained at start-up), a socket, and
uvicorn until Ctrl-C. ``plainnet playground`` (in :mod:`plainnet.cli`) calls :func:`serve`."""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from .model import DrawModel


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _allowed_hosts(host: str) -> list[str]:
    """Host names the app answers: loopback names when it listens on loopback only."""
    if _is_loopback(host) and ":" not in host:
        return sorted({host, "127.0.0.1", "localhost"})
    return ["*"]


def _listen(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    return sock


def load_model(path: str | os.PathLike) -> DrawModel:
    """The Draw page's model from a plainnet model file. OSError when the file cannot be read,
    ValueError (a ModelFileError among them) when it is not a model of square images."""
    from ..network import load
    from .model import from_network

    network = load(path)
    return from_network(network, f"Model file {path}: {network.n_inputs} inputs, "
                                 f"{network.n_outputs} classes.")


def _web_stack() -> tuple[Any, Any]:
    """``(uvicorn, create_app)``, or an ImportError naming the missing package and the extra."""
    try:
        import uvicorn

        from .app import create_app
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in ("uvicorn", "starlette"):
            raise  # not the extra missing: a fault the traceback should show
        raise ImportError(f"the playground needs {exc.name}, which is not installed: "
                          "pip install 'plainnet[playground]'") from None
    return uvicorn, create_app


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    model: DrawModel | None = None,
    file: TextIO | None = None,
) -> None:
    """Serve the playground on ``host:port`` (port 0: any free one) until Ctrl-C, printing its
    URL to ``file`` (default: stdout). ``model`` is the Draw page's (see :func:`load_model`);
    without one a quick model is trained on scikit-learn's digits first.

    Raises ImportError naming the missing package when the ``playground`` extra is not
    installed, and OSError ("cannot listen on HOST:PORT: why") when the address is taken or
    cannot be used. A Ctrl-C ends the open event streams, then the server; uvicorn raises the
    KeyboardInterrupt again once it has shut down.
    """
    from .model import startup_model

    file = sys.stdout if file is None else file
    uvicorn, create_app = _web_stack()
    if model is None:
        print("Training a quick model on scikit-learn's digits for the Draw page...", file=file,
              flush=True)
        model = startup_model()
    print(model.description, file=file, flush=True)
    try:
        sock = _listen(host, port)
    except OSError as exc:
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    bound_host, bound_port = sock.getsockname()[:2]
    if not _is_loopback(host):
        print(f"warning: listening on {host}: anyone who can reach this machine can use "
              "the playground", file=sys.stderr)
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    print(f"plainnet playground: http://{shown}:{bound_port}/  (Ctrl-C stops it)", file=file,
          flush=True)
    app = create_app(model, allowed_hosts=_allowed_hosts(host))
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    stop = server.handle_exit

    def handle_exit(sig: int, frame: Any) -> None:
        app.state.closing.set()  # open event streams end, so shutting down need not wait
        stop(sig, frame)

    server.handle_exit = handle_exit  # type: ignore[method-assign]
    server.run(sockets=[sock])
