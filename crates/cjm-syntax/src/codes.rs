//! Every diagnostic code cjm emits, with a one-line summary. Codes are stable:
//! tools and CI configurations match on them. `E` is an error (the map cannot
//! be trusted), `W` a warning (the map reads, but probably not as meant).
//! `E0xx`/`W0xx` come from reading the text, `E1xx`/`W1xx` from checking the map.

pub const INVALID_UTF8: &str = "E001";
pub const MISSING_HEADER: &str = "E002";
pub const UNTERMINATED: &str = "E003";
pub const UNKNOWN_LINE: &str = "E010";
pub const EMPTY_TEXT: &str = "E011";
pub const COLON_IN_SECTION: &str = "E012";
pub const EMPTY_NAME: &str = "E013";
pub const UNKNOWN_KEY: &str = "E014";
pub const MISSING_VALUE: &str = "E015";
pub const BAD_VALUE: &str = "E016";
pub const BAD_ATTRIBUTE: &str = "E017";
pub const BAD_EVIDENCE: &str = "E018";
pub const DUPLICATE_KEY: &str = "E019";
pub const MISPLACED: &str = "E020";
pub const UNDECLARED_PERSONA: &str = "E101";
pub const DUPLICATE_ID: &str = "E102";
pub const DUPLICATE_PERSONA: &str = "E103";
pub const DUPLICATE_METRIC: &str = "E104";
pub const BAD_ID: &str = "E105";
pub const BAD_JSON: &str = "E106";
pub const UNKNOWN_STEP: &str = "E107";
pub const MISSING_LIBRARY: &str = "E108";
pub const LIBRARY_ERRORS: &str = "E109";
pub const UNKNOWN_LIBRARY_PERSONA: &str = "E110";

pub const MIXED_INDENT: &str = "W001";
pub const SCORE_NOT_NUMBER: &str = "W010";
pub const SCORE_OUT_OF_SCALE: &str = "W011";
pub const TITLE_IN_SECTION: &str = "W012";
pub const DUPLICATE_SECTION: &str = "W013";
pub const HASH_CUTS_LINE: &str = "W014";
pub const EMPTY_ACTOR: &str = "W015";
pub const IGNORED_TEXT: &str = "W016";
pub const EMPTY_SCORE: &str = "W017";
pub const REPEATED_TITLE: &str = "W018";
pub const INLINE_COMMENT: &str = "W019";
pub const DUPLICATE_STEP: &str = "W101";
pub const EMPTY_STAGE: &str = "W102";

/// `(code, name, summary)` for documentation and `cjm check --explain`.
pub const ALL: &[(&str, &str, &str)] = &[
    (INVALID_UTF8, "invalid-utf8", "the file is not UTF-8 text"),
    (MISSING_HEADER, "missing-header", "the map does not start with the `journey` line"),
    (UNTERMINATED, "unterminated", "a front matter, directive or accDescr block is not closed"),
    (UNKNOWN_LINE, "unknown-line", "a line is neither a step, a keyword nor a property"),
    (EMPTY_TEXT, "empty-text", "a title, section or keyword has no text"),
    (COLON_IN_SECTION, "colon-in-section", "a section name contains an unescaped `:`"),
    (EMPTY_NAME, "empty-name", "a step line has no name before its `:`"),
    (UNKNOWN_KEY, "unknown-key", "a property key is not one cjm knows in that place"),
    (MISSING_VALUE, "missing-value", "a property has no value"),
    (BAD_VALUE, "bad-value", "a value is not of the expected form (state, scale, score…)"),
    (BAD_ATTRIBUTE, "bad-attribute", "a `[key value]` attribute is unknown or malformed"),
    (BAD_EVIDENCE, "bad-evidence", "an evidence rule is not a valid filter expression"),
    (DUPLICATE_KEY, "duplicate-key", "a single-valued property or keyword is given twice"),
    (MISPLACED, "misplaced", "a line is valid, but not where it stands"),
    (UNDECLARED_PERSONA, "undeclared-persona", "a score or actor names a persona the map does not declare"),
    (DUPLICATE_ID, "duplicate-id", "two stages or steps have the same explicit id"),
    (DUPLICATE_PERSONA, "duplicate-persona", "a persona is declared twice"),
    (DUPLICATE_METRIC, "duplicate-metric", "a metric is declared twice in one place"),
    (BAD_ID, "bad-id", "an explicit id is not lowercase letters, digits and `-`"),
    (BAD_JSON, "bad-json", "a JSON map does not match the schema"),
    (UNKNOWN_STEP, "unknown-step", "a metric's `measure` names a step the map does not have"),
    (MISSING_LIBRARY, "missing-library", "a file named by `use` cannot be read or declares no personas"),
    (LIBRARY_ERRORS, "library-errors", "a file named by `use` has errors of its own"),
    (UNKNOWN_LIBRARY_PERSONA, "unknown-library-persona", "`use … from` names a persona the file does not declare"),
    (MIXED_INDENT, "mixed-indent", "indentation mixes tabs and spaces"),
    (SCORE_NOT_NUMBER, "score-not-number", "a step's score is not a number (Mermaid reads NaN)"),
    (SCORE_OUT_OF_SCALE, "score-out-of-scale", "a score lies outside the declared scale"),
    (TITLE_IN_SECTION, "title-in-section", "a `title` line stands inside a section"),
    (DUPLICATE_SECTION, "duplicate-section", "two sections have the same name"),
    (HASH_CUTS_LINE, "hash-cuts-line", "a `#` starts a comment in Mermaid and cuts the line"),
    (EMPTY_ACTOR, "empty-actor", "an actor list has an empty entry"),
    (IGNORED_TEXT, "ignored-text", "text after a step's second `:` is ignored"),
    (EMPTY_SCORE, "empty-score", "an empty score, which Mermaid reads as 0"),
    (REPEATED_TITLE, "repeated-title", "the title is set more than once; the last one wins"),
    (INLINE_COMMENT, "inline-comment", "`%%` after text is not a comment (Mermaid reads it as text)"),
    (DUPLICATE_STEP, "duplicate-step", "two steps in one stage have the same name"),
    (EMPTY_STAGE, "empty-stage", "a section has no steps"),
];

/// The summary line of a code, if it exists.
pub fn explain(code: &str) -> Option<(&'static str, &'static str)> {
    ALL.iter().find(|(c, _, _)| c.eq_ignore_ascii_case(code)).map(|(_, n, s)| (*n, *s))
}
