"""The playground's API through Starlette's TestClient, its data, its limits and its drawing
preprocessing; one test streams server-sent events from a real uvicorn server."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import httpx
import numpy as np
import pytest
import uvicorn
from scipy import ndimage
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():  # Starlette 1.x prefers httpx2 for its test client; httpx works
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

from plainnet.cli import main as plainnet_main
from plainnet.playground import data as toy
from plainnet.playground import load_model
from plainnet.playground.app import create_app
from plainnet.playground.config import LearnConfig, parse_config
from plainnet.playground.drawing import (
    _area_weights,
    centre_of_mass,
    resample,
    to_digits,
    to_mnist,
)
from plainnet.playground.errors import RequestError
from plainnet.playground.model import startup_model
from plainnet.playground.sessions import SessionManager

STATIC = Path(__file__).resolve().parents[2] / "src" / "plainnet" / "playground" / "static"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def client_for(**limits) -> TestClient:
    return TestClient(create_app(startup_model(), SessionManager(**limits)),
                      base_url="http://127.0.0.1")


@pytest.fixture
def client():
    with client_for() as c:
        yield c


def new_session(client, **config) -> dict:
    r = client.post("/api/sessions", json=config)
    assert r.status_code == 201, r.text
    return r.json()


def wait_for(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


# --- pages and static files --------------------------------------------------------------


def test_pages_link_each_other_and_have_the_four_buttons(client):
    learn = client.get("/")
    draw = client.get("/draw")
    assert learn.status_code == draw.status_code == 200
    assert learn.headers["content-type"].startswith("text/html")
    for label in ("Start", "Pause", "Step", "Reset"):
        assert f">{label}</button>" in learn.text
    for page in (learn.text, draw.text):
        assert '<a href="/"' in page and ">Learn</a>" in page
        assert '<a href="/draw"' in page and ">Draw</a>" in page
    for asset, kind in [("style.css", "text/css"), ("learn.js", "javascript"),
                        ("draw.js", "javascript"), ("common.js", "javascript")]:
        r = client.get(f"/static/{asset}")
        assert r.status_code == 200 and kind in r.headers["content-type"]


def test_static_files_fetch_nothing_from_elsewhere():
    files = list(STATIC.iterdir())
    assert {f.suffix for f in files} == {".html", ".css", ".js"}
    for f in files:
        text = f.read_text()
        assert "http://" not in text and "https://" not in text and "//cdn" not in text, f
        assert "import " not in text or f.suffix != ".js", f  # no modules from anywhere


def test_both_pages_paint_maps_with_the_one_paint_map_of_common_js():
    assert "function paintMap(" in (STATIC / "common.js").read_text()
    for page, call in (("learn.js", "paintMap(canvas, snap.surface.size"),
                       ("draw.js", "image.flat(), grey, false)")):
        text = (STATIC / page).read_text()
        assert "function paintMap(" not in text and "createImageData" not in text, page
        assert call in text, page


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run common.js")
def test_paint_map_colours_each_value_and_scales_smoothed_or_crisp():
    """common.js's paintMap in node, with stand-ins for the DOM's canvases."""
    script = (STATIC / "common.js").read_text() + """
    const made = [];
    const canvas = (w, h) => {
      const c = { width: w, height: h, drawn: null, smooth: null };
      c.getContext = () => ({
        createImageData: (a, b) => ({ data: new Uint8ClampedArray(4 * a * b) }),
        putImageData: (img) => { c.img = Array.from(img.data); },
        drawImage: (src, x, y, dw, dh) => { c.drawn = [src.img, dw, dh]; },
        set imageSmoothingEnabled(v) { c.smooth = v; },
      });
      return c;
    };
    globalThis.document = { createElement: () => canvas(0, 0) };
    const grey = (v) => [v, v, v];
    const out = [canvas(40, 40), canvas(30, 30)];
    paintMap(out[0], 2, [0, 50, 100, 150], grey);
    paintMap(out[1], 1, [7], grey, false);
    console.log(JSON.stringify(out.map((c) => [c.drawn, c.smooth])));
    """
    done = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    (smooth_drawn, smooth), (crisp_drawn, crisp) = json.loads(done.stdout)
    assert smooth_drawn == [[0, 0, 0, 255, 50, 50, 50, 255, 100, 100, 100, 255,
                             150, 150, 150, 255], 40, 40] and smooth is True
    assert crisp_drawn == [[7, 7, 7, 255], 30, 30] and crisp is False


def test_other_host_names_are_refused():
    with client_for() as c:
        assert c.get("/api/options", headers={"host": "attacker.example"}).status_code == 400
        assert c.get("/api/options").status_code == 200


# --- Learn sessions -------------------------------------------------------------------------


def test_options_describe_defaults_choices_and_ranges(client):
    opts = client.get("/api/options").json()
    assert opts["defaults"] == LearnConfig().to_json()
    assert opts["choices"]["dataset"] == ["circles", "moons", "xor", "spirals"]
    assert opts["ranges"]["lr"] == {"min": 0.0, "max": 10.0, "integer": False, "min_open": True}
    assert opts["hidden"] == {"max_layers": 6, "max_units": 32}


def test_a_session_steps_resets_and_ends(client):
    snap = new_session(client, dataset="moons", n_samples=200, hidden=[5, 3], seed=3)
    sid = snap["id"]
    assert snap["epoch"] == 0 and not snap["running"] and snap["error"] is None
    assert len(snap["points"]["train"]) + len(snap["points"]["test"]) == 200
    assert len(snap["surface"]["values"]) == snap["surface"]["size"] ** 2
    assert all(0.0 <= v <= 1.0 for v in snap["surface"]["values"])
    maps = snap["units"]["maps"]
    assert len(maps) == 5 and all(len(m) == snap["units"]["size"] ** 2 for m in maps)
    assert max(abs(v) for m in maps for v in m) <= 1.0
    assert set(snap["metrics"]) == {"train_loss", "train_accuracy", "test_loss", "test_accuracy"}

    for epoch in (1, 2, 3):
        snap = client.post(f"/api/sessions/{sid}/step").json()
        assert snap["epoch"] == epoch and snap["history"]["epoch"] == list(range(epoch + 1))
    assert "points" not in client.get(f"/api/sessions/{sid}").json()
    assert "points" in client.get(f"/api/sessions/{sid}?data=1").json()

    reset = client.post(f"/api/sessions/{sid}/reset", json={"dataset": "xor", "hidden": []})
    assert reset.status_code == 200
    snap = reset.json()
    assert snap["epoch"] == 0 and snap["config"]["dataset"] == "xor"
    assert snap["units"]["maps"] == [] and snap["data_version"] == 2

    assert client.delete(f"/api/sessions/{sid}").status_code == 204
    gone = client.get(f"/api/sessions/{sid}")
    assert gone.status_code == 404 and "reload the page" in gone.json()["error"]


@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
def test_surface_and_unit_maps_come_from_the_network_itself(output):
    from plainnet.nn.activations import LeakyReLU
    from plainnet.playground.learn import LearnSession

    learn = LearnSession(LearnConfig(hidden=(4,), activation="leaky_relu", output=output))
    P = learn.network.predict_proba(learn._surface_grid)
    assert np.allclose(learn.surface(), P[:, 0] if output == "sigmoid" else P[:, 1])
    learn.network.layers[1] = LeakyReLU(alpha=0.5)  # the maps follow the network's layer
    Z = learn.network.layers[0].forward(learn._unit_grid)
    A = np.where(Z > 0, Z, 0.5 * Z).T
    assert np.allclose(learn.unit_maps(), A / np.abs(A).max(axis=1, keepdims=True))


def test_training_runs_in_the_background_until_paused(client):
    sid = new_session(client)["id"]
    assert client.post(f"/api/sessions/{sid}/start", json={"speed": 1}).json()["running"]
    # a new speed applies to the running session (at 1 epoch/s, 40 epochs would take 40 s)
    assert client.post(f"/api/sessions/{sid}/start", json={"speed": 500}).json()["running"]
    snap = wait_for(lambda: (s := client.get(f"/api/sessions/{sid}").json())["epoch"] >= 40
                    and s)
    assert snap["running"] and snap["metrics"]["test_accuracy"] >= 0.9  # circles, as the page
    paused = client.post(f"/api/sessions/{sid}/pause").json()
    assert not paused["running"]
    time.sleep(0.1)
    assert client.get(f"/api/sessions/{sid}").json()["epoch"] == paused["epoch"]
    refused = client.post(f"/api/sessions/{sid}/start", json={"speed": 0})
    assert refused.status_code == 400 and "speed" in refused.json()["error"]


def test_sessions_do_not_interfere(client):
    a = new_session(client, dataset="circles")
    b = new_session(client, dataset="spirals", hidden=[16])
    assert a["id"] != b["id"]
    for _ in range(3):
        client.post(f"/api/sessions/{a['id']}/step")
    b_now = client.get(f"/api/sessions/{b['id']}?data=1").json()
    assert b_now["epoch"] == 0 and b_now["config"]["dataset"] == "spirals"
    assert b_now["points"] == b["points"] and b_now["surface"] == b["surface"]
    assert client.get(f"/api/sessions/{a['id']}").json()["epoch"] == 3


def test_stepping_while_training_is_refused(client):
    sid = new_session(client)["id"]
    client.post(f"/api/sessions/{sid}/start", json={"speed": 5})
    r = client.post(f"/api/sessions/{sid}/step")
    assert r.status_code == 409 and "pause" in r.json()["error"]
    client.post(f"/api/sessions/{sid}/pause")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_diverging_network_reports_it(client):
    sid = new_session(client, optimizer="sgd", lr=10.0, activation="relu", output="softmax",
                      batch_size=4, hidden=[32, 32, 32, 32])["id"]
    snap = client.post(f"/api/sessions/{sid}/step").json()
    assert "diverged" in snap["error"] and "learning rate" in snap["error"]
    assert snap["epoch"] == 0 and np.isfinite(snap["surface"]["values"]).all()


BAD_CONFIGS = [
    ([1, 2], "must be a JSON object"),
    ({"layers": 3}, "unknown field 'layers'"),
    ({"dataset": "mnist"}, "unknown dataset 'mnist'"),
    ({"dataset": 7}, "unknown dataset 7"),
    ({"hidden": [8] * 7}, "at most 6"),
    ({"hidden": "8,8"}, "hidden must be a list"),
    ({"hidden": [8, 0]}, "hidden[1] must be an integer in [1, 32], got 0"),
    ({"hidden": [8, 2.5]}, "hidden[1] must be an integer"),
    ({"lr": 0}, "lr must be a number in (0, 10], got 0"),
    ({"lr": "0.1"}, "lr must be a number, got '0.1'"),
    ({"lr": None}, "lr must be a number, got None"),
    ({"batch_size": 0}, "batch_size must be an integer in [1, 2000], got 0"),
    ({"batch_size": True}, "batch_size must be an integer"),
    ({"n_samples": 100000}, "n_samples must be an integer in [20, 2000]"),
    ({"noise": -0.1}, "noise must be a number in [0, 1]"),
    ({"weight_decay": 2}, "weight_decay must be a number in [0, 1]"),
    ({"dropout": 0.95}, "dropout must be a number in [0, 0.9]"),
    ({"activation": "swish"}, "unknown activation 'swish'"),
    ({"output": "identity"}, "unknown output 'identity'"),
    ({"optimizer": "lbfgs"}, "unknown optimizer 'lbfgs'"),
    ({"seed": -1}, "seed must be an integer in [0, 2.14748e+09]"),
    ({"n_samples": 10**400}, "n_samples must be an integer in [20, 2000], got an integer of 401 "),
    ({"lr": 10**400}, "lr must be a number in (0, 10], got an integer of 401 digits"),
    ({"hidden": [10**400]}, "hidden[0] must be an integer in [1, 32], got an integer of 401 "),
]


@pytest.mark.parametrize(("body", "message"), BAD_CONFIGS)
def test_bad_configurations_get_400_with_a_message(client, body, message):
    r = client.post("/api/sessions", json=body)
    assert r.status_code == 400 and message in r.json()["error"], r.text
    sid = new_session(client)["id"]  # the server keeps working
    r = client.post(f"/api/sessions/{sid}/reset", json=body)
    assert r.status_code == 400 and message in r.json()["error"]


def test_a_valid_configuration_round_trips():
    body = {"dataset": "spirals", "n_samples": 50, "noise": 0.0, "test_fraction": 0.2,
            "hidden": [], "activation": "relu", "output": "softmax", "optimizer": "rmsprop",
            "lr": 0.5, "batch_size": 2000, "weight_decay": 1, "dropout": 0.9, "seed": 5}
    assert parse_config(body).to_json() == body


def test_malformed_requests_get_4xx_and_the_server_keeps_running(client):
    sid = new_session(client)["id"]
    cases = [
        (client.post("/api/sessions", content=b"{not json",
                     headers={"content-type": "application/json"}), 400, "not valid JSON"),
        (client.post("/api/sessions", content=b'{"lr": 0.1}',
                     headers={"content-type": "text/plain"}), 415, "application/json"),
        (client.post("/api/sessions", content=b"x" * (4 * 1024 * 1024 + 1),
                     headers={"content-type": "application/json"}), 413, "larger than"),
        (client.post("/api/sessions", content=b"[" * 100_000,
                     headers={"content-type": "application/json"}), 400, "nests too deeply"),
        (client.post("/api/sessions", content=b"{}", headers={
            "content-type": "application/json", "content-length": "abc"}), 400, "Content-Length"),
        (client.post(f"/api/sessions/{sid}/pause", json={"now": True}), 400, "unknown field"),
        (client.post(f"/api/sessions/{sid}/start", json=[500]), 400, "JSON object"),
        (client.get("/api/sessions/nope"), 404, "no session 'nope'"),
        (client.post("/api/sessions/nope/step"), 404, "no session"),
        (client.get("/api/nothing"), 404, "Not Found"),
        (client.get("/api/predict"), 405, "Method Not Allowed"),
        (client.get("/static/../app.py"), 404, "Not Found"),
    ]
    for response, status, message in cases:
        assert response.status_code == status, response.text
        assert message in response.json()["error"]
    assert client.get(f"/api/sessions/{sid}").status_code == 200


def random_json(rng: np.random.Generator, depth: int = 0):
    """A random JSON value: numbers of every kind, strings, null, booleans, lists, objects
    with the playground's own field names."""
    keys = [*LearnConfig().to_json(), "image", "speed", "path", ""]
    kind = rng.integers(0, 9 if depth < 3 else 6)
    if kind == 0:
        return int(rng.choice([0, 1, -1, 7, 2**31, 10**30, -(10**30)]))
    if kind == 1:
        return float(rng.choice([0.0, 0.5, -0.5, 1e-300, 1e300, 3.7]))
    if kind == 2:
        return str(rng.choice(["", "circles", "relu", "adam", "../../etc/passwd", "8, 8"]))
    if kind == 3:
        return None
    if kind == 4:
        return bool(rng.integers(2))
    if kind == 5:
        return [int(v) for v in rng.integers(0, 256, rng.integers(0, 12))]
    if kind in (6, 7):
        return [random_json(rng, depth + 1) for _ in range(rng.integers(0, 10))]
    return {str(rng.choice(keys)): random_json(rng, depth + 1) for _ in range(rng.integers(0, 4))}


