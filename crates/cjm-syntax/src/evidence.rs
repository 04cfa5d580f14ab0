//! Evidence rules: the small filter expression after `evidence:` that says
//! which events in a log are this step.
//!
//! ```text
//! rule       := or
//! or         := and ("or" and)*
//! and        := unary ("and" unary)*
//! unary      := "not" unary | "(" rule ")" | comparison
//! comparison := field op literal
//!             | field ["not"] "in" "(" literal ("," literal)* ")"
//! op         := "=" | "!=" | "<" | "<=" | ">" | ">="
//! field      := name | `any text`          name: letters, digits, _ . : -
//! literal    := "text" | 'text' | number | true | false
//! ```
//! `and`, `or`, `not` and `in` may be written in any case. Fields name event
//! attributes: `touchpoint`, `channel`, `score`, `customer`, or any column of
//! the log (`case:channel`, `` `order total` ``).

use crate::codes;
use crate::diag::{Diagnostic, Span};
use std::fmt;

/// Parentheses and `not`s nested deeper than this are refused rather than
/// risking the stack. `and` and `or` chains are n-ary (one node however
/// long the chain), so the tree is at most about three times this deep and
/// every walk over it (printing, compiling, matching, dropping) may recurse.
const MAX_DEPTH: usize = 64;

/// A parsed rule. `And` and `Or` hold every operand of a chain: the parser
/// flattens `a and (b and c)` into one `And` of three, so a rule of a
/// million terms is a wide node, never a deep one.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Compare { field: String, op: CmpOp, value: Literal },
    In { field: String, negated: bool, values: Vec<Literal> },
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Text(String),
    Number(f64),
    Bool(bool),
}

impl Expr {
    /// Every field the rule reads, in order of first use.
    pub fn fields(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_fields(&mut out, &mut std::collections::HashSet::new());
        out
    }

    fn collect_fields<'a>(&'a self, out: &mut Vec<&'a str>, seen: &mut std::collections::HashSet<&'a str>) {
        match self {
            Expr::Compare { field, .. } | Expr::In { field, .. } => {
                if seen.insert(field.as_str()) {
                    out.push(field);
                }
            }
            Expr::Not(e) => e.collect_fields(out, seen),
            Expr::And(all) | Expr::Or(all) => all.iter().for_each(|e| e.collect_fields(out, seen)),
        }
    }

    /// The rule that picks, for each field, any of its values: `field =
    /// "v"` for one value, `field in ("a", "b")` for several, the fields
    /// joined by `and`. `None` when nothing is picked.
    pub fn of_picks(picks: &[(String, Vec<String>)]) -> Option<Expr> {
        let mut terms: Vec<Expr> = picks
            .iter()
            .filter(|(_, values)| !values.is_empty())
            .map(|(field, values)| match values.as_slice() {
                [one] => Expr::Compare { field: field.clone(), op: CmpOp::Eq, value: Literal::Text(one.clone()) },
                many => Expr::In {
                    field: field.clone(),
                    negated: false,
                    values: many.iter().cloned().map(Literal::Text).collect(),
                },
            })
            .collect();
        match terms.len() {
            0 => None,
            1 => terms.pop(),
            _ => Some(Expr::And(terms)),
        }
    }

    /// The picks a rule of [`Expr::of_picks`]'s shape holds (text values
    /// only); `None` for any other rule.
    pub fn picks(&self) -> Option<Vec<(String, Vec<String>)>> {
        let term = |e: &Expr| match e {
            Expr::Compare { field, op: CmpOp::Eq, value: Literal::Text(v) } => Some((field.clone(), vec![v.clone()])),
            Expr::In { field, negated: false, values } => {
                let texts = values.iter().map(|l| match l {
                    Literal::Text(t) => Some(t.clone()),
                    _ => None,
                });
                Some((field.clone(), texts.collect::<Option<Vec<_>>>()?))
            }
            _ => None,
        };
        let out: Vec<_> = match self {
            Expr::And(all) => all.iter().map(term).collect::<Option<_>>()?,
            one => vec![term(one)?],
        };
        let mut fields: Vec<&str> = out.iter().map(|(f, _)| f.as_str()).collect();
        fields.sort_unstable();
        fields.dedup();
        (fields.len() == out.len()).then_some(out)
    }

    fn precedence(&self) -> u8 {
        match self {
            Expr::Or(..) => 1,
            Expr::And(..) => 2,
            _ => 3,
        }
    }
}

