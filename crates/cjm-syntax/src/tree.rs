//! The lossless line tree of a `.cjm` file.
//!
//! The language is line-oriented, so the tree is a flat list of [`Node`]s, one
//! per logical line (a multi-line construct such as a `|` text block or an
//! `accDescr { … }` block is one node). Structure is carried by two fields:
//! `owner`, the index of the node a line belongs to (a persona, metric,
//! section or task), and `level`, the canonical indentation depth the
//! formatter prints. Every node keeps its source span, so tools can rewrite
//! one line without touching the others (the web app's forms rely on that).

use crate::diag::Span;

/// A piece of text with the span it came from. `value` is unescaped
/// (`\:` is `:`); the raw text is `source[span]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text {
    pub value: String,
    pub span: Span,
}

/// cjm's keyword lines: `<keyword> <argument>` with no `:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Keyword {
    State,
    Scale,
    Version,
    Date,
    Persona,
    Metric,
    /// `data [LOG]`: the event log behind the map and how to read it.
    Data,
    /// `use FILE` / `use Sam, Dana from FILE`: personas declared in another file.
    Use,
}

impl Keyword {
    pub const ALL: [Keyword; 8] = [
        Keyword::State,
        Keyword::Scale,
        Keyword::Version,
        Keyword::Date,
        Keyword::Persona,
        Keyword::Metric,
        Keyword::Data,
        Keyword::Use,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Keyword::State => "state",
            Keyword::Scale => "scale",
            Keyword::Version => "version",
            Keyword::Date => "date",
            Keyword::Persona => "persona",
            Keyword::Metric => "metric",
            Keyword::Data => "data",
            Keyword::Use => "use",
        }
    }
    pub fn from_word(word: &str) -> Option<Keyword> {
        Keyword::ALL.into_iter().find(|k| k.as_str() == word)
    }
    /// Persona, metric and data lines open a block of indented properties.
    pub fn opens_block(self) -> bool {
        matches!(self, Keyword::Persona | Keyword::Metric | Keyword::Data)
    }
    /// Keywords that may be given more than once (each block or file its own).
    pub fn repeats(self) -> bool {
        self.opens_block() || self == Keyword::Use
    }
    /// Keywords that belong in the header, before the first section.
    pub fn header_only(self) -> bool {
        self.opens_block() || self == Keyword::Use
    }
}

/// `[key value, key value]` at the end of a `pain`, `opportunity` or `metric` value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attrs {
    pub span: Span,
    pub items: Vec<Attr>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attr {
    pub key: Text,
    pub value: Text,
}

/// A Mermaid task line: `name: score: actor, actor`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    pub name: Text,
    /// The raw score text (Mermaid reads it with JavaScript's `Number`).
    pub score: Text,
    pub actors: Vec<Text>,
    /// Text after a second `:`, which Mermaid ignores.
    pub ignored: Option<Span>,
}

/// A property key: one of the fixed keys of [`crate::keys`], and where it stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    pub name: &'static str,
    pub span: Span,
}

/// A `key: value` line inside a persona, metric, section or task, or at the
/// top of the journey.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Property {
    /// The key, e.g. `channel`, `score`, `future score`.
    pub key: Key,
    /// The persona of `score Sam: 4` / `future score Sam: 4`.
    pub qualifier: Option<Text>,
    /// Unescaped value (verbatim for `evidence` and for `|` blocks).
    pub value: Text,
    /// True when the value is a `|` block of indented lines.
    pub block: bool,
    pub attrs: Option<Attrs>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeKind {
    Blank,
    /// A `%%` comment line.
    Comment,
    /// A `%%{init: …}%%` directive (may span lines).
    Directive,
    /// A `---` … `---` block before the header; Mermaid reads `title:` from it.
    FrontMatter {
        title: Option<Text>,
    },
    /// The `journey` line.
    Header,
    Title(Text),
    AccTitle(Text),
    AccDescr {
        text: Text,
        block: bool,
    },
    Section(Text),
    Task(Task),
    Keyword {
        keyword: Keyword,
        arg: Text,
        attrs: Option<Attrs>,
    },
    Property(Property),
    /// A line that could not be read; the diagnostics say why. Printed verbatim.
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub kind: NodeKind,
    /// The whole construct, without the final line break.
    pub span: Span,
    /// Indentation as written, in columns (a tab counts as 4).
    pub indent: usize,
    /// Canonical indentation depth (two spaces each).
    pub level: usize,
    /// Index of the persona, metric, section or task node this line belongs to.
    pub owner: Option<usize>,
    /// A trailing `%% …` (or, on Mermaid lines, `# …`) comment.
    pub comment: Option<Span>,
}

/// A parsed file: every line of the source, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Document {
    pub nodes: Vec<Node>,
}

impl Document {
    pub fn header(&self) -> Option<&Node> {
        self.nodes.iter().find(|n| n.kind == NodeKind::Header)
    }
    /// The nodes owned by `index`, in order.
    pub fn children(&self, index: usize) -> impl Iterator<Item = (usize, &Node)> {
        self.nodes.iter().enumerate().filter(move |(_, n)| n.owner == Some(index))
    }
}
