//! `cjm mine`'s report for people: the read, the summary, the analysis,
//! the main flow and the breakdown, as plain text.

use super::{Args, Part};
use cjm_mine::analysis::Analysis;
use cjm_mine::Summary;

/// The whole text report of a run.
pub(super) fn text(
    args: &Args,
    name: &str,
    read: &cjm_events::ReadStats,
    summary: &Summary,
    analysis: Option<&Analysis>,
    breakdown: Option<&[Part]>,
) -> String {
    let mut t = report(name, read, summary);
    if let Some(share) = args.simplify {
        use std::fmt::Write;
        let main = cjm_mine::analysis::simplify_dfg(summary, share);
        let _ = writeln!(
            t,
            "\nMain flow ({} of {} transitions kept, {:.0}% of the traffic and every touchpoint on a start-to-end path)",
            main.len(),
            summary.dfg.len(),
            share * 100.0
        );
        for e in &main {
            let _ = writeln!(t, "  {} → {}  {}", e.from, e.to, e.count);
        }
    }
    if let Some(a) = analysis {
        t.push_str(&analysis_report(a));
    }
    if let (Some(attr), Some(parts)) = (&args.by, breakdown) {
        let summaries: Vec<(String, Summary)> = parts.iter().map(|(v, s, _)| (v.clone(), s.clone())).collect();
        t.push_str(&breakdown_report(attr, &summaries));
    }
    t
}

fn pct(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

/// A duration for people; `-` when there is none.
fn duration(secs: f64) -> String {
    if secs.is_nan() {
        "-".into()
    } else {
        cjm_render::duration(secs)
    }
}

/// The readable report.
fn report(path: &str, read: &cjm_events::ReadStats, s: &cjm_mine::Summary) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{path}: {} events, {} customers, {} touchpoints, {} variants",
        s.n_events,
        s.n_customers,
        s.touchpoints.len(),
        s.n_variants
    );
    if read.bad_rows > 0 {
        let _ = writeln!(out, "  {} rows could not be read (see stderr)", read.bad_rows);
    }
    let _ = writeln!(out, "\nTop variants (customers, share, cumulative)");
    let mut cum = 0;
    for (i, v) in s.top_variants.iter().enumerate() {
        cum += v.count;
        let seq = arrows(&v.sequence, 110);
        let _ = writeln!(
            out,
            "  {:>2}. {:>8}  {:>6}  {:>6}  {seq}",
            i + 1,
            v.count,
            pct(v.count, s.n_customers),
            pct(cum, s.n_customers)
        );
    }
    let _ = writeln!(out, "\nTouchpoints (events, customers, mean score)");
    let width = s.touchpoints.iter().map(|t| t.touchpoint.chars().count()).max().unwrap_or(10).min(40);
    for t in &s.touchpoints {
        let score = t.mean_score.map_or("-".to_string(), |m| format!("{m:.2}"));
        let _ = writeln!(out, "  {:<width$}  {:>9}  {:>9}  {:>6}", short(&t.touchpoint), t.events, t.customers, score);
    }
    let _ = writeln!(out, "\nStarts");
    for c in &s.start_touchpoints {
        let _ = writeln!(out, "  {:<width$}  {:>9}  {:>6}", short(&c.touchpoint), c.count, pct(c.count, s.n_customers));
    }
    let _ = writeln!(out, "\nEnds");
    for c in &s.end_touchpoints {
        let _ = writeln!(out, "  {:<width$}  {:>9}  {:>6}", short(&c.touchpoint), c.count, pct(c.count, s.n_customers));
    }
    let _ = writeln!(out, "\nMost frequent transitions (count, mean time)");
    let mut edges: Vec<(&cjm_mine::contract::Edge, f64)> =
        s.dfg.iter().zip(&s.performance_dfg).map(|(e, p)| (e, p.mean_seconds)).collect();
    edges.sort_by_key(|e| std::cmp::Reverse(e.0.count));
    for (e, secs) in edges.iter().take(25) {
        let _ = writeln!(out, "  {} → {}  {}  {}", short(&e.from), short(&e.to), e.count, duration(*secs));
    }
    if !s.funnel.steps.is_empty() {
        let _ = writeln!(out, "\nFunnel (reached, of previous, drop-off)");
        let mut prev = s.n_customers;
        for (step, &r) in s.funnel.steps.iter().zip(&s.funnel.reached) {
            let _ = writeln!(
                out,
                "  {:<width$}  {:>9}  {:>6}  {:>6}",
                short(step),
                r,
                pct(r, prev),
                pct(prev.saturating_sub(r), prev)
            );
            prev = r;
        }
    }
    out
}

