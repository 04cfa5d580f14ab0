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
    Score {
        op: CmpOp,
        value: f64,
    },
    Not(Box<Compiled>),
    And(Box<Compiled>, Box<Compiled>),
    Or(Box<Compiled>, Box<Compiled>),
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
            Expr::And(a, b) => Compiled::And(Box::new(Compiled::new(a, log)?), Box::new(Compiled::new(b, log)?)),
            Expr::Or(a, b) => Compiled::Or(Box::new(Compiled::new(a, log)?), Box::new(Compiled::new(b, log)?)),
            Expr::Compare { field, op, value } => {
                if is_score(field) {
                    match value {
                        Literal::Number(n) => Compiled::Score { op: *op, value: *n },
                        other => return Err(RuleError(format!("`score` compares with numbers, not {other}"))),
                    }
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
                let id = match column {
                    Column::Activity => log.activity[row],
                    Column::Channel => log.channel[row],
                    Column::Case => log.case[row],
                    Column::Attr(i) => log.attrs[*i].ids[row],
                    Column::CaseAttr(i) => log.case_attrs[*i].ids.get(log.case[row] as usize).copied().unwrap_or(NONE),
                };
                if id == NONE {
                    *missing
                } else {
                    ok[id as usize]
                }
            }
            Compiled::Score { op, value } => {
                let s = log.score.get(row);
                !s.is_nan() && cmp_holds(s.partial_cmp(value).unwrap_or(Ordering::Equal), *op)
            }
            Compiled::Not(e) => !e.matches(log, row),
            Compiled::And(a, b) => a.matches(log, row) && b.matches(log, row),
            Compiled::Or(a, b) => a.matches(log, row) || b.matches(log, row),
        }
    }
}

fn is_score(field: &str) -> bool {
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

/// Text equals text exactly; numbers compare as numbers when both sides are.
fn compare(value: &str, op: CmpOp, lit: &Literal) -> bool {
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
