"""The playground's web app (Starlette): the two pages, their static files, and a JSON API.

Pages: ``/`` (Learn) and ``/draw`` (Draw), plain HTML, CSS and JS from ``static/``.

API (JSON in and out; every refusal is a 4xx with ``{"error": message}``):

- ``GET  /api/options``                choices, ranges and defaults of a Learn configuration
- ``POST /api/sessions``               a new session for this tab, from a configuration
- ``GET  /api/sessions/{id}``          its snapshot (``?data=1`` adds the points)
- ``GET  /api/sessions/{id}/events``   server-sent events: a snapshot whenever it changes
- ``POST /api/sessions/{id}/start``    train at ``{"speed": epochs per second}``
- ``POST /api/sessions/{id}/pause``, ``/step`` (one epoch), ``/reset`` (a new configuration)
- ``DELETE /api/sessions/{id}``
- ``GET  /api/model``                  what the Draw page's model is
- ``POST /api/predict``                ``{"image": rows of ink 0..255}`` -> class probabilities

Nothing a client sends names a file or carries code: the model comes from the command line.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..checks import check_number
from .config import options, parse_config
from .drawing import parse_image
from .errors import RequestError, check_object
from .model import DrawModel, startup_model
from .sessions import MAX_SPEED, SessionManager

STATIC = Path(__file__).parent / "static"
MAX_BODY = 4 * 1024 * 1024  # bytes: a 512x512 drawing as JSON fits with room to spare
DEFAULT_SPEED = 20  # epochs per second: slow enough to watch the boundary bend
STREAM_INTERVAL = 0.2  # seconds between checks for a change: a few updates a second
KEEP_ALIVE = 15.0  # seconds between comments on a quiet stream


async def read_json(request: Request, required: bool = True) -> Any:
    """The request's JSON body, at most MAX_BODY bytes; ``{}`` for an empty optional body."""
    declared = request.headers.get("content-length", "0")
    if not declared.isdigit():
        raise RequestError(f"Content-Length must be a number of bytes, got {declared[:20]!r}")
    if int(declared) > MAX_BODY:
        raise RequestError(f"the request body is larger than {MAX_BODY} bytes", 413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise RequestError(f"the request body is larger than {MAX_BODY} bytes", 413)
        chunks.append(chunk)
    body = b"".join(chunks)
    if not body.strip():
        if required:
            raise RequestError("the request needs a JSON body")
        return {}
    # JSON only: a cross-site form post cannot send this type without the browser asking first
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise RequestError("send the body as JSON with Content-Type: application/json", 415)
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RequestError(f"the request body is not valid JSON: {exc}") from None
    except RecursionError:
        raise RequestError("the request body nests too deeply to be a playground request") from None


def create_app(
    model: DrawModel | None = None,
    manager: SessionManager | None = None,
    allowed_hosts: Sequence[str] = ("127.0.0.1", "localhost"),
) -> Starlette:
    """The playground app. ``model`` defaults to the start-up digits model; ``allowed_hosts``
    are the Host names it answers (``"*"`` for any), which keeps other sites' pages from
    reaching it through DNS rebinding."""
    draw_model = model if model is not None else startup_model()
    sessions = manager if manager is not None else SessionManager()
    closing = threading.Event()  # set when the server is asked to stop: streams end at once

    def page(name: str):
        async def endpoint(request: Request) -> Response:
            return FileResponse(STATIC / name, media_type="text/html")
        return endpoint

    async def get_options(request: Request) -> Response:
        return JSONResponse({**options(), "speed": {"default": DEFAULT_SPEED, "max": MAX_SPEED}})

    async def create_session(request: Request) -> Response:
        config = parse_config(await read_json(request, required=False))
        session = await run_in_threadpool(sessions.create, config)
        snap = await run_in_threadpool(session.snapshot, True)
        return JSONResponse(snap, status_code=201)

    async def get_session(request: Request) -> Response:
        session = sessions.get(request.path_params["sid"])
        include_data = request.query_params.get("data", "0") not in ("", "0", "false")
        return JSONResponse(await run_in_threadpool(session.snapshot, include_data))

    async def delete_session(request: Request) -> Response:
        await run_in_threadpool(sessions.delete, request.path_params["sid"])
        return Response(status_code=204)

    async def start(request: Request) -> Response:
        session = sessions.get(request.path_params["sid"])
        body = check_object(await read_json(request, required=False), ["speed"], "start")
        speed = body.get("speed", DEFAULT_SPEED)
        try:
            check_number("speed", speed, low=1, high=MAX_SPEED)
        except ValueError as exc:
            raise RequestError(f"{exc} (epochs per second)") from None
        sessions.start(session, float(speed))
        return JSONResponse(await run_in_threadpool(session.snapshot))

    async def pause(request: Request) -> Response:
        session = sessions.get(request.path_params["sid"])
        check_object(await read_json(request, required=False), [], "pause")
        await run_in_threadpool(sessions.pause, session)
        return JSONResponse(await run_in_threadpool(session.snapshot))

    async def step(request: Request) -> Response:
        session = sessions.get(request.path_params["sid"])
        check_object(await read_json(request, required=False), [], "step")
        await run_in_threadpool(sessions.step, session)
        return JSONResponse(await run_in_threadpool(session.snapshot))

    async def reset(request: Request) -> Response:
        session = sessions.get(request.path_params["sid"])
        config = parse_config(await read_json(request, required=False))
        await run_in_threadpool(sessions.reset, session, config)
        return JSONResponse(await run_in_threadpool(session.snapshot, True))

    async def events(request: Request) -> Response:
        sid = request.path_params["sid"]
        sessions.get(sid)  # a 404 before the stream starts

        async def stream() -> AsyncIterator[str]:
            sent_version, sent_data, quiet = -1, -1, 0.0
            while True:
                try:
                    session = sessions.get(sid)  # also marks the session as watched
                    if closing.is_set():
                        raise RequestError("the playground server has stopped", 503)
                except RequestError as exc:
                    yield f"event: end\ndata: {json.dumps({'error': str(exc)})}\n\n"
                    return
                if session.version != sent_version:
                    new_data = session.learn.data_version != sent_data  # points on new data only
                    snap = await run_in_threadpool(session.snapshot, new_data)
                    if not new_data and snap["data_version"] != sent_data:  # a reset came between
                        snap = await run_in_threadpool(session.snapshot, True)
                    sent_version, sent_data, quiet = snap["version"], snap["data_version"], 0.0
                    yield f"data: {json.dumps(snap)}\n\n"
                elif quiet >= KEEP_ALIVE:
                    quiet = 0.0
                    yield ": keep-alive\n\n"
                await asyncio.sleep(STREAM_INTERVAL)
                quiet += STREAM_INTERVAL

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})

    async def get_model(request: Request) -> Response:
        return JSONResponse(draw_model.info())

    async def predict(request: Request) -> Response:
        body = check_object(await read_json(request), ["image"], "the prediction request")
        if "image" not in body:
            raise RequestError("the prediction request needs an 'image': a list of rows of "
                               "ink values in [0, 255]")
        ink = parse_image(body["image"])
        return JSONResponse(await run_in_threadpool(draw_model.predict, ink))

    async def refused(request: Request, exc: Exception) -> Response:
        if isinstance(exc, RequestError):
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        assert isinstance(exc, HTTPException)
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        sessions.close()

    sid = "/api/sessions/{sid}"
    routes = [
        Route("/", page("learn.html")),
        Route("/draw", page("draw.html")),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
        Route("/api/options", get_options),
        Route("/api/sessions", create_session, methods=["POST"]),
        Route(sid, get_session, methods=["GET"]),
        Route(sid, delete_session, methods=["DELETE"]),
        Route(sid + "/events", events),
        Route(sid + "/start", start, methods=["POST"]),
        Route(sid + "/pause", pause, methods=["POST"]),
        Route(sid + "/step", step, methods=["POST"]),
        Route(sid + "/reset", reset, methods=["POST"]),
        Route("/api/model", get_model),
        Route("/api/predict", predict, methods=["POST"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))],
        exception_handlers={RequestError: refused, HTTPException: refused},
        lifespan=lifespan,
    )
    app.state.sessions = sessions
    app.state.closing = closing
    app.state.model = draw_model
    return app


__all__ = ["create_app"]
