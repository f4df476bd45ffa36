"use strict";
// Shared by both pages: JSON requests that turn a refusal into an Error with the server's words.

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
