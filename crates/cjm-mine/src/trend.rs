//! Volume over time: events, active customers and new customers per day,
//! ISO week (from Monday) or calendar month, in UTC, every bucket from the
//! first event's to the last's (empty ones too, so a chart's axis is even).

use crate::journeys::Journeys;
use cjm_events::time::{civil_from_days, days_from_civil};
use cjm_events::UNKNOWN_TIME;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Interval {
    Day,
    Week,
    Month,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Bucket {
    /// The bucket's first day, `YYYY-MM-DD` (UTC).
    pub start: String,
    pub events: u64,
    /// Customers with at least one event in the bucket.
    pub customers: u64,
    /// Customers whose first event is in the bucket.
    pub new_customers: u64,
}

/// The most buckets a trend holds; past it a coarser interval is needed.
pub const MAX_BUCKETS: usize = 5_000;

/// The log spans more buckets than [`MAX_BUCKETS`] at this interval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TooManyBuckets {
    pub buckets: u64,
}

impl std::fmt::Display for TooManyBuckets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the log's times span {} buckets, more than {MAX_BUCKETS}; choose a longer interval", self.buckets)
    }
}

impl std::error::Error for TooManyBuckets {}

/// The bucket number of a time: days, weeks or months since the epoch.
fn bucket_of(us: i64, interval: Interval) -> i64 {
    let day = us.div_euclid(86_400_000_000);
    match interval {
        Interval::Day => day,
        // 1970-01-01 was a Thursday: weeks start on the Monday before it.
        Interval::Week => (day + 3).div_euclid(7),
        Interval::Month => {
            let (y, m, _) = civil_from_days(day);
            y * 12 + i64::from(m) - 1
        }
    }
}

fn bucket_start(b: i64, interval: Interval) -> String {
    let day = match interval {
        Interval::Day => b,
        Interval::Week => b * 7 - 3,
        Interval::Month => days_from_civil(b.div_euclid(12), (b.rem_euclid(12) + 1) as u32, 1),
    };
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A trend's exact part of one bucket, as any backend counts it: the
/// bucket's number (days, ISO weeks or months since the epoch, as
/// [`bucket_number`] counts them), its events, active customers and new
/// customers (timed events only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrendPart {
    pub bucket: i64,
    pub events: u64,
    pub customers: u64,
    pub new_customers: u64,
}

/// The number of the bucket a time (UTC microseconds) falls in.
pub fn bucket_number(us: i64, interval: Interval) -> i64 {
    bucket_of(us, interval)
}

/// The trend of a log's journeys; events without a time are left out.
pub fn trend(j: &Journeys, interval: Interval) -> Result<Vec<Bucket>, TooManyBuckets> {
    let mut parts: std::collections::BTreeMap<i64, TrendPart> = std::collections::BTreeMap::new();
    for c in 0..j.slots() {
        // Journeys are in time order: a customer's buckets come in order too.
        let mut seen: Option<i64> = None;
        for &t in j.times[j.range(c)].iter().filter(|&&t| t != UNKNOWN_TIME) {
            let b = bucket_of(t, interval);
            let part = parts.entry(b).or_insert(TrendPart { bucket: b, ..TrendPart::default() });
            part.events += 1;
            if seen != Some(b) {
                part.customers += 1;
                if seen.is_none() {
                    part.new_customers += 1;
                }
                seen = Some(b);
            }
        }
    }
    finish_trend(parts.into_values(), interval)
}

/// The trend from its parts, in any order: every bucket from the first
/// part's to the last's, the empty ones too.
pub fn finish_trend(
    parts: impl IntoIterator<Item = TrendPart>,
    interval: Interval,
) -> Result<Vec<Bucket>, TooManyBuckets> {
    let parts: Vec<TrendPart> = parts.into_iter().collect();
    let Some((first, mut out)) = span(parts.iter().map(|p| p.bucket), |b| Bucket {
        start: bucket_start(b, interval),
        events: 0,
        customers: 0,
        new_customers: 0,
    })?
    else {
        return Ok(Vec::new());
    };
    for p in parts {
        let b = &mut out[(p.bucket - first) as usize];
        b.events += p.events;
        b.customers += p.customers;
        b.new_customers += p.new_customers;
    }
    Ok(out)
}