def test_random_requests_never_break_the_server():
    rng = np.random.default_rng(0)
    with client_for(max_epochs=5) as client:
        sid = new_session(client)["id"]
        urls = ["/api/sessions", "/api/predict", f"/api/sessions/{sid}/reset",
                f"/api/sessions/{sid}/start", f"/api/sessions/{sid}/step"]
        statuses = set()
        for i in range(300):
            body = random_json(rng)
            r = client.post(urls[i % len(urls)], json=body)
            client.post(f"/api/sessions/{sid}/pause")
            assert r.status_code < 500, (urls[i % len(urls)], body, r.text)
            if r.status_code >= 400:
                assert r.json()["error"]
            statuses.add(r.status_code)
        assert {200, 400} <= statuses
        assert client.get(f"/api/sessions/{sid}").status_code == 200


# --- limits and lifetime ------------------------------------------------------------------


def test_limits_on_sessions_training_and_epochs():
    with client_for(max_sessions=2, max_training=1, max_epochs=3) as client:
        a, b = new_session(client)["id"], new_session(client)["id"]
        full = client.post("/api/sessions", json={})
        assert full.status_code == 429 and "2 sessions" in full.json()["error"]

        # slowly at first: at full speed a could reach its limit before b asks to start
        assert client.post(f"/api/sessions/{a}/start", json={"speed": 1}).status_code == 200
        busy = client.post(f"/api/sessions/{b}/start")
        assert busy.status_code == 429 and "limit is 1" in busy.json()["error"]
        assert client.post(f"/api/sessions/{a}/start", json={"speed": 500}).status_code == 200

        # a stops by itself at its epoch limit and says so; then b may train
        snap = wait_for(lambda: (s := client.get(f"/api/sessions/{a}").json())
                        and not s["running"] and s)
        assert snap["epoch"] == 3 and "limit of 3 epochs" in snap["note"]
        for action in ("start", "step"):
            r = client.post(f"/api/sessions/{a}/{action}")
            assert r.status_code == 409 and "press Reset" in r.json()["error"]
        assert client.post(f"/api/sessions/{b}/start").status_code == 200
        client.post(f"/api/sessions/{b}/pause")


