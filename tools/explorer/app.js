// The explorer page: draw, send the drawing to the server, show what every layer did.
// Plain JavaScript, no libraries: everything here runs offline.
"use strict";

const LAYERS = [
  ["conv1", "after conv1 (5x5, 1 -> 32 channels)", 3],
  ["pool1", "after the first max pool (14x14)", 4],
  ["conv2", "after conv2 (5x5, 32 -> 64 channels)", 4],
  ["pool2", "after the second max pool (7x7)", 6],
];
const canvas = document.getElementById("canvas");
const pen = canvas.getContext("2d");
let info = null;       // classes, conv1 filters and biases, from /api/info
let latest = null;     // the last answer of /api/predict
let drawing = false;
let pending = false;   // a prediction is on its way
let again = false;     // the drawing changed while it was
let inflight = 0;      // requests of any kind on their way (a test waits for none)

function clearCanvas() {
  pen.fillStyle = "#fff";
  pen.fillRect(0, 0, canvas.width, canvas.height);
}

function point(event) {
  const box = canvas.getBoundingClientRect();
  return [(event.clientX - box.left) * canvas.width / box.width, (event.clientY - box.top) * canvas.height / box.height];
}

canvas.addEventListener("pointerdown", (event) => {
  drawing = true;
  canvas.setPointerCapture(event.pointerId);
  const [x, y] = point(event);
  pen.beginPath();
  pen.moveTo(x, y);
  pen.lineTo(x + 0.01, y);
  pen.stroke();
});
canvas.addEventListener("pointermove", (event) => {
  if (!drawing) return;
  const [x, y] = point(event);
  pen.lineTo(x, y);
  pen.stroke();
  predictSoon();
});
for (const name of ["pointerup", "pointercancel"]) {
  canvas.addEventListener(name, () => {
    if (!drawing) return;
    drawing = false;
    predictSoon();
  });
}

document.getElementById("clear").addEventListener("click", () => {
  clearCanvas();
  latest = null;
  document.getElementById("prediction").textContent = "\u00a0";
  document.getElementById("message").textContent = "";
  cleared();  // backward.js
});

document.getElementById("upload").addEventListener("change", (event) => {
  const file = event.target.files[0];
  if (!file) return;
  const reader = new FileReader();
  reader.onload = () => send(reader.result);
  reader.readAsDataURL(file);
});

function predictSoon() {  // at most one request in flight; the newest drawing always gets its turn
  if (pending) { again = true; return; }
  send(canvas.toDataURL("image/png"));
}

async function post(path, body) {  // a JSON request: resolves to [ok, answer]
  inflight++;
  try {
    const response = await fetch(path, {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
    });
    return [response.ok, await response.json()];
  } catch (err) {
    return [false, {error: "The explorer's server does not answer: is it still running?"}];
  } finally {
    inflight--;
  }
}

async function send(dataUrl) {
  pending = true;
  const message = document.getElementById("message");
  try {
    const response = await fetch("/api/predict", {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({image: dataUrl}),
    });
    const answer = await response.json();
    if (response.ok) {
      message.textContent = "";
      latest = answer;
      show(answer);
      if (!drawing && !again) settled(dataUrl);  // backward.js: the panels that need the finished drawing
    } else {
      message.textContent = answer.error;
    }
  } catch (err) {
    message.textContent = "The explorer's server does not answer: is it still running?";
  }
  pending = false;
  if (again) { again = false; predictSoon(); }
}

function paint(target, rows, scale, color) {  // a 2-D array as pixels
  const h = rows.length, w = rows[0].length;
  target.width = w * scale;
  target.height = h * scale;
  const ctx = target.getContext("2d");
  const image = ctx.createImageData(w, h);
  rows.forEach((row, i) => row.forEach((v, j) => {
    const [r, g, b] = color(v);
    image.data.set([r, g, b, 255], 4 * (i * w + j));
  }));
  const small = document.createElement("canvas");
  small.width = w; small.height = h;
  small.getContext("2d").putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, w * scale, h * scale);
}

function diverging(limit) {  // orange for positive, blue for negative, white at 0
  return (v) => {
    const t = Math.min(1, Math.abs(v) / (limit || 1));
    return v >= 0 ? [255, 255 - 130 * t, 255 - 255 * t] : [255 - 200 * t, 255 - 130 * t, 255];
  };
}

function largest(rows) {
  return Math.max(...rows.map((row) => Math.max(...row.map(Math.abs))));
}

