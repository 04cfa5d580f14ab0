// cjm's page script: no framework, no inline code (the CSP forbids it).
// Pages work without it for reading; it adds forms that call the JSON API,
// zoom, step details, comments per step, and the editor's live preview.
"use strict";
(function () {
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const csrf = () => ($('meta[name="csrf-token"]') || {}).content || "";
  // The smallest zoom a map opens at: its 13 px cell text at 10 px.
  const READABLE_ZOOM = 0.8;

  function toast(message, kind) {
    const t = $("#toast");
    if (!t) return;
    t.textContent = message;
    t.className = "show " + (kind || "");
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.className = ""; }, kind === "error" ? 9000 : 3500);
  }

  async function api(method, url, body) {
    const opts = { method, headers: { "X-CSRF-Token": csrf(), Accept: "application/json" }, credentials: "same-origin" };
    if (body instanceof FormData) opts.body = body;
    else if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    const res = await fetch(url, opts);
    let data = null;
    const type = res.headers.get("content-type") || "";
    if (type.includes("application/json")) data = await res.json();
    if (!res.ok) {
      const message = (data && data.error && data.error.message) || ("the server answered " + res.status);
      const err = new Error(message);
      err.status = res.status;
      throw err;
    }
    return data;
  }

  // Form fields as a JSON object: empty fields left out, numbers as numbers,
  // tags as a list.
  function formJson(form) {
    const out = {};
    for (const el of form.elements) {
      if (!el.name || el.disabled || el.type === "submit" || el.type === "file") continue;
      if (el.type === "checkbox" && el.dataset.type === "bool") { out[el.name] = el.checked; continue; }
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) continue;
      let v = el.value;
      if (el.name === "tags") { out.tags = v.split(",").map((s) => s.trim()).filter(Boolean); continue; }
      if (el.dataset.type === "list") { out[el.name] = v.split(/[\s,]+/).filter(Boolean); continue; }
      if (el.dataset.type === "lines") { out[el.name] = v.split("\n").map((s) => s.trim()).filter(Boolean); continue; }
      if (v === "") { if (el.dataset.type === "number") out[el.name] = null; continue; }
      if (el.dataset.type === "number" || el.name === "parent_id") v = Number(v);
      out[el.name] = v;
    }
    if (form.dataset.wrap) { const inner = out; const wrapped = {}; wrapped[form.dataset.wrap] = inner; Object.assign(wrapped, JSON.parse(form.dataset.extra || "{}")); return wrapped; }
    return Object.assign(out, JSON.parse(form.dataset.extra || "{}"));
  }

  // A log kept but not attached (its columns not found): this page, with
  // its column pickers open.
  function toPendingLog(id) { location.href = location.pathname + "?log=" + id + "#pending-log"; }

  function after(el, data) {
    const then = el.dataset.then;
    if (then === "url" && data && data.url) { location.href = data.url; return; }
    if (then === "workspace") { location.href = "/w/" + el.dataset.workspace; return; }
    if (then === "message") { toast(el.dataset.message || "Done."); if (el.reset) el.reset(); return; }
    if (el.dataset.reveal && data) {
      const box = el.dataset.revealBox ? $(el.dataset.revealBox) : el.nextElementSibling && el.nextElementSibling.classList.contains("reveal") ? el.nextElementSibling : $(".reveal");
      if (box) {
        const url = data[el.dataset.reveal] || "";
        $(".secret", box).textContent = url;
        // A share link's embed code: its embeddable view in a frame.
        const embed = $(".embed-code", box);
        if (embed) embed.textContent = url ? '<iframe src="' + url + '/embed" title="Journey map" width="100%" height="640" style="border:0"></iframe>' : "";
        box.hidden = false;
      }
      toast(el.dataset.method === "GET" ? "Here it is." : "Done. Copy it now.");
      return;
    }
    // A log kept but not attached: its columns are chosen next, on this page.
    if (data && data.pending) { toPendingLog(data.pending); return; }
    // A comment posted: the page again, with the step that was selected.
    if (then === "reload-step") {
      const main = $("#comment-form");
      const step = main && main.elements.step ? main.elements.step.value : "";
      const u = new URL(location.href);
      if (step) u.searchParams.set("step", step); else u.searchParams.delete("step");
      history.replaceState(null, "", u.pathname + u.search + "#comments");
      location.reload();
      return;
    }
    if (then === "reload" || !then) { location.reload(); }
  }

  document.addEventListener("submit", async (e) => {
    const form = e.target;
    if (!form.classList.contains("api-form")) return;
    e.preventDefault();
    const button = $('button[type="submit"]', form);
    if (button) button.disabled = true;
    try {
      const data = await api(form.dataset.method || "POST", form.dataset.action, formJson(form));
      after(form, data);
    } catch (err) {
      toast(err.message, "error");
    } finally {
      if (button) button.disabled = false;
    }
  });

  // A persona's portrait: the chosen image is sent as it is; the server
  // re-encodes it and the page shows the new version.
  document.addEventListener("change", async (e) => {
    const input = e.target.closest("input[type=file][data-portrait]");
    if (!input || !input.files.length) return;
    const file = input.files[0];
    if (file.size > 8 * 1024 * 1024) { toast("The portrait is larger than 8 MiB; choose a smaller image.", "error"); input.value = ""; return; }
    input.disabled = true;
    try {
      const res = await fetch(input.dataset.portrait, { method: "PUT", credentials: "same-origin", headers: { "X-CSRF-Token": csrf(), "Content-Type": file.type || "application/octet-stream", Accept: "application/json" }, body: file });
      if (!res.ok) {
        let message = "the server answered " + res.status;
        try { const d = await res.json(); message = (d.error && d.error.message) || message; } catch (_) {}
        throw new Error(message);
      }
      location.reload();
    } catch (err) {
      toast(err.message, "error");
      input.disabled = false; input.value = "";
    }
  });

  document.addEventListener("click", async (e) => {
    const el = e.target.closest("button[data-method][data-action]");
    if (!el || el.closest("form.api-form")) return;
    e.preventDefault();
    if (el.dataset.confirm && !confirm(el.dataset.confirm)) return;
    try {
      const body = el.dataset.body ? JSON.parse(el.dataset.body) : undefined;
      const data = await api(el.dataset.method, el.dataset.action, body);
      after(el, data);
    } catch (err) {
      toast(err.message, "error");
    }
  });

  // `@` in a comment offers the workspace's people: typing filters them by
  // handle or name; a click, Enter or Tab puts `@handle ` in the text.
  const mentioning = $("textarea.mentions[data-members]");
  if (mentioning) {
    const list = $("#mention-list");
    let people = null, shown = [], at = 0;
    const word = () => {
      const before = mentioning.value.slice(0, mentioning.selectionStart);
      const m = before.match(/(^|\s)@([\w.-]*)$/);
      return m ? { start: before.length - m[2].length - 1, text: m[2].toLowerCase() } : null;
    };
    const close = () => { list.hidden = true; shown = []; };
    const pick = (p) => {
      const w = word();
      if (!w) return close();
      const end = mentioning.selectionStart;
      mentioning.value = mentioning.value.slice(0, w.start) + "@" + p.handle + " " + mentioning.value.slice(end);
      const caret = w.start + p.handle.length + 2;
      mentioning.setSelectionRange(caret, caret);
      mentioning.focus();
      close();
    };
    const render = () => {
      list.replaceChildren(...shown.map((p, i) => {
        const li = document.createElement("li");
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", i === at ? "true" : "false");
        li.textContent = "@" + p.handle + " · " + p.name;
        li.addEventListener("mousedown", (e) => { e.preventDefault(); pick(p); });
        return li;
      }));
      list.hidden = shown.length === 0;
    };
    mentioning.addEventListener("input", async () => {
      const w = word();
      if (!w) return close();
      if (!people) {
        try { people = await api("GET", mentioning.dataset.members); } catch (_) { people = []; }
      }
      shown = people.filter((p) => p.handle.toLowerCase().startsWith(w.text) || p.name.toLowerCase().includes(w.text)).slice(0, 8);
      at = 0;
      render();
    });
    mentioning.addEventListener("keydown", (e) => {
      if (list.hidden || !shown.length) return;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") { e.preventDefault(); at = (at + (e.key === "ArrowDown" ? 1 : shown.length - 1)) % shown.length; render(); }
      else if (e.key === "Enter" || e.key === "Tab") { e.preventDefault(); pick(shown[at]); }
      else if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); close(); }
    });
    mentioning.addEventListener("blur", () => setTimeout(close, 150));
  }

  // Copy buttons: the text of the element `data-copy` names.
  document.addEventListener("click", async (e) => {
    const b = e.target.closest("button[data-copy]");
    if (!b) return;
    const from = b.closest(".reveal") ? $(b.dataset.copy, b.closest(".reveal")) : $(b.dataset.copy);
    try { await navigator.clipboard.writeText(from ? from.textContent : ""); toast("Copied."); }
    catch (err) { toast("Select the text and copy it: the browser refused (" + err.message + ")", "error"); }
  });

  document.addEventListener("change", async (e) => {
    const el = e.target;
    if (el.matches("select[data-autosubmit]")) { el.form.submit(); return; }
    if (el.matches("select.api-select")) {
      try { const body = {}; body[el.name] = el.value; await api(el.dataset.method, el.dataset.action, body); toast("Saved."); }
      catch (err) { toast(err.message, "error"); }
    }
  });

  // Times in the reader's zone.
  for (const t of $$("time[datetime]")) {
    const secs = Number(t.getAttribute("datetime"));
    if (!Number.isFinite(secs)) continue;
    const d = new Date(secs * 1000);
    t.title = d.toISOString();
    t.textContent = d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }

  // ------------------------------------------------------------- sign out
  // The editor keeps a copy of each live map in this browser (IndexedDB)
  // so offline edits survive a closed tab; signing out deletes them, so the
  // next person on a shared computer finds none.
  for (const form of $$('form[action="/logout"]')) {
    form.addEventListener("submit", (e) => {
      if (typeof indexedDB === "undefined" || !indexedDB.databases || form.dataset.cleared) return;
      e.preventDefault();
      let sent = false;
      const done = () => { if (sent) return; sent = true; form.dataset.cleared = "1"; form.submit(); };
      const timeout = setTimeout(done, 1500);
      indexedDB.databases().then((list) => Promise.all(list.filter((d) => d.name && d.name.startsWith("cjm-map-")).map((d) => new Promise((resolve) => {
        const req = indexedDB.deleteDatabase(d.name);
        req.onsuccess = req.onerror = req.onblocked = resolve;
      })))).finally(() => { clearTimeout(timeout); done(); });
    });
  }

  // ------------------------------------------------------------- zoom
  function setupZoom(viewport) {
    const canvas = $(".canvas", viewport);
    if (!canvas || !$("svg", canvas)) return;
    let zoom = 1, w = 0, h = 0;
    const level = $(".zoom-level");
    // The drawing's own size (again when a live view replaces it).
    function measure() {
      const svg = $("svg", canvas);
      w = Number(svg.getAttribute("width")) || svg.getBoundingClientRect().width;
      h = Number(svg.getAttribute("height")) || svg.getBoundingClientRect().height;
      if (!svg.hasAttribute("viewBox")) svg.setAttribute("viewBox", "0 0 " + w + " " + h);
    }
    // Zooming keeps the point at the middle of the view where it was.
    function apply() {
      const svg = $("svg", canvas);
      const cx = (viewport.scrollLeft + viewport.clientWidth / 2) / Math.max(1, svg.getBoundingClientRect().width);
      const cy = (viewport.scrollTop + viewport.clientHeight / 2) / Math.max(1, svg.getBoundingClientRect().height);
      svg.setAttribute("width", String(Math.round(w * zoom)));
      svg.setAttribute("height", String(Math.round(h * zoom)));
      viewport.scrollLeft = cx * w * zoom - viewport.clientWidth / 2;
      viewport.scrollTop = cy * h * zoom - viewport.clientHeight / 2;
      if (level) level.textContent = Math.round(zoom * 100) + "%";
      if (mini) mini.update();
    }
    // The whole map fits the view: its width and the view's tallest height.
    function fitBoth() {
      const tallest = parseFloat(getComputedStyle(viewport).maxHeight) || window.innerHeight - 210;
      return Math.min(1, (viewport.clientWidth - 8) / w, (tallest - 8) / h);
    }
    const mini = viewport.id === "viewport" ? minimap(viewport, canvas) : null;
    // The lane labels stay in view while a wide map scrolls sideways: they
    // (drawn last, so on top) and a backing the width of their column move
    // by the scroll, in the drawing's own units.
    function pinLabels() {
      const svg = $("svg", canvas);
      const labels = $$(".lane-label", svg);
      const hit = $("rect.step-hit", svg);
      if (!labels.length || !hit) return;
      let backing = $("rect.label-backing", svg);
      if (!backing) {
        backing = document.createElementNS("http://www.w3.org/2000/svg", "rect");
        backing.setAttribute("class", "label-backing");
        for (const [k, v] of Object.entries({ x: 0, y: hit.getAttribute("y"), width: hit.getAttribute("x"), height: hit.getAttribute("height"), fill: "#ffffff", stroke: "#dde1e7" })) backing.setAttribute(k, v);
        labels[0].before(backing);
      }
      const dx = viewport.scrollLeft * (w / Math.max(1, svg.getBoundingClientRect().width));
      const move = dx > 1 ? "translate(" + dx.toFixed(1) + " 0)" : null;
      for (const el of [backing, ...labels]) { if (move) el.setAttribute("transform", move); else el.removeAttribute("transform"); }
      backing.style.display = move ? "" : "none";
    }
    viewport.addEventListener("scroll", pinLabels, { passive: true });
    viewport.addEventListener("cjm:redrawn", () => pinLabels());
    measure();
    viewport.addEventListener("cjm:redrawn", () => { measure(); apply(); if (mini) mini.redraw(); });
    for (const b of $$("[data-zoom]")) {
      b.addEventListener("click", () => {
        const k = b.dataset.zoom;
        if (k === "in") zoom = Math.min(zoom * 1.25, 4);
        else if (k === "out") zoom = Math.max(zoom / 1.25, 0.2);
        else if (k === "fit") zoom = fitBoth();
        apply();
      });
    }
    // Open a wide map fitted to the window, but never below 80%, where its
    // 13 px cell text is still 10 px: past that, the map opens at its first
    // stages, readable, and the minimap and Fit show the rest. Side-by-side
    // views fit completely.
    const fit = (viewport.clientWidth - 8) / w;
    if (fit < 1) { zoom = viewport.closest(".small") ? fit : Math.max(fit, READABLE_ZOOM); apply(); }
    else if (mini) mini.update();
  }

  // A minimap for a map wider or taller than its view: the whole drawing
  // small in the view's top right corner, the part in view outlined; a
  // click there moves the view.
  function minimap(viewport, canvas) {
    const box = document.createElement("div");
    box.className = "minimap";
    box.setAttribute("aria-hidden", "true");
    const frame = document.createElement("div");
    frame.className = "minimap-view";
    viewport.after(box);
    // The drawing as an image, so the copy adds nothing to the page's own
    // elements (no second set of steps to find or click).
    const img = document.createElement("img");
    img.alt = "";
    function redraw() {
      img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent($("svg", canvas).outerHTML);
      box.replaceChildren(img, frame);
    }
    img.addEventListener("load", () => update());
    function update() {
      const svg = $("svg", canvas);
      const sw = svg.getBoundingClientRect().width, sh = svg.getBoundingClientRect().height;
      const wide = sw > viewport.clientWidth + 4 || sh > viewport.clientHeight + 4;
      box.hidden = !wide;
      if (!wide) return;
      const bw = box.clientWidth, bh = bw * sh / Math.max(1, sw);
      // In the view's top right corner (where a map's header leaves room),
      // wherever the layout puts the view.
      box.style.left = viewport.offsetLeft + viewport.clientWidth - bw - 14 + "px";
      box.style.top = viewport.offsetTop + 14 + "px";
      frame.style.left = (viewport.scrollLeft / sw) * bw + "px";
      frame.style.top = (viewport.scrollTop / sh) * bh + "px";
      frame.style.width = Math.min(1, viewport.clientWidth / sw) * bw + "px";
      frame.style.height = Math.min(1, viewport.clientHeight / sh) * bh + "px";
    }
    box.addEventListener("click", (e) => {
      const svg = $("svg", canvas);
      const r = box.getBoundingClientRect();
      const sw = svg.getBoundingClientRect().width, sh = svg.getBoundingClientRect().height;
      viewport.scrollLeft = ((e.clientX - r.left) / r.width) * sw - viewport.clientWidth / 2;
      viewport.scrollTop = ((e.clientY - r.top) / (r.width * sh / sw)) * sh - viewport.clientHeight / 2;
    });
    viewport.addEventListener("scroll", update, { passive: true });
    window.addEventListener("resize", update);
    redraw();
    return { update, redraw };
  }
  for (const v of $$(".viewport")) if (v.id !== "preview") setupZoom(v);

  // ------------------------------------------------------------- map page
  const island = $("#map-data");
  let reindexMap = null;
  if (island) {
    const data = JSON.parse(island.textContent);
    let steps = {};
    reindexMap = (map) => {
      steps = {};
      for (const stage of map.stages || []) for (const s of stage.steps || []) steps[s.id] = { step: s, stage };
      bindHits();
    };
    const measured = {};
    if (data.measured) for (const s of data.measured.steps || []) measured[s.id] = s;
    const details = $("#details");
    const scope = $("#comment-scope");
    const form = $("#comment-form");
    function add(dl, label, value) {
      if (value === undefined || value === null || value === "" || (Array.isArray(value) && !value.length)) return;
      const dt = document.createElement("dt"); dt.textContent = label;
      const dd = document.createElement("dd"); dd.textContent = Array.isArray(value) ? value.join("\n") : String(value);
      dl.append(dt, dd);
    }
    function pct(v) { return v === null || v === undefined ? "-" : (v * 100).toFixed(1) + "%"; }
    function show(id) {
      const found = steps[id];
      for (const hit of $$(".step-hit")) hit.classList.toggle("selected", hit.dataset.step === id);
      for (const t of $$(".thread")) t.hidden = !!id && t.dataset.step !== id;
      if (form) form.elements.step.value = id || "";
      if (!found) { details.hidden = true; if (scope) scope.textContent = "On the whole map. Click a step to see and add its comments."; for (const t of $$(".thread")) t.hidden = false; return; }
      const { step, stage } = found;
      details.replaceChildren();
      const close = document.createElement("button"); close.type = "button"; close.className = "link close"; close.textContent = "Close"; close.addEventListener("click", () => show(null));
      const h = document.createElement("h2"); h.textContent = step.name;
      const st = document.createElement("p"); st.className = "muted"; st.textContent = stage.name ? "Stage: " + stage.name : "";
      const dl = document.createElement("dl");
      add(dl, "Score", step.score);
      add(dl, "Channels", step.channels);
      add(dl, "Touchpoints", step.touchpoints);
      add(dl, "Doing", step.doing);
      add(dl, "Thinking", step.thinking);
      add(dl, "Feeling", step.feeling);
      add(dl, "Pain points", (step.pains || []).map((p) => p.text + (p.severity ? " (severity " + p.severity + ")" : "")));
      add(dl, "Opportunities", (step.opportunities || []).map((o) => {
        const rated = [o.impact && "impact " + o.impact, o.effort && "effort " + o.effort].filter(Boolean).join(", ");
        const more = [rated, o.status, o.owner].filter(Boolean).join(" · ");
        return o.text + (more ? " (" + more + ")" : "");
      }));
      add(dl, "Backstage", step.backstage);
      add(dl, "Systems", step.systems);
      add(dl, "Owner", step.owner);
      add(dl, "Notes", step.notes);
      add(dl, "Evidence rule", step.evidence);
      const m = measured[id];
      if (m && m.rule && !m.rule_error) {
        add(dl, "Reach", m.reached + " customers with a matching event · " + pct(m.reach_share) + " of all");
        add(dl, "Funnel", m.optional ? "optional step: not in the map's funnel" : m.funnel + " did the funnel steps up to here in order" + (m.conversion == null ? "" : " · " + pct(m.conversion) + " of the previous funnel step") + (m.drop_off == null ? "" : " · " + pct(m.drop_off) + " drop off before the next"));
      }
      details.append(close, h, st, dl);
      details.hidden = false;
      if (scope) scope.textContent = "On “" + step.name + "”.";
    }
    document.addEventListener("click", (e) => {
      const hit = e.target.closest(".step-hit");
      if (hit) show(hit.dataset.step);
    });
    // Escape closes the step's details (not while typing in a field, where it belongs to the field).
    document.addEventListener("keydown", (e) => {
      if (e.key !== "Escape" || details.hidden || e.target.closest("input, textarea, select, [contenteditable]")) return;
      show(null);
    });
    // Each step's open comment threads, as a count on the step's header.
    function commentCounts() {
      const counts = {};
      for (const t of $$(".thread:not(.resolved)")) if (t.dataset.step) counts[t.dataset.step] = (counts[t.dataset.step] || 0) + 1;
      const NS = "http://www.w3.org/2000/svg";
      for (const hit of $$("rect.step-hit")) {
        const n = counts[hit.dataset.step];
        if (!n || hit.parentNode.querySelector('.comment-count[data-step="' + CSS.escape(hit.dataset.step) + '"]')) continue;
        const x = Number(hit.getAttribute("x")) + Number(hit.getAttribute("width")) - 10, y = Number(hit.getAttribute("y")) - 9;
        const label = n + (n === 1 ? " comment" : " comments");
        const g = document.createElementNS(NS, "g");
        g.setAttribute("class", "comment-count"); g.dataset.step = hit.dataset.step; g.setAttribute("pointer-events", "none");
        const w = 12 + label.length * 6.2;
        const r = document.createElementNS(NS, "rect");
        Object.entries({ x: x - w, y, width: w, height: 18, rx: 9, fill: "#3451B2" }).forEach(([k, v]) => r.setAttribute(k, v));
        const t = document.createElementNS(NS, "text");
        Object.entries({ x: x - w / 2, y: y + 12.5, "font-size": 10.5, "font-weight": 600, fill: "#fff", "text-anchor": "middle" }).forEach(([k, v]) => t.setAttribute(k, v));
        t.textContent = label;
        g.append(r, t);
        hit.after(g);
      }
    }
    function bindHits() {
      for (const hit of $$(".step-hit")) { hit.setAttribute("tabindex", "0"); hit.setAttribute("role", "button"); hit.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); show(hit.dataset.step); } }); }
    }
    reindexMap(data.map);
    commentCounts();
    const wanted = new URLSearchParams(location.search).get("step");
    if (wanted) show(wanted);
  }

  // ------------------------------------------------------------- who is here
  // The map page's list of people with the map open, asked again every
  // 15 s while the page is shown.
  const here = $("#map-presence[data-map]");
  if (here) {
    const refreshHere = async () => {
      if (document.visibilityState !== "visible") return;
      try {
        const people = (await api("GET", "/api/maps/" + here.dataset.map + "/live/people")).filter((p) => String(p.id) !== here.dataset.me);
        here.replaceChildren(Object.assign(document.createElement("span"), { className: "muted", textContent: "Open now:" }));
        for (const p of people) {
          const chip = document.createElement("span");
          chip.className = "person";
          chip.style.setProperty("--person", p.color);
          chip.textContent = p.name;
          chip.title = p.name + (p.editing ? " is editing" : " is watching");
          here.append(chip);
        }
        here.hidden = people.length === 0;
      } catch (_) { /* the next round tries again */ }
    };
    setInterval(refreshHere, 15000);
    document.addEventListener("visibilitychange", refreshHere);
  }

  // ------------------------------------------------------------- live share view
  // A live share link's page follows the map as the team edits it: the
  // server pushes the drawing (cjm message 103) on /s/{token}/live; the
  // page shows it and sends nothing.
  const watched = $("#viewport[data-live]");
  if (watched) watchLive(watched);
  function watchLive(viewport) {
    const badge = $("#live-badge");
    let delay = 1000;
    const say = (text, off) => { if (badge) { badge.textContent = text; badge.classList.toggle("off", !!off); } };
    const readUint = (b, at) => { let v = 0, mul = 1; for (;;) { const x = b[at.i++]; if (x === undefined) return -1; v += (x & 0x7f) * mul; if (x < 0x80) return v; mul *= 128; } };
    function show(bytes) {
      const at = { i: 0 };
      if (readUint(bytes, at) !== 103) return;
      const n = readUint(bytes, at);
      const r = JSON.parse(new TextDecoder().decode(bytes.subarray(at.i, at.i + n)));
      // While someone's text has errors, the last drawing stays.
      if (!r.svg) return;
      const svg = new DOMParser().parseFromString(r.svg, "image/svg+xml").documentElement;
      if (!svg || svg.nodeName !== "svg") return;
      const canvas = $(".canvas", viewport), old = $("svg", canvas), node = document.importNode(svg, true);
      if (old) old.replaceWith(node); else canvas.append(node);
      if (reindexMap && r.map) reindexMap(r.map);
      viewport.dispatchEvent(new CustomEvent("cjm:redrawn"));
      viewport.dataset.rev = String(r.rev);
    }
    function open() {
      const ws = new WebSocket((location.protocol === "https:" ? "wss:" : "ws:") + "//" + location.host + viewport.dataset.live);
      ws.binaryType = "arraybuffer";
      ws.onopen = () => { delay = 1000; say("Live"); };
      ws.onmessage = (e) => { try { show(new Uint8Array(e.data)); } catch (_) { /* a frame we do not show */ } };
      ws.onclose = (e) => {
        if (e.code === 4401 || e.code === 4403 || e.code === 4404) {
          say(e.code === 4404 ? "Map deleted" : e.reason || "Link no longer works", true);
          toast((e.reason || "This link no longer works") + ".", "error");
          return;
        }
        say("Reconnecting…", true);
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 30000);
      };
    }
    open();
  }

  // ------------------------------------------------------------- evidence page
  const upload = $(".upload-form");
  if (upload) upload.addEventListener("submit", async (e) => {
    e.preventDefault();
    const button = $('button[type="submit"]', upload);
    button.disabled = true; button.textContent = "Uploading…";
    try {
      const r = await api("POST", upload.dataset.action, new FormData(upload));
      // Kept but not attached: its columns are chosen next, on this page.
      if (r && r.pending) toPendingLog(r.pending);
      else location.href = location.pathname;
    }
    catch (err) { toast(err.message, "error"); button.disabled = false; button.textContent = "Upload"; }
  });
  const loadDraft = $("#load-draft");
  if (loadDraft) {
    let draft = "";
    loadDraft.addEventListener("click", async () => {
      try {
        draft = (await api("GET", loadDraft.dataset.action)).source;
        const pre = $("#draft"); pre.textContent = draft; pre.hidden = false;
        if ($("#create-draft")) $("#create-draft").hidden = false;
      } catch (err) { toast(err.message, "error"); }
    });
    if ($("#create-draft")) $("#create-draft").addEventListener("click", async () => {
      try { const r = await api("POST", "/api/workspaces/" + loadDraft.dataset.workspace + "/maps", { source: draft, tags: ["draft", "evidence"], evidence_id: loadDraft.dataset.evidence ? Number(loadDraft.dataset.evidence) : null }); location.href = r.url; }
      catch (err) { toast(err.message, "error"); }
    });
  }

  // ------------------------------------------------------------- editor
  const root = $("#editor-root");
  if (root) startEditor(root);

  function startEditor(root) {
    const mapId = root.dataset.map;
    let base = Number(root.dataset.base);
    const textarea = $("#source");
    const status = $("#status");
    const preview = $("#preview");
    const problems = $("#problems");
    const state = $("#preview-state");
    const presence = $("#presence");
    const live = !!(window.cjmEditor && window.cjmEditor.live && window.WebSocket);
    let editor = null;
    let saved = textarea.value;
    const getText = () => (editor ? editor.getText() : textarea.value);
    const setStatus = (t) => { status.textContent = t; };
    // Without the live document (no script or no WebSocket) the text is a
    // draft of this browser, saved as a version with the Save button.
    const draftKey = "cjm-draft-" + mapId;
    const dirty = () => !live && getText() !== saved;
    let liveState = { connected: false, synced: false, readOnly: false, pending: false };
    let lastOutline = [], lastModel = null, mapEdit = null;

    function onChange() {
      if (!live) {
        setStatus(dirty() ? "Unsaved changes (version " + base + ")" : "Version " + base);
        try { if (dirty()) localStorage.setItem(draftKey, JSON.stringify({ base, text: getText() })); else localStorage.removeItem(draftKey); } catch (_) {}
      }
      schedule();
    }
    function showLive(st) {
      liveState = st;
      root.dataset.live = st.connected ? (st.pending ? "sending" : "stored") : "offline";
      if (st.readOnly && st.connected) setStatus("Read-only: you watch this map being edited");
      else if (!st.connected) setStatus("Offline: changes are kept in this tab until the connection is back");
      else if (st.pending) setStatus("Sending changes…");
      else setStatus("All changes stored · v" + base + " is the last saved version");
      $("#save").disabled = st.readOnly;
    }
    function showPeople(list) {
      if (!presence) return;
      presence.replaceChildren();
      const seen = new Set();
      for (const u of list) {
        if (!u.name || seen.has(u.name)) continue;
        seen.add(u.name);
        const chip = document.createElement("span");
        chip.className = "person";
        chip.style.setProperty("--person", u.color || "#475569");
        chip.textContent = u.name;
        chip.title = u.name + " is editing";
        presence.append(chip);
      }
      presence.hidden = seen.size === 0;
      if (mapEdit) mapEdit.showOthers();
    }
    if (live) {
      const holder = $("#editor");
      textarea.hidden = true;
      editor = window.cjmEditor.live(holder, {
        mapId, onChange, onSave: save, onStatus: showLive, onPeople: showPeople,
        // The server checks and draws the live text once per burst of
        // changes and pushes it to everybody here.
        onPreview: (r) => { clearTimeout(timer); ++seq; lastPreview = r; show(r); },
        onStale: () => { toast("This map's live document was replaced since this browser kept a copy; reloading."); setTimeout(() => location.reload(), 1500); },
        onNotice: (n) => toast(n.message || "", n.kind === "error" ? "error" : undefined),
        onUndo: (um) => { $("#undo").disabled = !um.canUndo(); $("#redo").disabled = !um.canRedo(); },
      });
      editor.ready.then(() => { saved = getText(); if (lastPreview) show(lastPreview); else refresh(); });
      // For the browser tests (CodeMirror draws only the lines in view).
      window.cjmEditorInstance = editor;
      if (window.cjmMapEditing) mapEdit = window.cjmMapEditing({ preview, editor, edit, outline: () => lastOutline, model: () => lastModel, toast, api, mapId, hasEvidence: !!root.dataset.evidence, library: root.dataset.library });
    } else if (window.cjmEditor) {
      const holder = $("#editor");
      textarea.hidden = true;
      editor = window.cjmEditor.create(holder, { doc: textarea.value, onChange, onSave: save });
    } else {
      textarea.addEventListener("input", onChange);
    }
    if (!live) {
      try {
        const d = JSON.parse(localStorage.getItem(draftKey) || "null");
        if (d && d.base === base && d.text !== saved && confirm("You have unsaved changes to this map from before. Restore them?")) {
          editor ? editor.setText(d.text) : (textarea.value = d.text);
        }
      } catch (_) {}
    }

    let timer = null, seq = 0, forceOutline = false, lastPreview = null;
    function schedule() {
      clearTimeout(timer);
      state.textContent = "…";
      // Connected to the live document, the preview comes to us; alone
      // (offline, or a plain editor), we ask for it.
      if (live && editor && editor.pushesPreviews()) return;
      timer = setTimeout(refresh, 300);
    }
    async function refresh() {
      const mine = ++seq;
      try {
        const r = await api("POST", "/api/preview", { source: getText(), map: Number(mapId) });
        if (mine !== seq) return;
        show(r);
      } catch (err) { state.textContent = err.message; }
    }
    function show(r) {
      showProblems(r.diagnostics);
      if (editor) editor.setDiagnostics(r.diagnostics);
      if (r.svg) {
        const doc = new DOMParser().parseFromString(r.svg, "image/svg+xml");
        const svg = doc.documentElement;
        if (svg && svg.nodeName === "svg") {
          // Only the drawing: an open map editor stays, with its typing.
          const node = document.importNode(svg, true), old = preview.querySelector(":scope > svg");
          if (old) old.replaceWith(node); else preview.prepend(node);
        }
        lastModel = r.map;
        state.textContent = r.warnings ? r.warnings + " warning(s)" : "up to date";
      } else {
        state.textContent = r.errors + " error(s): preview paused";
      }
      $("#save").disabled = r.errors > 0 || liveState.readOnly;
      lastOutline = r.outline;
      outline(r.outline);
      if (mapEdit) mapEdit.decorate();
    }
    function showProblems(list) {
      problems.replaceChildren();
      for (const d of list) {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "problem " + d.severity;
        b.textContent = d.line + ":" + d.column + "  " + d.code + " " + d.message + (d.hint ? " — " + d.hint : "");
        b.addEventListener("click", () => editor && editor.goTo(d.line, d.column));
        problems.append(b);
      }
    }
    async function save() {
      const button = $("#save"); button.disabled = true;
      try {
        if (live) {
          const v = await api("POST", "/api/maps/" + mapId + "/live/save", { message: $("#save-message").value });
          base = v.number; saved = getText(); $("#save-message").value = "";
          const banner = $("#unsaved-live");
          if (banner) banner.remove();
          showLive(liveState);
          toast("Saved as version " + base + ".");
          return;
        }
        if (!dirty()) { toast("Nothing to save."); return; }
        const v = await api("PUT", "/api/maps/" + mapId + "/source", { source: getText(), message: $("#save-message").value, base_version: base });
        base = v.number; saved = getText(); $("#save-message").value = "";
        try { localStorage.removeItem(draftKey); } catch (_) {}
        setStatus("Saved as version " + base);
        toast("Saved as version " + base + ".");
      } catch (err) {
        toast(err.message, "error");
      } finally { button.disabled = liveState.readOnly; }
    }
    $("#save").addEventListener("click", save);
    window.addEventListener("beforeunload", (e) => {
      if (dirty() || (live && liveState.pending)) { e.preventDefault(); e.returnValue = ""; }
    });

    // Forms and the map: each change is an edit of the text.
    async function edit(op) {
      forceOutline = true;
      if (live) {
        // Worked out on the server, applied here as this person's typing:
        // everybody sees it, Undo takes it back, the next save makes it
        // part of a version. If the text changed meanwhile, once more.
        try {
          for (let attempt = 0; attempt < 3; attempt++) {
            const base = getText();
            const r = await api("POST", "/api/edit", { source: base, edit: op, map: Number(mapId) });
            if (editor.applyChanges(r.changes, base)) return true;
          }
          toast("The map kept changing under this edit; try again.", "error");
        } catch (err) { toast(err.message, "error"); }
        return false;
      }
      if (dirty()) { toast("Save or undo your typing first: form changes are saved at once.", "error"); return; }
      try {
        const r = await api("POST", "/api/maps/" + mapId + "/edits", { base_version: base, edit: op });
        base = r.version.number; saved = r.source;
        editor ? editor.setText(r.source) : (textarea.value = r.source);
        setStatus("Saved as version " + base);
        toast(r.version.message + ".");
        return true;
      } catch (err) { toast(err.message, "error"); return false; }
    }
    function el(tag, attrs, ...kids) {
      const e = document.createElement(tag);
      for (const [k, v] of Object.entries(attrs || {})) { if (k === "on") for (const [ev, f] of Object.entries(v)) e.addEventListener(ev, f); else if (v !== undefined && v !== null) e.setAttribute(k, v); }
      for (const k of kids) e.append(k);
      return e;
    }
    function nameInput(value, label, onCommit) {
      const i = el("input", { type: "text", value, "aria-label": label });
      i.addEventListener("change", () => { if (i.value.trim() && i.value !== value) onCommit(i.value); });
      return i;
    }
    function outline(stages) {
      const box = $("#outline");
      // Not while someone types in one of its fields (it would lose the
      // typing), but always after a form change.
      const typing = document.activeElement && box && box.contains(document.activeElement) && document.activeElement.matches("input[type=text], input:not([type])");
      if (!box || (typing && !forceOutline)) return;
      forceOutline = false;
      box.replaceChildren();
      stages.forEach((stage, si) => {
        const next = stages[si + 1], prev = stages[si - 1];
        const head = el("div", { class: "outline-stage" },
          stage.name ? nameInput(stage.name, "Stage name", (name) => edit({ op: "rename_stage", stage: stage.id, name })) : el("em", {}, "Before the first stage"),
          stage.name && prev && prev.name ? el("button", { type: "button", class: "icon", title: "Move stage up", on: { click: () => edit({ op: "move_stage", stage: stage.id, before: prev.id }) } }, "↑") : "",
          stage.name && next ? el("button", { type: "button", class: "icon", title: "Move stage down", on: { click: () => edit({ op: "move_stage", stage: stage.id, before: stages[si + 2] ? stages[si + 2].id : null }) } }, "↓") : "",
          el("button", { type: "button", class: "icon danger", title: "Delete stage", on: { click: () => confirm("Delete the stage “" + (stage.name || "before the first stage") + "” and its steps?") && edit({ op: "delete_stage", stage: stage.id }) } }, "×"));
        const list = el("ol", { class: "outline-steps" });
        stage.steps.forEach((step, ti) => {
          const score = el("select", { "aria-label": "Score of " + step.name });
          for (const v of ["-", "1", "2", "3", "4", "5"]) { const o = el("option", { value: v }, v); if ((step.score === null && v === "-") || String(step.score) === v) o.selected = true; score.append(o); }
          score.addEventListener("change", () => edit({ op: "set_score", step: step.id, score: score.value === "-" ? null : Number(score.value) }));
          const before = stage.steps[ti - 1], after = stage.steps[ti + 2];
          const more = el("details", { class: "more" }, el("summary", {}, "Add…"));
          const pain = el("form", { class: "mini" }, el("input", { name: "text", placeholder: "Pain point", required: "", "aria-label": "Pain point" }),
            (() => { const s = el("select", { name: "severity", "aria-label": "Severity" }); for (const v of ["", "1", "2", "3", "4", "5"]) s.append(el("option", { value: v }, v ? "severity " + v : "severity")); return s; })(),
            el("button", { type: "submit" }, "Add pain point"));
          pain.addEventListener("submit", (e) => { e.preventDefault(); edit({ op: "add_pain", step: step.id, text: pain.elements.text.value, severity: pain.elements.severity.value ? Number(pain.elements.severity.value) : null }); });
          const opp = el("form", { class: "mini" }, el("input", { name: "text", placeholder: "Opportunity", required: "", "aria-label": "Opportunity" }),
            (() => { const s = el("select", { name: "impact", "aria-label": "Impact" }); for (const v of ["", "low", "medium", "high"]) s.append(el("option", { value: v }, v ? "impact " + v : "impact")); return s; })(),
            (() => { const s = el("select", { name: "effort", "aria-label": "Effort" }); for (const v of ["", "low", "medium", "high"]) s.append(el("option", { value: v }, v ? "effort " + v : "effort")); return s; })(),
            el("button", { type: "submit" }, "Add opportunity"));
          opp.addEventListener("submit", (e) => { e.preventDefault(); edit({ op: "add_opportunity", step: step.id, text: opp.elements.text.value, impact: opp.elements.impact.value || null, effort: opp.elements.effort.value || null }); });
          more.append(pain, opp);
          list.append(el("li", {},
            nameInput(step.name, "Step name", (name) => edit({ op: "rename_step", step: step.id, name })), score,
            before ? el("button", { type: "button", class: "icon", title: "Move step up", on: { click: () => edit({ op: "move_step", step: step.id, stage: stage.id, before: before.id }) } }, "↑") : "",
            stage.steps[ti + 1] ? el("button", { type: "button", class: "icon", title: "Move step down", on: { click: () => edit({ op: "move_step", step: step.id, stage: stage.id, before: after ? after.id : null }) } }, "↓") : "",
            el("button", { type: "button", class: "icon danger", title: "Delete step", on: { click: () => confirm("Delete the step “" + step.name + "”?") && edit({ op: "delete_step", step: step.id }) } }, "×"),
            more));
        });
        const add = el("form", { class: "mini add-step" }, el("input", { name: "name", placeholder: "New step", required: "", "aria-label": "New step in " + (stage.name || "the first stage") }), el("button", { type: "submit" }, "Add step"));
        add.addEventListener("submit", (e) => { e.preventDefault(); edit({ op: "add_step", stage: stage.id, name: add.elements.name.value, score: null, before: null }); });
        box.append(el("section", { class: "outline-block" }, head, list, add));
      });
      const addStage = el("form", { class: "mini" }, el("input", { name: "name", placeholder: "New stage", required: "", "aria-label": "New stage" }), el("button", { type: "submit" }, "Add stage"));
      addStage.addEventListener("submit", (e) => { e.preventDefault(); edit({ op: "add_stage", name: addStage.elements.name.value, before: null }); });
      box.append(addStage);
    }
    function setLayout(layout, remember) {
      root.dataset.layout = layout;
      for (const o of $$(".layout-switch [data-layout]")) o.setAttribute("aria-pressed", String(o.dataset.layout === layout));
      if (remember) try { localStorage.setItem("cjm-layout", layout); } catch (_) {}
    }
    for (const b of $$(".layout-switch [data-layout]")) b.addEventListener("click", () => setLayout(b.dataset.layout, true));
    // `#map` (the map page's "Edit on the map") opens the map alone, this
    // once; else the layout last chosen.
    let chosen = null;
    try { chosen = localStorage.getItem("cjm-layout"); } catch (_) {}
    if (location.hash === "#map") setLayout("map", false);
    else if (chosen && $('.layout-switch [data-layout="' + chosen + '"]')) setLayout(chosen, false);
    refresh();
  }

  // The process map's slider shows the new map when let go.
  for (const r of $$("input[data-autosubmit]")) r.addEventListener("change", () => r.form.requestSubmit());
})();