def test_sessions_end_after_idle_time_and_maximum_age():
    clock = Clock()
    manager = SessionManager(idle_timeout=60, max_age=300, clock=clock)
    with TestClient(create_app(startup_model(), manager), base_url="http://127.0.0.1") as client:
        idle, busy = new_session(client)["id"], new_session(client)["id"]
        for _ in range(5):  # busy is asked about every 50 s; idle never
            clock.now += 50
            assert client.get(f"/api/sessions/{busy}").status_code == 200
        assert client.get(f"/api/sessions/{idle}").status_code == 404
        assert len(manager) == 1
        clock.now += 55  # 305 s after it began: past the maximum age though never idle
        assert client.get(f"/api/sessions/{busy}").status_code == 404
        assert len(manager) == 0


def test_a_training_session_nobody_watches_stops_and_ends():
    clock = Clock()
    manager = SessionManager(idle_timeout=60, clock=clock)
    config = parse_config({})
    session = manager.create(config)
    manager.start(session, speed=500)
    wait_for(lambda: session.learn.epoch >= 2)
    clock.now += 61
    wait_for(lambda: not session.running)
    assert session.note == "training stopped: the session timed out"
    with pytest.raises(RequestError, match="no session"):
        manager.get(session.id)


# --- server-sent events from a real server ----------------------------------------------


