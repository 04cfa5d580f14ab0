//! The element rules both scanners share: what each element opens
//! (`open`), what it files (`record`) and what closing it checks (`close`),
//! under the IEEE 1849-2016 schema when the log declares it and leniently
//! otherwise.

use super::*;

/// Position of a log child in the schema's sequence.
pub(super) fn log_phase(name: &str) -> Option<u8> {
    Some(match name {
        "extension" => 0,
        "global" => 1,
        "classifier" => 2,
        "string" | "date" | "int" | "float" | "boolean" | "id" | "list" | "container" => 3,
        "trace" => 4,
        "event" => 5,
        _ => return None,
    })
}

pub(super) fn is_attribute_element(name: &str, strict: bool) -> bool {
    matches!(name, "string" | "date" | "int" | "float" | "boolean" | "id" | "list") || (!strict && name == "container")
}

/// `xs:Name`: a letter, `_` or `:` first, then letters, digits, `.`, `-`, `_`, `:`.
pub(super) fn is_xml_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '·'))
}

pub(super) fn clip(s: &str) -> String {
    let t: String = s.trim().chars().take(40).collect();
    t
}

pub(super) fn check_attribute_set(
    name: &str,
    attrs: &XmlAttrs,
    required: &[&str],
    optional: &[&str],
) -> Result<(), String> {
    for r in required {
        if !attrs.iter().any(|(k, _)| k == *r) {
            return Err(format!("<{name}> needs the attribute `{r}`"));
        }
    }
    for (k, _) in attrs.iter() {
        if !required.contains(&k) && !optional.contains(&k) {
            let allowed: Vec<&str> = required.iter().chain(optional).copied().collect();
            let allowed = if allowed.is_empty() { "none".to_string() } else { allowed.join(", ") };
            return Err(format!("<{name}> does not take the attribute `{k}` (it takes: {allowed})"));
        }
    }
    Ok(())
}

pub(super) fn get<'a>(attrs: &'a XmlAttrs, key: &str) -> Option<&'a str> {
    attrs.iter().find(|&(k, _)| k == key).map(|(_, v)| v)
}

/// A new element's frame. `has_children` is false for an empty element
/// (`<string … />`): its frame needs no key for children to extend.
pub(super) fn open(
    state: &mut XesState,
    stack: &[Frame],
    name: Cow<'static, str>,
    attrs: &XmlAttrs,
    saw_log: &mut bool,
    has_children: bool,
) -> Result<Frame, String> {
    let parent = stack.last().expect("root frame");
    let strict = state.strict;
    match parent.ctx {
        Ctx::Root => open_log(state, name, attrs, saw_log),
        Ctx::Log | Ctx::Trace => {
            let Some(phase) = phase_in(parent, &name, strict)? else {
                return Ok(frame(Ctx::Skip, name));
            };
            if strict && phase < parent.phase {
                return Err(format!(
                    "<{name}> is not expected here: it must come before the <{}> elements of <{}>",
                    phase_name(parent.phase),
                    parent.name
                ));
            }
            open_in_log(state, parent, name, attrs, has_children)
        }
        Ctx::Global | Ctx::Event | Ctx::Attr | Ctx::Values => {
            if !is_attribute_element(&name, strict) {
                return Err(format!("<{name}> is not expected inside <{}>", parent.name));
            }
            open_attribute(state, parent, name, attrs, has_children)
        }
        Ctx::List => open_in_list(state, parent, name, attrs, has_children),
        Ctx::Skip => Ok(frame(Ctx::Skip, name)),
    }
}

fn frame(ctx: Ctx, name: Cow<'static, str>) -> Frame {
    Frame { ctx, name, key: String::new(), phase: 0, values_seen: 0 }
}

/// The root element, which must be the one `<log>`; its version sets the
/// rules.
fn open_log(
    state: &mut XesState,
    name: Cow<'static, str>,
    attrs: &XmlAttrs,
    saw_log: &mut bool,
) -> Result<Frame, String> {
    if name != "log" {
        return Err(format!("expected <log> as the root element, found <{name}>"));
    }
    if *saw_log {
        return Err("a second <log> element".into());
    }
    *saw_log = true;
    // Without a version the log is read leniently (Disco and PM4Py write
    // such files); an empty one is refused when it closes.
    let version = get(attrs, "xes.version").unwrap_or("");
    state.versionless = version.is_empty();
    // The IEEE schema's version is the decimal 1849.2016; PM4Py writes
    // "1849-2016" and OpenXES "1.0"/"2.0": those are read leniently.
    state.strict = version.trim().starts_with("1849.");
    if state.strict {
        check_attribute_set("log", attrs, &["xes.version"], &["xes.features"])?;
    }
    Ok(frame(Ctx::Log, name))
}

