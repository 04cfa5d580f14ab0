//! Colour themes. Text colours keep a WCAG contrast of at least 4.5:1 against
//! the surfaces they sit on (a test checks every pair), and sentiment is
//! never shown by colour alone: faces and numbers carry it too.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThemeName {
    Light,
    Dark,
    Print,
}

impl ThemeName {
    pub fn parse(name: &str) -> Option<ThemeName> {
        match name {
            "light" => Some(ThemeName::Light),
            "dark" => Some(ThemeName::Dark),
            "print" => Some(ThemeName::Print),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Theme {
    pub background: &'static str,
    pub surface: &'static str,
    pub stripe: &'static str,
    pub border: &'static str,
    pub text: &'static str,
    pub muted: &'static str,
    pub accent: &'static str,
    /// Stage band fills, cycled; `text` reads on each.
    pub stages: &'static [&'static str],
    pub positive: &'static str,
    pub neutral: &'static str,
    pub negative: &'static str,
    /// Face features drawn on a sentiment marker.
    pub on_marker: &'static str,
    pub pain_bg: &'static str,
    pub pain_text: &'static str,
    pub opportunity_bg: &'static str,
    pub opportunity_text: &'static str,
    pub thought_bg: &'static str,
    pub chip_bg: &'static str,
    /// Emotion curve colours, one per persona, cycled.
    pub personas: &'static [&'static str],
}

pub fn theme(name: ThemeName) -> Theme {
    match name {
        ThemeName::Light => Theme {
            background: "#FFFFFF",
            surface: "#F6F7F9",
            stripe: "#FAFBFC",
            border: "#DDE1E7",
            text: "#1B1F24",
            muted: "#59616E",
            accent: "#3451B2",
            stages: &["#E6ECFF", "#E3F4EC", "#FFF1DC", "#F1E6FD", "#E1F1F7", "#FDE8EE"],
            positive: "#1A7F4B",
            neutral: "#856400",
            negative: "#C42B2B",
            on_marker: "#FFFFFF",
            pain_bg: "#FDECEC",
            pain_text: "#9F1C1C",
            opportunity_bg: "#E5F5EC",
            opportunity_text: "#0E5E3E",
            thought_bg: "#F1F3F7",
            chip_bg: "#EEF1F5",
            personas: &["#3451B2", "#C2410C", "#0F766E", "#7E22CE", "#BE185D", "#4D7C0F"],
        },
        ThemeName::Dark => Theme {
            background: "#0F1419",
            surface: "#161C23",
            stripe: "#12181E",
            border: "#2B343F",
            text: "#E7EBF0",
            muted: "#A5AFBC",
            accent: "#92A9FF",
            stages: &["#1D2745", "#14322A", "#3A2B12", "#2C1E42", "#12313B", "#3B1E28"],
            positive: "#3FCB7A",
            neutral: "#E9B949",
            negative: "#F47272",
            on_marker: "#0F1419",
            pain_bg: "#3A1818",
            pain_text: "#FFB4B4",
            opportunity_bg: "#113524",
            opportunity_text: "#9AF0C0",
            thought_bg: "#1D252E",
            chip_bg: "#222B35",
            personas: &["#92A9FF", "#FB9A5B", "#4FD1C5", "#C99BFF", "#F487B6", "#A3D65C"],
        },
        ThemeName::Print => Theme {
            background: "#FFFFFF",
            surface: "#FFFFFF",
            stripe: "#FFFFFF",
            border: "#9AA0A6",
            text: "#000000",
            muted: "#3C4043",
            accent: "#000000",
            stages: &["#EDEDED", "#F7F7F7"],
            positive: "#1B5E20",
            neutral: "#5D4037",
            negative: "#B71C1C",
            on_marker: "#FFFFFF",
            pain_bg: "#FFFFFF",
            pain_text: "#7F0000",
            opportunity_bg: "#FFFFFF",
            opportunity_text: "#0B3D20",
            thought_bg: "#FFFFFF",
            chip_bg: "#F2F2F2",
            personas: &["#000000", "#5F6368", "#1A237E", "#880E4F", "#004D40", "#3E2723"],
        },
    }
}

/// WCAG 2 contrast ratio of two `#RRGGBB` colours.
pub fn contrast(a: &str, b: &str) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

fn luminance(hex: &str) -> f64 {
    let channel = |i: usize| {
        let v = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0)) / 255.0;
        if v <= 0.03928 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_contrast_is_at_least_4_5() {
        for name in [ThemeName::Light, ThemeName::Dark, ThemeName::Print] {
            let t = theme(name);
            let mut pairs = vec![
                (t.text, t.background),
                (t.text, t.surface),
                (t.text, t.stripe),
                (t.muted, t.background),
                (t.muted, t.surface),
                (t.muted, t.stripe),
                (t.text, t.thought_bg),
                (t.text, t.chip_bg),
                (t.muted, t.chip_bg),
                (t.pain_text, t.pain_bg),
                (t.opportunity_text, t.opportunity_bg),
                (t.accent, t.background),
            ];
            for s in t.stages {
                pairs.push((t.text, s));
                pairs.push((t.muted, s));
                // A stage's promise is written in the accent colour on its band.
                pairs.push((t.accent, s));
            }
            for p in t.personas {
                pairs.push((p, t.background));
            }
            for s in [t.positive, t.neutral, t.negative] {
                // Scores are written in the sentiment colour on the lane.
                pairs.push((s, t.surface));
            }
            for (fg, bg) in pairs {
                let c = contrast(fg, bg);
                assert!(c >= 4.5, "{name:?}: {fg} on {bg} has contrast {c:.2}");
            }
        }
    }
}