@pytest.fixture
def live_server():
    app = create_app(startup_model())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, timeout=10)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def read_events(lines, n: int | None) -> list[tuple[str, dict]]:
    """The next n events (None: all until the stream ends) as (type, data), from an iterator
    over the stream's lines."""
    events, kind = [], "message"
    for line in lines:
        if line.startswith("event: "):
            kind = line[len("event: "):]
        elif line.startswith("data: "):
            events.append((kind, json.loads(line[len("data: "):])))
            kind = "message"
            if len(events) == n:
                return events
    assert n is None, f"the stream ended after {len(events)} events"
    return events


def test_events_stream_each_change_and_end_with_the_session(live_server, monkeypatch):
    from plainnet.playground.sessions import Session

    asked = []  # include_data of every snapshot: the stream asks once per change
    snapshot = Session.snapshot
    monkeypatch.setattr(Session, "snapshot",
                        lambda self, include_data=False: asked.append(include_data)
                        or snapshot(self, include_data))
    with httpx.Client(base_url=live_server, timeout=10) as http:
        sid = http.post("/api/sessions", json={}).json()["id"]
        with http.stream("GET", f"/api/sessions/{sid}/events") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.iter_lines()
            [(kind, first)] = read_events(lines, 1)
            assert kind == "message" and first["epoch"] == 0 and "points" in first
            http.post(f"/api/sessions/{sid}/step")
            [(_, second)] = read_events(lines, 1)
            assert second["epoch"] == 1 and "points" not in second
            http.post(f"/api/sessions/{sid}/reset", json={"dataset": "moons"})
            [(_, third)] = read_events(lines, 1)
            assert third["epoch"] == 0 and third["points"] and third["config"]["dataset"] == "moons"
            # create, step and reset answered with a snapshot each, and the stream sent three
            assert sorted(asked) == [False, False, True, True, True, True]
            http.post(f"/api/sessions/{sid}/start", json={"speed": 50})
            epochs = [e["epoch"] for _, e in read_events(lines, 3)]
            assert epochs == sorted(epochs) and epochs[-1] > 0
            http.delete(f"/api/sessions/{sid}")
            kind, last = read_events(lines, None)[-1]
            assert kind == "end" and "no session" in last["error"]