/// Canonical text of a rule: lowercase keywords, double-quoted strings,
/// parentheses only where precedence needs them.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let child = |f: &mut fmt::Formatter<'_>, e: &Expr, min: u8| {
            if e.precedence() < min {
                write!(f, "({e})")
            } else {
                write!(f, "{e}")
            }
        };
        match self {
            Expr::Compare { field, op, value } => write!(f, "{} {} {value}", Field(field), op.as_str()),
            Expr::In { field, negated, values } => {
                write!(f, "{} {}in (", Field(field), if *negated { "not " } else { "" })?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str(")")
            }
            Expr::Not(e) => {
                f.write_str("not ")?;
                child(f, e, 3)
            }
            Expr::And(all) | Expr::Or(all) => {
                let (sep, min) = if matches!(self, Expr::And(_)) { (" and ", 2) } else { (" or ", 1) };
                for (i, e) in all.iter().enumerate() {
                    if i > 0 {
                        f.write_str(sep)?;
                    }
                    child(f, e, min)?;
                }
                Ok(())
            }
        }
    }
}

struct Field<'a>(&'a str);

impl fmt::Display for Field<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plain = !self.0.is_empty()
            && self.0.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
            && self.0.chars().all(is_name_char)
            && keyword(self.0).is_none();
        if plain {
            return f.write_str(self.0);
        }
        f.write_str("`")?;
        for c in self.0.chars() {
            match c {
                '`' => f.write_str("\\`")?,
                '\\' => f.write_str("\\\\")?,
                c => write!(f, "{c}")?,
            }
        }
        f.write_str("`")
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Text(s) => {
                f.write_str("\"")?;
                for c in s.chars() {
                    match c {
                        '"' => f.write_str("\\\"")?,
                        '\\' => f.write_str("\\\\")?,
                        c => write!(f, "{c}")?,
                    }
                }
                f.write_str("\"")
            }
            Literal::Number(n) => write!(f, "{n}"),
            Literal::Bool(b) => write!(f, "{b}"),
        }
    }
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | ':' | '-')
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Name(String),
    Quoted(String),
    Text(String),
    Number(f64),
    Op(CmpOp),
    LParen,
    RParen,
    Comma,
    Kw(Kw),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kw {
    And,
    Or,
    Not,
    In,
    True,
    False,
}

fn keyword(word: &str) -> Option<Kw> {
    Some(match word.to_ascii_lowercase().as_str() {
        "and" => Kw::And,
        "or" => Kw::Or,
        "not" => Kw::Not,
        "in" => Kw::In,
        "true" => Kw::True,
        "false" => Kw::False,
        _ => return None,
    })
}

fn describe(tok: Option<&(Tok, Span)>, src: &str) -> String {
    match tok {
        None => "the end of the rule".to_string(),
        Some((_, span)) => format!("`{}`", &src[span.start..span.end]),
    }
}

/// Parses a rule. `base` is the rule's offset in the file, so diagnostics
/// point at the right columns.
pub fn parse(src: &str, base: usize) -> Result<Expr, Diagnostic> {
    let toks = lex(src).map_err(|d| shift(d, base))?;
    let mut p = RuleParser { src, toks, pos: 0, depth: 0 };
    let expr = p.or().map_err(|d| shift(d, base))?;
    if let Some((_, span)) = p.toks.get(p.pos) {
        let span = *span;
        let d = p.error(
            span,
            format!("expected `and`, `or` or the end of the rule, found {}", describe(p.toks.get(p.pos), src)),
        );
        return Err(shift(d.with_hint("join conditions with `and` / `or`"), base));
    }
    Ok(expr)
}

