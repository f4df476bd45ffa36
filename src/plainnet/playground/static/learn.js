"use strict";
// The Learn page: a form for the configuration, four buttons, and a live view of training
// that the server streams (server-sent events) to this tab's own session.

const form = document.getElementById("config");
const speedInput = document.getElementById("speed");
const buttons = Object.fromEntries(
  ["start", "pause", "step", "reset"].map((id) => [id, document.getElementById(id)]));
let options = null;
let sessionId = null;
let events = null;
let points = null;
let running = false;

function fillForm() {
  for (const [name, choices] of Object.entries(options.choices)) {
    form.elements[name].replaceChildren(...choices.map((c) => new Option(c, c)));
  }
  for (const [name, range] of Object.entries(options.ranges)) {
    const input = form.elements[name];
    input.min = range.min;
    input.max = range.max;
    if (range.integer) input.step = 1;
  }
  for (const [name, value] of Object.entries(options.defaults)) {
    form.elements[name].value = Array.isArray(value) ? value.join(", ") : value;
  }
  speedInput.min = 1;
  speedInput.max = options.speed.max;
  speedInput.value = options.speed.default;
}

// The form as a configuration; the server checks every value and says what is wrong.
function readConfig() {
  const config = {};
  for (const name of Object.keys(options.defaults)) {
    const text = form.elements[name].value.trim();
    if (name === "hidden") {
      config.hidden = text === "" ? [] : text.split(/[\s,]+/).filter(Boolean).map(Number);
    } else if (name in options.choices) {
      config[name] = text;
    } else {
      config[name] = text === "" ? null : Number(text);
    }
  }
  return config;
}

async function act(action) {
  try {
    showMessage("");
    render(await action());
  } catch (error) {
    showMessage(error.message, true);
  }
}

function listen() {
  if (events) events.close();
  events = new EventSource(`/api/sessions/${sessionId}/events`);
  events.onmessage = (event) => render(JSON.parse(event.data));
  events.addEventListener("end", (event) => {
    events.close();
    showMessage(JSON.parse(event.data).error, true);
  });
}

async function newSession() {
  const snap = await api("POST", "/api/sessions", readConfig());
  sessionId = snap.id;
  render(snap);
  listen();
}

function fmt(x) {
  return x === null || x === undefined ? "–" : x.toFixed(3);
}

function render(snap) {
  if (snap.points) points = snap.points;
  running = snap.running;
  const m = snap.metrics;
  document.getElementById("epoch").textContent = snap.epoch;
  document.getElementById("train-accuracy").textContent = fmt(m.train_accuracy);
  document.getElementById("test-accuracy").textContent = fmt(m.test_accuracy);
  document.getElementById("train-loss").textContent = fmt(m.train_loss);
  document.getElementById("test-loss").textContent = fmt(m.test_loss);
  buttons.start.disabled = snap.running;
  buttons.pause.disabled = !snap.running;
  buttons.step.disabled = snap.running;
  if (snap.error || snap.note) showMessage(snap.error || snap.note, Boolean(snap.error));
  drawSurface(snap);
  drawCurves("loss-chart", snap.history, ["train_loss", "test_loss"], null);
  drawCurves("accuracy-chart", snap.history, ["train_accuracy", "test_accuracy"], [0, 1]);
  drawUnits(snap.units);
}

function drawSurface(snap) {
  const canvas = document.getElementById("surface");
  paintMap(canvas, snap.surface.size, snap.surface.values, (p) => diverging(2 * p - 1));
  if (!points) return;
  const [x0, x1, y0, y1] = snap.extent;
  const ctx = canvas.getContext("2d");
  const draw = (rows, test) => {
    for (const [x, y, label] of rows) {
      const px = ((x - x0) / (x1 - x0)) * canvas.width;
      const py = ((y1 - y) / (y1 - y0)) * canvas.height;
      ctx.beginPath();
      ctx.arc(px, py, 3.5, 0, 2 * Math.PI);
      ctx.fillStyle = `rgb(${(label ? BLUE : ORANGE).join(",")})`;
      ctx.fill();
      ctx.lineWidth = test ? 1.5 : 0.8;
      ctx.strokeStyle = test ? "#000" : "#fff";
      ctx.stroke();
    }
  };
  draw(points.train, false);
  draw(points.test, true);
}

