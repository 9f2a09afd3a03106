// OTO's dashboard: a little progressive enhancement. Every page works without it.
"use strict";

const csrf = () => document.body.dataset.csrf || "";

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function statusBadge(value) {
  return el("span", { class: "status status-" + value }, value.replace("_", " "));
}

// A select that changes the page as soon as something is chosen.
function autosubmit() {
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
}

// The command builder: the engine's verdict (from the REST API) as flags are picked.
function builder() {
  const form = document.getElementById("builder");
  if (!form) return;
  const boxes = () => Array.from(form.querySelectorAll("input[type=checkbox][name=flag]"));
  const verdict = document.getElementById("verdict");
  const order = document.getElementById("order");
  const complete = document.getElementById("complete");
  const addMissing = document.getElementById("add-missing");
  let asked = 0;

  async function check() {
    const flags = boxes().filter((b) => b.checked).map((b) => b.value);
    const mine = ++asked;
    order.textContent = "";
    if (flags.length) {
      order.append("Command: ", el("code", {}, flags.join(" ")));
    }
    if (!flags.length) {
      verdict.replaceChildren(el("p", { class: "empty" }, "Pick a flag."));
      complete.hidden = true;
      return;
    }
    verdict.setAttribute("aria-busy", "true");
    let body;
    try {
      const response = await fetch(form.dataset.check, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
        body: JSON.stringify({ flags }),
      });
      body = await response.json();
      if (!response.ok) throw new Error(body.detail || response.statusText);
    } catch (error) {
      if (mine === asked) verdict.replaceChildren(el("p", { class: "problem" }, "The engine did not answer: " + error.message));
      return;
    } finally {
      verdict.removeAttribute("aria-busy");
    }
    if (mine !== asked) return; // a newer pick is on its way
    if (body.ok) {
      verdict.replaceChildren(el("p", { class: "ok" }, "✓ The engine accepts these flags."));
    } else {
      const list = el("ul", { class: "violations" });
      for (const v of body.violations) list.append(el("li", { class: "violation " + v.kind }, v.message));
      verdict.replaceChildren(list);
    }
    complete.hidden = !body.completion;
    addMissing.dataset.flags = JSON.stringify(body.completion || []);
  }

  form.addEventListener("change", (event) => {
    if (event.target.name === "flag") check();
  });
  addMissing.addEventListener("click", (event) => {
    event.preventDefault();
    let wanted = JSON.parse(addMissing.dataset.flags || "null");
    if (!wanted) wanted = new URL(addMissing.href).searchParams.getAll("flag");
    for (const box of boxes()) if (wanted.includes(box.value)) box.checked = true;
    check();
  });
}

// The job form: the exact argv the job would run, as values are typed.
function jobPreview() {
  const form = document.getElementById("job-form");
  if (!form) return;
  const out = document.getElementById("argv");
  let timer = 0;
  let asked = 0;
  async function preview() {
    const mine = ++asked;
    const data = new URLSearchParams(new FormData(form));
    const response = await fetch("/jobs/preview", { method: "POST", credentials: "same-origin", body: data });
    const body = await response.json();
    if (mine !== asked) return;
    out.classList.toggle("problem", Boolean(body.error));
    out.textContent = body.error ? body.error : body.argv;
  }
  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(preview, 250);
  });
  preview();
}

// A run's page: stdout and stderr from the REST API's server-sent events, live until it ends.
function follow() {
  const section = document.querySelector("section[data-follow]");
  if (!section || !window.EventSource) return;
  const routine = Boolean(section.dataset.routine);
  const panes = { stdout: document.getElementById("stdout"), stderr: document.getElementById("stderr") };
  const lastStep = { stdout: null, stderr: null };
  const source = new EventSource(section.dataset.follow);
  const append = (name) => (event) => {
    const data = JSON.parse(event.data);
    const pane = panes[name];
    const atBottom = pane.scrollTop + pane.clientHeight >= pane.scrollHeight - 4;
    if (routine && data.step !== lastStep[name]) {
      lastStep[name] = data.step;
      pane.append(el("span", { class: "step-mark" }, "── step " + data.step + " ──\n"));
    }
    pane.append(document.createTextNode(data.text));
    if (atBottom) pane.scrollTop = pane.scrollHeight;
  };
  source.addEventListener("stdout", append("stdout"));
  source.addEventListener("stderr", append("stderr"));
  source.addEventListener("status", (event) => {
    const data = JSON.parse(event.data);
    const cell = data.step === null
      ? document.getElementById("run-status")
      : document.querySelector(`[data-step-status="${CSS.escape(data.run_id)}"]`);
    if (cell) {
      cell.replaceChildren(statusBadge(data.status));
      cell.dataset.status = data.status;
    }
  });
  source.addEventListener("end", (event) => {
    source.close();
    const data = JSON.parse(event.data);
    const status = document.getElementById("run-status");
    status.replaceChildren(statusBadge(data.status));
    status.dataset.status = data.status;
    document.getElementById("live").hidden = true;
    for (const form of document.querySelectorAll("form[data-cancel]")) form.hidden = true; // it has ended
    // its record is final when "end" comes: draw the page again at once, with exit code, times and artifacts
    window.location.reload();
  });
  source.onerror = () => {
    source.close(); // reconnecting would replay the output from its start: draw the page again instead
    setTimeout(() => window.location.reload(), 2000);
  };
}

// "Go back" links: the previous page when there is one (the page's policy forbids javascript: links).
function backLinks() {
  for (const link of document.querySelectorAll("a[data-back]")) {
    link.addEventListener("click", (event) => {
      if (window.history.length > 1) {
        event.preventDefault();
        window.history.back();
      }
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  autosubmit();
  backLinks();
  builder();
  jobPreview();
  follow();
});
