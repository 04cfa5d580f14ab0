//! Evidence rules evaluated against a log.
//!
//! A rule (`touchpoint = "checkout" and channel in ("web", "app")`) is
//! compiled once per log: every comparison on a text column becomes a table
//! of booleans indexed by the column's dictionary ids, so matching an event
//! costs a few array lookups, not string comparisons.
//!
//! Fields: `touchpoint` (also `activity`, `concept:name`), `channel`,
//! `score`, `customer` (also `case`, `case:concept:name`), and any event or
//! customer attribute of the log by name (`case:` prefix optional).

use cjm_events::{Dict, EventLog, NONE};
use cjm_syntax::evidence::{CmpOp, Expr, Literal};
use std::cmp::Ordering;

/// Which column a field reads.
#[derive(Clone, Copy, Debug)]
pub enum Column {
    Activity,
    Channel,
    Case,
    Attr(usize),
    CaseAttr(usize),
}

/// A rule ready to run on rows of one log.
#[derive(Debug)]
pub enum Compiled {
    /// A dictionary column whose values are accepted by `ok[id]`; `missing`
    /// says what rows without a value get.
    Mask {
        column: Column,
        ok: Vec<bool>,
        missing: bool,
    },
    /// `field = "text"` (or `!=` when `negated`): one dictionary id, found
    /// once, so a rule of many such terms compiles in time of its length.
    Is {
        column: Column,
        id: Option<u32>,
        negated: bool,
    },
    Score {
        op: CmpOp,
        value: f64,
    },
    Not(Box<Compiled>),
    /// Every operand of an `and` chain (n-ary, as the rule's tree is, so a
    /// long chain is wide, not deep).
    And(Vec<Compiled>),
    Or(Vec<Compiled>),
}

/// Why a rule cannot run on this log.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleError(pub String);

impl Compiled {
    /// Compiles `expr` for `log`; a field the log does not have is an error
    /// that lists the fields it has.
    pub fn new(expr: &Expr, log: &EventLog) -> Result<Compiled, RuleError> {
        Ok(match expr {
            Expr::Not(e) => Compiled::Not(Box::new(Compiled::new(e, log)?)),
            Expr::And(all) => Compiled::And(all.iter().map(|e| Compiled::new(e, log)).collect::<Result<_, _>>()?),
            Expr::Or(all) => Compiled::Or(all.iter().map(|e| Compiled::new(e, log)).collect::<Result<_, _>>()?),
            Expr::Compare { field, op, value } => {
                if is_score(field) {
                    match value {
                        Literal::Number(n) => Compiled::Score { op: *op, value: *n },
                        other => return Err(RuleError(format!("`score` compares with numbers, not {other}"))),
                    }
                } else if let (Literal::Text(text), CmpOp::Eq | CmpOp::Ne) = (value, op) {
                    let column = column(field, log)?;
                    Compiled::Is { column, id: dict(log, column).lookup(text), negated: *op == CmpOp::Ne }
                } else {
                    let column = column(field, log)?;
                    let dict = dict(log, column);
                    let ok = dict.values().map(|v| compare(v, *op, value)).collect();
                    Compiled::Mask { column, ok, missing: *op == CmpOp::Ne }
                }
            }
            Expr::In { field, negated, values } => {
                let column = column(field, log)?;
                let dict = dict(log, column);
                let ok = dict.values().map(|v| values.iter().any(|l| compare(v, CmpOp::Eq, l)) != *negated).collect();
                Compiled::Mask { column, ok, missing: *negated }
            }
        })
    }

    /// Whether event `row` matches.
    #[inline]
    pub fn matches(&self, log: &EventLog, row: usize) -> bool {
        match self {
            Compiled::Mask { column, ok, missing } => {
                let id = value_id(log, *column, row);
                if id == NONE {
                    *missing
                } else {
                    ok[id as usize]
                }
            }
            // A row without a value is not equal to the text, so `!=` holds.
            Compiled::Is { column, id, negated } => (Some(value_id(log, *column, row)) == *id) != *negated,
            Compiled::Score { op, value } => {
                let s = log.score.get(row);
                !s.is_nan() && cmp_holds(s.partial_cmp(value).unwrap_or(Ordering::Equal), *op)
            }
            Compiled::Not(e) => !e.matches(log, row),
            Compiled::And(all) => all.iter().all(|e| e.matches(log, row)),
            Compiled::Or(all) => all.iter().any(|e| e.matches(log, row)),
        }
    }
}

/// The dictionary id of `column` at `row`, `NONE` when the row has no value.
#[inline]
fn value_id(log: &EventLog, column: Column, row: usize) -> u32 {
    match column {
        Column::Activity => log.activity[row],
        Column::Channel => log.channel[row],
        Column::Case => log.case[row],
        Column::Attr(i) => log.attrs[i].id(row),
        Column::CaseAttr(i) => log.case_attrs[i].id(log.case[row] as usize),
    }
}

/// Whether a field names the score.
pub fn is_score(field: &str) -> bool {
    matches!(field, "score" | "rating")
}

fn column(field: &str, log: &EventLog) -> Result<Column, RuleError> {
    match field {
        "touchpoint" | "activity" | "concept:name" | "event" => return Ok(Column::Activity),
        "channel" if !log.channels.is_empty() || log.case_attr("channel").is_none() => return Ok(Column::Channel),
        "customer" | "case" | "case:concept:name" | "customer_id" => return Ok(Column::Case),
        _ => {}
    }
    if let Some(i) = log.attrs.iter().position(|a| a.name == field) {
        return Ok(Column::Attr(i));
    }
    let bare = field.strip_prefix("case:").unwrap_or(field);
    if let Some(i) = log.case_attrs.iter().position(|a| a.name == bare) {
        return Ok(Column::CaseAttr(i));
    }
    let mut known: Vec<String> = vec!["touchpoint".into(), "channel".into(), "score".into(), "customer".into()];
    known.extend(log.attrs.iter().map(|a| a.name.clone()));
    known.extend(log.case_attrs.iter().map(|a| format!("case:{}", a.name)));
    Err(RuleError(format!("the log has no field `{field}`; it has: {}", known.join(", "))))
}

fn dict(log: &EventLog, column: Column) -> &Dict {
    match column {
        Column::Activity => &log.activities,
        Column::Channel => &log.channels,
        Column::Case => &log.cases,
        Column::Attr(i) => &log.attrs[i].dict,
        Column::CaseAttr(i) => &log.case_attrs[i].dict,
    }
}

/// Whether a text value passes `op lit`: text equals text exactly (and
/// orders byte-wise); numbers and booleans compare as such when the value
/// reads as one (else only `!=` holds).
pub fn compare(value: &str, op: CmpOp, lit: &Literal) -> bool {
    let ord = match lit {
        Literal::Text(t) => value.cmp(t.as_str()),
        Literal::Number(n) => match value.trim().parse::<f64>() {
            Ok(v) => v.partial_cmp(n).unwrap_or(Ordering::Equal),
            Err(_) => return op == CmpOp::Ne,
        },
        Literal::Bool(b) => {
            let v = matches!(value.to_ascii_lowercase().as_str(), "true" | "1" | "yes");
            let known = matches!(value.to_ascii_lowercase().as_str(), "true" | "false" | "1" | "0" | "yes" | "no");
            if !known {
                return op == CmpOp::Ne;
            }
            v.cmp(b)
        }
    };
    cmp_holds(ord, op)
}

fn cmp_holds(ord: Ordering, op: CmpOp) -> bool {
    match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::Ne => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
    }
}
