// Signalcord dashboard: toasts (never alert()), the live calculator, inline risk checks, the service worker.
"use strict";
(function () {
  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

  function toast(text, kind) {
    const box = document.getElementById("toasts");
    if (!box || !text) return;
    const item = document.createElement("div");
    item.className = "toast" + (kind === "error" ? " error" : "");
    item.setAttribute("role", kind === "error" ? "alert" : "status");
    item.textContent = text;
    box.appendChild(item);
    setTimeout(() => item.remove(), 6000);
  }
  window.signalcordToast = toast;

  // A message passed back by a form post (?toast=...) shows once, then leaves the address.
  const params = new URLSearchParams(location.search);
  if (params.has("toast")) {
    toast(params.get("toast"));
    params.delete("toast");
    history.replaceState(null, "", location.pathname + (params.toString() ? "?" + params : "") + location.hash);
  }

  // Live position-size calculator: asks the API as you type (the page works without it, by submitting).
  const form = document.getElementById("calc-form");
  const out = document.getElementById("calc-result");
  if (form && out) {
    let pending = null, sequence = 0;
    const fmt = (n, d = 2) => Number(n).toLocaleString(undefined, { maximumFractionDigits: d });
    const row = (label, value, id) => {
      const dt = document.createElement("dt"); dt.textContent = label;
      const dd = document.createElement("dd"); dd.textContent = value; if (id) dd.id = id;
      return [dt, dd];
    };
    async function update() {
      const data = new URLSearchParams(new FormData(form));
      if (!data.get("entry") || !data.get("stop")) { out.replaceChildren(); return; }
      const mine = ++sequence;
      const answer = await fetch("/api/v1/calc?" + data, { headers: { Accept: "application/json" } });
      if (mine !== sequence) return; // a newer keystroke already asked
      const body = await answer.json();
      if (!answer.ok) {
        const p = document.createElement("p"); p.className = "error-text"; p.id = "calc-rule";
        p.textContent = body.detail || "the calculator refused these values";
        out.replaceChildren(p); return;
      }
      if (body.quantity <= 0) {
        const p = document.createElement("p"); p.className = "error-text"; p.id = "calc-rule";
        p.textContent = body.binding_rule + ": " + body.reason; out.replaceChildren(p); return;
      }
      const dl = document.createElement("dl"); dl.className = "calc";
      dl.append(...row("Side", body.side, "calc-side"), ...row("Size", fmt(body.quantity, 8), "calc-size"),
        ...row("Notional", fmt(body.notional)), ...row("Margin", fmt(body.margin)),
        ...row("Risk", fmt(body.risk_amount) + " (" + fmt(body.risk_pct) + " %)", "calc-risk"),
        ...row("R:R per target", body.rr.join(", ") || "—"),
        ...row("Binding rule", body.binding_rule + ": " + body.reason, "calc-rule"),
        ...row("Positions allowed", String(body.positions_allowed)));
      out.replaceChildren(dl);
    }
    form.addEventListener("input", () => { clearTimeout(pending); pending = setTimeout(update, 150); });
  }

  // Inline range hints on the risk form before it is sent (the server checks again and has the last word).
  document.querySelectorAll("#risk-form input[data-kind]").forEach((input) => {
    input.addEventListener("input", () => {
      const text = input.value.trim(), field = input.closest(".field");
      let problem = "";
      if (["number", "integer"].includes(input.dataset.kind) && text !== "") {
        if (text.toLowerCase() === "none") { if (input.dataset.optional !== "true") problem = "this one cannot be switched off"; }
        else if (isNaN(Number(text))) problem = "a number, please";
        else {
          const v = Number(text), min = input.dataset.min, max = input.dataset.max;
          if (min !== undefined && (input.dataset.exclusive === "true" ? v <= Number(min) : v < Number(min))) problem = "too small";
          if (max !== undefined && v > Number(max)) problem = "too large";
        }
      }
      field.classList.toggle("invalid", problem !== "");
      input.setCustomValidity(problem);
      input.title = problem;
    });
  });

  // Live updates on the overview: the server says when it changed (websocket, with heartbeats); the page then
  // fetches itself and swaps its content. When the socket drops, the page polls instead and tries again later.
  if (document.getElementById("live")) {
    let version = null, polling = null;
    async function refresh(announce) {
      const answer = await fetch(location.href, { headers: { Accept: "text/html" } });
      if (!answer.ok) return;
      const fresh = new DOMParser().parseFromString(await answer.text(), "text/html").querySelector("main");
      const main = document.querySelector("main");
      if (fresh && main && fresh.innerHTML !== main.innerHTML) {
        main.innerHTML = fresh.innerHTML;
        if (announce) toast("Updated");
      }
    }
    function poll() {
      if (!polling) polling = setInterval(() => refresh(true), 15000);
    }
    function connect() {
      const socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
      socket.addEventListener("open", () => { clearInterval(polling); polling = null; });
      socket.addEventListener("message", (event) => {
        const data = JSON.parse(event.data);
        if (data.type !== "overview") return;
        if (version !== null && data.version !== version) refresh(true);
        version = data.version;
        document.getElementById("live")?.setAttribute("data-version", version);
      });
      socket.addEventListener("close", () => { poll(); setTimeout(connect, 30000); });
    }
    connect();
  }

  window.signalcordCsrf = csrf;
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
})();