# --- the Draw page's model and preprocessing --------------------------------------------


def test_model_info_says_it_was_trained_at_start_up(client):
    info = client.get("/api/model").json()
    assert info["source"] == "startup" and info["image_shape"] == [8, 8]
    assert "trained on scikit-learn's 8x8 digits at start-up" in info["description"]
    assert info["classes"] == [str(k) for k in range(10)]


def ink_from_digit(image8: np.ndarray, scale: int = 14, margin: int = 30) -> np.ndarray:
    """A digits image (values 0..16) enlarged into a 0..255 'drawing' with paper around it."""
    big = np.kron(image8 / 16.0, np.ones((scale, scale)))
    return np.pad(big, margin) * 255


def test_predict_reads_enlarged_digits(client):
    from sklearn.datasets import load_digits

    digits = load_digits()
    right = 0
    for image, label in zip(digits.images[:30], digits.target[:30], strict=True):
        r = client.post("/api/predict", json={"image": ink_from_digit(image).tolist()})
        assert r.status_code == 200, r.text
        result = r.json()
        assert np.isclose(sum(result["probabilities"]), 1.0, atol=1e-3)
        assert result["class"] == np.argmax(result["probabilities"])
        assert result["probability"] == result["probabilities"][result["class"]]
        assert result["label"] == str(result["class"])
        assert np.shape(result["input"]) == (8, 8)
        right += result["class"] == label
    assert right >= 25