/// The phase of element `name` inside a `<log>` or `<trace>` (the order the
/// standard gives their children); `None` for an element a lenient log
/// skips.
fn phase_in(parent: &Frame, name: &str, strict: bool) -> Result<Option<u8>, String> {
    let in_log = parent.ctx == Ctx::Log;
    let phase = if in_log {
        log_phase(name)
    } else if is_attribute_element(name, strict) || name == "container" {
        Some(3)
    } else if name == "event" {
        Some(5)
    } else {
        None
    };
    if phase.is_none() && (strict || !in_log) {
        return Err(format!("<{name}> is not expected inside <{}>", parent.name));
    }
    Ok(phase)
}

/// A child of `<log>` or `<trace>`, in its place.
fn open_in_log(
    state: &mut XesState,
    parent: &Frame,
    name: Cow<'static, str>,
    attrs: &XmlAttrs,
    has_children: bool,
) -> Result<Frame, String> {
    let strict = state.strict;
    let (ctx, required, optional): (Ctx, &[&str], &[&str]) = match name.as_ref() {
        "extension" => (Ctx::Skip, &["name", "prefix", "uri"], &[]),
        "classifier" => (Ctx::Skip, &["name", "keys"], &["scope"]),
        "global" => (Ctx::Global, &[], &["scope"]),
        "trace" => (Ctx::Trace, &[], &[]),
        "event" => (Ctx::Event, &[], &[]),
        _ => return open_attribute(state, parent, name, attrs, has_children),
    };
    if strict {
        check_attribute_set(&name, attrs, required, optional)?;
    }
    match ctx {
        Ctx::Trace => {
            state.trace_case = None;
            state.trace_attrs.clear();
            state.trace_events.clear();
            state.trace_number += 1;
        }
        Ctx::Event => {
            let first_attr = state.event_attrs.len();
            state.event =
                Some(PendingEvent { score: f64::NAN, attrs: first_attr..first_attr, ..PendingEvent::default() });
        }
        _ => {}
    }
    Ok(frame(ctx, name))
}

/// A child of `<list>`: its one `<values>` (a lenient log takes attributes
/// there too).
fn open_in_list(
    state: &mut XesState,
    parent: &Frame,
    name: Cow<'static, str>,
    attrs: &XmlAttrs,
    has_children: bool,
) -> Result<Frame, String> {
    let strict = state.strict;
    if name != "values" {
        if !strict && is_attribute_element(&name, false) {
            return open_attribute(state, parent, name, attrs, has_children);
        }
        return Err(format!("<{name}> is not expected inside <list>: a list holds one <values> element"));
    }
    if strict {
        check_attribute_set("values", attrs, &["key"], &[])?;
        if parent.values_seen > 0 {
            return Err("a <list> holds exactly one <values> element".into());
        }
    }
    Ok(Frame { ctx: Ctx::Values, name, key: parent.key.clone(), phase: 0, values_seen: 0 })
}

/// `open` for an element quick-xml read.
pub(super) fn open_element(
    state: &mut XesState,
    stack: &[Frame],
    e: &BytesStart,
    text: Option<&str>,
    saw_log: &mut bool,
    has_children: bool,
) -> Result<Frame, String> {
    let name = element_name(e.local_name().as_ref());
    let attrs = attributes(e, text)?;
    open(state, stack, name, &attrs, saw_log, has_children)
}

/// XES's element names as static strings; anything else is copied.
pub(super) fn element_name(bytes: &[u8]) -> Cow<'static, str> {
    Cow::Borrowed(match bytes {
        b"string" => "string",
        b"date" => "date",
        b"event" => "event",
        b"trace" => "trace",
        b"int" => "int",
        b"float" => "float",
        b"boolean" => "boolean",
        b"id" => "id",
        b"list" => "list",
        b"container" => "container",
        b"values" => "values",
        b"log" => "log",
        b"extension" => "extension",
        b"global" => "global",
        b"classifier" => "classifier",
        b"key" => "key",
        _ => return Cow::Owned(String::from_utf8_lossy(bytes).into_owned()),
    })
}

pub(super) fn phase_name(phase: u8) -> &'static str {
    ["extension", "global", "classifier", "attribute", "trace", "event"][phase.min(5) as usize]
}

