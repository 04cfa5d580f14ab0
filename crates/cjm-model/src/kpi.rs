//! Journey KPIs with a formula: what a metric's `measure:` line says to
//! compute from the evidence, parsed into a [`Kpi`] and printed back the
//! same way. Steps are named by id or by their name in double quotes; the
//! evidence engine resolves them, the validator checks they exist.
//!
//! ```text
//! measure: conversion from cart to pay within 7d
//! measure: median time from "Open ticket" to resolve
//! measure: p90 time from open to resolve
//! measure: reach pay
//! measure: mean score at support
//! measure: channel switch from search to pay
//! ```

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A KPI's formula.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Kpi {
    /// Of the customers who reach `from`, the share who reach `to` after it
    /// (within `within_seconds` of it when given).
    Conversion {
        from: String,
        to: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        within_seconds: Option<i64>,
    },
    /// The median (or 90th percentile) time from the first `from` to the
    /// first `to` after it.
    Time { stat: TimeStat, from: String, to: String },
    /// The share of all customers who reach `step`.
    Reach { step: String },
    /// The mean score of the events matching `step`.
    Score { step: String },
    /// Of the customers who reach `from` and then `to`, the share whose
    /// `to` event is on another channel than their `from` event.
    Switch { from: String, to: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeStat {
    Median,
    P90,
}

/// The forms a `measure:` line takes, for hints and the docs.
pub const FORMS: &[&str] = &[
    "conversion from STEP to STEP [within 7d]",
    "median time from STEP to STEP",
    "p90 time from STEP to STEP",
    "reach STEP",
    "mean score at STEP",
    "channel switch from STEP to STEP",
];

/// The words a formula starts with.
pub const STARTS: &[&str] = &["conversion", "median", "p90", "reach", "mean", "channel"];

/// Why a formula does not read: a message, and the byte range of the
/// offending word within the formula.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KpiError {
    pub message: String,
    pub at: std::ops::Range<usize>,
}

impl Kpi {
    /// The steps the formula names.
    pub fn steps(&self) -> Vec<&str> {
        match self {
            Kpi::Conversion { from, to, .. } | Kpi::Time { from, to, .. } | Kpi::Switch { from, to } => {
                vec![from, to]
            }
            Kpi::Reach { step } | Kpi::Score { step } => vec![step],
        }
    }

    /// Whether a higher value is better (a lower one for times and switches).
    pub fn higher_is_better(&self) -> bool {
        !matches!(self, Kpi::Time { .. } | Kpi::Switch { .. })
    }

    /// Whether the value is a share (shown and targeted in percent).
    pub fn is_share(&self) -> bool {
        matches!(self, Kpi::Conversion { .. } | Kpi::Reach { .. } | Kpi::Switch { .. })
    }

    pub fn parse(text: &str) -> Result<Kpi, KpiError> {
        let words = words(text)?;
        let mut w = Words { words: &words, at: 0, end: text.len() };
        let first = w.next_word("a formula")?;
        let kpi = match first.0.as_str() {
            "conversion" => {
                let (from, to) = w.two_steps()?;
                let within = if w.peek() == Some("within") {
                    w.at += 1;
                    let (d, span) = w.next_word("a duration after `within`")?;
                    Some(parse_duration(&d).ok_or_else(|| KpiError {
                        message: format!("`{d}` is not a duration; write e.g. 30m, 2h or 7d"),
                        at: span,
                    })?)
                } else {
                    None
                };
                Kpi::Conversion { from, to, within_seconds: within }
            }
            "median" | "p90" => {
                w.expect("time")?;
                let (from, to) = w.two_steps()?;
                let stat = if first.0 == "median" { TimeStat::Median } else { TimeStat::P90 };
                Kpi::Time { stat, from, to }
            }
            "reach" => Kpi::Reach { step: w.step()? },
            "mean" => {
                w.expect("score")?;
                w.expect("at")?;
                Kpi::Score { step: w.step()? }
            }
            "channel" => {
                w.expect("switch")?;
                let (from, to) = w.two_steps()?;
                Kpi::Switch { from, to }
            }
            other => {
                let hint = cjm_syntax::keys::did_you_mean(other, STARTS.iter().copied())
                    .map_or(String::new(), |b| format!(" (did you mean `{b}`?)"));
                return Err(KpiError {
                    message: format!("`{other}` does not start a formula{hint}; write one of: {}", FORMS.join("; ")),
                    at: first.1,
                });
            }
        };
        if let Some((extra, span)) = words.get(w.at) {
            return Err(KpiError { message: format!("unexpected `{extra}` after the formula"), at: span.clone() });
        }
        Ok(kpi)
    }
}

