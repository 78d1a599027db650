// The backward pass panels: gradients for a target class (click one for its sum), saliency,
// from maps to probability, fooling the network, and training over time. Every number comes
// from the server's NumPy backward; this file only draws it. Uses app.js's paint, diverging,
// largest, table and post.
"use strict";

const GRADS = [
  ["conv1", "at conv1's output (the first pool's input): click one", 3],
  ["pool1", "at the first pool's output", 4],
  ["conv2", "at conv2's output (the second pool's input): click one", 4],
  ["pool2", "at the second pool's output", 6],
];
let classes = [];
let chosen = null;     // the target class picked, or null: follow the prediction
let image = null;      // the data URL of the finished drawing
let grads = null;      // the last answer of /api/backward
let asked = 0;         // the number of the newest backward request: older answers are dropped
let fooled = null;     // the last answer of /api/fool
const $ = (id) => document.getElementById(id);

function ready(info) {  // called by app.js once /api/info has arrived
  classes = info.classes;
  $("targets").replaceChildren(...classes.map((name, k) => {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = name;
    b.dataset.class = k;
    b.addEventListener("click", () => { chosen = k; backward(); });
    return b;
  }));
  $("fool-target").replaceChildren(...classes.map((name, k) => new Option(name, k)));
  const slider = $("time-slider");
  if (info.snapshots.length) {
    slider.max = info.snapshots.length - 1;
    slider.value = slider.max;
    slider.addEventListener("input", replay);
  } else {
    slider.hidden = true;
    $("time-label").textContent = "This run saved no snapshots (runs trained before snapshots existed): train again to replay it.";
  }
  $("time-slider").dataset.labels = JSON.stringify(info.snapshots);
  $("fool-run").addEventListener("click", fool);
  document.querySelectorAll("input[name=score]").forEach((r) => r.addEventListener("change", backward));
  $("fool-slider").addEventListener("input", () => showStep(+$("fool-slider").value));
}

function settled(dataUrl) {  // called by app.js when the answer for the finished drawing has arrived
  if (!fooled) {  // until the learner picks one: the runner-up, the class it is likeliest to become
    const order = latest.probabilities.map((p, k) => [p, k]).sort((a, b) => b[0] - a[0]);
    $("fool-target").value = order[1][1];
  }
  image = dataUrl;
  backward();
  if (!$("time-slider").hidden) replay();
}

function cleared() {  // called by app.js when the canvas is cleared: nothing to explain until the next drawing
  image = grads = null;
  $("why").hidden = true;
}

function grid(target, maps, scale, onClick) {  // one canvas per map, each scaled to its own largest value
  target.replaceChildren(...maps.map((map, channel) => {
    const c = document.createElement("canvas");
    c.dataset.channel = channel;
    paint(c, map, scale, diverging(largest(map)));
    if (onClick) {
      c.classList.add("clickable");
      c.addEventListener("click", (event) => onClick(channel, ...cell(event, c, map)));
    }
    return c;
  }));
}

function cell(event, c, map) {  // [row, column] of the clicked value
  const box = c.getBoundingClientRect();
  const h = map.length, w = map[0].length;
  return [Math.min(h - 1, Math.floor((event.clientY - box.top) / box.height * h)),
          Math.min(w - 1, Math.floor((event.clientX - box.left) / box.width * w))];
}

async function backward() {
  if (!image) return;
  const target = chosen ?? latest.predicted;
  const score = document.querySelector("input[name=score]:checked").value;
  const mine = ++asked;
  const [ok, answer] = await post("/api/backward", {image, target, score});
  if (mine !== asked) return;
  if (!ok) { $("message").textContent = answer.error; return; }
  grads = answer;
  for (const b of $("targets").children) b.classList.toggle("chosen", +b.dataset.class === target);
  const name = classes[target];
  const z = answer.logits[target], p = answer.probabilities[target], top = Math.max(...answer.logits);
  const logP = z - top - Math.log(answer.logits.reduce((sum, v) => sum + Math.exp(v - top), 0));  // log-softmax
  $("grad-title").textContent = `p(${name}) = ${(100 * p).toFixed(1)}%: logit z(${name}) = ${z.toFixed(3)}, ` +
    `log p = ${fmt(logP)}; largest |d ${score === "logit" ? "z" : "log p"} / d pixel| = ` +
    `${fmt(largest(answer.saliency))}`;
  document.querySelectorAll(".target-name").forEach((e) => { e.textContent = name; });
  paint($("saliency"), answer.saliency, 5, diverging(largest(answer.saliency)));
  paint($("gradxinput"), answer.grad_x_input, 5, diverging(largest(answer.grad_x_input)));
  grid($("dW"), answer.dW, 8, (f, p, q) => why({kind: "dW", channel: f, row: p, column: q}));
  $("grads").replaceChildren(...GRADS.map(([layer, title, scale]) => {
    const box = document.createElement("div");
    box.className = "layer";
    box.innerHTML = `<h3></h3><div class="grid" id="grads-${layer}"></div>`;
    box.querySelector("h3").textContent = `the gradient ${title}`;
    const click = layer.startsWith("conv") ? (c, i, j) => why({kind: layer === "conv1" ? "pool1" : "pool2",
      channel: c, row: i, column: j}) : null;
    grid(box.querySelector(".grid"), answer.grads[layer], scale, click);
    return box;
  }));
  pushes(answer, target);
}

