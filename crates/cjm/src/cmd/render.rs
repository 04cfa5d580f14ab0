//! `cjm render`: draw a map as SVG, PNG, PDF or HTML.

use crate::input::{self, Kind};
use crate::output::emit;
use crate::{CliError, Outcome};
use cjm_render::{Lane, Options, ThemeName};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
#[command(
    about = "Draw a map as SVG, PNG, PDF, HTML or a PowerPoint deck",
    long_about = "Draw a map as SVG, PNG, PDF, HTML or a PowerPoint deck (.pptx), ready to present.\n\n\
The format comes from the output file's extension, or --format. Every lane with content is drawn: \
steps, doing, touchpoints (with channel icons), thinking, feeling, the emotion curve (one per persona), \
pain points, opportunities, then below the line of visibility backstage, support systems and owners, \
and metrics. PDF splits long maps across pages by stage. A deck has a title slide, the whole map, a slide per stage, \
persona cards and the opportunity matrix, its pictures SVG with a PNG fallback. HTML is one self-contained file with zoom \
and step details.",
    after_help = "Examples:\n  cjm render checkout.cjm -o checkout.svg\n  cjm render checkout.cjm -o checkout.png --scale 2\n  cjm render checkout.cjm -o checkout.pdf --theme print\n  cjm render checkout.cjm -o checkout.html --persona Sam\n  cjm render checkout.cjm -o slim.png --lanes steps,emotion,pains,opportunities --width 1600\n  cjm render checkout.cjm -o deck.pptx\n  cjm render today.cjm --compare tomorrow.cjm -o board.pdf"
)]
pub(crate) struct Args {
    /// The map (.cjm, .mmd, .md, .json)
    input: String,
    /// The file to write; its extension chooses the format
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// The format, when the output has no telling extension or goes to stdout
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Draw one persona's view: its card and emotion curve only
    #[arg(long, value_name = "NAME")]
    persona: Option<String>,
    /// The lanes to draw, in order (steps, doing, touchpoints, thinking, feeling, emotion, pains, opportunities, backstage, systems, owner, metrics)
    #[arg(long, value_delimiter = ',', value_name = "LANES")]
    lanes: Option<Vec<String>>,
    /// Colours: light, dark, or print (white, little ink)
    #[arg(long, value_enum, default_value = "light")]
    theme: Theme,
    /// Fit the map to about this many pixels wide
    #[arg(long, value_name = "PX")]
    width: Option<f32>,
    /// Pixels per unit for PNG (2 for sharp slides)
    #[arg(long, default_value = "1")]
    scale: f32,
    /// Read the input as this kind instead of guessing from its extension
    #[arg(long, value_enum)]
    from: Option<Kind>,
    /// Measure the map against this event log and draw the figures
    #[arg(long, value_name = "LOG")]
    events: Option<String>,
    /// Draw INPUT (the current state) against this map (the future state):
    /// shared step columns marked added, removed or changed, both emotion
    /// curves, each persona's score change, and each stage's promise
    #[arg(long, value_name = "FUTURE")]
    compare: Option<String>,
    #[command(flatten, next_help_heading = "Reading the event log (with --events)")]
    read: crate::logs::LogArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Svg,
    Png,
    Pdf,
    Html,
    /// A slide deck (PowerPoint)
    Pptx,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Theme {
    Light,
    Dark,
    Print,
}

pub(crate) fn run(args: Args) -> Result<Outcome, CliError> {
    let format = resolve_format(&args)?;
    let lanes = match &args.lanes {
        None => None,
        Some(names) => Some(parse_lanes(names)?),
    };
    if let Some(w) = args.width {
        if !(320.0..=100_000.0).contains(&w) {
            return Err(CliError::usage(format!("--width {w}: expected a width from 320 to 100000 pixels")));
        }
    }
    if !(0.1..=8.0).contains(&args.scale) {
        return Err(CliError::usage(format!("--scale {}: expected a scale from 0.1 to 8", args.scale)));
    }
    let Some(journey) = crate::input::load_map_as(&args.input, args.from)? else {
        return Ok(Outcome::Failed);
    };
    if let Some(future) = &args.compare {
        return compare(&args, format, &journey, future);
    }
    if let Some(p) = &args.persona {
        let names = journey.persona_names();
        if !names.contains(p) {
            let hint = cjm_syntax::keys::did_you_mean(p, names.iter().map(String::as_str))
                .map(|b| format!(" (did you mean `{b}`?)"))
                .unwrap_or_default();
            return Err(CliError::usage(format!(
                "--persona `{p}`: the map has no such persona{hint}; it has: {}",
                names.join(", ")
            )));
        }
    }
    let opts = Options {
        theme: match args.theme {
            Theme::Light => ThemeName::Light,
            Theme::Dark => ThemeName::Dark,
            Theme::Print => ThemeName::Print,
        },
        persona: args.persona.clone(),
        lanes,
        width: args.width,
        measures: match &args.events {
            Some(log_path) => {
                let log = args.read.with_data(journey.data.as_ref()).read(log_path)?;
                let m = cjm_mine::measure::measure(&journey, &log);
                let name =
                    Path::new(log_path).file_name().map_or(log_path.clone(), |f| f.to_string_lossy().into_owned());
                Some(m.figures(&name))
            }
            None => None,
        },
        images: persona_images(&journey, &args.input),
        embed_font: true,
    };
    let bytes = match format {
        Format::Svg => cjm_render::svg(&journey, &opts).into_bytes(),
        Format::Html => cjm_render::html(&journey, &opts).into_bytes(),
        Format::Png => cjm_render::png(&journey, &opts, args.scale).map_err(png_error)?,
        Format::Pdf => cjm_render::pdf(&journey, &opts).map_err(|e| CliError::usage(e.to_string()))?,
        Format::Pptx => cjm_render::pptx(&journey, &opts).map_err(png_error)?,
    };
    emit(args.output.as_deref(), &bytes)?;
    if let Some(out) = &args.output {
        eprintln!("rendered {} ({} kB)", out.display(), bytes.len().div_ceil(1024));
    }
    Ok(Outcome::Ok)
}

/// `--compare`: the current and the future state on one board.
fn compare(args: &Args, format: Format, current: &cjm_model::Journey, future_path: &str) -> Result<Outcome, CliError> {
    for (given, flag) in [
        (args.events.is_some(), "--events"),
        (args.persona.is_some(), "--persona"),
        (args.lanes.is_some(), "--lanes"),
        (args.width.is_some(), "--width"),
    ] {
        if given {
            return Err(CliError::usage(format!("{flag} does not apply with --compare; draw each map alone for it")));
        }
    }
    let Some(future) = crate::input::load_map(future_path)? else { return Ok(Outcome::Failed) };
    let name = |p: &str| Path::new(p).file_name().map_or(p.to_string(), |f| f.to_string_lossy().into_owned());
    let (a, b) = (name(&args.input), name(future_path));
    let labels = (a.as_str(), b.as_str());
    let render = |e: cjm_render::RenderError| png_error(e);
    let bytes = match format {
        Format::Svg => cjm_render::compare::compare_svg(current, &future, labels, true).into_bytes(),
        Format::Html => cjm_render::compare::compare_html(current, &future, labels).into_bytes(),
        Format::Png => cjm_render::compare::compare_png(current, &future, labels, args.scale).map_err(render)?,
        Format::Pdf => cjm_render::compare::compare_pdf(current, &future, labels).map_err(render)?,
        Format::Pptx => cjm_render::compare::compare_pptx(current, &future, labels).map_err(render)?,
    };
    emit(args.output.as_deref(), &bytes)?;
    if let Some(out) = &args.output {
        eprintln!("rendered the comparison to {} ({} kB)", out.display(), bytes.len().div_ceil(1024));
    }
    Ok(Outcome::Ok)
}

fn resolve_format(args: &Args) -> Result<Format, CliError> {
    if let Some(f) = args.format {
        return Ok(f);
    }
    let Some(out) = &args.output else {
        return Err(CliError::usage("say where to write (-o map.svg) or which format to print (--format svg)"));
    };
    let ext = out.extension().and_then(|e| e.to_str()).unwrap_or("").to_lowercase();
    match ext.as_str() {
        "svg" => Ok(Format::Svg),
        "png" => Ok(Format::Png),
        "pdf" => Ok(Format::Pdf),
        "html" | "htm" => Ok(Format::Html),
        "pptx" => Ok(Format::Pptx),
        _ => Err(CliError::usage(format!(
            "cannot tell the format of `{}` from its extension; use .svg, .png, .pdf, .html or .pptx, or --format",
            out.display()
        ))),
    }
}

fn parse_lanes(names: &[String]) -> Result<Vec<Lane>, CliError> {
    let mut lanes = Vec::new();
    for name in names {
        match Lane::parse(name) {
            Some(lane) if !lanes.contains(&lane) => lanes.push(lane),
            Some(_) => {}
            None => {
                let ids: Vec<&str> = Lane::ALL.iter().map(|l| l.id()).collect();
                let hint = cjm_syntax::keys::did_you_mean(name, ids.iter().copied())
                    .map(|b| format!(" (did you mean `{b}`?)"))
                    .unwrap_or_default();
                return Err(CliError::usage(format!(
                    "--lanes: unknown lane `{name}`{hint}; lanes are {}",
                    ids.join(", ")
                )));
            }
        }
    }
    Ok(lanes)
}

/// Portraits the personas name, read relative to the map file. One that
/// cannot be read is reported and drawn as initials.
fn persona_images(map: &cjm_model::Journey, input: &str) -> std::collections::HashMap<String, Vec<u8>> {
    let base = if input == "-" { Path::new(".") } else { Path::new(input).parent().unwrap_or(Path::new(".")) };
    let mut images = std::collections::HashMap::new();
    for persona in &map.personas {
        let Some(path) = &persona.image else { continue };
        let full = base.join(path);
        match std::fs::metadata(&full) {
            Ok(meta) if meta.len() > 10 * 1024 * 1024 => {
                eprintln!("warning: `{}` is larger than 10 MB; {} is drawn with initials", full.display(), persona.name)
            }
            _ => match std::fs::read(&full) {
                Ok(bytes) if cjm_render::is_supported_image(&bytes) => {
                    images.insert(path.clone(), bytes);
                }
                Ok(_) => eprintln!(
                    "warning: `{}` is not a PNG, JPEG, GIF or WebP image; {} is drawn with initials",
                    full.display(),
                    persona.name
                ),
                Err(e) => eprintln!(
                    "warning: cannot read `{}` ({}); {} is drawn with initials",
                    full.display(),
                    input::io_reason(&e),
                    persona.name
                ),
            },
        }
    }
    images
}

/// A PNG the renderer refuses, with the flags that make it fit.
fn png_error(e: cjm_render::RenderError) -> CliError {
    match e {
        cjm_render::RenderError::TooLarge { .. } => {
            CliError::usage(format!("{e}; use a smaller --scale or --width, or write PDF or SVG"))
        }
        cjm_render::RenderError::Backend(_) => CliError::usage(e.to_string()),
    }
}
