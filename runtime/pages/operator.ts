import { escapeHtml } from "./html";

/** The operator's page's own stylesheet and script, each allowed by its hash (runtime/http/operator-routes.ts). */
export const OPERATOR_STYLE = `body{font:15px/1.45 system-ui,sans-serif;margin:1.5rem;color:#1d1d1d}
h1{font-size:1.4rem;margin:0 0 .25rem}table{border-collapse:collapse;width:100%;margin-top:1rem}
caption{text-align:left;color:#555;padding:.25rem 0}th,td{border-bottom:1px solid #ddd;padding:.4rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
.state{font-weight:600}.awake{color:#0a6b2d}.paused{color:#8a5a00}.asleep,.running{color:#555}
button{font:inherit;padding:.25rem .6rem;margin:0 .25rem .25rem 0;cursor:pointer}
button:focus-visible,input:focus-visible{outline:3px solid #1a5fb4;outline-offset:2px}
ul.events{margin:0;padding-left:1rem;font-size:.85rem;color:#444}svg{display:block}
.bar{fill:#5b8bd6}.wake{fill:#c2410c}#status{min-height:1.5rem;color:#0a4f9e}
form.inline{display:inline}label{display:block;margin:.5rem 0 .25rem}input{font:inherit;padding:.4rem;width:24rem;max-width:100%}
.error{color:#a00}.legend{font-size:.8rem;color:#555}`;

/**
 * Renders the tenants from GET /admin/overview every few seconds, in place (rows keyed by tenant, so a
 * focused button keeps its focus), and sends wake/sleep with the header the admin API asks of the page.
 * Tenant data goes in as text, never as markup.
 */
