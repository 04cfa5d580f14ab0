//! The opportunity portfolio: the ranking and the quadrants checked by
//! hand on two maps, and the CSV for Jira and Linear as a golden file
//! (`UPDATE_GOLDEN=1` rewrites it).

use cjm_model::portfolio::{csv, portfolio, Filter, Quadrant};
use cjm_model::Status;
use std::path::Path;

fn maps() -> Vec<(String, cjm_model::Journey)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/portfolio");
    ["checkout.cjm", "onboarding.cjm"]
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(dir.join(f)).unwrap();
            let lowered = cjm_model::check(&text);
            assert!(lowered.diagnostics.iter().all(|d| !d.is_error()), "{f}: {:?}", lowered.diagnostics);
            (lowered.journey.title.clone().unwrap(), lowered.journey)
        })
        .collect()
}

#[test]
fn opportunities_are_ranked_open_first_then_by_quadrant_impact_effort_and_pain() {
    let maps = maps();
    let named: Vec<(String, &cjm_model::Journey)> = maps.iter().map(|(n, m)| (n.clone(), m)).collect();
    let items = portfolio(&named);
    let order: Vec<(usize, &str, Quadrant)> = items.iter().map(|i| (i.rank, i.text.as_str(), i.quadrant)).collect();
    // By hand: quick wins with impact high and effort low first, the
    // worse pain first (Google's sign-up pain is 4, the ad's 3), then
    // high/medium; big bets; fill-ins; money pits; unrated; then closed
    // (done and dropped), in map order.
    assert_eq!(
        order,
        [
            (1, "Sign up with Google", Quadrant::QuickWin),
            (2, "Show the price in the ad", Quadrant::QuickWin),
            (3, "Show the delivery date in the cart", Quadrant::QuickWin),
            (4, "A video ad per segment", Quadrant::BigBet),
            (5, "Answer every review", Quadrant::FillIn),
            (6, "Rebuild the shop on a new platform", Quadrant::MoneyPit),
            (7, "Ask what else they need", Quadrant::Unrated),
            (8, "One-click checkout", Quadrant::QuickWin),
            (9, "Drop the newsletter box", Quadrant::FillIn),
        ]
    );
    // A step's pains, worst first; the personas of the step, or everyone.
    let cart = &items[2];
    assert_eq!(cart.severity, Some(5));
    assert_eq!(cart.pains[0].text, "The delivery date appears after payment");
    assert_eq!(cart.personas, ["Ana"]);
    assert_eq!(items[4].personas, ["Sam", "Ana"], "Read reviews names no actor: every persona");
}

#[test]
fn filters_keep_the_ranks() {
    let maps = maps();
    let named: Vec<(String, &cjm_model::Journey)> = maps.iter().map(|(n, m)| (n.clone(), m)).collect();
    let items = portfolio(&named);
    let keep = |f: Filter| items.iter().filter(|i| f.keeps(i)).map(|i| i.rank).collect::<Vec<_>>();
    assert_eq!(keep(Filter { owner: Some("Marketing".into()), ..Filter::default() }), [2, 4]);
    assert_eq!(keep(Filter { min_severity: Some(4), ..Filter::default() }), [1, 3, 6, 7, 8, 9]);
    assert_eq!(keep(Filter { status: vec![None, Some(Status::Idea)], ..Filter::default() }), [1, 4, 5, 6, 7]);
    assert_eq!(
        keep(Filter { stage: Some("Discover".into()), persona: Some("Sam".into()), ..Filter::default() }),
        [2, 4, 5]
    );
}

#[test]
fn the_csv_has_the_importers_columns_and_defuses_formulas() {
    let maps = maps();
    let named: Vec<(String, &cjm_model::Journey)> = maps.iter().map(|(n, m)| (n.clone(), m)).collect();
    let got = csv(&portfolio(&named));
    assert!(got.starts_with("Summary,Description,Priority,Status,Assignee,Labels,"));
    assert!(got.contains("'=cmd|"), "a formula in a pain is defused");
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/portfolio/portfolio.csv");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &got).unwrap();
    }
    let want = std::fs::read_to_string(&golden).unwrap_or_default();
    assert_eq!(got, want, "the CSV changed; UPDATE_GOLDEN=1 rewrites {}", golden.display());
}