BAD_IMAGES = [
    ({"image": [[0] * 10] * 4}, 400, "list of 8 to 512 rows"),
    ({"image": [[0] * 600] * 10}, 400, "same length, 8 to 512"),
    ({"image": [[0] * 10] * 9 + [[0] * 11]}, 400, "same length"),
    ({"image": [[0] * 10] * 9 + ["abcdefghij"]}, 400, "same length"),
    ({"image": [["1"] * 10] * 10}, 400, "only numbers"),
    ({"image": [[None] * 10] * 10}, 400, "only numbers"),
    ({"image": [[[0]] * 10] * 10}, 400, "only numbers"),
    ({"image": [[300] * 10] * 10}, 400, "[0, 255]"),
    ({"image": [[-1] * 10] * 10}, 400, "[0, 255]"),
    ({"image": "/etc/passwd"}, 400, "image must be a list"),
    ({"path": "model.npz"}, 400, "unknown field 'path'"),
    ({}, 400, "needs an 'image'"),
    ({"image": [[0] * 10] * 10}, 422, "the drawing is empty"),
]


@pytest.mark.parametrize(("body", "status", "message"), BAD_IMAGES)
def test_bad_drawings_get_4xx_with_a_message(client, body, status, message):
    r = client.post("/api/predict", json=body)
    assert r.status_code == status and message in r.json()["error"], r.text


def test_predict_needs_a_body(client):
    r = client.post("/api/predict")
    assert r.status_code == 400 and "needs a JSON body" in r.json()["error"]


def test_area_resampling_keeps_the_mean_ink():
    R = _area_weights(7, 3)
    assert np.allclose(R.sum(axis=1), 1.0)
    img = np.random.default_rng(0).random((30, 17))
    for shape in [(20, 11), (8, 8), (45, 40)]:
        assert np.isclose(resample(img, *shape).mean(), img.mean())
    assert np.allclose(resample(img, 30, 17), img)
    blocks = resample(img[:28, :16], 7, 4)  # integer factors: plain block means
    assert np.allclose(blocks, img[:28, :16].reshape(7, 4, 4, 4).mean(axis=(1, 3)))


