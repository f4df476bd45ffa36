"use strict";
// The Draw page: draw with a pointer (mouse or touch); the server preprocesses the drawing as
// MNIST was and answers with class probabilities, drawn as bars and written beside them.

const pad = document.getElementById("pad");
const ctx = pad.getContext("2d");
const SEND_SIZE = 112; // the drawing is sent at 112x112, ink 0..255
const INTERVAL = 150; // ms between predictions while drawing
let drawing = false;
let hasInk = false;
let inFlight = false;
let pending = false;
let lastSent = 0;
let generation = 0; // bumped by Clear, so that a late answer is dropped

function clearPad() {
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, pad.width, pad.height);
  hasInk = false;
  generation += 1;
  document.getElementById("prediction").textContent = "Draw a digit to see what the network reads.";
  for (const id of ["bars", "seen"]) {
    const c = document.getElementById(id);
    c.getContext("2d").clearRect(0, 0, c.width, c.height);
  }
  showMessage("");
}

function position(event) {
  const rect = pad.getBoundingClientRect();
  return [((event.clientX - rect.left) * pad.width) / rect.width,
          ((event.clientY - rect.top) * pad.height) / rect.height];
}

pad.addEventListener("pointerdown", (event) => {
  drawing = true;
  pad.setPointerCapture(event.pointerId);
  const [x, y] = position(event);
  ctx.lineWidth = 18;
  ctx.lineCap = ctx.lineJoin = "round";
  ctx.strokeStyle = "#000";
  ctx.beginPath();
  ctx.moveTo(x, y);
  ctx.lineTo(x + 0.1, y);
  ctx.stroke();
  hasInk = true;
});

pad.addEventListener("pointermove", (event) => {
  if (!drawing) return;
  const [x, y] = position(event);
  ctx.lineTo(x, y);
  ctx.stroke();
  if (performance.now() - lastSent > INTERVAL) predict();
});

for (const type of ["pointerup", "pointercancel"]) {
  pad.addEventListener(type, () => {
    if (!drawing) return;
    drawing = false;
    predict();
  });
}

// The drawing as rows of ink (255 = black), at SEND_SIZE x SEND_SIZE.
function inkRows() {
  const small = document.createElement("canvas");
  small.width = small.height = SEND_SIZE;
  const sctx = small.getContext("2d");
  sctx.drawImage(pad, 0, 0, SEND_SIZE, SEND_SIZE);
  const data = sctx.getImageData(0, 0, SEND_SIZE, SEND_SIZE).data;
  const rows = [];
  for (let r = 0; r < SEND_SIZE; r++) {
    const row = new Array(SEND_SIZE);
    for (let c = 0; c < SEND_SIZE; c++) row[c] = 255 - data[4 * (r * SEND_SIZE + c)];
    rows.push(row);
  }
  return rows;
}

// One request at a time; a drawing that changed meanwhile is sent when the answer comes.
async function predict() {
  if (!hasInk) return;
  if (inFlight) {
    pending = true;
    return;
  }
  inFlight = true;
  pending = false;
  lastSent = performance.now();
  const sent = generation;
  try {
    const result = await api("POST", "/api/predict", { image: inkRows() });
    if (sent === generation) show(result);
  } catch (error) {
    if (sent === generation) showMessage(error.message, true);
  } finally {
    inFlight = false;
    if (pending) predict();
  }
}

function show(result) {
  showMessage("");
  const top = result.probabilities
    .map((p, k) => [p, k]).sort((a, b) => b[0] - a[0]).slice(0, 3)
    .map(([p, k]) => `${result.classes[k]}: ${p.toFixed(3)}`).join(", ");
  const box = document.getElementById("prediction");
  box.replaceChildren();
  const main = document.createElement("p");
  main.className = "answer";
  main.textContent = `Prediction: ${result.label} (probability ${result.probability.toFixed(3)})`;
  const rest = document.createElement("p");
  rest.textContent = `Most likely: ${top}`;
  box.append(main, rest);
  drawBars(result);
  drawSeen(result.input);
}

function drawBars(result) {
  const canvas = document.getElementById("bars");
  const c = canvas.getContext("2d");
  const n = result.probabilities.length;
  const w = canvas.width / n, h = canvas.height - 20;
  c.clearRect(0, 0, canvas.width, canvas.height);
  c.font = "12px sans-serif";
  c.textAlign = "center";
  result.probabilities.forEach((p, k) => {
    c.fillStyle = k === result.class ? "#0877bd" : "#9bb8cc";
    c.fillRect(k * w + 3, h - p * (h - 4), w - 6, p * (h - 4));
    c.fillStyle = "#222";
    c.fillText(result.classes[k].slice(0, 6), k * w + w / 2, canvas.height - 5);
  });
}

// The preprocessed input the network read, ink in [0, 1], enlarged as crisp grey pixels.
function drawSeen(image) {
  const grey = (v) => Array(3).fill(Math.round(255 * (1 - v)));
  paintMap(document.getElementById("seen"), image.length, image.flat(), grey, false);
}

document.getElementById("clear").addEventListener("click", clearPad);
clearPad();
api("GET", "/api/model")
  .then((info) => {
    document.getElementById("model-info").textContent =
      `${info.description} The network reads ${info.image_shape.join("x")} images.`;
  })
  .catch((error) => showMessage(error.message, true));
