//! Evidence by clicking: the values a step's evidence rule can pick from
//! the map's log (touchpoints, channels, attributes, with their counts),
//! and a rule made from picks — or picks read from a rule — with the
//! customers and events it matches. The rule is written into the map by
//! the client through the same form edit as every other field.

use crate::cache::Bounded;
use crate::error::{AppError, AppResult};
use crate::service::evidence;
use crate::store::MapInfo;
use crate::AppState;
use cjm_analytics::FieldValues;
use cjm_events::EventLog;
use cjm_syntax::evidence::Expr;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The most fields a pick names, and values it holds in all.
pub(crate) const MAX_PICK_FIELDS: usize = 20;
pub(crate) const MAX_PICKED_VALUES: usize = 500;
/// The longest rule text read back into picks.
pub(crate) const MAX_RULE_BYTES: usize = 64 * 1024;

/// Values lists kept, by log and mapping.
pub(crate) type ValuesCache = Bounded<(i64, String), Vec<FieldValues>>;

/// The lists of the map's log (from memory, or counted once on the
/// blocking pool, one computation per core at most).
pub(crate) async fn values(state: &AppState, map: &MapInfo) -> AppResult<Arc<Vec<FieldValues>>> {
    let (ev, log) = evidence::map_log(state, map).await?;
    let key = (ev.id, serde_json::to_string(&ev.mapping).unwrap_or_default());
    if let Some(hit) = state.values.get(&key) {
        return Ok(hit);
    }
    let _permit = state.answers.permit().await?;
    state
        .values
        .get_or_make(key, move || {
            let v = cjm_analytics::field_values(&log);
            let bytes = v.iter().flat_map(|f| &f.values).map(|x| x.value.len() + 40).sum::<usize>() + 1024;
            Ok((v, bytes))
        })
        .await
}

/// A rule from picks, or picks from a rule: give one.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleQuestion {
    /// For each field (as `values` names it), the values any of which a
    /// step's event has.
    #[serde(default)]
    pub picks: Option<Vec<Pick>>,
    /// An evidence rule to read back into picks and count.
    #[serde(default)]
    pub rule: Option<String>,
}

#[derive(Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Pick {
    pub field: String,
    pub values: Vec<String>,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct RuleAnswer {
    /// The rule in canonical form; absent when nothing is picked.
    pub rule: Option<String>,
    /// The picks the rule holds; absent for a rule of another shape
    /// (`or`, `not`, numbers), which the picker cannot show.
    pub picks: Option<Vec<Pick>>,
    /// Customers with at least one matching event, and those events.
    pub customers: u64,
    pub events: u64,
    /// Customers in the log, for the share.
    pub of_customers: u64,
    /// Why the rule does not apply to the log (a field it lacks).
    pub problem: Option<String>,
}

/// The rule made from (or read into) picks, and what it matches in the
/// map's log.
pub(crate) async fn rule(state: &AppState, map: &MapInfo, q: RuleQuestion) -> AppResult<RuleAnswer> {
    let expr = match (q.picks, q.rule) {
        (Some(picks), None) => {
            let total: usize = picks.iter().map(|p| p.values.len()).sum();
            if picks.len() > MAX_PICK_FIELDS || total > MAX_PICKED_VALUES {
                return Err(AppError::Unprocessable(format!(
                    "picks: at most {MAX_PICK_FIELDS} fields and {MAX_PICKED_VALUES} values in all; write a longer rule in the text"
                )));
            }
            Expr::of_picks(&picks.into_iter().map(|p| (p.field, p.values)).collect::<Vec<_>>())
        }
        (None, Some(text)) if text.trim().is_empty() => None,
        (None, Some(text)) => {
            if text.len() > MAX_RULE_BYTES {
                return Err(AppError::Unprocessable(format!("rule: longer than {MAX_RULE_BYTES} bytes")));
            }
            let parsed = cjm_syntax::evidence::parse(&text, 0)
                .map_err(|d| AppError::Unprocessable(format!("rule: {}", d.message)))?;
            Some(parsed)
        }
        _ => return Err(AppError::Unprocessable("give either `picks` or `rule`".into())),
    };
    let (_, log) = evidence::map_log(state, map).await?;
    let _permit = state.answers.permit().await?;
    tokio::task::spawn_blocking(move || count(&log, expr)).await.map_err(|e| AppError::Internal(e.to_string()))
}

fn count(log: &EventLog, expr: Option<Expr>) -> RuleAnswer {
    let of_customers = evidence::distinct(&log.case, log.cases.len());
    let picks = expr
        .as_ref()
        .and_then(Expr::picks)
        .map(|p| p.into_iter().map(|(field, values)| Pick { field, values }).collect());
    let mut out = RuleAnswer {
        rule: expr.as_ref().map(Expr::to_string),
        picks,
        customers: 0,
        events: 0,
        of_customers,
        problem: None,
    };
    let Some(expr) = expr else { return out };
    match cjm_mine::rules::Compiled::new(&expr, log) {
        Ok(rule) => {
            let mut hit = vec![false; log.cases.len()];
            for r in 0..log.len() {
                if rule.matches(log, r) {
                    out.events += 1;
                    hit[log.case[r] as usize] = true;
                }
            }
            out.customers = hit.iter().filter(|h| **h).count() as u64;
        }
        Err(e) => out.problem = Some(e.0),
    }
    out
}
