"use strict";
// Shared by both pages: JSON requests that turn a refusal into an Error with the server's words,
// messages, the class colours and painting a map of values onto a canvas.

async function api(method, url, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  const data = response.status === 204 ? null : await response.json();
  if (!response.ok) throw new Error(data && data.error ? data.error : response.statusText);
  return data;
}

function showMessage(text, isError) {
  const el = document.getElementById("message");
  el.textContent = text || "";
  el.className = isError ? "error" : "";
}

// Colours of the two classes (and of a unit's negative and positive response).
const ORANGE = [245, 147, 34];
const BLUE = [8, 119, 189];

// t in [-1, 1] -> orange through white to blue.
function diverging(t) {
  const c = t < 0 ? ORANGE : BLUE;
  const a = Math.min(Math.abs(t), 1);
  return c.map((v) => Math.round(255 + (v - 255) * a));
}

// A size x size map of values (row by row) onto a canvas, coloured by colour(value) -> [r, g, b]:
// painted on a small canvas, then scaled up, smoothed or (smooth false) as crisp pixels.
function paintMap(canvas, size, values, colour, smooth = true) {
  const small = document.createElement("canvas");
  small.width = small.height = size;
  const ctx = small.getContext("2d");
  const img = ctx.createImageData(size, size);
  values.forEach((v, i) => {
    const [r, g, b] = colour(v);
    img.data.set([r, g, b, 255], 4 * i);
  });
  ctx.putImageData(img, 0, 0);
  const out = canvas.getContext("2d");
  out.imageSmoothingEnabled = smooth;
  out.drawImage(small, 0, 0, canvas.width, canvas.height);
}