def test_mnist_preprocessing_crops_scales_and_centres_by_mass():
    ink = np.zeros((200, 300))
    ink[20:120, 200:230] = 1.0  # a tall bar, off centre
    ink[20:35, 150:230] = 1.0  # with a flag to the left: the mass is not at the box centre
    out = to_mnist(ink)
    assert out.shape == (28, 28)
    rows, cols = np.nonzero(out > 1e-9)
    assert rows.max() - rows.min() + 1 == 20 and cols.max() - cols.min() + 1 <= 20
    assert np.allclose(ndimage.center_of_mass(out), (13.5, 13.5), atol=0.5)
    assert np.allclose(centre_of_mass(out), ndimage.center_of_mass(out))
    assert np.isclose(out.max(), 1.0)


def test_digits_preprocessing_fills_8x8_like_the_digits_set():
    ink = np.zeros((100, 100))
    ink[10:90, 45:55] = 1.0  # a "1"
    out = to_digits(ink)
    assert out.shape == (8, 8)
    assert (out[:, 3:5] > 0.3).all() and np.allclose(out[:, :2], 0) and np.allclose(out[:, 6:], 0)


# --- toy data ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(toy.DATASETS))
def test_toy_data_sets_are_balanced_split_and_seeded(name):
    Xtr, ytr, Xte, yte = toy.make(name, 101, 0.1, 0.3, seed=4)
    assert Xtr.shape == (71, 2) and Xte.shape == (30, 2) and Xtr.dtype == np.float32
    assert set(np.concatenate([ytr, yte])) == {0, 1}
    assert abs(np.concatenate([ytr, yte]).sum() - 50) <= 1
    assert np.bincount(yte).tolist() == [15, 15]  # each class gives 30% of its points
    again = toy.make(name, 101, 0.1, 0.3, seed=4)
    assert all(np.array_equal(a, b) for a, b in zip((Xtr, ytr, Xte, yte), again, strict=True))
    assert not np.array_equal(Xtr, toy.make(name, 101, 0.1, 0.3, seed=5)[0])


def test_toy_data_without_noise_follow_their_rule():
    rng = np.random.default_rng(0)
    X, y = toy.circles(200, 0.0, rng)
    assert np.allclose(np.hypot(*X.T), np.where(y == 1, 0.5, 1.0))
    X, y = toy.xor(200, 0.0, rng)
    assert np.array_equal(y == 1, X[:, 0] * X[:, 1] > 0)
    X, y = toy.spirals(200, 0.0, rng)
    assert np.hypot(*X.T).max() <= 1.0
    X, y = toy.moons(200, 0.0, rng)
    assert np.allclose(np.hypot(*(X[y == 0] + [0.5, 0.25]).T), 1.0)


# --- the command ------------------------------------------------------------------------


def main(argv):
    """``plainnet playground ARGV``: its exit status."""
    return plainnet_main(["playground", *argv])