fn analysis_report(a: &cjm_mine::analysis::Analysis) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    if let Some(f) = &a.funnel {
        let _ = writeln!(
            out,
            "\nFunnel details ({}{}{})",
            if f.ordered { "in order" } else { "any order" },
            if f.strict { ", consecutive" } else { "" },
            f.window_seconds.map(|w| format!(", within {}", duration(w as f64))).unwrap_or_default()
        );
        for s in &f.steps {
            let _ = writeln!(
                out,
                "  {:<32} {:>9} reached  {:>6.1}% converted  {:>6.1}% dropped  {:>10} from start",
                short(&s.touchpoint),
                s.reached,
                s.conversion * 100.0,
                s.drop_off * 100.0,
                s.median_seconds_from_start.map_or("-".into(), duration)
            );
        }
    }
    let _ = writeln!(out, "\nSlowest transitions (median, p90, count)");
    let mut slow: Vec<&cjm_mine::analysis::EdgeTimes> = a.edge_times.iter().filter(|e| e.count >= 10).collect();
    slow.sort_by(|x, y| y.median_seconds.total_cmp(&x.median_seconds));
    for e in slow.iter().take(10) {
        let _ = writeln!(
            out,
            "  {} → {}  median {}  p90 {}  ({})",
            short(&e.from),
            short(&e.to),
            duration(e.median_seconds),
            duration(e.p90_seconds),
            e.count
        );
    }
    if !a.channel_reach.is_empty() {
        let _ = writeln!(out, "\nChannels (customers, events)");
        for c in &a.channel_reach {
            let _ = writeln!(out, "  {:<20} {:>9} {:>9}", short(&c.channel), c.customers, c.events);
        }
        let switches: Vec<_> = a.channel_switches.iter().filter(|s| s.from != s.to).collect();
        if !switches.is_empty() {
            let mut top = switches.clone();
            top.sort_by_key(|s| std::cmp::Reverse(s.count));
            let _ = writeln!(out, "\nChannel switches (from → to, count)");
            for s in top.iter().take(12) {
                let _ = writeln!(out, "  {} → {}  {}", short(&s.from), short(&s.to), s.count);
            }
        }
    }
    if let Some(last) = a.variant_coverage.last() {
        let _ =
            writeln!(out, "\nThe top {} variants cover {:.1}% of customers", a.variant_coverage.len(), last * 100.0);
    }
    out
}

fn breakdown_report(attr: &str, parts: &[(String, cjm_mine::Summary)]) -> String {
    use std::fmt::Write;
    let mut out = format!("\nBy {attr}\n");
    for (value, s) in parts {
        let _ = writeln!(
            out,
            "  {}: {} customers, {} events, {} variants",
            short(value),
            s.n_customers,
            s.n_events,
            s.n_variants
        );
        if let Some(v) = s.top_variants.first() {
            let seq = arrows(&v.sequence, 90);
            let _ = writeln!(out, "    most common ({} customers, {}): {seq}", v.count, pct(v.count, s.n_customers));
        }
        if !s.funnel.steps.is_empty() {
            let reached: Vec<String> = s.funnel.reached.iter().map(|r| r.to_string()).collect();
            let _ = writeln!(out, "    funnel reached: {}", reached.join(" → "));
        }
    }
    out
}

/// A name as the report shows it: whole up to 60 characters, else cut with
/// an ellipsis (a log's field may be megabytes long).
fn short(name: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 60;
    match name.char_indices().nth(MAX - 1) {
        Some((at, _)) if name.len() > at + 1 => format!("{}…", &name[..at]).into(),
        _ => name.into(),
    }
}

/// A sequence of touchpoints joined by arrows, cut at `max` characters
/// without joining more than it shows.
fn arrows(steps: &[String], max: usize) -> String {
    let mut out = String::new();
    for (i, step) in steps.iter().enumerate() {
        if i > 0 {
            out.push_str(" → ");
        }
        out.push_str(&short(step));
        if out.chars().count() > max {
            return out.chars().take(max - 1).collect::<String>() + "…";
        }
    }
    out
}