fn shift(mut d: Diagnostic, base: usize) -> Diagnostic {
    d.span = d.span.shift(base);
    d
}

fn lex(src: &str) -> Result<Vec<(Tok, Span)>, Diagnostic> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(c) = src[i..].chars().next() {
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        let (tok, end) = token(src, i, c)?;
        out.push((tok, Span::new(i, end)));
        i = end;
    }
    Ok(out)
}

/// The token that starts at `i` with `c` (not white space), and its end.
fn token(src: &str, i: usize, c: char) -> Result<(Tok, usize), Diagnostic> {
    let bytes = src.as_bytes();
    match c {
        '(' => Ok((Tok::LParen, i + 1)),
        ')' => Ok((Tok::RParen, i + 1)),
        ',' => Ok((Tok::Comma, i + 1)),
        '=' => Ok((Tok::Op(CmpOp::Eq), i + if src[i..].starts_with("==") { 2 } else { 1 })),
        '!' | '<' | '>' => comparison(src, i, c),
        '"' | '\'' | '`' => {
            let (text, end) = quoted(src, i, c)?;
            Ok((if c == '`' { Tok::Quoted(text) } else { Tok::Text(text) }, end))
        }
        c if c.is_ascii_digit()
            || ((c == '-' || c == '+' || c == '.')
                && bytes.get(i + 1).is_some_and(|b| b.is_ascii_digit() || *b == b'.')) =>
        {
            number(src, i)
        }
        c if c.is_alphabetic() || c == '_' => {
            let end = src[i..].find(|c: char| !is_name_char(c)).map_or(src.len(), |n| i + n);
            let word = &src[i..end];
            Ok((keyword(word).map_or_else(|| Tok::Name(word.to_string()), Tok::Kw), end))
        }
        other => Err(Diagnostic::error(
            codes::BAD_EVIDENCE,
            Span::new(i, i + other.len_utf8()),
            format!("unexpected `{other}` in the evidence rule"),
        )
        .with_label("not part of a rule")
        .with_hint("a rule compares fields with values: touchpoint = \"checkout\" and channel in (\"web\", \"app\")")),
    }
}

/// `!=`, `<`, `<=`, `<>`, `>` or `>=` at `i`.
fn comparison(src: &str, i: usize, c: char) -> Result<(Tok, usize), Diagnostic> {
    let two = src[i..].get(..2).unwrap_or("");
    let (op, len) = match (c, two) {
        (_, "!=") | (_, "<>") => (CmpOp::Ne, 2),
        (_, "<=") => (CmpOp::Le, 2),
        (_, ">=") => (CmpOp::Ge, 2),
        ('<', _) => (CmpOp::Lt, 1),
        ('>', _) => (CmpOp::Gt, 1),
        _ => {
            return Err(Diagnostic::error(codes::BAD_EVIDENCE, Span::new(i, i + 1), "`!` must be followed by `=`")
                .with_label("expected `!=`")
                .with_hint("write `not` to negate a condition, `!=` for \"is not\""))
        }
    };
    Ok((Tok::Op(op), i + len))
}

/// A number at `i`: digits, a sign, a point, an exponent.
fn number(src: &str, i: usize) -> Result<(Tok, usize), Diagnostic> {
    let bytes = src.as_bytes();
    let mut end = i + 1;
    while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || matches!(bytes[end], b'.' | b'_' | b'+' | b'-')) {
        if matches!(bytes[end], b'+' | b'-') && !matches!(bytes[end - 1], b'e' | b'E') {
            break;
        }
        end += 1;
    }
    let text = &src[i..end];
    let value: f64 = text.parse().ok().filter(|v: &f64| v.is_finite()).ok_or_else(|| {
        Diagnostic::error(codes::BAD_EVIDENCE, Span::new(i, end), format!("`{text}` is not a number"))
            .with_label("expected a number such as `4` or `2.5`")
            .with_hint("put text in double quotes: \"…\"")
    })?;
    Ok((Tok::Number(value), end))
}

