"""``plainnet playground``: parse the command line, load or train the model, serve on uvicorn."""

from __future__ import annotations

import argparse
import ipaddress
import socket
import sys
from collections.abc import Sequence
from typing import Any


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be in [0, 65535] (0: any free port), got {port}")
    return port


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=_port, default=8765,
                        help="port to listen on (default: 8765; 0 picks a free one)")
    parser.add_argument("--model", metavar="MODEL.npz",
                        help="a model file (plainnet's .npz) for the Draw page; without it a "
                             "quick model is trained on scikit-learn's digits at start-up")
    return parser


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


def _load_model(path: str) -> Any:
    from .. import load
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


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C. Returns the exit status: 0, or 1 when the model file cannot be used
    or the address cannot be listened on (as the ``plainnet`` command does for files)."""
    from .model import startup_model

    uvicorn, create_app = _web_stack()

    def fail(message: str) -> int:
        print(f"plainnet playground: error: {message}", file=sys.stderr)
        return 1

    if args.model is not None:
        try:
            model = _load_model(args.model)
        except (OSError, ValueError) as exc:
            return fail(f"cannot use --model {args.model}: {exc}")
    else:
        print("Training a quick model on scikit-learn's digits for the Draw page...", flush=True)
        model = startup_model()
    print(model.description, flush=True)
    try:
        sock = _listen(args.host, args.port)
    except OSError as exc:
        return fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    host, port = sock.getsockname()[:2]
    if not _is_loopback(args.host):
        print(f"warning: listening on {args.host}: anyone who can reach this machine can use "
              "the playground", file=sys.stderr)
    shown = f"[{host}]" if ":" in host else host
    print(f"plainnet playground: http://{shown}:{port}/  (Ctrl-C stops it)", flush=True)
    app = create_app(model, allowed_hosts=_allowed_hosts(args.host))
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    stop = server.handle_exit

    def handle_exit(sig: int, frame: Any) -> None:
        app.state.closing.set()  # open event streams end, so shutting down need not wait
        stop(sig, frame)

    server.handle_exit = handle_exit  # type: ignore[method-assign]
    server.run(sockets=[sock])
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``plainnet playground [--host 127.0.0.1] [--port 8765] [--model MODEL.npz]``, through
    the ``plainnet`` command so that errors end the same way (one line, its exit statuses)."""
    from ..cli import main as plainnet

    return plainnet(["playground", *(sys.argv[1:] if argv is None else argv)])
