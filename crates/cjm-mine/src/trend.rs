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

/// The trend of a log's journeys; events without a time are left out.
pub fn trend(j: &Journeys, interval: Interval) -> Result<Vec<Bucket>, TooManyBuckets> {
    let timed = || j.times.iter().copied().filter(|&t| t != UNKNOWN_TIME);
    let (Some(lo), Some(hi)) = (timed().min(), timed().max()) else { return Ok(Vec::new()) };
    let (first, last) = (bucket_of(lo, interval), bucket_of(hi, interval));
    let n = (last - first + 1) as u64;
    if n > MAX_BUCKETS as u64 {
        return Err(TooManyBuckets { buckets: n });
    }
    let mut out: Vec<Bucket> = (first..=last)
        .map(|b| Bucket { start: bucket_start(b, interval), events: 0, customers: 0, new_customers: 0 })
        .collect();
    for c in 0..j.slots() {
        // Journeys are in time order: a customer's buckets come in order too.
        let mut seen: Option<usize> = None;
        for &t in j.times[j.range(c)].iter().filter(|&&t| t != UNKNOWN_TIME) {
            let k = (bucket_of(t, interval) - first) as usize;
            out[k].events += 1;
            if seen != Some(k) {
                out[k].customers += 1;
                if seen.is_none() {
                    out[k].new_customers += 1;
                }
                seen = Some(k);
            }
        }
    }
    Ok(out)
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
    let timed = || entries.iter().filter(|e| e.0 != UNKNOWN_TIME);
    let (Some(lo), Some(hi)) = (timed().map(|e| e.0).min(), timed().map(|e| e.0).max()) else {
        return Ok(Vec::new());
    };
    let (first, last) = (bucket_of(lo, interval), bucket_of(hi, interval));
    let n = (last - first + 1) as u64;
    if n > MAX_BUCKETS as u64 {
        return Err(TooManyBuckets { buckets: n });
    }
    let mut out: Vec<ConversionBucket> = (first..=last)
        .map(|b| ConversionBucket { start: bucket_start(b, interval), entered: 0, converted: 0 })
        .collect();
    for &(t, k) in timed() {
        let b = &mut out[(bucket_of(t, interval) - first) as usize];
        b.entered += 1;
        if k >= steps {
            b.converted += 1;
        }
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