function show(answer) {
  const input = document.getElementById("input");
  paint(input, answer.digit, 5, (v) => [v, v, v]);
  const names = info.classes;
  document.getElementById("prediction").textContent = names[answer.predicted];
  const bars = document.getElementById("bars");
  bars.replaceChildren(...answer.probabilities.map((p, k) => {
    const row = document.createElement("div");
    row.className = "bar-row" + (k === answer.predicted ? " top" : "");
    row.innerHTML = `<span class="label"></span><span class="track"><div class="bar"></div></span>` +
      `<span class="value">${(100 * p).toFixed(1)}%</span>`;
    row.querySelector(".label").textContent = names[k];
    row.querySelector(".bar").style.width = `${(100 * p).toFixed(2)}%`;
    return row;
  }));
  const maps = document.getElementById("maps");
  maps.replaceChildren(...LAYERS.map(([name, title, scale]) => {
    const layer = document.createElement("div");
    layer.className = `layer layer-${name}`;
    layer.innerHTML = `<h3></h3><div class="grid" id="maps-${name}"></div>`;
    layer.querySelector("h3").textContent = `${title}: ${answer.maps[name].length} maps`;
    const grid = layer.querySelector(".grid");
    answer.maps[name].forEach((map, channel) => {
      const c = document.createElement("canvas");
      c.title = `${name}, channel ${channel}`;
      c.dataset.channel = channel;
      paint(c, map, scale, diverging(largest(map)));
      if (name === "conv1") c.addEventListener("click", (event) => explain(channel, event, c, scale));
      grid.appendChild(c);
    });
    return layer;
  }));
}

function table(id, rows) {
  document.getElementById(id).innerHTML = rows.map((row) =>
    "<tr>" + row.map((v) => `<td>${v.toFixed(3)}</td>`).join("") + "</tr>").join("");
}

function explain(channel, event, target, scale) {  // the dot product behind one conv1 value
  const box = target.getBoundingClientRect();
  const j = Math.min(27, Math.floor((event.clientX - box.left) / box.width * 28));
  const i = Math.min(27, Math.floor((event.clientY - box.top) / box.height * 28));
  const window = [];
  for (let p = 0; p < 5; p++) {  // pad 2: the window of output (i, j) starts 2 pixels up and left
    const row = [];
    for (let q = 0; q < 5; q++) {
      const y = i + p - 2, x = j + q - 2;
      row.push(y >= 0 && y < 28 && x >= 0 && x < 28 ? latest.input[y][x] : 0);
    }
    window.push(row);
  }
  const kernel = info.filters[channel];
  const products = window.map((row, p) => row.map((v, q) => v * kernel[p][q]));
  const sum = products.flat().reduce((a, b) => a + b, 0);
  const bias = info.bias[channel];
  table("dot-window", window);
  table("dot-kernel", kernel);
  table("dot-products", products);
  document.getElementById("dot-title").textContent = `conv1, filter ${channel}, output pixel (row ${i}, column ${j})`;
  document.getElementById("dot-sum").textContent = sum.toFixed(4);
  document.getElementById("dot-bias").textContent = bias.toFixed(4);
  document.getElementById("dot-total").textContent = (sum + bias).toFixed(4);
  document.getElementById("dot-numpy").textContent = latest.maps.conv1[channel][i][j].toFixed(4);
  const dot = document.getElementById("dot");
  dot.hidden = false;
  dot.dataset.row = i; dot.dataset.column = j; dot.dataset.channel = channel;
}

async function start() {
  pen.lineWidth = 20;
  pen.lineCap = "round";
  pen.lineJoin = "round";
  pen.strokeStyle = "#111";
  clearCanvas();
  info = await (await fetch("/api/info")).json();
  document.getElementById("about").textContent =
    `Your checkpoint: epoch ${info.epoch} of a run on ${info.dataset}. Draw a ` +
    (info.classes[0] === "0" ? "digit" : "piece of clothing") + " below, or upload a picture.";
  const filters = document.getElementById("filters");
  info.filters.forEach((kernel, k) => {
    const c = document.createElement("canvas");
    c.title = `conv1 filter ${k}`;
    paint(c, kernel, 8, diverging(largest(kernel)));
    filters.appendChild(c);
  });
  ready(info);  // backward.js
}

window.explorer = {busy: () => pending || again || drawing || inflight > 0};  // lets a test wait for the last answer
start();