fn step_text(s: &str) -> String {
    let plain = !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if plain && !["to", "from", "within", "at"].contains(&s) {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

impl std::fmt::Display for Kpi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Kpi::Conversion { from, to, within_seconds } => {
                write!(f, "conversion from {} to {}", step_text(from), step_text(to))?;
                if let Some(w) = within_seconds {
                    write!(f, " within {}", duration_text(*w))?;
                }
                Ok(())
            }
            Kpi::Time { stat, from, to } => {
                let s = if *stat == TimeStat::Median { "median" } else { "p90" };
                write!(f, "{s} time from {} to {}", step_text(from), step_text(to))
            }
            Kpi::Reach { step } => write!(f, "reach {}", step_text(step)),
            Kpi::Score { step } => write!(f, "mean score at {}", step_text(step)),
            Kpi::Switch { from, to } => write!(f, "channel switch from {} to {}", step_text(from), step_text(to)),
        }
    }
}

/// Seconds in the largest whole unit: `7d`, `2h`, `30m`, `45s`.
fn duration_text(s: i64) -> String {
    for (unit, n) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
        if s != 0 && s.rem_euclid(n) == 0 {
            return format!("{}{unit}", s / n);
        }
    }
    format!("{s}s")
}

/// Seconds of a duration written `30s`, `30m` (or `30min`), `2h`, `7d` or
/// `4w`; `None` for any other text, zero, or an overflow.
pub fn parse_duration(t: &str) -> Option<i64> {
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: i64 = num.parse().ok()?;
    let mult = match unit {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return None,
    };
    n.checked_mul(mult).filter(|&v| v > 0)
}

type Word = (String, std::ops::Range<usize>);

/// The formula's words: bare ones, and `"quoted names"` (with `\"`).
fn words(text: &str) -> Result<Vec<Word>, KpiError> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if c == '"' {
            chars.next();
            let mut w = String::new();
            let mut end = None;
            while let Some((j, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            w.push(n);
                        }
                    }
                    '"' => {
                        end = Some(j + 1);
                        break;
                    }
                    c => w.push(c),
                }
            }
            let Some(end) = end else {
                return Err(KpiError { message: "a step name in quotes is not closed".into(), at: i..text.len() });
            };
            out.push((w, i..end));
        } else {
            let mut end = i;
            while let Some(&(j, c)) = chars.peek() {
                if c.is_whitespace() || c == '"' {
                    break;
                }
                end = j + c.len_utf8();
                chars.next();
            }
            out.push((text[i..end].to_string(), i..end));
        }
    }
    Ok(out)
}

struct Words<'a> {
    words: &'a [Word],
    at: usize,
    end: usize,
}

impl Words<'_> {
    fn peek(&self) -> Option<&str> {
        self.words.get(self.at).map(|w| w.0.as_str())
    }

    fn next_word(&mut self, what: &str) -> Result<Word, KpiError> {
        let w = self.words.get(self.at).cloned().ok_or_else(|| KpiError {
            message: format!("the formula ends where {what} was expected"),
            at: self.end..self.end,
        })?;
        self.at += 1;
        Ok(w)
    }

    fn expect(&mut self, word: &str) -> Result<(), KpiError> {
        let (w, span) = self.next_word(&format!("`{word}`"))?;
        if w != word {
            return Err(KpiError { message: format!("expected `{word}`, found `{w}`"), at: span });
        }
        Ok(())
    }

    fn step(&mut self) -> Result<String, KpiError> {
        let (w, span) = self.next_word("a step (its id, or its name in quotes)")?;
        if w.is_empty() {
            return Err(KpiError { message: "a step name is empty".into(), at: span });
        }
        Ok(w)
    }

    fn two_steps(&mut self) -> Result<(String, String), KpiError> {
        self.expect("from")?;
        let from = self.step()?;
        self.expect("to")?;
        Ok((from, self.step()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_reads_and_prints_back() {
        for text in [
            "conversion from cart to pay within 7d",
            "conversion from cart to pay",
            "median time from \"Open ticket\" to resolve",
            "p90 time from open to resolve",
            "reach pay",
            "mean score at \"Talk to \\\"support\\\"\"",
            "channel switch from search to pay",
        ] {
            let k = Kpi::parse(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            assert_eq!(k.to_string(), text);
            assert_eq!(Kpi::parse(&k.to_string()).unwrap(), k);
        }
        assert_eq!(
            Kpi::parse("conversion from a to b within 90m").unwrap().to_string(),
            "conversion from a to b within 90m"
        );
        assert_eq!(
            Kpi::parse("conversion from a to b within 120m").unwrap().to_string(),
            "conversion from a to b within 2h"
        );
    }

    #[test]
    fn errors_point_at_the_word() {
        let e = Kpi::parse("convertion from a to b").unwrap_err();
        assert!(e.message.contains("did you mean `conversion`"), "{}", e.message);
        assert_eq!(e.at, 0..10);
        let e = Kpi::parse("conversion from a to b within soon").unwrap_err();
        assert!(e.message.contains("not a duration"));
        assert_eq!(e.at, 30..34);
        let e = Kpi::parse("reach").unwrap_err();
        assert!(e.message.contains("ends where a step"));
        let e = Kpi::parse("reach pay now").unwrap_err();
        assert!(e.message.contains("unexpected `now`"));
        assert!(Kpi::parse("mean score at \"open").unwrap_err().message.contains("not closed"));
        assert!(Kpi::parse("median time to a from b").unwrap_err().message.contains("expected `from`"));
    }
}
