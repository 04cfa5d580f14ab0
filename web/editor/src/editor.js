// The cjm editor: CodeMirror 6 with .cjm highlighting and the server's
// diagnostics shown inline. Exposed as window.cjmEditor.create(parent, opts).
// The document lives in CodeMirror's state, whose transactions are what a
// collaborative binding (Yjs) plugs into for live co-editing.
import { EditorState, Compartment } from "@codemirror/state";
import { EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, drawSelection } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { StreamLanguage, syntaxHighlighting, HighlightStyle, indentUnit } from "@codemirror/language";
import { tags } from "@lezer/highlight";
import { setDiagnostics, lintGutter } from "@codemirror/lint";
import { searchKeymap, highlightSelectionMatches } from "@codemirror/search";

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

export function create(parent, opts) {
  const readOnly = new Compartment();
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: opts.doc || "",
      extensions: [
        lineNumbers(), highlightActiveLineGutter(), history(), drawSelection(), highlightActiveLine(),
        highlightSelectionMatches(), lintGutter(), indentUnit.of("  "),
        cjmLanguage, syntaxHighlighting(style),
        keymap.of([...defaultKeymap, ...historyKeymap, ...searchKeymap, indentWithTab,
          { key: "Mod-s", run: () => { opts.onSave && opts.onSave(); return true; } }]),
        readOnly.of(EditorState.readOnly.of(!!opts.readOnly)),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ "aria-label": "Map text", spellcheck: "false" }),
        EditorView.updateListener.of((u) => { if (u.docChanged && opts.onChange) opts.onChange(u.state.doc.toString()); }),
      ],
    }),
  });
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

window.cjmEditor = { create };
