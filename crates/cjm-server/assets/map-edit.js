// Editing on the map: every part of the drawn map opens a small editor in
// place (Enter applies, Escape cancels); faces on the emotion curve drag
// (or take the arrow keys) to set a persona's score; step names drag to
// reorder; "+" between columns adds a step. Each change is a form edit of
// the live text (cjm_model::edit), applied as this person's typing, so
// everybody sees it and Undo takes it back. No framework, no inline code.
"use strict";
(function () {
  const LEVELS = ["", "low", "medium", "high"];
  const STATUSES = ["", "idea", "planned", "in-progress", "done", "dropped"];
  const SINGLE = { doing: "What the customer does", thinking: "What the customer thinks", feeling: "What the customer feels", owner: "Owning team" };

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "on") for (const [ev, f] of Object.entries(v)) e.addEventListener(ev, f);
      else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
    }
    for (const k of kids) if (k !== null && k !== undefined && k !== false) e.append(k);
    return e;
  }
  const select = (name, label, options, value) => {
    const s = el("select", { name, "aria-label": label });
    for (const o of options) { const opt = el("option", { value: o }, o || "—"); if (String(value ?? "") === String(o)) opt.selected = true; s.append(opt); }
    return s;
  };
  const field = (label, input) => el("label", { class: "pop-field" }, el("span", {}, label), input);
  const text = (name, value, label, multi) => multi
    ? el("textarea", { name, rows: "3", "aria-label": label }, value || "")
    : el("input", { type: "text", name, value: value || "", "aria-label": label });

  window.cjmMapEditing = function ({ preview, editor, edit, outline, model, toast, api, mapId, hasEvidence, library }) {
    let pop = null, drag = null;
    const canEdit = () => !editor.isReadOnly();
    const stepOf = (id) => { for (const st of (model() || {}).stages || []) for (const s of st.steps) if (s.id === id) return { step: s, stage: st }; return null; };
    const stepIds = () => ((model() || {}).stages || []).flatMap((st) => st.steps.map((s) => ({ id: s.id, stage: st.id })));
    const personaNames = () => { const m = model() || {}; return (m.personas || []).length ? m.personas.map((p) => p.name) : [...new Set(((m.stages || []).flatMap((st) => st.steps)).flatMap((s) => s.actors || []))]; };
    const scale = () => { const m = model() || {}; const sc = m.scale || { min: 1, max: 5 }; const out = []; for (let v = sc.min; v <= sc.max; v++) out.push(String(v)); return out; };

    function close() {
      if (pop) { pop.cleanup(); pop.remove(); pop = null; editor.setEditing(null); }
    }
    // A small form next to `anchor` (an element of the map). `build(form)`
    // fills it; `apply(form)` answers the edit to make (or a list, or null).
    function open(anchor, title, build, apply, extra) {
      close();
      if (!canEdit()) { toast("You can look, not change: ask an owner for the editor role.", "error"); return; }
      const form = el("form", { class: "map-pop", role: "dialog", "aria-label": title });
      form.append(el("strong", {}, title));
      build(form);
      const actions = el("div", { class: "pop-actions" });
      for (const [label, op, danger] of extra || []) {
        actions.append(el("button", { type: "button", class: danger ? "danger" : "", on: { click: async () => {
          if (danger && !confirm(danger)) return;
          const ops = typeof op === "function" ? op() : op;
          if (ops === "keep") return;
          close(); await run(ops);
        } } }, label));
      }
      actions.append(el("span", { class: "spacer" }), el("button", { type: "button", on: { click: close } }, "Cancel"), el("button", { type: "submit", class: "primary" }, "Apply"));
      form.append(actions);
      form.addEventListener("submit", async (e) => { e.preventDefault(); const ops = apply(form); close(); await run(ops); });
      form.addEventListener("keydown", (e) => {
        if (e.key === "Escape") { e.preventDefault(); close(); preview.focus(); }
        else if (e.key === "Enter" && !e.shiftKey && e.target.tagName === "TEXTAREA") { e.preventDefault(); form.requestSubmit(); }
      });
      // Fixed on the page, beside the part clicked, inside the window: the
      // map's own scrolling never hides its buttons.
      document.body.append(form);
      const place = () => {
        const box = anchor.getBoundingClientRect(), w = form.offsetWidth, h = form.offsetHeight;
        const below = box.bottom + 6 + h <= window.innerHeight;
        form.style.left = Math.max(8, Math.min(box.left, window.innerWidth - w - 8)) + "px";
        form.style.top = Math.max(8, below ? box.bottom + 6 : Math.min(box.top - h - 6, window.innerHeight - h - 8)) + "px";
      };
      place();
      window.addEventListener("resize", place);
      form.cleanup = () => window.removeEventListener("resize", place);
      pop = form;
      const first = form.querySelector("input, textarea, select");
      if (first) { first.focus(); if (first.select) first.select(); }
      const step = anchor.closest("[data-step]");
      editor.setEditing(step ? { step: step.dataset.step } : null);
    }
    async function run(ops) {
      if (!ops) return;
      for (const op of Array.isArray(ops) ? ops : [ops]) if (!(await edit(op))) return;
    }
    const val = (form, name) => { const v = form.elements[name].value.trim(); return v === "" ? null : v; };
    const owner = (step) => ({ kind: "step", step });

    // ------------------------------------------------------------ steps
    function stepPop(anchor, id) {
      const found = stepOf(id); if (!found) return;
      const { step, stage } = found;
      const ids = stepIds(), at = ids.findIndex((s) => s.id === id);
      const names = personaNames();
      open(anchor, "Step", (f) => {
        f.append(field("Name", text("name", step.name, "Step name")));
        if (names.length) f.append(field("Who", text("actors", (step.actors || []).join(", "), "Personas on this step (none: everyone)")));
        for (const k of Object.keys(SINGLE)) f.append(field(k[0].toUpperCase() + k.slice(1), text(k, step[k], SINGLE[k], k !== "owner")));
        const optional = el("input", { type: "checkbox", name: "optional" });
        optional.checked = !!step.optional;
        f.append(el("label", { class: "pop-check", title: "An optional step keeps its reach but is left out of the measured funnel, so skipping it is no drop-off" }, optional, " Optional step (some customers skip it)"));
        f.append(el("div", { class: "pop-adds" }, "Add: ",
          ...[["pain point", "pains"], ["opportunity", "opportunities"], ["touchpoint", "touchpoints"], ["backstage", "backstage"], ["system", "systems"], ["metric", "metrics"]]
            .map(([label, lane]) => el("button", { type: "button", class: "link", on: { click: () => itemPop(anchor, id, lane, null) } }, label))));
        if (hasEvidence) f.append(el("div", { class: "pop-adds" }, "Evidence: ",
          el("button", { type: "button", class: "link", "data-evidence-pick": "", on: { click: () => evidencePop(anchor, id) } }, step.evidence ? "change the rule from the log…" : "pick from the log…")));
      }, (f) => {
        const ops = [];
        const name = val(f, "name");
        if (name && name !== step.name) ops.push({ op: "rename_step", step: id, name });
        if (f.elements.actors) {
          const actors = f.elements.actors.value.split(",").map((a) => a.trim()).filter(Boolean);
          if (actors.join(",") !== (step.actors || []).join(",")) ops.push({ op: "set_actors", step: id, actors });
        }
        for (const k of Object.keys(SINGLE)) {
          const v = val(f, k);
          if ((v || null) !== (step[k] || null)) ops.push({ op: "set_field", owner: owner(id), key: k, index: null, value: v });
        }
        const optional = f.elements.optional.checked;
        if (optional !== !!step.optional) ops.push({ op: "set_field", owner: owner(id), key: "optional", index: null, value: optional ? "yes" : null });
        return ops;
      }, [
        ["◀ Move", at > 0 && (() => { const prev = ids[at - 1]; return { op: "move_step", step: id, stage: prev.stage, before: prev.id }; })],
        ["Move ▶", at < ids.length - 1 && (() => { const next = ids[at + 1], after = ids[at + 2]; return { op: "move_step", step: id, stage: next.stage, before: after && after.stage === next.stage ? after.id : null }; })],
        ["Delete step", { op: "delete_step", step: id }, "Delete the step “" + step.name + "” with everything on it?"],
      ].filter((x) => x[1]));
      void stage;
    }

    // ------------------------------------------------ evidence by clicking
    // The log's touchpoints, channels and attributes with their counts;
    // ticking values makes the rule (on the server, in canonical form),
    // counted against the log as it changes; Apply writes it as the step's
    // `evidence` through the same form edit as every other field.
    async function evidencePop(anchor, id) {
      const found = stepOf(id); if (!found) return;
      const { step } = found;
      let fields, current;
      try {
        [fields, current] = await Promise.all([
          api("GET", "/api/maps/" + mapId + "/evidence/values"),
          api("POST", "/api/maps/" + mapId + "/evidence/rule", { rule: step.evidence || "" }),
        ]);
      } catch (err) { toast(err.message, "error"); return; }
      const picked = new Map((current.picks || []).map((p) => [p.field, new Set(p.values)]));
      let answer = current, seq = 0, timer = null;
      const summary = el("p", { class: "pick-summary", "aria-live": "polite" });
      const showAnswer = (a) => {
        summary.replaceChildren();
        if (a.rule) summary.append(el("code", {}, a.rule));
        else summary.append(el("span", { class: "muted" }, "Nothing picked yet."));
        if (a.problem) summary.append(el("span", { class: "error" }, " " + a.problem));
        else if (a.rule) {
          const share = a.of_customers ? (100 * a.customers / a.of_customers).toFixed(1) : "0.0";
          summary.append(el("span", { class: "muted" }, " · matches " + a.customers.toLocaleString("en-US") + " customers (" + share + " %), " + a.events.toLocaleString("en-US") + " events"));
        }
      };
      const recount = () => {
        clearTimeout(timer);
        timer = setTimeout(async () => {
          const mine = ++seq;
          const picks = [...picked].filter(([, v]) => v.size).map(([field, v]) => ({ field, values: [...v] }));
          try { const a = await api("POST", "/api/maps/" + mapId + "/evidence/rule", { picks }); if (mine === seq) { answer = a; showAnswer(a); } }
          catch (err) { if (mine === seq) summary.replaceChildren(el("span", { class: "error" }, err.message)); }
        }, 200);
      };
      open(anchor, "Evidence for “" + step.name + "”", (f) => {
        f.classList.add("pick-pop");
        if (step.evidence && !current.picks) f.append(el("p", { class: "hint" }, "The rule now (", el("code", {}, step.evidence), ") is more than a list of values; picking replaces it."));
        f.append(el("p", { class: "muted" }, "Tick the values a customer's event has at this step; values of one field are alternatives, fields are all required."));
        f.append(summary);
        for (const fv of fields) {
          const box = el("details", { class: "pick-field" });
          if (fv.field === "touchpoint" || picked.has(fv.field)) box.open = true;
          const count = el("span", { class: "muted" }, " · " + fv.distinct + (fv.distinct === 1 ? " value" : " values") + (fv.customer_level ? " · per customer" : ""));
          box.append(el("summary", {}, el("strong", {}, fv.field), count));
          const list = el("div", { class: "pick-list", role: "group", "aria-label": fv.field });
          for (const v of fv.values) {
            const cb = el("input", { type: "checkbox", value: v.value, "data-field": fv.field });
            cb.checked = !!(picked.get(fv.field) && picked.get(fv.field).has(v.value));
            cb.addEventListener("change", () => {
              if (!picked.has(fv.field)) picked.set(fv.field, new Set());
              if (cb.checked) picked.get(fv.field).add(v.value); else picked.get(fv.field).delete(v.value);
              recount();
            });
            list.append(el("label", { class: "pick-value", title: v.events.toLocaleString("en-US") + " events" }, cb, el("span", { class: "pick-name" }, v.value), el("span", { class: "muted" }, v.customers.toLocaleString("en-US"))));
          }
          if (fv.values.length > 12) {
            const filter = el("input", { type: "search", placeholder: "Filter " + fv.field, "aria-label": "Filter " + fv.field });
            filter.addEventListener("input", () => { const q = filter.value.toLowerCase(); for (const l of list.children) l.hidden = !!q && !l.textContent.toLowerCase().includes(q); });
            box.append(filter);
          }
          if (fv.distinct > fv.values.length) box.append(el("p", { class: "muted" }, "The " + fv.values.length + " values with the most customers of " + fv.distinct + "."));
          box.append(list);
          f.append(box);
        }
        showAnswer(current);
      }, () => (answer.rule && answer.rule !== (step.evidence || null) ? { op: "set_field", owner: owner(id), key: "evidence", index: null, value: answer.rule } : null),
      step.evidence ? [["Remove rule", { op: "set_field", owner: owner(id), key: "evidence", index: null, value: null }, "Remove this step's evidence rule?"]] : []);
    }

    // -------------------------------------------------- single fields
    function fieldPop(anchor, id, key) {
      const found = stepOf(id); if (!found) return;
      const cur = found.step[key];
      open(anchor, SINGLE[key], (f) => f.append(text("value", cur, SINGLE[key], key !== "owner")),
        (f) => ((val(f, "value") || null) === (cur || null) ? null : { op: "set_field", owner: owner(id), key, index: null, value: val(f, "value") }),
        cur ? [["Remove", { op: "set_field", owner: owner(id), key, index: null, value: null }, "Remove this text?"]] : []);
    }

    // ------------------------------------------------------------ items
    function itemPop(anchor, id, lane, index) {
      const found = stepOf(id); if (!found) return;
      const s = found.step;
      const removeKey = { pains: "pain", opportunities: "opportunity", touchpoints: "touchpoint", backstage: "backstage", systems: "system", metrics: "metric" }[lane];
      const remove = index === null ? [] : [["Delete", { op: "set_field", owner: owner(id), key: removeKey, index, value: null }, "Delete it?"]];
      if (lane === "pains") {
        const p = index === null ? {} : s.pains[index];
        return open(anchor, index === null ? "New pain point" : "Pain point", (f) => {
          f.append(field("Pain point", text("text", p.text, "Pain point", true)), field("Severity", select("severity", "Severity", ["", "1", "2", "3", "4", "5"], p.severity)));
        }, (f) => val(f, "text") && { op: "set_pain", step: id, index, text: val(f, "text"), severity: val(f, "severity") ? Number(val(f, "severity")) : null }, remove);
      }
      if (lane === "opportunities") {
        const o = index === null ? {} : s.opportunities[index];
        return open(anchor, index === null ? "New opportunity" : "Opportunity", (f) => {
          f.append(field("Idea", text("text", o.text, "Opportunity", true)),
            el("div", { class: "pop-row" }, field("Impact", select("impact", "Impact", LEVELS, o.impact)), field("Effort", select("effort", "Effort", LEVELS, o.effort)), field("Status", select("status", "Status", STATUSES, o.status))),
            field("Owner", text("owner", o.owner, "Opportunity owner")));
        }, (f) => val(f, "text") && { op: "set_opportunity", step: id, index, text: val(f, "text"), impact: val(f, "impact"), effort: val(f, "effort"), status: val(f, "status"), owner: val(f, "owner") }, remove);
      }
      if (lane === "metrics") {
        const m = index === null ? {} : s.metrics[index];
        return open(anchor, index === null ? "New metric" : "Metric", (f) => {
          f.append(field("Name", text("name", m.name, "Metric name")), el("div", { class: "pop-row" }, field("Unit", text("unit", m.unit, "Unit")), field("Target", text("target", m.target, "Target"))));
        }, (f) => val(f, "name") && { op: "set_metric", owner: owner(id), index, name: val(f, "name"), unit: val(f, "unit"), target: val(f, "target") === null ? null : Number(val(f, "target")) }, remove);
      }
      if (lane === "touchpoints" && index === "channels") {
        return open(anchor, "Channels", (f) => f.append(field("Channels, separated by commas", text("channels", (s.channels || []).join(", "), "Channels"))),
          (f) => ({ op: "set_channels", step: id, channels: f.elements.channels.value.split(",").map((c) => c.trim()).filter(Boolean) }));
      }
      const key = removeKey, list = { touchpoint: s.touchpoints, backstage: s.backstage, system: s.systems }[key] || [];
      const label = { touchpoint: "Touchpoint", backstage: "Backstage (out of the customer's sight)", system: "Support system" }[key];
      return open(anchor, index === null ? "New " + label.toLowerCase() : label, (f) => {
        f.append(text("value", index === null ? "" : list[index], label, key === "backstage"));
        if (key === "touchpoint") f.append(el("button", { type: "button", class: "link", on: { click: () => itemPop(anchor, id, "touchpoints", "channels") } }, "Channels…"));
      }, (f) => val(f, "value") && { op: "set_field", owner: owner(id), key, index, value: val(f, "value") }, remove);
    }

    // ----------------------------------------------------------- stages
    function stagePop(anchor, id) {
      const m = model() || {}, stages = m.stages || [], at = stages.findIndex((s) => s.id === id), st = stages[at];
      if (!st) return;
      if (!st.name) return toast("These steps come before the first stage; add a stage to group them.");
      const named = stages.filter((s) => s.name);
      const i = named.findIndex((s) => s.id === id);
      open(anchor, "Stage", (f) => {
        f.append(field("Name", text("name", st.name, "Stage name")), field("Goal", text("goal", st.goal, "The customer's goal in this stage", true)), field("Promise", text("promise", st.promise, "What the brand promise means in this stage", true)), field("Description", text("description", st.description, "Stage description", true)));
      }, (f) => {
        const ops = [];
        if (val(f, "name") && val(f, "name") !== st.name) ops.push({ op: "rename_stage", stage: id, name: val(f, "name") });
        for (const k of ["goal", "promise", "description"]) if ((val(f, k) || null) !== (st[k] || null)) ops.push({ op: "set_field", owner: { kind: "stage", stage: id }, key: k, index: null, value: val(f, k) });
        return ops;
      }, [
        ["◀ Move", i > 0 && { op: "move_stage", stage: id, before: named[i - 1].id }],
        ["Move ▶", i < named.length - 1 && { op: "move_stage", stage: id, before: named[i + 2] ? named[i + 2].id : null }],
        ["+ Stage after", () => { addStagePop(anchor, named[i + 1] ? named[i + 1].id : null); return "keep"; }],
        ["+ Step", () => { addStepPop(anchor, id, null); return "keep"; }],
        ["Delete stage", { op: "delete_stage", stage: id }, "Delete the stage “" + st.name + "” and all its steps?"],
      ].filter((x) => x[1]));
    }
    function addStagePop(anchor, before) {
      open(anchor, "New stage", (f) => f.append(text("name", "", "Stage name")), (f) => val(f, "name") && { op: "add_stage", name: val(f, "name"), before });
    }
    function addStepPop(anchor, stage, before) {
      open(anchor, "New step", (f) => f.append(text("name", "", "Step name")), (f) => val(f, "name") && { op: "add_step", stage, name: val(f, "name"), score: null, before });
    }

    // --------------------------------------------------------- personas
    const PERSONA = { description: ["Description", true], segment: ["Segment", false], quote: ["Quote", true], image: ["Image path", false] };
    function personaPop(anchor, name, fieldName, index) {
      const p = ((model() || {}).personas || []).find((x) => x.name === name);
      if (!p) return;
      // A persona the map takes from a file is edited there: for
      // `personas.cjm`, the workspace's persona library.
      if (p.source) {
        const where = p.source === "personas.cjm" && library
          ? el("p", {}, name + " comes from the ", el("a", { href: library, target: "_blank", rel: "noopener" }, "persona library"), "; edit it there, and every map that takes it follows.")
          : el("p", {}, name + " comes from " + p.source + "; edit it there.");
        return open(anchor, name, (f) => f.append(where), () => null);
      }
      const list = { goal: p.goals, need: p.needs, pain: p.pains }[fieldName];
      if (list) {
        const label = { goal: "Goal", need: "Need", pain: "Pain" }[fieldName];
        return open(anchor, label + " of " + name, (f) => f.append(text("value", index === null ? "" : list[index], label, true)),
          (f) => val(f, "value") && { op: "set_field", owner: { kind: "persona", persona: name }, key: fieldName, index, value: val(f, "value") },
          index === null ? [] : [["Delete", { op: "set_field", owner: { kind: "persona", persona: name }, key: fieldName, index, value: null }, "Delete it?"]]);
      }
      open(anchor, "Persona", (f) => {
        f.append(field("Name", text("name", p.name, "Persona name")));
        for (const [k, [label, multi]] of Object.entries(PERSONA)) f.append(field(label, text(k, p[k], label, multi)));
        f.append(el("div", { class: "pop-adds" }, "Add: ", ...["goal", "need", "pain"].map((k) => el("button", { type: "button", class: "link", on: { click: () => personaPop(anchor, name, k, null) } }, k))));
      }, (f) => {
        const ops = [];
        for (const k of Object.keys(PERSONA)) if ((val(f, k) || null) !== (p[k] || null)) ops.push({ op: "set_field", owner: { kind: "persona", persona: name }, key: k, index: null, value: val(f, k) });
        if (val(f, "name") && val(f, "name") !== name) ops.push({ op: "rename_persona", persona: name, name: val(f, "name") });
        return ops;
      }, [["Delete persona", { op: "delete_persona", persona: name }, "Delete the persona " + name + "? Their scores go too."]]);
    }

    // ------------------------------------------------------------ scores
    function scoreOf(svgFace) { return Number(svgFace.dataset.score); }
    function setScore(stepId, persona, score, future) {
      return run({ op: "set_persona_score", step: stepId, persona, score, future: !!future });
    }
    function scorePop(anchor, stepId) {
      const found = stepOf(stepId); if (!found) return;
      const names = personaNames().length ? personaNames() : [""];
      const score = (n, fut) => {
        const s = found.step, list = fut ? s.future_persona_scores : s.persona_scores;
        const own = (list || []).find((x) => x.persona === n);
        if (own) return own.score;
        const general = fut ? s.future_score : s.score;
        return !(s.actors || []).length || (s.actors || []).includes(n) ? general : null;
      };
      open(anchor, "Scores on “" + found.step.name + "”", (f) => {
        for (const [i, n] of names.entries()) {
          f.append(el("div", { class: "pop-row" },
            field((n || "Score") + " now", select("now" + i, "Score now" + (n ? " for " + n : ""), ["", ...scale()], score(n, false))),
            field("future", select("future" + i, "Future score" + (n ? " for " + n : ""), ["", ...scale()], score(n, true)))));
        }
      }, (f) => {
        const ops = [];
        names.forEach((n, i) => {
          for (const fut of [false, true]) {
            const v = f.elements[(fut ? "future" : "now") + i].value, old = score(n, fut);
            const nv = v === "" ? null : Number(v);
            if (nv !== (old ?? null)) ops.push({ op: "set_persona_score", step: stepId, persona: n, score: nv, future: fut });
          }
        });
        return ops;
      });
    }

    // Dragging a face: the lane's scale comes from its data attributes.
    function startDrag(face, e) {
      const lane = face.closest(".emotion");
      if (!lane || !canEdit()) return;
      const ctm = lane.getScreenCTM(); if (!ctm) return;
      const d = lane.dataset, min = Number(d.min), max = Number(d.max), top = Number(d.top), bottom = Number(d.bottom);
      drag = { face, lane, min, max, top, bottom, start: e.clientY, score: scoreOf(face), moved: false };
      face.setPointerCapture(e.pointerId);
      face.classList.add("dragging");
    }
    function moveDrag(e) {
      if (!drag) return;
      const pt = new DOMPoint(e.clientX, e.clientY).matrixTransform(drag.lane.getScreenCTM().inverse());
      const rel = Math.min(1, Math.max(0, (pt.y - drag.top) / (drag.bottom - drag.top)));
      const v = Math.round(drag.max - rel * (drag.max - drag.min));
      if (Math.abs(e.clientY - drag.start) > 3) drag.moved = true;
      drag.score = v;
      const y = drag.top + ((drag.max - v) / (drag.max - drag.min)) * (drag.bottom - drag.top);
      const circle = drag.face.querySelector("circle");
      drag.face.setAttribute("transform", "translate(0," + (y - Number(circle.getAttribute("cy"))) + ")");
      drag.face.dataset.preview = String(v);
      const label = drag.face.querySelector("text"); if (label) label.textContent = String(v);
    }
    async function endDrag() {
      if (!drag) return;
      const { face, moved, score } = drag; drag = null;
      face.classList.remove("dragging");
      if (!moved) { scorePop(face, face.dataset.step); return; }
      if (score !== scoreOf(face)) await setScore(face.dataset.step, face.dataset.persona, score, false);
      else face.removeAttribute("transform");
    }

    // Reordering steps by dragging their names.
    function startStepDrag(cell, e) {
      if (!canEdit()) return;
      drag = { cell, step: cell.dataset.step, x: e.clientX, moved: false, kind: "step" };
    }
    function columns() {
      return [...preview.querySelectorAll('.cell[data-lane="steps"]')].map((c) => ({ id: c.dataset.step, box: c.getBoundingClientRect() }));
    }
    function moveStepDrag(e) {
      if (Math.abs(e.clientX - drag.x) > 8) drag.moved = true;
      if (!drag.moved) return;
      drag.target = dropAt(columns(), e.clientX, 5);
    }
    // Where a drag over these boxes (left to right) lands: the index of
    // the box it goes before (their count: after the last), with the mark
    // drawn `gap` px outside that edge.
    function dropAt(boxes, x, gap) {
      let target = boxes.findIndex((c) => x < c.box.left + c.box.width / 2);
      if (target < 0) target = boxes.length;
      let mark = preview.querySelector(".drop-mark");
      if (!mark) { mark = el("div", { class: "drop-mark" }); preview.append(mark); }
      const host = preview.getBoundingClientRect();
      const edge = target < boxes.length ? boxes[target].box.left - gap : boxes[boxes.length - 1].box.right + gap;
      mark.style.left = (edge - host.left + preview.scrollLeft) + "px";
      mark.style.top = (boxes[0].box.top - host.top + preview.scrollTop) + "px";
      mark.style.height = boxes[0].box.height + "px";
      return target;
    }
    async function endStepDrag() {
      const d = drag; drag = null;
      const mark = preview.querySelector(".drop-mark"); if (mark) mark.remove();
      if (!d.moved) return false;
      const ids = stepIds(), cols = columns(), t = d.target;
      if ((cols[t] && cols[t].id === d.step) || (cols[t - 1] && cols[t - 1].id === d.step)) return true;
      const stageOf = (id) => ids.find((s) => s.id === id).stage;
      const stage = t < cols.length ? stageOf(cols[t].id) : stageOf(cols[cols.length - 1].id);
      const beforeId = t < cols.length ? cols[t].id : null;
      await run({ op: "move_step", step: d.step, stage, before: beforeId });
      return true;
    }

    // Dragging a stage band along the row of stages moves the stage with
    // its steps; a mark shows where it lands.
    function stageBands() {
      const named = ((model() || {}).stages || []).filter((s) => s.name).map((s) => s.id);
      return [...preview.querySelectorAll(".stage[data-stage]")].filter((g) => named.includes(g.dataset.stage))
        .map((g) => ({ id: g.dataset.stage, box: g.getBoundingClientRect() }));
    }
    function startStageDrag(band, e) {
      if (!canEdit()) return;
      drag = { kind: "stage", stage: band.dataset.stage, band, x: e.clientX, moved: false };
    }
    function moveStageDrag(e) {
      if (Math.abs(e.clientX - drag.x) > 8) drag.moved = true;
      if (!drag.moved) return;
      drag.band.classList.add("dragging");
      const bands = stageBands();
      if (!bands.length) return;
      drag.target = dropAt(bands, e.clientX, 4);
    }
    async function endStageDrag() {
      const d = drag; drag = null;
      d.band.classList.remove("dragging");
      const mark = preview.querySelector(".drop-mark"); if (mark) mark.remove();
      if (!d.moved || d.target === undefined) return;
      const bands = stageBands(), t = d.target;
      // Dropped beside itself: nothing moves.
      if ((bands[t] && bands[t].id === d.stage) || (bands[t - 1] && bands[t - 1].id === d.stage)) return;
      await run({ op: "move_stage", stage: d.stage, before: t < bands.length ? bands[t].id : null });
    }

    // ------------------------------------------------------------ events
    // The click that ends a drag is not a click on what is under it; a
    // drag whose click never comes (the drawing was replaced under the
    // pointer) does not swallow the next real one.
    let suppressClickUntil = 0;
    preview.addEventListener("pointerdown", (e) => {
      if (e.button !== 0 || e.target.closest(".map-pop")) return;
      const face = e.target.closest(".face[data-step]");
      if (face) { e.preventDefault(); startDrag(face, e); return; }
      const cell = e.target.closest('.cell[data-lane="steps"]');
      if (cell) { startStepDrag(cell, e); return; }
      const band = e.target.closest(".stage[data-stage]");
      // No text selection while a band is dragged (its click still opens it).
      if (band) { e.preventDefault(); startStageDrag(band, e); }
    });
    // On the window: a drag goes on when the pointer leaves the map.
    window.addEventListener("pointermove", (e) => {
      if (!drag) return;
      if (drag.kind === "step") moveStepDrag(e); else if (drag.kind === "stage") moveStageDrag(e); else moveDrag(e);
    });
    window.addEventListener("pointerup", async () => {
      if (!drag) return;
      if (drag.kind === "step") { if (drag.moved) suppressClickUntil = Date.now() + 400; await endStepDrag(); return; }
      if (drag.kind === "stage") { if (drag.moved) suppressClickUntil = Date.now() + 400; await endStageDrag(); return; }
      suppressClickUntil = Date.now() + 400;
      await endDrag();
    });
    preview.addEventListener("click", (e) => {
      if (Date.now() < suppressClickUntil) { suppressClickUntil = 0; return; }
      const t = e.target;
      if (t.closest(".map-pop")) return;
      const plus = t.closest(".add-between");
      if (plus) return addStepPop(plus, plus.dataset.stage, plus.dataset.before || null);
      const persona = t.closest(".persona[data-persona]");
      if (persona) {
        const f = t.closest("[data-field]");
        const k = f && f.dataset.field;
        return personaPop(f || persona, persona.dataset.persona, ["goal", "need", "pain"].includes(k) ? k : null, f && f.dataset.index !== undefined ? Number(f.dataset.index) : null);
      }
      const stage = t.closest(".stage[data-stage]");
      if (stage) return stagePop(stage, stage.dataset.stage);
      const future = t.closest(".face-future[data-step]");
      if (future) return scorePop(future, future.dataset.step);
      const lane = t.closest(".emotion");
      if (lane) {
        const col = columns().find((c) => e.clientX >= c.box.left - 5 && e.clientX <= c.box.right + 5);
        if (col) return scorePop(t, col.id);
        return;
      }
      const cell = t.closest(".cell[data-step][data-lane]");
      if (!cell) { close(); return; }
      const id = cell.dataset.step, ln = cell.dataset.lane;
      if (ln === "steps") return stepPop(cell, id);
      if (SINGLE[ln]) return fieldPop(cell, id, ln);
      const item = t.closest("[data-item]");
      if (item && item.dataset.item === "channel") return itemPop(item, id, "touchpoints", "channels");
      return itemPop(item || cell, id, ln, item && item.dataset.index !== undefined ? Number(item.dataset.index) : null);
    });
    preview.addEventListener("keydown", (e) => {
      const face = e.target.closest && e.target.closest(".face[data-step]");
      if (face && (e.key === "ArrowUp" || e.key === "ArrowDown")) {
        e.preventDefault();
        const sc = (model() || {}).scale || { min: 1, max: 5 };
        const v = Math.min(sc.max, Math.max(sc.min, scoreOf(face) + (e.key === "ArrowUp" ? 1 : -1)));
        if (v !== scoreOf(face)) { focusAfter = { step: face.dataset.step, persona: face.dataset.persona }; setScore(face.dataset.step, face.dataset.persona, v, false); }
        return;
      }
      const target = e.target.closest && e.target.closest("[data-edit-key]");
      if (target && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); target.dispatchEvent(new MouseEvent("click", { bubbles: true, clientX: target.getBoundingClientRect().left + 4 })); }
    });
    document.addEventListener("keydown", (e) => {
      const inText = e.target.closest && e.target.closest(".cm-editor, input, textarea, select");
      if (inText || !(e.ctrlKey || e.metaKey) || e.key.toLowerCase() !== "z") return;
      e.preventDefault();
      if (e.shiftKey) editor.redo(); else editor.undo();
    });
    const undo = document.getElementById("undo"), redo = document.getElementById("redo");
    if (undo) undo.addEventListener("click", () => editor.undo());
    if (redo) redo.addEventListener("click", () => editor.redo());
    const addPersona = document.getElementById("add-persona");
    if (addPersona) addPersona.addEventListener("click", () => open(addPersona, "New persona", (f) => f.append(text("name", "", "Persona name")), (f) => val(f, "name") && { op: "add_persona", name: val(f, "name") }));

    let focusAfter = null;
    // After each new drawing: faces and parts take the keyboard, "+"
    // buttons sit between the columns, and the others' places show.
    function decorate() {
      preview.classList.toggle("editable", canEdit());
      if (addPersona) addPersona.hidden = !canEdit();
      for (const f of preview.querySelectorAll(".face[data-step]")) {
        f.setAttribute("tabindex", "0"); f.setAttribute("role", "slider"); f.setAttribute("data-edit-key", "");
        f.setAttribute("aria-label", f.dataset.persona + "'s score on this step; arrow keys change it");
        f.setAttribute("aria-valuenow", f.dataset.score);
      }
      for (const c of preview.querySelectorAll('.cell[data-lane="steps"], .stage[data-stage], .persona[data-persona]')) {
        c.setAttribute("tabindex", "0"); c.setAttribute("role", "button"); c.setAttribute("data-edit-key", "");
      }
      if (focusAfter) {
        const f = [...preview.querySelectorAll(".face[data-step]")].find((x) => x.dataset.step === focusAfter.step && x.dataset.persona === focusAfter.persona);
        if (f) f.focus();
        focusAfter = null;
      }
      for (const b of preview.querySelectorAll(".add-between")) b.remove();
      if (canEdit()) {
        const host = preview.getBoundingClientRect(), ids = stepIds(), cols = columns();
        cols.forEach((c, i) => {
          const info = ids.find((s) => s.id === c.id); if (!info) return;
          const place = (x, before) => {
            const b = el("button", { type: "button", class: "add-between", title: "Add a step here", "aria-label": "Add a step here", "data-stage": info.stage, "data-before": before || "" }, "+");
            b.style.left = (x - host.left + preview.scrollLeft - 11) + "px";
            b.style.top = (c.box.top - host.top + preview.scrollTop - 12) + "px";
            preview.append(b);
          };
          place(c.box.left - 5, c.id);
          const next = ids[ids.findIndex((s) => s.id === c.id) + 1];
          if (!next || next.stage !== info.stage) place(c.box.right + 5, null);
          void i;
        });
      }
      showOthers();
    }
    // Where the others are: a coloured frame around the step each edits.
    function showOthers() {
      for (const m of preview.querySelectorAll(".other-editing")) m.remove();
      const host = preview.getBoundingClientRect();
      for (const st of editor.others()) {
        if (!st.editing || !st.editing.step || !st.user) continue;
        const hit = [...preview.querySelectorAll(".step-hit")].find((h) => h.dataset.step === st.editing.step);
        if (!hit) continue;
        const box = hit.getBoundingClientRect();
        const mark = el("div", { class: "other-editing", title: st.user.name + " is editing this step" }, el("span", {}, st.user.name));
        mark.style.setProperty("--person", st.user.color || "#475569");
        mark.style.left = (box.left - host.left + preview.scrollLeft) + "px";
        mark.style.top = (box.top - host.top + preview.scrollTop) + "px";
        mark.style.width = box.width + "px"; mark.style.height = box.height + "px";
        preview.append(mark);
      }
    }
    return { decorate, showOthers, close };
  };
})();