$("saliency").addEventListener("click", (event) => {
  if (!grads) return;
  const [row, column] = cell(event, $("saliency"), grads.saliency);
  why({kind: "dx", row, column});
});

const fmt = (v) => (Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(2));

function heat(rows, scale) {  // a small heat map canvas
  const c = document.createElement("canvas");
  paint(c, rows, scale, diverging(largest(rows)));
  return c;
}

async function why(what) {  // the sum behind one gradient value
  const [ok, t] = await post("/api/explain", {image, target: grads.target, score: grads.score, ...what});
  if (!ok) { $("message").textContent = t.error; return; }
  const body = $("why-body");
  const box = $("why");
  box.hidden = false;
  Object.assign(box.dataset, {kind: t.kind, row: what.row, column: what.column, channel: what.channel ?? 0});
  let total, text, label = "the sum";
  if (t.kind === "dW") {
    total = t.products.flat().reduce((a, b) => a + b, 0);
    text = `dW of conv1 filter ${what.channel} at kernel offset (${what.row}, ${what.column}) = the sum over all
      28x28 output pixels of (gradient at that output pixel) x (the input pixel its window met at this offset)`;
    body.replaceChildren(figure(heat(t.dout, 3), "gradient at conv1's output"), op("\u00d7"),
      figure(heat(t.input, 3), "input, shifted by the offset"), op("="), figure(heat(t.products, 3), "products: their sum"));
  } else if (t.kind === "dx") {
    const f = t.filters.reduce((best, v, k) => (Math.abs(v) > Math.abs(t.filters[best]) ? k : best), 0);
    total = t.filters.reduce((a, b) => a + b, 0);
    text = `d/d(input pixel (${what.row}, ${what.column})) = the sum over the 25 windows that covered it, and
      the 32 filters, of (gradient at the window's output pixel) x (the kernel weight that met the pixel):
      laid out by output pixel, the kernel appears flipped. Divided by the normalization's std (${t.std.toFixed(4)}),
      the sum is this pixel's saliency. Filter ${f}, the largest share, shown:`;
    const grids = [tableOf(t.dout[f]), op("\u00d7"), tableOf(t.kernel[f]), op("="), tableOf(t.products[f])];
    body.replaceChildren(figure(grids[0], `gradient at conv1's outputs around it, filter ${f}`), grids[1],
      figure(grids[2], "kernel, flipped"), grids[3], figure(grids[4], `products: sum ${fmt(t.filters[f])}`),
      figure(shares(t.filters), "each filter's share (sum of its products)"));
  } else {
    total = t.routed;
    label = "the routed gradient";
    const tie = t.tied.length > 1 ? ` ${t.tied.length} values tie for the maximum: the FIRST in row-major order
      (offset ${t.winner}) takes the gradient, as stage 5's pool routes it.` : "";
    text = `The pool's window holds these four values; its maximum (offset ${t.winner}) took the upstream gradient
      ${fmt(t.upstream)}, every other position gets 0. This value is offset ${t.offset}: it gets ${fmt(t.routed)}.${tie}`;
    const win = tableOf(t.window);
    win.querySelectorAll("td").forEach((td, k) => {
      td.classList.toggle("winner", k === t.winner);
      td.classList.toggle("tied", t.tied.includes(k));
      td.classList.toggle("mine", k === t.offset);
    });
    body.replaceChildren(figure(win, "the pool window (winner outlined, this value shaded)"));
  }
  $("why-text").textContent = text.replace(/\s+/g, " ");
  $("why-label").textContent = label;
  $("why-total").textContent = fmt(total);
  $("why-numpy").textContent = fmt(t.numpy);
}

function figure(content, caption) {
  const f = document.createElement("figure");
  f.append(content, Object.assign(document.createElement("figcaption"), {textContent: caption}));
  return f;
}

function op(sign) { return Object.assign(document.createElement("span"), {className: "op", textContent: sign}); }

function tableOf(rows) {
  const t = document.createElement("table");
  t.innerHTML = rows.map((row) => "<tr>" + row.map((v) => `<td>${fmt(v)}</td>`).join("") + "</tr>").join("");
  return t;
}

function shares(values) {  // a tiny bar per filter
  const c = document.createElement("canvas");
  paint(c, [values], 6, diverging(largest([values])));
  return c;
}

