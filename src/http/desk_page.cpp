// The desk page, served at "/": one self-contained file (no external scripts,
// fonts or styles), so it works on a closed network. It holds no data; it
// asks for the officer's token, keeps it in this tab only (sessionStorage),
// and sends it as a bearer header to the feed and the acknowledgements.

#include <string_view>

#include "http/desk_server.hpp"

namespace wachtpost {

std::string_view desk_page_html() {
  static constexpr std::string_view kPage = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wachtpost desk</title>
<style>
  :root { --bg:#0f1419; --card:#182029; --text:#e6e9ec; --muted:#8a96a3; --line:#26313c;
          --critical:#d7263d; --high:#f46036; --medium:#e2b714; --low:#4ea5d9; }
  * { box-sizing: border-box; }
  body { margin:0; font:15px/1.45 system-ui, sans-serif; background:var(--bg); color:var(--text); }
  header { display:flex; gap:1rem; align-items:center; padding:.7rem 1rem; border-bottom:1px solid var(--line);
           position:sticky; top:0; background:var(--bg); }
  header h1 { font-size:1.05rem; margin:0; letter-spacing:.04em; }
  #status { color:var(--muted); font-size:.85rem; }
  #status.live::before { content:"● "; color:#3ec46d; }
  main { max-width:60rem; margin:0 auto; padding:1rem; }
  form#login { display:flex; gap:.5rem; margin:3rem auto; max-width:30rem; }
  input, button { font:inherit; padding:.45rem .7rem; border-radius:6px; border:1px solid var(--line);
                  background:var(--card); color:var(--text); }
  button { cursor:pointer; }
  button:hover { border-color:var(--muted); }
  .alert { background:var(--card); border-left:6px solid var(--low); border-radius:8px; padding:.8rem 1rem;
           margin:0 0 .8rem; }
  .alert.critical { border-left-color:var(--critical); } .alert.high { border-left-color:var(--high); }
  .alert.medium { border-left-color:var(--medium); } .alert.low { border-left-color:var(--low); }
  .meta { display:flex; flex-wrap:wrap; gap:.4rem .8rem; color:var(--muted); font-size:.82rem; }
  .sev { font-weight:700; text-transform:uppercase; }
  .critical .sev { color:var(--critical); } .high .sev { color:var(--high); }
  .medium .sev { color:var(--medium); } .low .sev { color:var(--low); }
  .target { color:var(--text); font-weight:600; }
  .excerpt { margin:.5rem 0; white-space:pre-wrap; word-break:break-word; }
  mark { background:#f4d03f; color:#111; border-radius:3px; padding:0 .1em; }
  mark.target { background:#9ad0f5; }
  .actions { display:flex; gap:.5rem; align-items:center; flex-wrap:wrap; }
  .ack { color:#3ec46d; font-size:.85rem; }
  a { color:#9ad0f5; }
  .hidden { display:none !important; }
</style>
</head>
<body>
<header><h1>wachtpost · desk</h1><span id="status">not connected</span></header>
<main>
  <form id="login">
    <input id="token" type="password" placeholder="Your desk token" autocomplete="off" required>
    <button type="submit">Open the desk</button>
  </form>
  <p id="error" class="hidden"></p>
  <section id="alerts" aria-live="polite"></section>
</main>
<script>
"use strict";
const $ = (s) => document.querySelector(s);
const cards = new Map();
let token = sessionStorage.getItem("wachtpost-token");
let lastId = 0;

const bytes = new TextEncoder();
const text = new TextDecoder();
function highlighted(alert) {
  // Match offsets are bytes of the original post; the excerpt starts at excerpt_start.
  const raw = bytes.encode(alert.excerpt);
  const spans = alert.matches
    .map((m) => ({ from: m.start - alert.excerpt_start, to: m.end - alert.excerpt_start, kind: m.kind }))
    .filter((m) => m.from >= 0 && m.to <= raw.length && m.from < m.to)
    .sort((a, b) => a.from - b.from);
  const out = document.createElement("div");
  out.className = "excerpt";
  let at = 0;
  for (const span of spans) {
    if (span.from < at) continue;
    out.append(text.decode(raw.slice(at, span.from)));
    const mark = document.createElement("mark");
    if (span.kind === "target") mark.className = "target";
    mark.textContent = text.decode(raw.slice(span.from, span.to));
    out.append(mark);
    at = span.to;
  }
  out.append(text.decode(raw.slice(at)));
  return out;
}

function render(alert) {
  if (cards.has(alert.alert_id)) return;
  const card = document.createElement("article");
  card.className = "alert " + alert.severity;
  card.dataset.alertId = alert.alert_id;
  card.dataset.postId = alert.post_id;
  const meta = document.createElement("div");
  meta.className = "meta";
  const targets = alert.targets.map((t) => t.name ? `${t.name} (${t.role})` : t.role).join(", ") || "—";
  for (const [cls, value] of [["sev", alert.severity], ["cat", alert.category.replaceAll("_", " ")],
                              ["target", targets], ["rule", `${alert.rule} rev ${alert.rule_rev}`],
                              ["time", new Date(alert.created_at).toLocaleString()], ["platform", alert.platform]]) {
    const span = document.createElement("span");
    span.className = cls;
    span.textContent = value;
    meta.append(span);
  }
  const actions = document.createElement("div");
  actions.className = "actions";
  const link = document.createElement("a");
  link.href = alert.url;
  link.target = "_blank";
  link.rel = "noopener noreferrer";
  link.textContent = "Open the public post";
  actions.append(link);
  for (const [disposition, label] of [["actioned", "Actioned"], ["false_positive", "False positive"],
                                      ["duplicate", "Duplicate"]]) {
    const button = document.createElement("button");
    button.textContent = label;
    button.dataset.disposition = disposition;
    button.addEventListener("click", () => acknowledge(alert.alert_id, disposition));
    actions.append(button);
  }
  const ack = document.createElement("span");
  ack.className = "ack";
  actions.append(ack);
  card.append(meta, highlighted(alert), actions);
  cards.set(alert.alert_id, card);
  $("#alerts").prepend(card);
}

function acknowledged(ack) {
  const card = cards.get(ack.alert_id);
  if (!card) return;
  card.querySelector(".ack").textContent =
    `Acknowledged by ${ack.by}, ${new Date(ack.at).toLocaleTimeString()}: ${ack.disposition.replace("_", " ")}`;
  card.querySelectorAll("button").forEach((b) => (b.disabled = true));
  card.dataset.acknowledged = ack.disposition;
}

async function acknowledge(alertId, disposition) {
  const response = await fetch(`/alerts/${encodeURIComponent(alertId)}/ack`, {
    method: "POST", headers: { "Authorization": "Bearer " + token, "Content-Type": "application/json" },
    body: JSON.stringify({ disposition }) });
  if (response.ok) acknowledged(await response.json());
}

function setStatus(message, live) {
  $("#status").textContent = message;
  $("#status").classList.toggle("live", live);
}

async function connect() {
  $("#login").classList.add("hidden");
  try {
    const headers = { "Authorization": "Bearer " + token };
    if (lastId) headers["Last-Event-ID"] = String(lastId);
    const response = await fetch("/alerts/stream", { headers, cache: "no-store" });
    if (response.status === 401) {
      sessionStorage.removeItem("wachtpost-token");
      $("#login").classList.remove("hidden");
      setStatus("that token was refused", false);
      return;
    }
    setStatus("live", true);
    const reader = response.body.getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += text.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let id = 0, type = "message", data = "";
        for (const line of block.split("\n")) {
          if (line.startsWith("id: ")) id = Number(line.slice(4));
          else if (line.startsWith("event: ")) type = line.slice(7);
          else if (line.startsWith("data: ")) data += line.slice(6);
        }
        if (id) lastId = id;
        if (type === "alert") render(JSON.parse(data));
        else if (type === "ack") acknowledged(JSON.parse(data));
      }
    }
  } catch (e) { /* reconnect below */ }
  setStatus("reconnecting…", false);
  setTimeout(connect, 1000);
}

$("#login").addEventListener("submit", (event) => {
  event.preventDefault();
  token = $("#token").value.trim();
  sessionStorage.setItem("wachtpost-token", token);
  connect();
});
if (token) connect();
</script>
</body>
</html>
)HTML";
  return kPage;
}

}  // namespace wachtpost