/// Every bucket from the least of `buckets` to the greatest, made by
/// `empty`, with the first one's number; `None` without buckets.
fn span<T>(
    buckets: impl Iterator<Item = i64> + Clone,
    empty: impl Fn(i64) -> T,
) -> Result<Option<(i64, Vec<T>)>, TooManyBuckets> {
    let (Some(first), Some(last)) = (buckets.clone().min(), buckets.max()) else { return Ok(None) };
    let n = (last - first + 1) as u64;
    if n > MAX_BUCKETS as u64 {
        return Err(TooManyBuckets { buckets: n });
    }
    Ok(Some((first, (first..=last).map(empty).collect())))
}

/// Funnel conversion per bucket, customers counted in the bucket where
/// they did the first step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConversionBucket {
    pub start: String,
    /// Customers who did the first step in the bucket.
    pub entered: u64,
    /// Of those, the customers who went on to the last step.
    pub converted: u64,
}

/// Conversion over time from [`crate::analysis::funnel_entries`]: every
/// bucket from the first entry's to the last's; entries without a time are
/// left out.
pub fn conversion(
    entries: &[(i64, usize)],
    steps: usize,
    interval: Interval,
) -> Result<Vec<ConversionBucket>, TooManyBuckets> {
    let mut parts: std::collections::BTreeMap<i64, ConversionPart> = std::collections::BTreeMap::new();
    for &(t, k) in entries.iter().filter(|e| e.0 != UNKNOWN_TIME) {
        let b = bucket_of(t, interval);
        let part = parts.entry(b).or_insert(ConversionPart { bucket: b, entered: 0, converted: 0 });
        part.entered += 1;
        part.converted += u64::from(k >= steps);
    }
    finish_conversion(parts.into_values(), interval)
}

/// Conversion's exact part of one bucket (numbered as [`TrendPart`]'s):
/// customers who did the first step in it, and of those who converted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConversionPart {
    pub bucket: i64,
    pub entered: u64,
    pub converted: u64,
}

/// Conversion over time from its parts, in any order: every bucket from
/// the first part's to the last's.
pub fn finish_conversion(
    parts: impl IntoIterator<Item = ConversionPart>,
    interval: Interval,
) -> Result<Vec<ConversionBucket>, TooManyBuckets> {
    let parts: Vec<ConversionPart> = parts.into_iter().collect();
    let Some((first, mut out)) = span(parts.iter().map(|p| p.bucket), |b| ConversionBucket {
        start: bucket_start(b, interval),
        entered: 0,
        converted: 0,
    })?
    else {
        return Ok(Vec::new());
    };
    for p in parts {
        let b = &mut out[(p.bucket - first) as usize];
        b.entered += p.entered;
        b.converted += p.converted;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_start_on_days_mondays_and_first_days_of_months() {
        let us = |y, m, d| days_from_civil(y, m, d) * 86_400_000_000;
        // 2024-03-06 is a Wednesday; its week starts on Monday 2024-03-04.
        let t = us(2024, 3, 6) + 5 * 3_600_000_000;
        assert_eq!(bucket_start(bucket_of(t, Interval::Day), Interval::Day), "2024-03-06");
        assert_eq!(bucket_start(bucket_of(t, Interval::Week), Interval::Week), "2024-03-04");
        assert_eq!(bucket_start(bucket_of(t, Interval::Month), Interval::Month), "2024-03-01");
        // Before the epoch too.
        let old = us(1969, 12, 31);
        assert_eq!(bucket_start(bucket_of(old, Interval::Week), Interval::Week), "1969-12-29");
        assert_eq!(bucket_start(bucket_of(old, Interval::Month), Interval::Month), "1969-12-01");
    }
}
