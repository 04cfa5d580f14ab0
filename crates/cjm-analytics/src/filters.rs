//! Which events and customers a view looks at.

use crate::QueryError;
use cjm_events::EventLog;
use std::borrow::Cow;

/// Every filter a view can take. Event filters (time, attribute, channel)
/// come first; then the segment keeps whole customers, and the variant the
/// customers whose remaining journey is exactly that path.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filters {
    /// Events at or after this time (microseconds since the epoch).
    pub from: Option<i64>,
    /// Events before this time.
    pub to: Option<i64>,
    /// Events whose attribute (event or `case:` level) is one of the values.
    pub where_: Vec<(String, Vec<String>)>,
    /// Events on this channel only (the view zoomed to one channel).
    pub channel: Option<String>,
    /// Customers with this attribute value (all their events).
    pub segment: Option<(String, String)>,
    /// Customers whose journey is exactly this sequence of touchpoints.
    pub variant: Option<Vec<String>>,
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        *self == Filters::default()
    }

    /// The log narrowed by the filters; the log itself (no copy) when there
    /// are none, or the dates keep every event and nothing else is asked.
    pub fn apply<'a>(&self, log: &'a EventLog) -> Result<Cow<'a, EventLog>, QueryError> {
        // The same test as `cjm_mine::analysis::filter`'s.
        let within = |t: i64| self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|e| t < e);
        let timed = (self.from.is_some() || self.to.is_some()) && !log.time.iter().all(|&t| within(t));
        let rest =
            !self.where_.is_empty() || self.channel.is_some() || self.segment.is_some() || self.variant.is_some();
        if !timed && !rest {
            return Ok(Cow::Borrowed(log));
        }
        let mut out = log.clone();
        if timed {
            cjm_mine::analysis::filter(&mut out, self.from, self.to, None)
                .map_err(|e| QueryError::new("where", e.to_string()))?;
        }
        for (name, values) in &self.where_ {
            cjm_mine::analysis::filter(&mut out, None, None, Some((name.as_str(), values.as_slice())))
                .map_err(|e| QueryError::new("where", e.to_string()))?;
        }
        if let Some(c) = &self.channel {
            if out.channels.lookup(c).is_none() && !out.is_empty() {
                return Err(QueryError::new("channel", format!("the log has no channel `{c}`")));
            }
            cjm_mine::analysis::filter(&mut out, None, None, Some(("channel", std::slice::from_ref(c))))
                .map_err(|e| QueryError::new("channel", e.to_string()))?;
        }
        if let Some((name, value)) = &self.segment {
            cjm_mine::analysis::breakdown_values(&out, name).map_err(|e| QueryError::new("segment", e.to_string()))?;
            out = cjm_mine::analysis::customers_with(&out, name, value);
        }
        if let Some(seq) = &self.variant {
            out = cjm_mine::analysis::customers_taking(&out, seq);
        }
        Ok(Cow::Owned(out))
    }
}

/// `30m`, `2h`, `7d`, `1w`, `45s` or plain seconds.
pub fn parse_duration(text: &str) -> Option<i64> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(t.len()));
    let v: f64 = num.parse().ok()?;
    let mult = match unit.trim() {
        "" | "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        "w" => 604_800.0,
        _ => return None,
    };
    (v.is_finite() && v >= 0.0 && v * mult < 1e15).then_some((v * mult) as i64)
}

/// A time as the logs write them (`2024-03-01`, `2024-03-01T12:00:00Z`, …),
/// in microseconds since the epoch.
pub fn parse_time(text: &str) -> Option<i64> {
    cjm_events::TimeFormat::default().parse(text)
}

/// `day`, `week` or `month`.
pub fn parse_interval(text: &str) -> Result<cjm_mine::trend::Interval, QueryError> {
    use cjm_mine::trend::Interval;
    match text.trim() {
        "day" => Ok(Interval::Day),
        "week" => Ok(Interval::Week),
        "month" => Ok(Interval::Month),
        other => Err(QueryError::new("interval", format!("expected day, week or month, found `{other}`"))),
    }
}
