// The cjm editor: CodeMirror 6 with .cjm highlighting and the server's
// diagnostics shown inline. Exposed as window.cjmEditor:
//   create(parent, opts): a plain editor of a text;
//   live(parent, opts): the map's live document, edited together. Yjs holds
//     the text (Y.Text "source"), y-websocket speaks to the server's
//     /api/maps/{id}/live socket, y-codemirror.next binds it to CodeMirror
//     with everyone's cursors and a per-person undo, y-indexeddb keeps a
//     copy in the browser so edits made offline survive a closed tab.
import { EditorState, Compartment } from "@codemirror/state";
import { EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, drawSelection } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { StreamLanguage, syntaxHighlighting, HighlightStyle, indentUnit } from "@codemirror/language";
import { tags } from "@lezer/highlight";
import { setDiagnostics, lintGutter } from "@codemirror/lint";
import { searchKeymap, highlightSelectionMatches } from "@codemirror/search";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import { IndexeddbPersistence } from "y-indexeddb";
import { yCollab, yUndoManagerKeymap } from "y-codemirror.next";
import * as decoding from "lib0/decoding";

const KEYWORDS = /^(journey|title|section|persona|metric|data|state|scale|version|date|accTitle|accDescr)\b/;
const PROPERTY = /^([A-Za-z][A-Za-z -]*?)(\s+[^:]*)?:(?=\s|$)/;

// Line-oriented, like the format: a keyword, a property, a step, a comment.
const cjmLanguage = StreamLanguage.define({
  name: "cjm",
  startState: () => ({ inStep: false }),
  token(stream, state) {
    if (stream.sol()) {
      state.part = "start";
      if (stream.eatSpace()) return null;
    }
    if (state.part === "start") {
      if (stream.match(/^%%.*/)) return "comment";
      if (stream.match(KEYWORDS)) { state.part = "rest"; return "keyword"; }
      const indented = stream.column() > 0;
      if (indented && stream.match(PROPERTY, false)) {
        stream.match(/^[^:]*:/);
        state.part = "value";
        return "propertyName";
      }
      state.part = "stepName";
    }
    if (state.part === "stepName") {
      if (stream.match(/^(\\.|[^:\\])+/)) return "heading";
      if (stream.eat(":")) { state.part = "score"; return "punctuation"; }
    }
    if (state.part === "score") {
      if (stream.eatSpace()) return null;
      if (stream.match(/^-?[0-9.]+/) || stream.match(/^-(?=\s|:|$)/)) { state.part = "actors"; return "number"; }
      state.part = "actors";
    }
    if (stream.match(/^\[[^\]]*\]\s*$/)) return "attributeName";
    if (stream.match(/^%%.*/)) return "comment";
    if (stream.eat(":")) return "punctuation";
    if (stream.match(/^"[^"]*"/)) return "string";
    stream.next();
    return state.part === "actors" ? "variableName" : state.part === "value" ? "content" : null;
  },
});

const style = HighlightStyle.define([
  { tag: tags.keyword, color: "#7c3aed", fontWeight: "600" },
  { tag: tags.comment, color: "#6b7280", fontStyle: "italic" },
  { tag: tags.heading, color: "#0f172a", fontWeight: "600" },
  { tag: tags.propertyName, color: "#0369a1" },
  { tag: tags.number, color: "#b45309", fontWeight: "600" },
  { tag: tags.attributeName, color: "#047857" },
  { tag: tags.variableName, color: "#be185d" },
  { tag: tags.string, color: "#047857" },
]);

// Server positions are 1-based line and column in characters (code points);
// CodeMirror counts UTF-16 units.
function offset(doc, line, column) {
  const l = doc.line(Math.min(Math.max(line, 1), doc.lines));
  let units = 0, chars = 1;
  for (const ch of l.text) {
    if (chars >= column) break;
    units += ch.length; chars += 1;
  }
  return l.from + units;
}