fn quoted(src: &str, start: usize, quote: char) -> Result<(String, usize), Diagnostic> {
    let mut out = String::new();
    let mut chars = src[start + 1..].char_indices();
    while let Some((off, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, e)) => out.push(e),
                None => break,
            },
            c if c == quote => return Ok((out, start + 1 + off + 1)),
            c => out.push(c),
        }
    }
    Err(Diagnostic::error(
        codes::BAD_EVIDENCE,
        Span::new(start, src.len()),
        format!("the text starting with {quote} is never closed"),
    )
    .with_label("opened here")
    .with_hint(format!("end the text with {quote}")))
}

struct RuleParser<'a> {
    src: &'a str,
    toks: Vec<(Tok, Span)>,
    pos: usize,
    depth: usize,
}

impl RuleParser<'_> {
    fn error(&self, span: Span, message: String) -> Diagnostic {
        Diagnostic::error(codes::BAD_EVIDENCE, span, message)
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(t, _)| t)
    }

    fn here(&self) -> Span {
        match self.toks.get(self.pos) {
            Some((_, s)) => *s,
            None => Span::empty(self.src.trim_end().len()),
        }
    }

    fn eat_kw(&mut self, kw: Kw) -> bool {
        if self.peek() == Some(&Tok::Kw(kw)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Expr, Diagnostic> {
        let mut all = Vec::new();
        loop {
            match self.and()? {
                Expr::Or(inner) => all.extend(inner),
                e => all.push(e),
            }
            if !self.eat_kw(Kw::Or) {
                break;
            }
        }
        Ok(if all.len() == 1 { all.pop().expect("one operand") } else { Expr::Or(all) })
    }

    fn and(&mut self) -> Result<Expr, Diagnostic> {
        let mut all = Vec::new();
        loop {
            match self.unary()? {
                Expr::And(inner) => all.extend(inner),
                e => all.push(e),
            }
            if !self.eat_kw(Kw::And) {
                break;
            }
        }
        Ok(if all.len() == 1 { all.pop().expect("one operand") } else { Expr::And(all) })
    }

    fn unary(&mut self) -> Result<Expr, Diagnostic> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self
                .error(self.here(), format!("the rule nests deeper than {MAX_DEPTH} levels"))
                .with_hint("simplify the rule"));
        }
        let result = if self.eat_kw(Kw::Not) {
            self.unary().map(|e| Expr::Not(Box::new(e)))
        } else if self.peek() == Some(&Tok::LParen) {
            let open = self.here();
            self.pos += 1;
            let inner = self.or()?;
            if self.peek() != Some(&Tok::RParen) {
                return Err(self
                    .error(self.here(), format!("expected `)`, found {}", describe(self.toks.get(self.pos), self.src)))
                    .with_label(format!("to close the `(` at column {}", open.start + 1))
                    .with_hint("add the missing `)`"));
            }
            self.pos += 1;
            Ok(inner)
        } else {
            self.comparison()
        };
        self.depth -= 1;
        result
    }

    fn comparison(&mut self) -> Result<Expr, Diagnostic> {
        let field = match self.toks.get(self.pos) {
            Some((Tok::Name(n) | Tok::Quoted(n), _)) => n.clone(),
            Some((Tok::Text(t), span)) => {
                return Err(self
                    .error(*span, format!("expected a field name, found the text \"{t}\""))
                    .with_label("a condition starts with a field")
                    .with_hint(format!("write the field first, e.g. touchpoint = \"{t}\"")))
            }
            other => {
                return Err(self
                    .error(
                        self.here(),
                        format!(
                            "expected a condition such as touchpoint = \"checkout\", found {}",
                            describe(other, self.src)
                        ),
                    )
                    .with_label("expected a field name here"))
            }
        };
        self.pos += 1;
        if let Some(Tok::Op(op)) = self.peek() {
            let op = *op;
            self.pos += 1;
            let value = self.literal()?;
            // Text orders too (timestamps, codes); only booleans have no order.
            if matches!(op, CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge) && matches!(value, Literal::Bool(_)) {
                let span = self.toks[self.pos - 1].1;
                return Err(self
                    .error(span, format!("`{}` cannot compare with true or false", op.as_str()))
                    .with_hint("use `=` or `!=` with booleans"));
            }
            return Ok(Expr::Compare { field, op, value });
        }
        let negated = self.eat_kw(Kw::Not);
        if self.eat_kw(Kw::In) {
            return self.in_list(field, negated);
        }
        let found = describe(self.toks.get(self.pos), self.src);
        let mut d = self
            .error(self.here(), format!("expected `=`, `!=`, `<`, `>`, or `in` after `{field}`, found {found}"))
            .with_label("expected a comparison");
        if let Some(Tok::Name(word)) = self.peek() {
            d = d.with_hint(format!("put text in double quotes: {field} = \"{word}\""));
        }
        Err(d)
    }

    fn in_list(&mut self, field: String, negated: bool) -> Result<Expr, Diagnostic> {
        if self.peek() != Some(&Tok::LParen) {
            return Err(self
                .error(
                    self.here(),
                    format!("expected `(` after `in`, found {}", describe(self.toks.get(self.pos), self.src)),
                )
                .with_hint(format!("write {field} in (\"a\", \"b\")")));
        }
        self.pos += 1;
        let mut values = vec![self.literal()?];
        loop {
            match self.peek() {
                Some(Tok::Comma) => {
                    self.pos += 1;
                    values.push(self.literal()?);
                }
                Some(Tok::RParen) => {
                    self.pos += 1;
                    return Ok(Expr::In { field, negated, values });
                }
                _ => {
                    return Err(self
                        .error(
                            self.here(),
                            format!(
                                "expected `,` or `)` in the list, found {}",
                                describe(self.toks.get(self.pos), self.src)
                            ),
                        )
                        .with_hint("separate values with commas and close the list with `)`"))
                }
            }
        }
    }

    fn literal(&mut self) -> Result<Literal, Diagnostic> {
        let lit = match self.toks.get(self.pos) {
            Some((Tok::Text(t), _)) => Literal::Text(t.clone()),
            Some((Tok::Number(n), _)) => Literal::Number(*n),
            Some((Tok::Kw(Kw::True), _)) => Literal::Bool(true),
            Some((Tok::Kw(Kw::False), _)) => Literal::Bool(false),
            Some((Tok::Name(word), span)) => {
                return Err(self
                    .error(*span, format!("expected a value, found the bare word `{word}`"))
                    .with_label("text values need quotes")
                    .with_hint(format!("write \"{word}\"")))
            }
            other => {
                return Err(self
                    .error(
                        self.here(),
                        format!(
                            "expected a value (\"text\", a number, true or false), found {}",
                            describe(other, self.src)
                        ),
                    )
                    .with_label("expected a value here"))
            }
        };
        self.pos += 1;
        Ok(lit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(src: &str) -> String {
        parse(src, 0).unwrap_or_else(|d| panic!("{src}: {}", d.message)).to_string()
    }

    /// Picks become a rule that reads back as the same picks, hostile
    /// values and field names included; a rule of another shape has none.
    #[test]
    fn picks_make_a_rule_and_read_back() {
        let picks = vec![
            ("touchpoint".to_string(), vec!["Pay \"now\"".to_string(), "a\\b".to_string()]),
            ("order type".to_string(), vec!["`x` and y".to_string()]),
            ("case:plan".to_string(), vec!["gold".to_string()]),
        ];
        let rule = Expr::of_picks(&picks).unwrap().to_string();
        assert_eq!(
            rule,
            r#"touchpoint in ("Pay \"now\"", "a\\b") and `order type` = "`x` and y" and case:plan = "gold""#
        );
        assert_eq!(parse(&rule, 0).unwrap().picks().unwrap(), picks);
        assert_eq!(Expr::of_picks(&[("channel".into(), vec![])]), None);
        for other in [r#"a = 1"#, r#"a = "x" or b = "y""#, r#"not a = "x""#, r#"a = "x" and a = "y""#, r#"a != "x""#] {
            assert_eq!(parse(other, 0).unwrap().picks(), None, "{other}");
        }
    }

    #[test]
    fn parses_and_prints_canonically() {
        assert_eq!(
            ok(r#"touchpoint = "ad_click" AND channel == 'social'"#),
            r#"touchpoint = "ad_click" and channel = "social""#
        );
        assert_eq!(ok(r#"a = 1 or b = 2 and c = 3"#), r#"a = 1 or b = 2 and c = 3"#);
        assert_eq!(ok(r#"(a = 1 or b = 2) and not c in ("x", "y")"#), r#"(a = 1 or b = 2) and not c in ("x", "y")"#);
        assert_eq!(ok(r#"channel not in ("web")"#), r#"channel not in ("web")"#);
        assert_eq!(
            ok(r#"`order total` >= 20.5 and case:channel != "Desk""#),
            r#"`order total` >= 20.5 and case:channel != "Desk""#
        );
        assert_eq!(ok(r#"not (a = 1 or b = 2)"#), r#"not (a = 1 or b = 2)"#);
    }

    #[test]
    fn printed_rules_read_back_the_same() {
        for src in [
            r#"a = "q\"uote" and b <= -3e2"#,
            r#"x in (1, 2, "3") or not y = true"#,
            r#"`and` = "or""#,
            // Found by fuzzing: a quoted field with backslashes (and a backtick).
            "not (touc != \":heckout\") or `o6tt = \"f$\0\0\0__f\\\\\\\\a=\0r t1\\\\ulz\"o` >= 100",
            r#"`a\`b` = 1"#,
        ] {
            let e = parse(src, 0).unwrap();
            assert_eq!(parse(&e.to_string(), 0).unwrap(), e, "{src}");
        }
    }

    #[test]
    fn errors_point_at_the_problem() {
        let d = parse(r#"channel = social"#, 10).unwrap_err();
        assert_eq!(d.span, Span::new(20, 26));
        assert!(d.hint.unwrap().contains("\"social\""));
        let d = parse(r#"(a = 1"#, 0).unwrap_err();
        assert!(d.message.contains("expected `)`"), "{}", d.message);
        let d = parse(r#"a = "open"#, 0).unwrap_err();
        assert!(d.message.contains("never closed"));
        let d = parse("a = 1 b = 2", 0).unwrap_err();
        assert!(d.message.contains("expected `and`"), "{}", d.message);
        let d = parse("", 0).unwrap_err();
        assert!(d.message.contains("the end of the rule"), "{}", d.message);
    }

    #[test]
    fn long_chains_are_one_wide_node() {
        let terms = 200_000;
        let src = vec!["a = 1"; terms].join(" and ");
        let e = parse(&src, 0).unwrap();
        let Expr::And(all) = &e else { panic!("not an And") };
        assert_eq!(all.len(), terms);
        assert_eq!(e.to_string(), src);
        assert_eq!(e.fields(), ["a"]);
        let src = (0..terms).map(|i| format!("f{i} = 1")).collect::<Vec<_>>().join(" or ");
        let e = parse(&src, 0).unwrap();
        assert_eq!(e.fields().len(), terms);
        assert_eq!(e.to_string(), src);
        drop(e);
        // Parentheses of the same operator flatten, so printing reads back equal.
        let e = parse("a = 1 and (b = 2 and (c = 3 or d = 4 or (e = 5 or f = 6)))", 0).unwrap();
        assert_eq!(e.to_string(), "a = 1 and b = 2 and (c = 3 or d = 4 or e = 5 or f = 6)");
        assert_eq!(parse(&e.to_string(), 0).unwrap(), e);
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let src = format!("{}a = 1{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(parse(&src, 0).unwrap_err().message.contains("nests deeper"));
        let src = format!("{}a = 1", "not ".repeat(100_000));
        assert!(parse(&src, 0).is_err());
    }
}