function pushes(answer, target) {  // from maps to probability
  const order = answer.push.channels.map((v, k) => [v, k]).sort((a, b) => Math.abs(b[0]) - Math.abs(a[0])).slice(0, 8);
  const top = Math.max(...order.map(([v]) => Math.abs(v)));
  $("push-bars").replaceChildren(...order.map(([v, k]) => {
    const row = document.createElement("div");
    row.className = "bar-row push";
    row.innerHTML = `<span class="label">channel ${k}</span><span class="track"><div class="bar"></div></span>` +
      `<span class="value">${v >= 0 ? "+" : ""}${v.toFixed(3)}</span>`;
    row.querySelector(".bar").style.width = `${(100 * Math.abs(v) / top).toFixed(1)}%`;
    row.querySelector(".bar").classList.toggle("down", v < 0);
    row.prepend(heat(answer.push.maps[k], 3));
    return row;
  }));
  const sum = answer.push.channels.reduce((a, b) => a + b, 0);
  $("push-sum").textContent = `${sum.toFixed(4)} (all 64 channels) + ${answer.push.constant.toFixed(4)} (the biases)` +
    ` = ${(sum + answer.push.constant).toFixed(4)}; NumPy's logit: ${answer.logits[target].toFixed(4)}`;
  Object.assign($("push-sum").dataset, {total: sum + answer.push.constant, logit: answer.logits[target]});
  const exps = answer.logits.map((z) => Math.exp(z - Math.max(...answer.logits)));
  const total = exps.reduce((a, b) => a + b, 0);
  $("logits").innerHTML = "<tr><th>class</th><th>logit z</th><th>exp(z - max z)</th><th>probability</th></tr>" +
    answer.logits.map((z, k) => `<tr class="${k === target ? "top" : ""}"><td>${classes[k]}</td><td>${z.toFixed(3)}</td>` +
      `<td>${exps[k].toFixed(4)}</td><td>${(100 * exps[k] / total).toFixed(2)}%</td></tr>`).join("");
}

async function fool() {
  if (!image) { $("fool-result").textContent = "Draw a digit first."; return; }
  const target = +$("fool-target").value;
  $("fool-result").textContent = "Stepping\u2026";
  const [ok, answer] = await post("/api/fool", {image, target, step: 0.25, steps: 100});
  if (!ok) { $("fool-result").textContent = answer.error; return; }
  fooled = answer;
  const last = answer.steps.length - 1, end = answer.steps[last], name = classes[target];
  $("fool-result").textContent = answer.flipped_at === null
    ? `Not fooled in ${last} steps: p(${name}) reached ${(100 * end.probabilities[target]).toFixed(1)}%.`
    : `It says ${name} after ${answer.flipped_at} steps. The image changed by ${end.l2.toFixed(2)} in L2 ` +
      `(pixels on the 0..1 scale) and no pixel by more than ${end.max_change.toFixed(3)}.`;
  $("fool-slider").max = last;
  $("fool-slider").value = last;
  $("fool-slider").hidden = false;
  showStep(last);
}

function showStep(n) {
  const step = fooled.steps[n];
  const target = fooled.target;
  paint($("fool-image"), step.image, 5, (v) => [255 * v, 255 * v, 255 * v]);
  const start = fooled.steps[0].image;
  paint($("fool-change"), step.image.map((row, i) => row.map((v, j) => v - start[i][j])), 5, diverging(0.3));
  $("fool-step").textContent = `step ${n}: says ${classes[step.predicted]}, p(${classes[target]}) = ` +
    `${(100 * step.probabilities[target]).toFixed(1)}%, L2 change ${step.l2.toFixed(2)}, largest ${step.max_change.toFixed(3)}`;
}

async function replay() {
  if (!image) return;
  const slider = $("time-slider");
  const index = +slider.value;
  const [ok, answer] = await post("/api/replay", {image, index});
  if (!ok || +slider.value !== index) return;
  $("time-label").textContent = `snapshot ${index + 1} of ${+slider.max + 1}, ${answer.label}: ` +
    `says ${classes[answer.predicted]} ` +
    `(${(100 * answer.probabilities[answer.predicted]).toFixed(1)}%)`;
  slider.dataset.shown = index;
  $("time-bars").replaceChildren(...answer.probabilities.map((p, k) => {
    const row = document.createElement("div");
    row.className = "bar-row" + (k === answer.predicted ? " top" : "");
    row.innerHTML = `<span class="label"></span><span class="track"><div class="bar"></div></span>` +
      `<span class="value">${(100 * p).toFixed(1)}%</span>`;
    row.querySelector(".label").textContent = classes[k];
    row.querySelector(".bar").style.width = `${(100 * p).toFixed(2)}%`;
    return row;
  }));
  grid($("time-filters"), answer.filters, 6);
  grid($("time-maps"), answer.maps.conv1, 2);
}