function extensions(opts, readOnly, extra) {
  return [
    lineNumbers(), highlightActiveLineGutter(), drawSelection(), highlightActiveLine(),
    highlightSelectionMatches(), lintGutter(), indentUnit.of("  "),
    cjmLanguage, syntaxHighlighting(style),
    keymap.of([...defaultKeymap, ...searchKeymap, indentWithTab,
      { key: "Mod-s", run: () => { opts.onSave && opts.onSave(); return true; } }]),
    readOnly.of(EditorState.readOnly.of(!!opts.readOnly)),
    EditorView.lineWrapping,
    EditorView.contentAttributes.of({ "aria-label": "Map text", spellcheck: "false" }),
    EditorView.updateListener.of((u) => { if (u.docChanged && opts.onChange) opts.onChange(u.state.doc.toString()); }),
    ...extra,
  ];
}

export function create(parent, opts) {
  const readOnly = new Compartment();
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: opts.doc || "",
      extensions: extensions(opts, readOnly, [history(), keymap.of(historyKeymap)]),
    }),
  });
  return api(view);
}

// cjm's own messages on the live socket (the server sends them because we
// ask with ?cjm=1): 100 hello, 101 acknowledgement, 102 saved, 103
// preview, 104 notice.
const HELLO = 100, ACK = 101, PREVIEW = 103, NOTICE = 104;

// The browser's copy of a map's live document (IndexedDB), by map id.
export const localName = (mapId) => "cjm-map-" + mapId;

// Deletes every map's copy (signing out on a shared computer).
export async function forgetLocalCopies() {
  if (typeof indexedDB === "undefined" || !indexedDB.databases) return;
  for (const d of await indexedDB.databases()) {
    if (d.name && d.name.startsWith("cjm-map-")) indexedDB.deleteDatabase(d.name);
  }
}