export const OPERATOR_SCRIPT = `
(function () {
  var body = document.getElementById("tenants");
  var status = document.getElementById("status");
  var updated = document.getElementById("updated");
  var rows = {};
  var SVG = "http://www.w3.org/2000/svg";
  function cell(row, cls) { var td = document.createElement("td"); if (cls) td.className = cls; row.appendChild(td); return td; }
  function fmtAgo(iso) {
    if (!iso) return "never";
    var s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    return s < 60 ? s + " s ago" : s < 3600 ? Math.round(s / 60) + " min ago" : Math.round(s / 3600) + " h ago";
  }
  function eventText(e) {
    var t = e.at.slice(11, 19) + " " + e.type.replace("_", " ");
    if (e.type === "wake") t += " (" + e.kind + ", " + e.ms + " ms)";
    if (e.type === "sleep") t += " (" + e.reason + ")";
    if (e.type === "wake_failed") t += ": " + e.error;
    if (e.type === "health_failed") t += " (" + e.failures + ")";
    return t;
  }
  function chart(td, id, days) {
    var max = 1, w = 12, h = 32;
    days.forEach(function (d) { max = Math.max(max, d.requests); });
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("width", String(days.length * w));
    svg.setAttribute("height", String(h + 6));
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", id + ", requests per day: " + days.map(function (d) { return d.day + " " + d.requests + " requests, " + d.wakes + " wakes"; }).join("; "));
    days.forEach(function (d, i) {
      var bh = Math.round((d.requests / max) * h);
      var r = document.createElementNS(SVG, "rect");
      r.setAttribute("class", "bar"); r.setAttribute("x", String(i * w + 1)); r.setAttribute("width", String(w - 3));
      r.setAttribute("y", String(h - bh)); r.setAttribute("height", String(Math.max(bh, d.requests ? 1 : 0)));
      svg.appendChild(r);
      if (d.wakes > 0) {
        var c = document.createElementNS(SVG, "circle");
        c.setAttribute("class", "wake"); c.setAttribute("cx", String(i * w + w / 2 - 1)); c.setAttribute("cy", String(h + 3)); c.setAttribute("r", String(Math.min(3, 1 + d.wakes)));
        svg.appendChild(c);
      }
    });
    td.replaceChildren(svg);
  }
  // aria-disabled, not disabled: a disabled button drops the keyboard focus.
  function act(id, what, button) {
    if (button.getAttribute("aria-disabled") === "true") return;
    button.setAttribute("aria-disabled", "true");
    status.textContent = (what === "wake" ? "Waking " : "Putting to sleep ") + id + "…";
    fetch("/admin/tenants/" + encodeURIComponent(id) + "/" + what, { method: "POST", credentials: "same-origin", headers: { "X-Dormer-Admin": "1" } })
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, b: b }; }); })
      .then(function (x) { status.textContent = x.ok ? id + " is " + x.b.state : id + ": " + (x.b.message || x.b.error); })
      .catch(function (e) { status.textContent = id + ": " + e.message; })
      .then(function () { button.removeAttribute("aria-disabled"); refresh(); });
  }
  function rowFor(t) {
    var r = rows[t.id];
    if (r) return r;
    var tr = document.createElement("tr");
    var th = document.createElement("th"); th.scope = "row"; tr.appendChild(th);
    r = { tr: tr, name: th, state: cell(tr, "state"), last: cell(tr), req: cell(tr, "num"), quota: cell(tr, "num"), wakes: cell(tr, "num"), chart: cell(tr), events: cell(tr), actions: cell(tr) };
    ["wake", "sleep"].forEach(function (what) {
      var b = document.createElement("button");
      b.type = "button"; b.textContent = what === "wake" ? "Wake" : "Sleep";
      b.setAttribute("aria-label", (what === "wake" ? "Wake " : "Sleep ") + t.id);
      b.addEventListener("click", function () { act(t.id, what, b); });
      r.actions.appendChild(b);
    });
    rows[t.id] = r;
    body.appendChild(tr);
    return r;
  }
  function render(o) {
    o.tenants.forEach(function (t) {
      var r = rowFor(t), today = t.days[t.days.length - 1];
      r.name.textContent = t.displayName === t.id ? t.id : t.displayName + " (" + t.id + ")";
      r.state.textContent = t.state; r.state.className = "state " + t.state;
      r.last.textContent = fmtAgo(t.lastActivity);
      r.req.textContent = String(today.requests);
      r.quota.textContent = t.quota.limit === "unlimited" ? "unlimited" : t.quota.used + " / " + t.quota.limit;
      r.wakes.textContent = String(today.wakes);
      chart(r.chart, t.id, t.days);
      var ul = document.createElement("ul"); ul.className = "events";
      t.events.forEach(function (e) { var li = document.createElement("li"); li.textContent = eventText(e); ul.appendChild(li); });
      r.events.replaceChildren(ul);
    });
    updated.textContent = "· updated " + new Date().toLocaleTimeString();
  }
  function refresh() {
    return fetch("/admin/overview?days=7", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (r.status === 401) { location.reload(); throw new Error("signed out"); } return r.json(); })
      .then(render)
      .catch(function (e) { updated.textContent = "Not updated: " + e.message; });
  }
  refresh();
  setInterval(refresh, 3000);
})();
`;

function operatorDocument(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${OPERATOR_STYLE}</style></head><body>${body}</body></html>`;
}

/** Asks for the admin token; `error` says why the last try was refused. */
export function adminSignInPage(error?: string): string {
  return operatorDocument(
    "dormer — operator sign-in",
    `<main><h1>dormer operator</h1>
<form method="post" action="/admin/sign-in">
<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ""}
<p><button type="submit">Sign in</button></p></form>
<p class="legend">The token is the stack's <code>adminToken</code> output: <code>dormer outputs --show-secrets</code>.</p></main>`,
  );
}

/** Every tenant, refreshed live by OPERATOR_SCRIPT. */
export function operatorPage(stack: string): string {
  return operatorDocument(
    `dormer — ${stack}`,
    `<main><h1>dormer: stack ${escapeHtml(stack)}</h1>
<form class="inline" method="post" action="/admin/sign-out"><button type="submit">Sign out</button></form>
<p id="status" role="status" aria-live="polite"></p>
<table><caption>Tenants <span id="updated"></span> <span class="legend">Chart: requests per day for the last 7 days (bars), wakes (dots).</span></caption>
<thead><tr><th scope="col">Tenant</th><th scope="col">State</th><th scope="col">Last activity</th><th scope="col">Requests today</th>
<th scope="col">Quota today</th><th scope="col">Wakes today</th><th scope="col">Last 7 days</th><th scope="col">Recent events</th><th scope="col">Actions</th></tr></thead>
<tbody id="tenants"></tbody></table>
<script>${OPERATOR_SCRIPT}</script></main>`,
  );
}
