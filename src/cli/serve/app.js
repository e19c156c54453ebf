// The classroom page's script: asks the server (the same binary) to explain,
// check and run scenarios, and shows the answers. Written by hand, with no
// library and nothing fetched from elsewhere, so the page works offline.
"use strict";

const $ = (id) => document.getElementById(id);

// What the page holds between two requests.
const state = {
  name: "",        // the bundled scenario picked
  original: "",    // its YAML as bundled
  knobs: [],       // {path, current, input, slider, options}
  pinned: null,    // the variant kept as A, if any
  previous: null,  // path -> value of the last run's variant, to show what moved
  runs: 0,
};

// Calls the server; throws an error carrying the issues it names.
async function api(method, url, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(url, options);
  let data;
  try {
    data = await response.json();
  } catch (e) {
    data = { error: `the server answered ${response.status}` };
  }
  if (!response.ok) {
    const error = new Error(data.error || `the server answered ${response.status}`);
    error.issues = data.errors || [];
    throw error;
  }
  return data;
}

// Creates an element with text (never markup) and attributes.
function el(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, value);
  }
  if (text !== "") node.textContent = text;
  return node;
}

// Parses an SVG drawn by the server and keeps only drawing: no script, no
// handler, whatever a scenario's names hold.
function svgNode(text) {
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  const root = doc.documentElement;
  if (root.nodeName.toLowerCase() !== "svg") return el("p", {}, "(this drawing could not be read)");
  for (const bad of root.querySelectorAll("script, foreignObject")) bad.remove();
  for (const node of [root, ...root.querySelectorAll("*")]) {
    for (const attribute of [...node.attributes]) {
      if (attribute.name.toLowerCase().startsWith("on")) node.removeAttribute(attribute.name);
    }
  }
  return document.importNode(root, true);
}