// The live document of map `opts.mapId`. opts.onStatus({connected, synced,
// readOnly, pending}) reports the connection and whether every change sent
// is on the server's disk; opts.onPeople(list) who else is here.
export function live(parent, opts) {
  const doc = new Y.Doc();
  const ytext = doc.getText("source");
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const provider = new WebsocketProvider(scheme + "//" + location.host + "/api/maps/" + opts.mapId, "live", doc, {
    params: { cjm: "1", preview: "1" }, disableBc: true, maxBackoffTime: 10000, connect: false,
  });
  // The copy kept in this browser is loaded first, with the generation of
  // the document it copies; the socket connects after (so nothing of it is
  // sent before the server's hello says whether it is the same document).
  let local = null, localGeneration;
  try { local = new IndexeddbPersistence(localName(opts.mapId), doc); } catch (_) { local = null; }
  (local ? local.whenSynced.then(() => local.get("generation")).then((g) => { localGeneration = g; }) : Promise.resolve())
    .catch(() => { local = null; })
    .then(() => provider.connect());
  const readOnly = new Compartment();
  let view = null, sent = 0, acked = 0, ro = true, me = null;
  const status = () => opts.onStatus && opts.onStatus({
    connected: provider.wsconnected, synced: provider.synced, readOnly: ro, pending: sent > acked, me,
  });
  provider.messageHandlers[HELLO] = (_e, decoder) => {
    const hello = JSON.parse(decoding.readVarString(decoder));
    if (local) {
      // A copy of another document with this map id (the map was deleted
      // and the id reused, or the server's data restored): merging would
      // mix two texts. Throw the copy away and start again.
      const stale = localGeneration === undefined ? ytext.length > 0 : localGeneration !== hello.generation;
      if (stale) {
        provider.disconnect();
        local.clearData().finally(() => opts.onStale ? opts.onStale() : location.reload());
        return;
      }
      if (localGeneration === undefined) { localGeneration = hello.generation; local.set("generation", hello.generation); }
    }
    ro = hello.readOnly; me = hello.you;
    provider.awareness.setLocalStateField("user", { name: me.name, color: me.color, colorLight: me.colorLight });
    if (view) view.dispatch({ effects: readOnly.reconfigure(EditorState.readOnly.of(ro)) });
    status();
  };
  provider.messageHandlers[ACK] = (_e, decoder) => { acked = decoding.readVarUint(decoder); status(); };
  for (const t of [102, PREVIEW, NOTICE]) {
    provider.messageHandlers[t] = (_e, decoder) => {
      const body = JSON.parse(decoding.readVarString(decoder));
      if (t === PREVIEW && opts.onPreview) opts.onPreview(body);
      if (t === NOTICE && body.kind === "role") {
        ro = body.readOnly;
        if (view) view.dispatch({ effects: readOnly.reconfigure(EditorState.readOnly.of(ro)) });
        status();
      }
      if (t === NOTICE && opts.onNotice) opts.onNotice(body);
    };
  }
  // The server acknowledges the sync messages of each socket by count:
  // count what this socket sends (sync step 2 and updates).
  provider.on("status", ({ status: s }) => {
    if (s === "connected" && provider.ws) {
      sent = 0; acked = 0;
      const ws = provider.ws, send = ws.send.bind(ws);
      ws.send = (data) => {
        const b = data instanceof Uint8Array ? data : new Uint8Array(data);
        if (b[0] === 0 && (b[1] === 1 || b[1] === 2)) sent += 1;
        send(data);
      };
    }
    status();
  });
  provider.on("connection-close", status);
  const people = () => {
    if (!opts.onPeople) return;
    const list = [];
    provider.awareness.getStates().forEach((st, id) => { if (id !== doc.clientID && st.user) list.push(st.user); });
    opts.onPeople(list);
  };
  provider.awareness.on("change", people);
  const undoManager = new Y.UndoManager(ytext);
  const ready = new Promise((resolve) => {
    const start = () => {
      if (view) return;
      view = new EditorView({
        parent,
        state: EditorState.create({
          doc: ytext.toString(),
          extensions: extensions({ ...opts, readOnly: ro }, readOnly, [
            yCollab(ytext, provider.awareness, { undoManager }), keymap.of(yUndoManagerKeymap),
          ]),
        }),
      });
      status();
      resolve();
    };
    if (provider.synced) start(); else provider.once("sync", start);
  });
  const editor = {
    ready, provider, doc, undoManager, get view() { return view; },
    destroy() { provider.destroy(); local && local.destroy(); view && view.destroy(); },
    // Whether the server pushes the preview now (it does while connected).
    pushesPreviews: () => provider.wsconnected,
  };
  undoManager.on("stack-item-added", () => opts.onUndo && opts.onUndo(undoManager));
  undoManager.on("stack-item-popped", () => opts.onUndo && opts.onUndo(undoManager));
  return Object.assign(editor, {
    getText: () => ytext.toString(),
    // A map edit as this person's own typing: the changes (UTF-16 offsets
    // of `base`) in one transaction, so one undo takes it back. Refused
    // (false) when the text is no longer `base`.
    applyChanges(changes, base) {
      if (ro || ytext.toString() !== base) return false;
      undoManager.stopCapturing();
      doc.transact(() => {
        for (let i = changes.length - 1; i >= 0; i--) {
          const c = changes[i];
          if (c.delete) ytext.delete(c.at, c.delete);
          if (c.insert) ytext.insert(c.at, c.insert);
        }
      });
      undoManager.stopCapturing();
      return true;
    },
    undo: () => undoManager.undo(),
    redo: () => undoManager.redo(),
    // What this person is editing on the map, for the others' presence.
    setEditing: (value) => provider.awareness.setLocalStateField("editing", value || null),
    others() {
      const list = [];
      provider.awareness.getStates().forEach((st, id) => { if (id !== doc.clientID && st.user) list.push(st); });
      return list;
    },
    isReadOnly: () => ro,
    setDiagnostics: (list) => view && api(view).setDiagnostics(list),
    goTo: (line, column) => view && api(view).goTo(line, column),
    focus: () => view && view.focus(),
  });
}

function api(view) {
  return {
    view,
    getText: () => view.state.doc.toString(),
    setText(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    setDiagnostics(list) {
      const doc = view.state.doc;
      const diags = list.map((d) => {
        const from = offset(doc, d.line, d.column);
        let to = offset(doc, d.end_line, d.end_column);
        if (to <= from) to = Math.min(from + 1, doc.line(Math.min(d.line, doc.lines)).to);
        const message = d.code + ": " + d.message + (d.label ? " — " + d.label : "") + (d.hint ? "\nhint: " + d.hint : "");
        return { from, to: Math.max(to, from), severity: d.severity === "error" ? "error" : "warning", message };
      });
      view.dispatch(setDiagnostics(view.state, diags));
    },
    goTo(line, column) {
      const at = offset(view.state.doc, line, column);
      view.dispatch({ selection: { anchor: at }, scrollIntoView: true });
      view.focus();
    },
    focus: () => view.focus(),
  };
}

// Yjs itself, for the browser tests that check the server against it.
window.cjmEditor = { create, live, forgetLocalCopies, Y };