def test_command_refuses_a_bad_port(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--port", "70000"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "--port: must be in [0, 65535]" in err
    assert err.startswith("plainnet playground: error: ") and err.count("\n") == 1  # no usage
    assert "(see 'plainnet playground --help')" in err


def test_command_says_which_package_is_missing(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # `import uvicorn` fails as if absent
    assert main(["--port", "0"]) == 1
    err = capsys.readouterr().err
    assert err == ("plainnet playground: error: the playground needs uvicorn, which is not "
                   "installed: pip install 'plainnet[playground]'\n")


def test_command_says_when_the_port_is_taken(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert main(["--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("plainnet playground: error: cannot listen on 127.0.0.1:")
    assert err.count("\n") == 1


# --- --model files ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model_files(tmp_path_factory):
    """A digits model, an MNIST-shaped (28x28) model and a 2-D model, saved as files."""
    import plainnet as pn

    folder = tmp_path_factory.mktemp("models")
    (X, y), _ = pn.datasets.load("digits")
    digits = pn.mlp([64, 32, 10], seed=0)
    digits.fit(X, y, epochs=3, verbose=0)
    digits.metadata = pn.datasets.metadata("digits")
    mnist = pn.mlp([784, 10], seed=0)
    mnist.metadata = {"image_shape": [28, 28], "pixel_max": 255.0}
    flat = pn.mlp([2, 4, 2], seed=0)
    paths = {"digits": folder / "digits.npz", "mnist": folder / "mnist.npz",
             "flat": folder / "flat.npz", "junk": folder / "junk.npz"}
    for name, net in (("digits", digits), ("mnist", mnist), ("flat", flat)):
        net.save(paths[name])
    paths["junk"].write_bytes(b"not a model")
    return paths


def test_a_model_file_serves_the_draw_page(model_files):
    for name, side in (("digits", 8), ("mnist", 28)):
        model = load_model(str(model_files[name]))
        with TestClient(create_app(model), base_url="http://127.0.0.1") as client:
            info = client.get("/api/model").json()
            assert info["source"] == "file" and info["image_shape"] == [side, side]
            assert str(model_files[name]) in info["description"]
            ink = np.zeros((100, 100))
            ink[20:80, 45:55] = 255
            result = client.post("/api/predict", json={"image": ink.tolist()}).json()
            assert np.shape(result["input"]) == (side, side)
            assert np.isclose(sum(result["probabilities"]), 1.0, atol=1e-3)


@pytest.mark.parametrize(("name", "message"), [
    ("flat", "needs a model of square grayscale images; this one takes 2 inputs"),
    ("junk", "junk.npz"),
    ("missing", "No such file"),
])
def test_a_model_file_that_cannot_serve_is_refused(model_files, capsys, name, message):
    path = model_files.get(name, model_files["digits"].parent / "missing.npz")
    assert main(["--model", str(path), "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"plainnet playground: error: cannot use --model {path}: ")
    assert message in err and err.count("\n") == 1


@pytest.mark.parametrize(("metadata", "n_inputs", "expected"), [
    ({}, 784, (28, 28)),  # network2.py's models record nothing: 784 inputs are 28x28
    ({"image_shape": [8, 8], "pixel_max": 16.0}, 64, (8, 8)),
    ({"image_shape": "ab"}, 64, "unreadable image_shape 'ab'"),
    ({"image_shape": [4, 16]}, 64, "square grayscale images; this one takes 64 inputs"),
    ({}, 10, "square grayscale images; this one takes 10 inputs"),
    ({}, 16, "at least 8x8 pixels"),
])
def test_the_image_shape_a_model_reads(metadata, n_inputs, expected):
    import plainnet as pn
    from plainnet.playground.model import image_shape_of

    net = pn.mlp([n_inputs, 10], seed=0)
    net.metadata = metadata
    if isinstance(expected, tuple):
        assert image_shape_of(net) == expected
    else:
        with pytest.raises(ValueError, match=re.escape(expected)):
            image_shape_of(net)


def test_ctrl_c_stops_the_server_and_its_open_streams_cleanly():
    """The real command in a subprocess: it prints its loopback URL; Ctrl-C while a stream is
    open ends the stream with an 'end' event and the server with no traceback."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "plainnet", "playground", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        printed = ""
        while "http://" not in printed:
            line = proc.stdout.readline()
            assert line, f"the server exited: {proc.stderr.read()}"
            printed += line
        assert "trained on scikit-learn's 8x8 digits at start-up" in printed
        url = re.search(r"http://127\.0\.0\.1:\d+/", printed).group(0)
        with httpx.Client(base_url=url, timeout=10) as http:
            sid = http.post("api/sessions", json={}).json()["id"]
            http.post(f"api/sessions/{sid}/start", json={"speed": 50})
            with http.stream("GET", f"api/sessions/{sid}/events") as stream:
                lines = stream.iter_lines()
                read_events(lines, 1)
                proc.send_signal(signal.SIGINT)
                kind, last = read_events(lines, None)[-1]
        assert kind == "end" and "server has stopped" in last["error"]
        _, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
        proc.wait()
    assert "Traceback" not in err and "ERROR" not in err, err
    assert err.strip() == "plainnet playground: interrupted (Ctrl-C)"