function drawCurves(id, history, keys, range) {
  const canvas = document.getElementById(id);
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, pad = 28;
  ctx.clearRect(0, 0, w, h);
  const epochs = history.epoch;
  const all = keys.flatMap((k) => history[k]);
  const [lo, hi] = range || [0, Math.max(...all, 1e-6)];
  const last = Math.max(epochs[epochs.length - 1], 1);
  const x = (e) => pad + ((w - pad - 6) * e) / last;
  const y = (v) => h - pad + 4 - ((h - pad - 2) * (v - lo)) / (hi - lo);
  ctx.strokeStyle = "#999";
  ctx.lineWidth = 1;
  ctx.setLineDash([]);
  ctx.strokeRect(pad, 2, w - pad - 6, h - pad + 2);
  ctx.fillStyle = "#444";
  ctx.font = "11px sans-serif";
  ctx.fillText(hi.toFixed(2), 0, 12);
  ctx.fillText(lo.toFixed(2), 0, h - pad + 4);
  ctx.fillText(`epoch ${epochs[epochs.length - 1]}`, w - 80, h - 8);
  keys.forEach((key, i) => {
    ctx.beginPath();
    ctx.setLineDash(i === 0 ? [] : [5, 4]);
    ctx.strokeStyle = i === 0 ? "#222" : "#c0392b";
    ctx.lineWidth = 1.6;
    history[key].forEach((v, j) => (j ? ctx.lineTo(x(epochs[j]), y(v)) : ctx.moveTo(x(epochs[j]), y(v))));
    ctx.stroke();
  });
  ctx.setLineDash([]);
}

function drawUnits(units) {
  const box = document.getElementById("units");
  if (!units.maps.length) {
    box.textContent = "No hidden layer: the output is a single linear boundary (logistic regression).";
    return;
  }
  if (!box.children.length) box.textContent = "";
  while (box.children.length > units.maps.length) box.lastChild.remove();
  while (box.children.length < units.maps.length) {
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 64;
    canvas.title = `unit ${box.children.length + 1}`;
    box.append(canvas);
  }
  units.maps.forEach((map, i) => paintMap(box.children[i], units.size, map, diverging));
}

buttons.start.addEventListener("click", () => act(() =>
  api("POST", `/api/sessions/${sessionId}/start`, { speed: Number(speedInput.value) })));
buttons.pause.addEventListener("click", () => act(() =>
  api("POST", `/api/sessions/${sessionId}/pause`)));
buttons.step.addEventListener("click", () => act(() =>
  api("POST", `/api/sessions/${sessionId}/step`)));
buttons.reset.addEventListener("click", () => act(() =>
  api("POST", `/api/sessions/${sessionId}/reset`, readConfig())));
// A new configuration takes effect at once, as a reset; a new pace, at once too.
form.addEventListener("change", (event) => {
  if (event.target !== speedInput) {
    act(() => api("POST", `/api/sessions/${sessionId}/reset`, readConfig()));
  } else if (running) {
    act(() => api("POST", `/api/sessions/${sessionId}/start`, { speed: Number(speedInput.value) }));
  }
});
form.addEventListener("submit", (event) => event.preventDefault());
// Leaving the page ends its session, so it holds no place in the server's limits.
window.addEventListener("pagehide", () => {
  if (sessionId) fetch(`/api/sessions/${sessionId}`, { method: "DELETE", keepalive: true });
});

(async () => {
  try {
    options = await api("GET", "/api/options");
    fillForm();
    await newSession();
  } catch (error) {
    showMessage(error.message, true);
  }
})();