pub(super) fn open_attribute(
    state: &mut XesState,
    parent: &Frame,
    element: Cow<'static, str>,
    attrs: &XmlAttrs,
    has_children: bool,
) -> Result<Frame, String> {
    let name: &str = &element;
    let strict = state.strict;
    let typed = name != "list" && name != "container";
    if strict {
        if typed {
            check_attribute_set(name, attrs, &["key", "value"], &[])?;
        } else {
            check_attribute_set(name, attrs, &["key"], &[])?;
        }
    }
    let key = match get(attrs, "key") {
        Some(k) => k,
        // OpenXES writes keyless nested meta-attributes; they hold no event data.
        None if !strict && matches!(parent.ctx, Ctx::Attr | Ctx::List | Ctx::Values | Ctx::Global) => "",
        None => return Err(format!("<{name}> needs the attribute `key`")),
    };
    if strict && !is_xml_name(key) {
        return Err(format!(
            "<{name}> key `{key}` is not a valid XML name (no spaces; it starts with a letter, `_` or `:`)"
        ));
    }
    let full_key: Cow<str> = match parent.ctx {
        Ctx::Attr | Ctx::List | Ctx::Values => Cow::Owned(format!("{}/{key}", parent.key)),
        _ => Cow::Borrowed(key),
    };
    // Only an element with children (or a list, named in its errors)
    // keeps its key; most attributes are empty elements.
    let frame_key =
        |full_key: Cow<str>| if has_children || name == "list" { full_key.into_owned() } else { String::new() };
    if typed {
        let value = get(attrs, "value").ok_or_else(|| format!("<{name} key=\"{key}\"> needs the attribute `value`"))?;
        let time = check_value(state, name, key, value)?;
        if !key.is_empty() {
            record(state, parent, &full_key, name, value, time);
        }
        return Ok(Frame { ctx: Ctx::Attr, name: element.clone(), key: frame_key(full_key), phase: 0, values_seen: 0 });
    }
    let ctx = if name == "list" { Ctx::List } else { Ctx::Attr };
    Ok(Frame { ctx, name: element.clone(), key: frame_key(full_key), phase: 0, values_seen: 0 })
}

/// Typed values must read as their type, in every XES version. A date's
/// time comes back, so it is parsed once.
pub(super) fn check_value(state: &XesState, name: &str, key: &str, value: &str) -> Result<Option<i64>, String> {
    let v = value.trim();
    let mut time = None;
    let ok = match name {
        "int" => v.parse::<i64>().is_ok(),
        "float" => v.parse::<f64>().is_ok() || matches!(v, "INF" | "-INF" | "NaN"),
        "boolean" => matches!(v, "true" | "false" | "1" | "0"),
        "date" => {
            time = state.opts.time.parse(v).or_else(|| crate::TimeFormat::default().parse(v));
            time.is_some()
        }
        _ => true,
    };
    if ok && matches!(key, "score" | "rating") && !v.is_empty() && !v.parse::<f64>().is_ok_and(f64::is_finite) {
        // Scores are averaged: an infinite or non-numeric one would spoil
        // every mean it enters, so the file is refused where it holds one.
        return Err(format!(
            "<{name} key=\"{key}\"> has the value `{}`; a score must be a finite number such as 4 or 3.5",
            clip(value)
        ));
    }
    if ok {
        Ok(time)
    } else {
        let expected = match name {
            "int" => "a whole number",
            "float" => "a number",
            "boolean" => "true or false",
            _ => "a date and time such as 2011-10-01T00:38:44.546+02:00",
        };
        Err(format!("<{name} key=\"{key}\"> has the value `{}`, expected {expected}", clip(value)))
    }
}