function setStatus(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

function showProblems(list, items) {
  list.replaceChildren(...items.map((line) => el("li", {}, line)));
  list.hidden = items.length === 0;
}

function fail(error) {
  setStatus(error.message, true);
  showProblems($("problems"), error.issues || []);
}

// Shows a scenario before it runs: lesson, diagram and knobs.
function showScenario(view) {
  const e = view.explanation;
  $("title").textContent = e.name;
  $("about").textContent = e.about;
  const lesson = $("lesson");
  lesson.replaceChildren();
  for (const [label, text] of [["Lesson", e.lesson], ["Knob", e.knob_comment], ["Watch", e.watch_comment]]) {
    if (text) lesson.append(el("dt", {}, label), el("dd", {}, text));
  }
  $("diagram").replaceChildren(svgNode(view.diagram));
  showKnobs(e.knobs);
  showProblems($("problems"), view.warnings.map((w) => `warning: ${w}`));
}

// Builds a slider and a field for each knob. The slider steps through the
// values the file suggests (the current value first if it is not one of
// them); the field takes any value.
function showKnobs(knobs) {
  const box = $("knobs");
  box.replaceChildren();
  state.knobs = [];
  if (knobs.length === 0) {
    box.append(el("p", { class: "muted" }, "This scenario declares no knob: edit its YAML below."));
  }
  for (const knob of knobs) {
    const current = knob.current === null ? "" : knob.current;
    const options = [...knob.values];
    if (current !== "" && !options.includes(current)) options.unshift(current);
    const row = el("div", { class: "knob", "data-path": knob.path });
    row.append(el("code", {}, knob.path));
    const expect = knob.expect.map((x) => `${x.label} ${x.direction === "up" ? "▲" : "▼"}`).join(", ");
    row.append(el("div", { class: "expect" }, `try ${knob.try}: ${expect}`));
    const line = el("div", { class: "row" });
    const slider = el("input", {
      type: "range", min: "0", max: String(Math.max(options.length - 1, 0)), step: "1",
      class: "knob-slider", "aria-label": `${knob.path}: suggested values`,
    });
    const input = el("input", {
      type: "text", class: "knob-value", "aria-label": `${knob.path}: value`,
      placeholder: current === "" ? "the default" : "",
    });
    input.value = current;
    slider.value = String(Math.max(options.indexOf(current), 0));
    slider.disabled = options.length < 2;
    const entry = { path: knob.path, current, input, slider, options };
    slider.addEventListener("input", () => {
      input.value = options[Number(slider.value)] ?? "";
      markChanged(entry);
    });
    input.addEventListener("input", () => {
      const at = options.indexOf(input.value.trim());
      if (at >= 0) slider.value = String(at);
      markChanged(entry);
    });
    line.append(slider, input);
    row.append(line);
    box.append(row);
    state.knobs.push(entry);
  }
}

function markChanged(entry) {
  entry.input.classList.toggle("changed", entry.input.value.trim() !== entry.current);
}

// The knobs moved from the file's values, as `--set` overrides.
function overrides() {
  return state.knobs
    .filter((k) => k.input.value.trim() !== "" && k.input.value.trim() !== k.current)
    .map((k) => `${k.path}=${k.input.value.trim()}`);
}

function variant() {
  return { name: state.name, yaml: $("yaml").value, set: overrides() };
}

async function pick(name) {
  setStatus(`Loading ${name}…`);
  try {
    const view = await api("GET", `/api/scenario?name=${encodeURIComponent(name)}`);
    state.name = name;
    state.original = view.yaml;
    state.previous = null;
    $("yaml").value = view.yaml;
    showScenario(view);
    setStatus("Move a knob, then press Run.");
  } catch (error) {
    fail(error);
  }
}

async function check() {
  setStatus("Checking…");
  try {
    const view = await api("POST", "/api/check", variant());
    showScenario(view);
    setStatus("The file is valid.");
  } catch (error) {
    fail(error);
  }
}

async function run() {
  const buttons = [$("run"), $("check"), $("pin")];
  buttons.forEach((b) => (b.disabled = true));
  setStatus(state.pinned ? "Running A and B on the same random numbers…" : "Running…");
  showProblems($("problems"), []);
  const request = { variant: variant() };
  if (state.pinned) request.baseline = state.pinned;
  const seed = $("seed").value.trim();
  if (seed !== "") request.seed = Number(seed);
  const replications = $("replications").value.trim();
  if (replications !== "") request.replications = Number(replications);
  try {
    const started = performance.now();
    const answer = await api("POST", "/api/run", request);
    showResults(answer);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    setStatus(`Done in ${seconds} s.`);
  } catch (error) {
    fail(error);
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

// Shows a run's figures (marking which way each moved since the last run
// of the same scenario), its reading and its charts.
function showResults(answer) {
  $("command").textContent = `Same numbers in a terminal: ${answer.command}`;
  showProblems($("truncated"), answer.truncated);
  const names = answer.results.map((r) => r.scenario);
  const head = el("tr");
  head.append(el("th", {}, "Figure"), ...names.map((n) => el("th", {}, n)));
  $("figures").tHead.replaceChildren(head);
  const rows = [];
  const latest = {};
  for (const figure of answer.figures) {
    const row = el("tr", { "data-path": figure.path, class: figure.lesson ? "lesson" : "" });
    row.append(el("td", {}, figure.label));
    figure.values.forEach((v, i) => {
      const cell = el("td", { class: "value", "data-value": v.value === null ? "" : String(v.value) }, v.text);
      const last = i === figure.values.length - 1;
      if (last && state.previous && v.value !== null && figure.path in state.previous) {
        // A change within rounding is no move.
        const before = state.previous[figure.path];
        const moved = Math.abs(v.value - before) > 1e-3 * Math.max(Math.abs(v.value), Math.abs(before));
        if (moved && v.value > before) cell.classList.add("moved-up");
        if (moved && v.value < before) cell.classList.add("moved-down");
      }
      if (last) latest[figure.path] = v.value;
      row.append(cell);
    });
    rows.push(row);
  }
  $("figures").tBodies[0].replaceChildren(...rows);
  state.previous = latest;
  $("reading").replaceChildren(...answer.reading.map((s) => el("li", {}, s)));
  const charts = answer.charts.map((chart) => {
    const figure = el("figure", { "data-stem": chart.stem });
    figure.append(svgNode(chart.svg), el("figcaption", {}, chart.title));
    return figure;
  });
  $("charts").replaceChildren(...charts);
  state.runs += 1;
  $("results").dataset.run = String(state.runs);
}

function pin() {
  state.pinned = variant();
  const changes = state.pinned.set.length ? ` with ${state.pinned.set.join(", ")}` : "";
  $("pinned").textContent = `A: ${state.name}${changes}. Change a knob and press Run to see B beside it.`;
  $("pinned").hidden = false;
  $("unpin").hidden = false;
}

function unpin() {
  state.pinned = null;
  $("pinned").hidden = true;
  $("unpin").hidden = true;
}

// Shows only the scenarios of the track picked.
function filterTrack() {
  const track = $("track").value;
  let first = null;
  for (const group of $("scenario").querySelectorAll("optgroup")) {
    const shown = track === "" || group.label === track;
    group.hidden = !shown;
    group.disabled = !shown;
    if (shown && !first) first = group.querySelector("option");
  }
  if (first && track !== "") {
    $("scenario").value = first.value;
    pick(first.value);
  }
}

function start() {
  $("track").addEventListener("change", filterTrack);
  $("scenario").addEventListener("change", () => pick($("scenario").value));
  $("run").addEventListener("click", run);
  $("check").addEventListener("click", check);
  $("revert").addEventListener("click", () => {
    $("yaml").value = state.original;
    check();
  });
  $("pin").addEventListener("click", pin);
  $("unpin").addEventListener("click", unpin);
  const wanted = decodeURIComponent(location.hash.slice(1)) || document.body.dataset.first;
  if ([...$("scenario").options].some((o) => o.value === wanted)) $("scenario").value = wanted;
  pick($("scenario").value);
}

document.addEventListener("DOMContentLoaded", start);
