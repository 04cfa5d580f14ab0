//! `cjm opportunities`: the opportunity portfolio of one or more maps, as
//! the impact × effort matrix and a list ranked by priority.

use crate::input;
use crate::output::{emit, write_atomic};
use crate::{CliError, Outcome};
use cjm_model::portfolio::{self, Filter, Item};
use cjm_model::Status;
use std::path::PathBuf;

#[derive(clap::Args)]
#[command(
    about = "The opportunities of maps on the impact × effort matrix, ranked by priority",
    long_about = "The opportunities of one or more maps on the impact × effort matrix, ranked by priority.\n\n\
Quick wins (impact medium or high, effort low or medium) come first, then big bets (effort high), \
fill-ins (impact low) and money pits (impact low, effort high); within each, higher impact, lower \
effort and the worse pain of the step first. Done and dropped opportunities come last; ones without \
an impact or an effort are listed as not rated. Each row names the pain points of its step.\n\n\
stdout gets the list (--format); -o writes the matrix as SVG, PNG or PDF, or the list as CSV or \
JSON, by the file's extension. The CSV's first columns (Summary, Description, Priority, Status, \
Assignee, Labels) are the ones Jira's and Linear's CSV importers map to issue fields.",
    after_help = "Examples:\n  cjm opportunities checkout.cjm\n  cjm opportunities checkout.cjm onboarding.cjm -o matrix.png\n  cjm opportunities *.cjm --format csv > backlog.csv\n  cjm opportunities checkout.cjm --status idea --status planned --min-severity 4"
)]
pub(crate) struct Args {
    /// The maps (.cjm, .mmd, .md, .json)
    #[arg(required = true)]
    maps: Vec<String>,
    /// Write the matrix (.svg, .png, .pdf) or the list (.csv, .json) to this file
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// The list on stdout: a table for people, CSV or JSON [default: text, or nothing with -o]
    #[arg(long, value_enum)]
    format: Option<Out>,
    /// Only these statuses (idea, planned, in-progress, done, dropped, none); repeat for several
    #[arg(long, value_name = "STATUS")]
    status: Vec<String>,
    /// Only this owner's opportunities
    #[arg(long)]
    owner: Option<String>,
    /// Only this stage's
    #[arg(long)]
    stage: Option<String>,
    /// Only those of steps this persona takes
    #[arg(long)]
    persona: Option<String>,
    /// Only those whose step has a pain at least this severe (1 to 5)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=5))]
    min_severity: Option<u8>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Out {
    Text,
    Csv,
    Json,
}

pub(crate) fn run(args: Args) -> Result<Outcome, CliError> {
    let filter = filter(&args)?;
    let mut maps = Vec::new();
    for path in &args.maps {
        let Some(map) = input::load_map(path)? else { return Ok(Outcome::Failed) };
        let name = map.title.clone().filter(|t| !t.trim().is_empty()).unwrap_or_else(|| stem(path));
        maps.push((name, map));
    }
    let refs: Vec<(String, &cjm_model::Journey)> = maps.iter().map(|(n, m)| (n.clone(), m)).collect();
    let items: Vec<Item> = portfolio::portfolio(&refs).into_iter().filter(|i| filter.keeps(i)).collect();
    if let Some(out) = &args.output {
        let ext = out.extension().and_then(|e| e.to_str()).unwrap_or("").to_lowercase();
        let bytes = match ext.as_str() {
            "svg" | "png" | "pdf" => picture(&ext, &items, &refs)?,
            "csv" => portfolio::csv(&items).into_bytes(),
            "json" => json(&items)?.into_bytes(),
            _ => {
                return Err(CliError::usage(format!(
                    "cannot tell what to write from `{}`; use .svg, .png or .pdf for the matrix, .csv or .json for the list",
                    out.display()
                )))
            }
        };
        write_atomic(out, &bytes)?;
        eprintln!("wrote {} opportunities to {}", items.len(), out.display());
    }
    let format = match (args.format, &args.output) {
        (Some(f), _) => Some(f),
        (None, None) => Some(Out::Text),
        (None, Some(_)) => None,
    };
    let text = match format {
        None => return Ok(Outcome::Ok),
        Some(Out::Text) => table(&items, maps.len()),
        Some(Out::Csv) => portfolio::csv(&items),
        Some(Out::Json) => json(&items)?,
    };
    emit(None, text.as_bytes())?;
    Ok(Outcome::Ok)
}

fn stem(path: &str) -> String {
    std::path::Path::new(path).file_stem().map_or(path.to_string(), |s| s.to_string_lossy().into_owned())
}

fn filter(args: &Args) -> Result<Filter, CliError> {
    let mut status = Vec::new();
    for s in &args.status {
        let parsed = match s.as_str() {
            "none" => None,
            other => Some(Status::ALL.into_iter().find(|st| st.as_str() == other).ok_or_else(|| {
                CliError::usage(format!(
                    "--status {other}: expected one of idea, planned, in-progress, done, dropped or none"
                ))
            })?),
        };
        status.push(parsed);
    }
    Ok(Filter {
        status,
        owner: args.owner.clone(),
        stage: args.stage.clone(),
        persona: args.persona.clone(),
        min_severity: args.min_severity,
    })
}

fn picture(ext: &str, items: &[Item], maps: &[(String, &cjm_model::Journey)]) -> Result<Vec<u8>, CliError> {
    let title = match maps {
        [(name, _)] => format!("Opportunities: {name}"),
        _ => format!("Opportunities of {} maps", maps.len()),
    };
    let chart: cjm_render::charts::Chart = cjm_render::charts::MatrixChart {
        title,
        subtitle: summary(items, maps.len()),
        items: items.to_vec(),
        bare: false,
    }
    .into();
    cjm_render::charts::chart_file(&chart, ext).map_err(|e| CliError::usage(e.to_string()))
}

fn json(items: &[Item]) -> Result<String, CliError> {
    let mut t = serde_json::to_string_pretty(&serde_json::json!({ "opportunities": items }))?;
    t.push('\n');
    Ok(t)
}

/// "12 opportunities in 2 maps: 4 quick wins, 3 big bets…"
fn summary(items: &[Item], maps: usize) -> String {
    let what = if items.len() == 1 { "opportunity" } else { "opportunities" };
    let of = if maps == 1 { "1 map".to_string() } else { format!("{maps} maps") };
    if items.is_empty() {
        format!("no {what} in {of}")
    } else {
        format!("{} {what} in {of}: {}", items.len(), portfolio::counted(items))
    }
}

/// The ranked list as aligned columns.
fn table(items: &[Item], maps: usize) -> String {
    let mut rows = vec![["#", "opportunity", "quadrant", "impact", "effort", "status", "owner", "where", "pains"]
        .map(str::to_string)
        .to_vec()];
    for i in items {
        let place = [i.map.as_str(), i.stage.as_str(), i.step.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · ");
        let pains = i
            .pains
            .iter()
            .map(|p| p.severity.map_or(p.text.clone(), |s| format!("{} ({s})", p.text)))
            .collect::<Vec<_>>()
            .join("; ");
        let level = |l: Option<cjm_model::Level>| l.map_or("-", |l| l.as_str()).to_string();
        rows.push(vec![
            i.rank.to_string(),
            i.text.clone(),
            i.quadrant.name().to_lowercase(),
            level(i.impact),
            level(i.effort),
            i.status.map_or("-", |s| s.as_str()).to_string(),
            i.owner.clone().unwrap_or_else(|| "-".into()),
            place,
            if pains.is_empty() { "-".into() } else { pains },
        ]);
    }
    let widths: Vec<usize> =
        (0..rows[0].len()).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = format!("{}\n\n", summary(items, maps));
    for r in &rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            if c + 1 == r.len() {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(widths[c] - cell.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