/// Files an attribute value where it belongs (trace, event); `time` is a
/// date's value already parsed.
pub(super) fn record(state: &mut XesState, parent: &Frame, key: &str, kind: &str, value: &str, time: Option<i64>) {
    let top_level = matches!(parent.ctx, Ctx::Trace | Ctx::Event);
    match parent.ctx {
        Ctx::Trace if top_level => state.trace_attrs.push((key.to_string(), value.to_string())),
        Ctx::Event if state.event.is_some() => match key {
            "concept:name" => {
                let name = value.trim();
                let id = (!name.is_empty()).then(|| state.b.log.activities.intern(name));
                if let Some(ev) = state.event.as_mut() {
                    ev.activity = id;
                }
            }
            "time:timestamp" if kind == "date" => {
                if let Some(ev) = state.event.as_mut() {
                    ev.time = time;
                }
            }
            "channel" => {
                if let Some(ev) = state.event.as_mut() {
                    ev.channel = Some(value.to_string());
                }
            }
            "score" | "rating" => {
                if let Some(ev) = state.event.as_mut() {
                    // `check_value` has refused anything but a finite number.
                    ev.score = value.trim().parse().unwrap_or(f64::NAN);
                }
            }
            _ => match state.b.intern_attr(key, value) {
                Ok(attr) => state.event_attrs.push(attr),
                Err(e) => state.fatal = state.fatal.take().or(Some(e)),
            },
        },
        Ctx::Attr | Ctx::List | Ctx::Values => {
            // Nested attribute: keep it under its parent's path.
            if state.event.is_some() {
                match state.b.intern_attr(key, value) {
                    Ok(attr) => state.event_attrs.push(attr),
                    Err(e) => state.fatal = state.fatal.take().or(Some(e)),
                }
            } else if state.trace_number > 0 && state.trace_case.is_none() {
                state.trace_attrs.push((key.to_string(), value.to_string()));
            }
        }
        _ => {}
    }
}

pub(super) fn close(state: &mut XesState, stack: &mut [Frame], frame: Frame) -> Result<(), String> {
    let parent = stack.last_mut();
    match frame.ctx {
        Ctx::List if state.strict && frame.values_seen == 0 => {
            return Err(format!(
                "<list key=\"{}\"> needs a <values> element holding its items",
                frame.key.rsplit('/').next().unwrap_or("")
            ));
        }
        Ctx::Values => {
            if let Some(p) = parent {
                p.values_seen += 1;
            }
            return Ok(());
        }
        Ctx::Event => {
            let mut ev = state.event.take().unwrap_or_default();
            ev.attrs.end = state.event_attrs.len();
            match stack.last().map(|f| f.ctx) {
                Some(Ctx::Trace) => state.trace_events.push(ev),
                _ => state.events_outside_traces += 1,
            }
        }
        Ctx::Trace => flush_trace(state),
        Ctx::Log if state.versionless && state.trace_number == 0 && state.events_outside_traces == 0 => {
            return Err("<log> has no `xes.version` and holds no traces: this is not an XES log".into());
        }
        _ => {}
    }
    if let Some(p) = stack.last_mut() {
        if matches!(p.ctx, Ctx::Log | Ctx::Trace) {
            let phase = match p.ctx {
                Ctx::Log => log_phase(&frame.name).unwrap_or(p.phase),
                _ => {
                    if frame.name == "event" {
                        5
                    } else {
                        3
                    }
                }
            };
            p.phase = p.phase.max(phase);
        }
    }
    Ok(())
}

/// A finished trace becomes a customer and its events rows.
pub(super) fn flush_trace(state: &mut XesState) {
    let name = state.trace_attrs.iter().find(|(k, _)| k == "concept:name").map(|(_, v)| v.clone());
    let events = std::mem::take(&mut state.trace_events);
    let attrs = std::mem::take(&mut state.trace_attrs);
    let b = &mut state.b;
    let case_name = match name {
        Some(n) if !n.trim().is_empty() => n,
        _ => {
            // A trace without a name is still a customer, named by position.
            format!("trace {}", state.trace_number)
        }
    };
    let case = b.log.cases.intern(case_name.trim());
    let trace_channel = attrs.iter().find(|(k, _)| k == "channel").map(|(_, v)| v.clone());
    for (k, v) in &attrs {
        if k != "concept:name" {
            if let Err(e) = b.set_case_attr(case, k, v) {
                state.fatal = state.fatal.take().or(Some(e));
                break;
            }
        }
    }
    for ev in events {
        b.log.stats.rows += 1;
        // A valid XES event may have no name: it is kept, under a name that says so.
        let activity = match ev.activity {
            Some(a) => a,
            None => {
                state.unnamed += 1;
                b.log.activities.intern(UNNAMED)
            }
        };
        let time = match ev.time {
            Some(t) => t,
            // A valid XES event may have no time: it keeps its place in the
            // trace (ties are broken by position) and has no durations.
            None => {
                state.untimed += 1;
                crate::UNKNOWN_TIME
            }
        };
        let channel = match ev.channel.as_ref().or(trace_channel.as_ref()) {
            Some(c) if !c.trim().is_empty() => b.log.channels.intern(c.trim()),
            _ => NONE,
        };
        b.push(case, time, activity, channel, ev.score);
        for &(col, id) in &state.event_attrs[ev.attrs] {
            b.set_attr_id(col, id);
        }
    }
    state.event_attrs.clear();
    let _ = state.trace_case.insert(case);
}
