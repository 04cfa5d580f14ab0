//! cjm-events' integration tests, on the real data in `../shared/data`.

use cjm_events::{read_path, EventLog, Lifecycle, ReadOptions};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

fn opts_all() -> ReadOptions {
    ReadOptions { lifecycle: Lifecycle::All, ..ReadOptions::default() }
}

fn distinct_cases(log: &cjm_events::EventLog) -> usize {
    log.case.iter().collect::<HashSet<_>>().len()
}

/// The counts `../shared/data/README.md` lists for each log.
#[test]
fn real_logs_read_with_the_right_counts() {
    let cases: &[(&str, ReadOptions, usize, usize)] = &[
        ("logs/receipt.xes.gz", opts_all(), 1434, 8577),
        ("logs/receipt.parquet", opts_all(), 1434, 8577),
        ("logs/bpic2012.xes.gz", opts_all(), 13087, 262_200),
        ("logs/helpdesk.xes.gz", opts_all(), 4580, 21348),
        ("logs/sepsis.csv", opts_all(), 1050, 15214),
        (
            "logs/bpic2016_complaints.csv",
            ReadOptions {
                encoding: cjm_events::Encoding::Latin1,
                columns: cjm_events::ColumnMap {
                    case: Some("CustomerID".into()),
                    time: Some("ContactDate".into()),
                    activity: Some("ComplaintTopic_EN".into()),
                    channel: Some("ContactChannelID".into()),
                    ..Default::default()
                },
                ..opts_all()
            },
            226,
            289,
        ),
    ];
    for (file, opts, n_cases, n_events) in cases {
        let log = read_path(&data().join(file), opts).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!((distinct_cases(&log), log.len()), (*n_cases, *n_events), "{file}");
        assert_eq!(log.stats.bad_rows, 0, "{file}: {:?}", log.stats.problems);
    }
}

#[test]
fn receipt_xes_and_parquet_agree() {
    let x = read_path(&data().join("logs/receipt.xes.gz"), &opts_all()).unwrap();
    // The Parquet copy holds naive local times (the +02:00 of the XES dropped).
    let local = ReadOptions { time: cjm_events::TimeFormat { pattern: None, default_offset: 7200 }, ..opts_all() };
    let p = read_path(&data().join("logs/receipt.parquet"), &local).unwrap();
    assert_eq!(x.activities.len(), p.activities.len());
    assert_eq!(x.time.iter().min(), p.time.iter().min());
    let channel = |log: &cjm_events::EventLog| {
        let col = log.case_attr("channel").expect("channel is a case attribute");
        let mut v: Vec<&str> = (0..log.cases.len()).filter_map(|c| col.value(c)).collect();
        v.sort();
        v.dedup();
        v.join(",")
    };
    assert_eq!(channel(&x), channel(&p));
    assert_eq!(channel(&x), "Desk,Intern,Internet,Post,e-mail");
}

#[test]
fn lifecycle_keeps_complete_events_when_there_are_pairs() {
    let all = read_path(&data().join("logs/bpic2012.xes.gz"), &opts_all()).unwrap();
    let auto = read_path(&data().join("logs/bpic2012.xes.gz"), &ReadOptions::default()).unwrap();
    assert!(auto.len() < all.len());
    assert_eq!(auto.len() as u64 + auto.stats.lifecycle_skipped, all.len() as u64);
    let lc = auto.attr("lifecycle:transition").unwrap();
    assert!((0..auto.len()).all(|i| lc.value(i).is_some_and(|v| v.eq_ignore_ascii_case("complete"))));
}

#[test]
fn sepsis_keeps_na_as_a_real_case_id() {
    let log = read_path(&data().join("logs/sepsis.csv"), &opts_all()).unwrap();
    let na = log.cases.lookup("NA").expect("NA is a case id");
    assert_eq!(log.case.iter().filter(|&&c| c == na).count(), 24);
}

/// Every file the manifest calls valid reads; every other one fails with an
/// error that names a line.
#[test]
fn xes_test_suite_matches_its_manifest() {
    let dir = data().join("xes-testsuite");
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.csv")).unwrap();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for line in manifest.lines().skip(1) {
        let mut parts = line.splitn(5, ',');
        let (file, _bytes, well_formed, valid) =
            (parts.next().unwrap(), parts.next(), parts.next().unwrap(), parts.next().unwrap());
        let valid = well_formed == "True" && valid == "True";
        let result = read_path(&dir.join("cases").join(file), &opts_all());
        checked += 1;
        match (valid, &result) {
            (true, Err(e)) => wrong.push(format!("{file}: valid, but: {e}")),
            (false, Ok(_)) => wrong.push(format!("{file}: invalid, but it was read")),
            (false, Err(e)) if e.line.is_none() => wrong.push(format!("{file}: the error names no line: {e}")),
            _ => {}
        }
    }
    assert_eq!(checked, 71);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    for extra in [
        "extra-composite_list_attributes.xes",
        "extra-interval_event_log.xes",
        "extra-running-example.xes",
        "extra-xes_20.xes",
    ] {
        read_path(&dir.join(extra), &opts_all()).unwrap_or_else(|e| panic!("{extra}: {e}"));
    }
}

#[test]
fn bad_rows_are_counted_with_lines_or_fail_in_strict_mode() {
    let dir = tempdir();
    let path = dir.join("bad.csv");
    std::fs::write(&path, "customer_id,timestamp,touchpoint\nA,2024-01-01T00:00:00Z,x\nB,yesterday,y\n,2024-01-01T00:00:00Z,z\nC,2024-01-02T00:00:00Z,w\n").unwrap();
    let log = read_path(&path, &ReadOptions::default()).unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log.stats.bad_rows, 2);
    assert_eq!(log.stats.problems[0].line, 3);
    assert!(log.stats.problems[0].message.contains("cannot read the time `yesterday`"));
    let strict = ReadOptions { strict: true, ..ReadOptions::default() };
    let e = read_path(&path, &strict).unwrap_err();
    assert_eq!(e.line, Some(3));
    assert_eq!(e.kind, cjm_events::ReadErrorKind::StrictStop(cjm_events::ProblemKind::BadTime));
    let e = read_path(&dir.join("missing.csv"), &ReadOptions::default()).unwrap_err();
    assert!(e.to_string().contains("no such file"));
    std::fs::write(dir.join("x.csv"), "who,when,what\n1,2,3\n").unwrap();
    let e = read_path(&dir.join("x.csv"), &ReadOptions::default()).unwrap_err();
    // The library names the role, never a flag: the edges word the fix.
    assert_eq!(e.kind, cjm_events::ReadErrorKind::MissingColumn(cjm_events::Role::Case));
    assert!(e.to_string().contains("no customer (case) id column found"), "{e}");
    assert!(!e.to_string().contains("--"), "{e}");
}

#[test]
fn json_lines_and_gzip_csv_read_like_csv() {
    let dir = tempdir();
    std::fs::write(dir.join("a.jsonl"), "{\"customer_id\":\"A\",\"timestamp\":\"2024-01-01T00:00:00Z\",\"touchpoint\":\"x\",\"score\":4,\"plan\":\"pro\"}\n{\"customer_id\":\"A\",\"timestamp\":1704067260,\"touchpoint\":\"y\"}\n").unwrap();
    let log = read_path(&dir.join("a.jsonl"), &ReadOptions::default()).unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log.score.get(0), 4.0);
    assert_eq!(log.time[1] - log.time[0], 60_000_000);
    assert_eq!(log.attr("plan").unwrap().value(0), Some("pro"));
    let csv = "customer_id;timestamp;touchpoint\n\"A\";2024-01-01 00:00:00;\"x; y\"\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, csv.as_bytes()).unwrap();
    std::fs::write(dir.join("b.csv.gz"), gz.finish().unwrap()).unwrap();
    let log = read_path(&dir.join("b.csv.gz"), &ReadOptions::default()).unwrap();
    assert_eq!(log.activities.get(log.activity[0]), "x; y");
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "cjm-events-{}-{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A big file is read by two threads (the customer column by one, the rest
/// by the other); the result must equal the rows written, in order, and the
/// one-thread read exactly: dictionaries, bad rows and their lines.
#[test]
fn parallel_parquet_ranges_keep_every_row_in_order() {
    use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
    use std::sync::Arc;
    let n = 300_001usize;
    // A few rows without a customer, in both halves: left out as bad rows,
    // the others keep their order across the parts.
    let bad = |i: usize| i % 49_999 == 7;
    let case: Vec<String> =
        (0..n).map(|i| if bad(i) { String::new() } else { format!("c{}", (i * 7919) % 40_000) }).collect();
    let no_act = |i: usize| i % 61_001 == 11;
    let no_time = |i: usize| i % 70_001 == 13;
    let act: Vec<String> = (0..n).map(|i| if no_act(i) { String::new() } else { format!("t{}", i % 13) }).collect();
    let time: Vec<i64> =
        (0..n).map(|i| 1_700_000_000_000_000 + ((i * 104_729) % 1_000_003) as i64 * 1_000_000).collect();
    let time_col: Vec<Option<i64>> = (0..n).map(|i| (!no_time(i)).then_some(time[i])).collect();
    let score: Vec<Option<f64>> = (0..n).map(|i| (i % 5 == 0).then_some((i % 7) as f64 / 2.0)).collect();
    let batch = RecordBatch::try_from_iter(vec![
        ("customer_id", Arc::new(StringArray::from(case.clone())) as ArrayRef),
        ("timestamp", Arc::new(TimestampMicrosecondArray::from(time_col).with_timezone("UTC")) as ArrayRef),
        ("touchpoint", Arc::new(StringArray::from(act.clone())) as ArrayRef),
        ("score", Arc::new(Float64Array::from(score.clone())) as ArrayRef),
    ])
    .unwrap();
    let dir = tempdir();
    let path = dir.join("one-group.parquet");
    let props = parquet::file::properties::WriterProperties::builder().set_max_row_group_row_count(Some(n)).build();
    let mut w =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), batch.schema(), Some(props))
            .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let log = read_path(&path, &ReadOptions { threads: 2, ..ReadOptions::default() }).unwrap();
    let good: Vec<usize> = (0..n).filter(|&i| !bad(i) && !no_act(i) && !no_time(i)).collect();
    assert_eq!(log.stats.bad_rows as usize, n - good.len());
    assert_eq!(log.stats.rows as usize, n);
    assert_eq!(log.len(), good.len());
    for (r, &i) in good.iter().enumerate() {
        assert_eq!(log.cases.get(log.case[r]), case[i], "row {i}");
        assert_eq!(log.activities.get(log.activity[r]), act[i], "row {i}");
        assert_eq!(log.time[r], time[i], "row {i}");
        assert_eq!(log.score.get(r).is_nan(), score[i].is_none(), "row {i}");
    }
    assert_eq!(log.cases.len(), 40_000);
    let one = read_path(&path, &ReadOptions { threads: 1, ..ReadOptions::default() }).unwrap();
    assert_eq!(
        (&one.case, &one.time, &one.activity, &one.channel),
        (&log.case, &log.time, &log.activity, &log.channel)
    );
    assert_eq!(one.cases.values().collect::<Vec<_>>(), log.cases.values().collect::<Vec<_>>());
    assert_eq!(one.activities.values().collect::<Vec<_>>(), log.activities.values().collect::<Vec<_>>());
    assert_eq!(one.stats, log.stats);
    assert_eq!(log.stats.problems.len(), 5);
    assert_eq!(log.stats.problems[0].line, 8, "{:?}", log.stats.problems);
    let strict = ReadOptions { threads: 2, strict: true, ..ReadOptions::default() };
    assert_eq!(read_path(&path, &strict).unwrap_err().line, Some(8));
    std::fs::remove_dir_all(dir).ok();
}

/// BPIC 2012 (74 MB of XML) parsed by two threads gives exactly the log one
/// thread gives: same customers, rows, ids, attributes, in the same order.
#[test]
fn xes_read_in_two_halves_equals_one_pass() {
    let path = data().join("logs/bpic2012.xes.gz");
    let one = read_path(&path, &ReadOptions { threads: 1, ..opts_all() }).unwrap();
    let two = read_path(&path, &ReadOptions { threads: 2, ..opts_all() }).unwrap();
    assert_eq!(one.len(), 262_200);
    assert_same_log(&one, &two);
}

/// Everything in two logs is the same: customers, rows, ids, attributes,
/// in the same order.
fn assert_same_log(one: &EventLog, two: &EventLog) {
    // The first difference, not two whole columns.
    fn same<T: PartialEq + std::fmt::Debug>(
        what: &str,
        a: impl IntoIterator<Item = T>,
        b: impl IntoIterator<Item = T>,
    ) {
        let (a, b): (Vec<T>, Vec<T>) = (a.into_iter().collect(), b.into_iter().collect());
        if let Some(i) = (0..a.len().min(b.len())).find(|&i| a[i] != b[i]) {
            panic!("{what} differ at {i}: {:?} against {:?}", a[i], b[i]);
        }
        assert_eq!(a.len(), b.len(), "{what}: lengths differ");
    }
    same("customers", one.cases.values(), two.cases.values());
    same("touchpoints", one.activities.values(), two.activities.values());
    same("channels", one.channels.values(), two.channels.values());
    same("case ids", &one.case, &two.case);
    same("times", &one.time, &two.time);
    same("touchpoint ids", &one.activity, &two.activity);
    same("channel ids", &one.channel, &two.channel);
    assert!(one.score.iter().zip(two.score.iter()).all(|(a, b)| a == b || (a.is_nan() && b.is_nan())));
    let names = |cols: &[cjm_events::AttrColumn]| cols.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&one.attrs), names(&two.attrs));
    assert_eq!(names(&one.case_attrs), names(&two.case_attrs));
    for (a, b) in one.attrs.iter().chain(&one.case_attrs).zip(two.attrs.iter().chain(&two.case_attrs)) {
        assert_eq!(a.len(), b.len(), "{}", a.name);
        assert!((0..a.len()).all(|r| a.value(r) == b.value(r)), "{}", a.name);
    }
    assert_eq!(one.stats, two.stats);
}

/// Pieces the plain scanner gives up on (an entity in a value) are read
/// by quick-xml; traces without a name are named by their number across
/// pieces: the log is still the one a one-pass read gives.
#[test]
fn xes_pieces_read_by_quick_xml_or_with_unnamed_traces_equal_one_pass() {
    use std::io::Read;
    let mut xml = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(data().join("logs/bpic2012.xes.gz")).unwrap())
        .read_to_string(&mut xml)
        .unwrap();
    // A value with an entity a third of the way in.
    let at = xml.len() / 3;
    let resource = "<string key=\"org:resource\" value=\"";
    let at = at + xml[at..].find(resource).unwrap() + resource.len();
    xml.insert_str(at, "A &amp; B ");
    // Three traces late in the file lose their names.
    for fraction in [0.6, 0.8, 0.95] {
        let from = (xml.len() as f64 * fraction) as usize;
        let trace = from + xml[from..].find("<trace>").unwrap();
        let name = trace + xml[trace..].find("<string key=\"concept:name\"").unwrap();
        let end = name + xml[name..].find("/>").unwrap() + 2;
        xml.replace_range(name..end, "");
    }
    let dir = tempdir();
    let path = dir.join("edited.xes");
    std::fs::write(&path, &xml).unwrap();
    let one = read_path(&path, &ReadOptions { threads: 1, ..opts_all() }).unwrap();
    let two = read_path(&path, &ReadOptions { threads: 2, ..opts_all() }).unwrap();
    assert_eq!(one.len(), 262_200);
    assert!(one.attrs.iter().any(|c| c.dict.values().any(|v| v.starts_with("A & B "))));
    assert_eq!(one.cases.values().filter(|c| c.starts_with("trace ")).count(), 3);
    assert_same_log(&one, &two);
    // Gzipped, the pieces are inflated as they are read.
    let gz = dir.join("edited.xes.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut encoder, xml.as_bytes()).unwrap();
    std::fs::write(&gz, encoder.finish().unwrap()).unwrap();
    assert_same_log(&one, &read_path(&gz, &ReadOptions { threads: 2, ..opts_all() }).unwrap());
    std::fs::remove_dir_all(dir).ok();
}

/// Damaged XES (tags, quotes, entities, comments and bytes spliced in,
/// stretches cut out, the end cut off) read in pieces by two threads gives
/// what one thread gives: the same log, or the same error at the same line.
#[test]
fn damaged_xes_reads_the_same_on_one_thread_and_two() {
    use std::io::Read;
    let mut xml = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(data().join("logs/receipt.xes.gz")).unwrap())
        .read_to_end(&mut xml)
        .unwrap();
    let splices: [&[u8]; 12] =
        [b"<", b">", b"/>", b"</trace>", b"<trace>", b"\"", b"&amp;", b"<!--", b"-->", b"<?", b"</log>", b"\xff"];
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let dir = tempdir();
    let path = dir.join("damaged.xes");
    let (mut same_log, mut same_error) = (0, 0);
    for round in 0..40 {
        let mut bytes = xml.clone();
        for _ in 0..1 + next() % 3 {
            let at = (next() as usize) % bytes.len();
            match next() % 4 {
                0 | 1 => {
                    let splice = splices[(next() as usize) % splices.len()];
                    bytes.splice(at..at, splice.iter().copied());
                }
                2 => drop(bytes.drain(at..(at + (next() as usize) % 60).min(bytes.len()))),
                _ => bytes.truncate(at.max(1)),
            }
        }
        std::fs::write(&path, &bytes).unwrap();
        let read = |threads| {
            read_path(&path, &ReadOptions { threads, ..opts_all() }).map(|log| {
                let cases: Vec<String> = log.cases.values().map(String::from).collect();
                (cases, log.case, log.time, log.activity, log.stats)
            })
        };
        match (read(1), read(2)) {
            (Ok(one), Ok(two)) => {
                assert!(one == two, "round {round}: the logs differ");
                same_log += 1;
            }
            (Err(one), Err(two)) => {
                assert_eq!(one, two, "round {round}");
                same_error += 1;
            }
            (one, two) => panic!("round {round}: one thread {:?}, two {:?}", one.err(), two.err()),
        }
    }
    assert!(same_log > 0 && same_error > 0, "{same_log} logs, {same_error} errors");
    std::fs::remove_dir_all(dir).ok();
}

/// A log cut short is an error naming what is left open, never a log
/// missing its last traces; gzipped, the damaged stream is named.
#[test]
fn a_truncated_xes_is_an_error() {
    let xml = "<?xml version=\"1.0\"?>\n<log xes.version=\"1.0\">\n<trace>\n<string key=\"concept:name\" value=\"c1\"/>\n<event>\n<string key=\"concept:name\" value=\"a\"/>\n</event>\n";
    let dir = tempdir();
    let path = dir.join("cut.xes");
    std::fs::write(&path, xml).unwrap();
    let e = read_path(&path, &opts_all()).unwrap_err();
    assert_eq!(e.line, Some(8), "{e:?}");
    assert!(e.message.contains("<trace> is not closed before the end of the file"), "{}", e.message);
    let gz = dir.join("cut.xes.gz");
    let whole = std::fs::read(data().join("logs/bpic2012.xes.gz")).unwrap();
    std::fs::write(&gz, &whole[..whole.len() / 2]).unwrap();
    for threads in [1, 2] {
        let e = read_path(&gz, &ReadOptions { threads, ..opts_all() }).unwrap_err();
        assert!(e.message.contains("the gzip data is damaged"), "{}", e.message);
    }
    std::fs::remove_dir_all(dir).ok();
}

/// Progress on a long read runs to the end, in pieces and in one pass.
#[test]
fn xes_progress_reaches_the_end() {
    use std::sync::atomic::{AtomicU64, Ordering};
    static DONE: AtomicU64 = AtomicU64::new(0);
    static TOTAL: AtomicU64 = AtomicU64::new(0);
    fn progress(done: u64, total: u64) {
        assert!(done >= DONE.load(Ordering::SeqCst) && done <= total, "{done} of {total}");
        DONE.store(done, Ordering::SeqCst);
        TOTAL.store(total, Ordering::SeqCst);
    }
    for threads in [2, 1] {
        DONE.store(0, Ordering::SeqCst);
        let opts = ReadOptions { threads, progress: Some(progress), ..opts_all() };
        read_path(&data().join("logs/bpic2012.xes.gz"), &opts).unwrap();
        assert!(DONE.load(Ordering::SeqCst) > 0, "threads: {threads}");
        assert_eq!(DONE.load(Ordering::SeqCst), TOTAL.load(Ordering::SeqCst), "threads: {threads}");
    }
}

/// An error in the second half names the same line as a one-pass read.
#[test]
fn xes_errors_in_the_second_half_name_the_right_line() {
    use std::io::Read;
    let mut xml = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(data().join("logs/bpic2012.xes.gz")).unwrap())
        .read_to_string(&mut xml)
        .unwrap();
    let at = xml.rfind("</trace>").unwrap() - 200;
    let at = at + xml[at..].find("</event>").unwrap();
    xml.replace_range(at..at + "</event>".len(), "</evnt>");
    let line = xml[..at].matches('\n').count() as u64 + 1;
    let dir = tempdir();
    let path = dir.join("broken.xes");
    std::fs::write(&path, &xml).unwrap();
    let one = read_path(&path, &ReadOptions { threads: 1, ..opts_all() }).unwrap_err();
    let two = read_path(&path, &ReadOptions { threads: 2, ..opts_all() }).unwrap_err();
    assert_eq!(one, two);
    assert_eq!(one.line, Some(line));
    assert!(one.message.contains("expected </event>, found </evnt>"), "{}", one.message);
    std::fs::remove_dir_all(dir).ok();
}

/// A `<trace` inside a comment before the traces misleads the split; the
/// reader notices and reads the file in one pass.
#[test]
fn xes_split_misled_by_a_comment_falls_back_to_one_pass() {
    use std::io::Read;
    let mut xml = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(data().join("logs/bpic2012.xes.gz")).unwrap())
        .read_to_string(&mut xml)
        .unwrap();
    let log_tag = xml.find("<log").unwrap();
    let after = log_tag + xml[log_tag..].find('>').unwrap() + 1;
    xml.insert_str(after, "\n<!-- an example: <trace > ... </trace> -->\n");
    let dir = tempdir();
    let path = dir.join("commented.xes");
    std::fs::write(&path, &xml).unwrap();
    let one = read_path(&path, &ReadOptions { threads: 1, ..opts_all() }).unwrap();
    let two = read_path(&path, &ReadOptions { threads: 2, ..opts_all() }).unwrap();
    assert_eq!(one.len(), 262_200);
    assert_same_log(&one, &two);
    std::fs::remove_dir_all(dir).ok();
}

/// A date that is not a date is an error naming its line (lines are
/// counted lazily, only where one is needed).
#[test]
fn a_bad_xes_time_names_its_event_line() {
    let xml = "<?xml version=\"1.0\"?>\n<log xes.version=\"1.0\">\n<trace>\n<string key=\"concept:name\" value=\"c1\"/>\n<event>\n<string key=\"concept:name\" value=\"a\"/>\n<date key=\"time:timestamp\" value=\"2024-01-01T00:00:00Z\"/>\n</event>\n<event>\n<string key=\"concept:name\" value=\"b\"/>\n<date key=\"time:timestamp\" value=\"not a date\"/>\n</event>\n</trace>\n</log>\n";
    let dir = tempdir();
    let path = dir.join("bad-time.xes");
    std::fs::write(&path, xml).unwrap();
    let err = read_path(&path, &ReadOptions::default()).unwrap_err();
    // The date is not a date: the typed value check refuses the file there.
    assert_eq!(err.line, Some(11), "{err}");
    std::fs::remove_dir_all(dir).ok();
}

/// A part that is not UTF-8 is checked value by value, and the bad value named.
#[test]
fn an_xes_value_that_is_not_utf8_is_named() {
    let mut xml = b"<log xes.version=\"1.0\">\n<trace>\n<string key=\"concept:name\" value=\"caf".to_vec();
    xml.push(0xE9);
    xml.extend_from_slice(b"\"/>\n</trace>\n</log>\n");
    let dir = tempdir();
    let path = dir.join("latin1.xes");
    std::fs::write(&path, &xml).unwrap();
    let err = read_path(&path, &ReadOptions::default()).unwrap_err();
    assert!(err.message.contains("is not UTF-8"), "{err}");
    assert_eq!(err.line, Some(3), "{err}");
    std::fs::remove_dir_all(dir).ok();
}

/// An attribute given twice makes the XML malformed; the error says which.
#[test]
fn an_xes_attribute_given_twice_is_an_error() {
    let xml = "<log xes.version=\"1.0\">\n<trace>\n<string key=\"concept:name\" key=\"other\" value=\"c1\"/>\n</trace>\n</log>\n";
    let dir = tempdir();
    let path = dir.join("twice.xes");
    std::fs::write(&path, xml).unwrap();
    let err = read_path(&path, &ReadOptions::default()).unwrap_err();
    assert!(err.message.contains("the attribute `key` is given twice"), "{err}");
    assert_eq!(err.line, Some(3), "{err}");
    std::fs::remove_dir_all(dir).ok();
}

/// An event attribute named like a standard key but of another type is
/// kept as an attribute, not dropped (only a `date` is the event's time).
#[test]
fn an_xes_time_timestamp_that_is_not_a_date_stays_an_attribute() {
    let xml = "<log xes.version=\"1.0\">\n<trace>\n<string key=\"concept:name\" value=\"c1\"/>\n<event>\n<string key=\"concept:name\" value=\"a\"/>\n<string key=\"time:timestamp\" value=\"yesterday\"/>\n</event>\n</trace>\n</log>\n";
    let dir = tempdir();
    let path = dir.join("string-time.xes");
    std::fs::write(&path, xml).unwrap();
    let log = read_path(&path, &ReadOptions::default()).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log.time[0], cjm_events::UNKNOWN_TIME);
    assert_eq!(log.attr("time:timestamp").and_then(|a| a.value(0)), Some("yesterday"));
    std::fs::remove_dir_all(dir).ok();
}

/// Second-resolution times past what microseconds can hold are bad rows,
/// counted, never wrapped into the past.
#[test]
fn parquet_times_out_of_range_are_counted_bad_rows() {
    use arrow_array::{ArrayRef, RecordBatch, StringArray, TimestampSecondArray};
    use std::sync::Arc;
    let times = vec![1_700_000_000i64, i64::MAX / 1000, 1_700_000_060, i64::MIN / 999];
    let batch = RecordBatch::try_from_iter(vec![
        ("customer_id", Arc::new(StringArray::from(vec!["c1", "c1", "c1", "c2"])) as ArrayRef),
        ("timestamp", Arc::new(TimestampSecondArray::from(times).with_timezone("UTC")) as ArrayRef),
        ("touchpoint", Arc::new(StringArray::from(vec!["a", "b", "c", "d"])) as ArrayRef),
    ])
    .unwrap();
    let path = tempdir().join("far.parquet");
    let mut w =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let log = read_path(&path, &ReadOptions::default()).unwrap();
    assert_eq!(log.stats.bad_rows, 2);
    assert_eq!(log.len(), 2);
    assert_eq!(log.time, [1_700_000_000_000_000, 1_700_000_060_000_000]);
    assert!(log.stats.problems[0].message.contains("no readable time"), "{:?}", log.stats.problems);
}

/// A dictionary-encoded column numbers its values as rows first use them,
/// not in the dictionary's order (a pandas category's may be any), and a
/// dictionary entry no row uses is no customer: the same ids as the same
/// rows written plainly, or as CSV.
#[test]
fn parquet_dictionaries_number_values_in_row_order() {
    use arrow_array::{ArrayRef, DictionaryArray, Int32Array, RecordBatch, StringArray, TimestampMicrosecondArray};
    use std::sync::Arc;
    let keys = Int32Array::from(vec![2, 0, 2, 1]);
    let names = Arc::new(StringArray::from(vec![" b", "c", "a ", "unused"]));
    let customers = DictionaryArray::try_new(keys, names).unwrap();
    let batch = RecordBatch::try_from_iter(vec![
        ("customer_id", Arc::new(customers) as ArrayRef),
        ("timestamp", Arc::new(TimestampMicrosecondArray::from(vec![1, 2, 3, 4]).with_timezone("UTC")) as ArrayRef),
        ("touchpoint", Arc::new(StringArray::from(vec!["x", "y", "x", "z"])) as ArrayRef),
    ])
    .unwrap();
    let path = tempdir().join("dictionary.parquet");
    let mut w =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let log = read_path(&path, &ReadOptions::default()).unwrap();
    let names: Vec<&str> = (0..log.cases.len() as u32).map(|i| log.cases.get(i)).collect();
    assert_eq!(names, ["a", "b", "c"], "first appearance, trimmed, the unused entry left out");
    assert_eq!(log.case, [0, 1, 0, 2]);
    // pandas wrote the receipt log's customers as a category, whose
    // dictionary starts with `case-11517`; its first row is `case-10011`.
    let every = ReadOptions { lifecycle: Lifecycle::All, ..ReadOptions::default() };
    let log = read_path(&data().join("logs/receipt.parquet"), &every).unwrap();
    assert_eq!((log.cases.get(0), log.case[0]), ("case-10011", 0));
    let mut next = 0;
    for &c in &log.case {
        assert!(c <= next, "customer {c} numbered before its first row");
        next = next.max(c + 1);
    }
}

/// A gzip stream is inflated as a stream: a trailer that claims 4 GiB
/// sizes nothing, and a bomb stops at the limit with an error naming it.
#[test]
fn gzip_trailers_size_nothing_and_bombs_stop_at_the_limit() {
    let dir = tempdir();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, b"customer_id,timestamp,touchpoint\nc1,2026-01-01T00:00:00Z,a\n").unwrap();
    let mut bytes = gz.finish().unwrap();
    let n = bytes.len();
    bytes[n - 4..].copy_from_slice(&u32::MAX.to_le_bytes());
    let path = dir.join("lying.csv.gz");
    std::fs::write(&path, &bytes).unwrap();
    // The damaged trailer is the decoder's to report; nothing is allocated from it.
    let read = read_path(&path, &ReadOptions::default());
    assert!(read.is_err_and(|e| e.message.contains("damaged")));

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, b"customer_id,timestamp,touchpoint\n").unwrap();
    std::io::Write::write_all(&mut gz, &vec![b' '; 32 << 20]).unwrap();
    let bomb = gz.finish().unwrap();
    for name in ["bomb.csv.gz", "bomb.xes.gz"] {
        let path = dir.join(name);
        std::fs::write(&path, &bomb).unwrap();
        for threads in [1, 2] {
            let opts = ReadOptions { max_inflated: Some(1 << 20), threads, ..ReadOptions::default() };
            let e = read_path(&path, &opts).unwrap_err();
            assert!(e.message.contains("inflates to more than 1 MiB"), "{name}: {e}");
        }
    }
}

/// What a log's attribute columns hold in memory.
fn attr_bytes(log: &EventLog) -> usize {
    log.attrs.iter().chain(&log.case_attrs).map(cjm_events::AttrColumn::heap_bytes).sum()
}

/// Keys that change from row to row cost memory in proportion to the
/// file, and past the stated number of names the read stops and says so.
#[test]
fn attribute_columns_cost_what_the_file_holds() {
    let dir = tempdir();
    let jsonl = |rows: usize| -> String {
        (0..rows)
            .map(|i| format!("{{\"customer_id\":\"c{}\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"touchpoint\":\"a\",\"k{i}\":\"v\"}}\n", i % 50))
            .collect()
    };
    let path = dir.join("keys.jsonl");
    let text = jsonl(cjm_events::MAX_ATTRIBUTE_KEYS - 10);
    std::fs::write(&path, &text).unwrap();
    let log = read_path(&path, &ReadOptions::default()).unwrap();
    assert_eq!(log.attrs.len(), cjm_events::MAX_ATTRIBUTE_KEYS - 10);
    // A few hundred bytes a column (its dictionary, its one value): a small
    // multiple of the file, where one slot per row and key took 1,000 times it.
    assert!(attr_bytes(&log) < 6 * text.len(), "{} bytes of columns for a {} byte file", attr_bytes(&log), text.len());
    assert_eq!(log.attrs[7].value(7), Some("v"));
    assert_eq!(log.attrs[7].value(8), None);
    std::fs::write(&path, jsonl(cjm_events::MAX_ATTRIBUTE_KEYS + 1)).unwrap();
    let e = read_path(&path, &ReadOptions::default()).unwrap_err();
    assert!(
        e.message.contains(&format!("more than {} different event attribute names", cjm_events::MAX_ATTRIBUTE_KEYS)),
        "{e}"
    );

    // A 10,000-column header over short rows.
    let header: Vec<String> = ["customer_id", "timestamp", "touchpoint"]
        .iter()
        .map(|s| s.to_string())
        .chain((0..10_000).map(|i| format!("col{i}")))
        .collect();
    let mut csv = header.join(",") + "\n";
    for i in 0..20_000 {
        csv.push_str(&format!("c{},2026-01-01T00:00:{:02}Z,a\n", i % 100, i % 60));
    }
    let path = dir.join("wide.csv");
    std::fs::write(&path, &csv).unwrap();
    let log = read_path(&path, &ReadOptions::default()).unwrap();
    assert_eq!(log.len(), 20_000);
    assert!(attr_bytes(&log) < 4 * csv.len(), "{} bytes of columns for a {} byte file", attr_bytes(&log), csv.len());

    // XES events each with a nested attribute of a new key path.
    let mut xes = String::from("<log xes.version=\"1.0\"><trace><string key=\"concept:name\" value=\"c\"/>");
    for i in 0..(cjm_events::MAX_ATTRIBUTE_KEYS + 5) {
        xes.push_str(&format!("<event><string key=\"concept:name\" value=\"a\"/><date key=\"time:timestamp\" value=\"2026-01-01T00:00:00Z\"/><string key=\"k{i}\" value=\"v\"/></event>"));
    }
    xes.push_str("</trace></log>");
    let path = dir.join("keys.xes");
    std::fs::write(&path, &xes).unwrap();
    for threads in [1, 2] {
        let e = read_path(&path, &ReadOptions { threads, ..ReadOptions::default() }).unwrap_err();
        assert!(e.message.contains("different event attribute names"), "{threads}: {e}");
    }
}

/// An element with tens of thousands of attributes is checked for
/// duplicates in linear time, and a duplicate among them is still found.
#[test]
fn xes_elements_with_many_attributes_are_checked_linearly() {
    let dir = tempdir();
    let many: String = (0..40_000).map(|i| format!(" a{i}=\"&amp;\"")).collect();
    for (name, extra) in [("many.xes", String::new()), ("twice.xes", " a17=\"x\"".to_string())] {
        let xes = format!("<log xes.version=\"1.0\"><trace{many}{extra}><string key=\"concept:name\" value=\"c\"/><event><string key=\"concept:name\" value=\"a\"/></event></trace></log>");
        let path = dir.join(name);
        std::fs::write(&path, xes).unwrap();
        let started = std::time::Instant::now();
        let read = read_path(&path, &ReadOptions::default());
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "{name} took {:?}", started.elapsed());
        match name {
            "many.xes" => assert_eq!(read.map(|log| log.len()).map_err(|e| e.to_string()), Ok(1)),
            _ => assert!(read.unwrap_err().message.contains("`a17` is given twice")),
        }
    }
}

/// A log read from memory is the log read from its file, in every format.
#[test]
fn logs_read_from_bytes_equal_logs_read_from_files() {
    for name in ["logs/receipt.parquet", "logs/receipt.xes.gz", "logs/bpic2016_complaints.csv"] {
        let path = data().join(name);
        let mut opts = ReadOptions { lifecycle: Lifecycle::All, ..ReadOptions::default() };
        if name.ends_with(".csv") {
            opts.columns.case = Some("CustomerID".into());
            opts.columns.time = Some("ContactDate".into());
            opts.columns.activity = Some("ComplaintTopic_EN".into());
            opts.encoding = cjm_events::Encoding::Latin1;
        }
        let from_file = read_path(&path, &opts).unwrap();
        let from_bytes = cjm_events::read_bytes(&std::fs::read(&path).unwrap(), name, &opts).unwrap();
        assert_same_log(&from_file, &from_bytes);
    }
    let e = cjm_events::read_bytes(b"x", "notes.docx", &ReadOptions::default()).unwrap_err();
    assert_eq!(e.kind, cjm_events::ReadErrorKind::UnknownFormat);
    let e = cjm_events::read_bytes(b"PAR1 not really", "x.parquet", &ReadOptions::default()).unwrap_err();
    assert_eq!(e.kind, cjm_events::ReadErrorKind::Contents);
    assert!(e.message.contains("not a readable Parquet file"), "{e}");
}

/// A Parquet footer claiming 2^61 rows is a clear error, not an
/// allocation of its claim (`capacity overflow` before).
#[test]
fn a_parquet_footer_claiming_2_61_rows_is_a_clear_error() {
    use arrow_array::{ArrayRef, RecordBatch, StringArray, TimestampMicrosecondArray};
    use parquet::file::metadata::{ParquetMetaDataReader, ParquetMetaDataWriter};
    use std::sync::Arc;
    let batch = RecordBatch::try_from_iter(vec![
        ("customer_id", Arc::new(StringArray::from(vec!["c1", "c2"])) as ArrayRef),
        ("timestamp", Arc::new(TimestampMicrosecondArray::from(vec![1, 2]).with_timezone("UTC")) as ArrayRef),
        ("touchpoint", Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef),
    ])
    .unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(Vec::new(), batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    let file = w.into_inner().unwrap();
    let n = file.len();
    let footer = u32::from_le_bytes(file[n - 8..n - 4].try_into().unwrap()) as usize;
    let meta = ParquetMetaDataReader::new().parse_and_finish(&bytes::Bytes::from(file.clone())).unwrap();
    let groups =
        meta.row_groups().iter().map(|g| g.clone().into_builder().set_num_rows(1 << 61).build().unwrap()).collect();
    let lying = meta.into_builder().set_row_groups(groups).build();
    let mut damaged = file[..n - 8 - footer].to_vec();
    let mut tail = Vec::new();
    ParquetMetaDataWriter::new(&mut tail, &lying).finish().unwrap();
    damaged.extend(tail);
    assert!(cjm_events::read_bytes(&file, "ok.parquet", &ReadOptions::default()).is_ok());
    let e = cjm_events::read_bytes(&damaged, "lying.parquet", &ReadOptions::default()).unwrap_err();
    assert!(e.message.contains("footer says it holds 2305843009213693952 rows"), "{e}");
}

/// Found by fuzzing: a footer placing a column chunk at a negative offset
/// made arrow-rs panic; it is a clear error now.
#[test]
fn a_parquet_footer_with_a_negative_offset_is_a_clear_error() {
    let bytes = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/parquet-negative-offset.parquet"))
        .unwrap();
    for threads in [1, 2] {
        let e = cjm_events::read_bytes(&bytes, "found.parquet", &ReadOptions { threads, ..ReadOptions::default() })
            .unwrap_err();
        assert!(e.message.contains("damaged"), "{e}");
    }
}

/// A Parquet file whose every row is the same costs a few bytes for
/// millions of rows (run-length pages): past 64 rows a byte it is refused
/// before anything is decoded, and decoded rows count against the
/// inflate limit as a compressed text log's bytes do.
#[test]
fn parquet_rows_are_bounded_by_the_file_size_and_the_inflate_limit() {
    use arrow_array::{ArrayRef, RecordBatch, StringArray, TimestampMicrosecondArray};
    use std::sync::Arc;
    let n = 2_000_000;
    let batch = RecordBatch::try_from_iter(vec![
        ("customer_id", Arc::new(StringArray::from(vec!["c1"; n])) as ArrayRef),
        ("timestamp", Arc::new(TimestampMicrosecondArray::from(vec![1; n]).with_timezone("UTC")) as ArrayRef),
        ("touchpoint", Arc::new(StringArray::from(vec!["a"; n])) as ArrayRef),
    ])
    .unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(Vec::new(), batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    let file = w.into_inner().unwrap();
    assert!(file.len() * 64 < n, "the file takes {} bytes", file.len());
    for threads in [1, 2] {
        let opts = ReadOptions { threads, ..ReadOptions::default() };
        let e = cjm_events::read_bytes(&file, "runs.parquet", &opts).unwrap_err();
        assert_eq!(e.kind, cjm_events::ReadErrorKind::Limit(cjm_events::Limit::Rows), "{e}");
        assert!(e.message.contains("says it holds 2000000 rows in") && e.message.contains("64 rows a byte"), "{e}");
    }
    let receipt = std::fs::read(data().join("logs/receipt.parquet")).unwrap();
    let opts = ReadOptions { max_inflated: Some(200 << 10), ..ReadOptions::default() };
    let e = cjm_events::read_bytes(&receipt, "receipt.parquet", &opts).unwrap_err();
    assert_eq!(e.kind, cjm_events::ReadErrorKind::Limit(cjm_events::Limit::Inflated), "{e}");
    assert!(e.message.contains("8577 rows decode to more than 200 KiB"), "{e}");
    let opts = ReadOptions { max_inflated: Some(300 << 10), ..ReadOptions::default() };
    assert_eq!(cjm_events::read_bytes(&receipt, "receipt.parquet", &opts).unwrap().len(), 8577);
}

/// The bounds are checked against the footer, so pages that hold more
/// rows than the footer says are refused, not read on.
#[test]
fn parquet_pages_holding_more_rows_than_the_footer_says_are_refused() {
    use arrow_array::{ArrayRef, RecordBatch, StringArray, TimestampMicrosecondArray};
    use parquet::file::metadata::{ParquetMetaDataReader, ParquetMetaDataWriter};
    use std::sync::Arc;
    let n = 1000;
    let batch = RecordBatch::try_from_iter(vec![
        ("customer_id", Arc::new(StringArray::from_iter_values((0..n).map(|i| format!("c{i}")))) as ArrayRef),
        ("timestamp", Arc::new(TimestampMicrosecondArray::from_iter_values(0..n).with_timezone("UTC")) as ArrayRef),
        ("touchpoint", Arc::new(StringArray::from(vec!["a"; n as usize])) as ArrayRef),
    ])
    .unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(Vec::new(), batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    let file = w.into_inner().unwrap();
    let len = file.len();
    let footer = u32::from_le_bytes(file[len - 8..len - 4].try_into().unwrap()) as usize;
    let meta = ParquetMetaDataReader::new().parse_and_finish(&bytes::Bytes::from(file.clone())).unwrap();
    let groups = meta.row_groups().iter().map(|g| g.clone().into_builder().set_num_rows(10).build().unwrap()).collect();
    let lying = meta.into_builder().set_row_groups(groups).build();
    let mut damaged = file[..len - 8 - footer].to_vec();
    ParquetMetaDataWriter::new(&mut damaged, &lying).finish().unwrap();
    for threads in [1, 2] {
        let opts = ReadOptions { threads, ..ReadOptions::default() };
        let e = cjm_events::read_bytes(&damaged, "short.parquet", &opts).unwrap_err();
        assert!(e.message.contains("pages hold more rows than the 10 its footer says"), "{e}");
    }
    assert_eq!(cjm_events::read_bytes(&file, "honest.parquet", &ReadOptions::default()).unwrap().len(), 1000);
}

/// Found by fuzzing: footers of 48 to 150 bytes whose Thrift declares
/// lists of billions of booleans, or nested lists and maps that multiply
/// them, kept arrow-rs's field skipping busy for seconds. They are refused
/// before arrow-rs reads them.
#[test]
fn parquet_footers_claiming_huge_lists_are_refused_at_once() {
    for name in [
        "parquet-footer-list-of-booleans.parquet",
        "parquet-footer-slow.parquet",
        "parquet-footer-nested-lists.parquet",
        "parquet-footer-slow-2.parquet",
        "parquet-footer-diverging.parquet",
        "parquet-footer-field-id-overflow.parquet",
    ] {
        let bytes = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz").join(name)).unwrap();
        for threads in [1, 2] {
            let started = std::time::Instant::now();
            let e =
                cjm_events::read_bytes(&bytes, name, &ReadOptions { threads, ..ReadOptions::default() }).unwrap_err();
            // The slow units may be arrow-rs's own error, once it has little to skip.
            let ours = e.message.contains("footer is damaged");
            assert!(ours || name.contains("slow"), "{name}: {e}");
            assert!(started.elapsed() < std::time::Duration::from_secs(1), "{name} took {:?}", started.elapsed());
        }
    }
}

/// Found by fuzzing: a 62-byte file whose footer's schema, as arrow-rs
/// decodes it (by field id, whatever type the bytes declare), has a group
/// claiming hundreds of millions of fields: arrow-rs reserved 3 GB for
/// them. And a schema of groups nested ten thousand deep, which arrow-rs
/// builds recursively. Both are refused before arrow-rs decodes them.
#[test]
fn parquet_schemas_claiming_huge_or_deep_groups_are_refused() {
    let name = "parquet-schema-huge-group.parquet";
    let bytes = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz").join(name)).unwrap();
    let e = cjm_events::read_bytes(&bytes, name, &ReadOptions::default()).unwrap_err();
    assert!(e.message.contains("footer is damaged"), "{e}");

    // FileMetaData { 2: schema = [group a (1 child), group a (1 child), …, leaf] }
    let depth = 10_000u32;
    let mut footer = vec![0x29, 0xfc];
    let mut n = depth + 1;
    while n >= 0x80 {
        footer.push((n as u8) | 0x80);
        n >>= 7;
    }
    footer.push(n as u8);
    for i in 0..=depth {
        footer.extend([0x48, 1, b'a']); // name
        if i < depth {
            footer.extend([0x15, 2]); // num_children: 1
        }
        footer.push(0);
    }
    footer.push(0);
    let mut file = b"PAR1".to_vec();
    file.extend(&footer);
    file.extend((footer.len() as u32).to_le_bytes());
    file.extend(b"PAR1");
    let e = cjm_events::read_bytes(&file, "deep.parquet", &ReadOptions::default()).unwrap_err();
    assert!(e.message.contains("nests deeper than a log's does"), "{e}");
}

/// The page headers of the columns read are walked like the footer: a
/// header whose Thrift declares a list of two billion booleans is refused
/// with the column named, before arrow-rs spends time skipping it.
#[test]
fn parquet_page_headers_claiming_huge_lists_are_refused_at_once() {
    use arrow_array::{ArrayRef, RecordBatch, StringArray, TimestampMicrosecondArray};
    use parquet::file::metadata::ParquetMetaDataReader;
    use std::sync::Arc;
    let batch = RecordBatch::try_from_iter(vec![
        ("customer_id", Arc::new(StringArray::from(vec!["c1", "c2"])) as ArrayRef),
        ("timestamp", Arc::new(TimestampMicrosecondArray::from(vec![1, 2]).with_timezone("UTC")) as ArrayRef),
        ("touchpoint", Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef),
    ])
    .unwrap();
    let props = parquet::file::properties::WriterProperties::builder().set_dictionary_enabled(false).build();
    let mut w = parquet::arrow::ArrowWriter::try_new(Vec::new(), batch.schema(), Some(props)).unwrap();
    w.write(&batch).unwrap();
    let file = w.into_inner().unwrap();
    assert_eq!(cjm_events::read_bytes(&file, "ok.parquet", &ReadOptions::default()).unwrap().len(), 2);
    let meta = ParquetMetaDataReader::new().parse_and_finish(&bytes::Bytes::from(file.clone())).unwrap();
    let at = meta.row_group(0).column(2).data_page_offset() as usize;
    // Field 1 of the touchpoint column's first page header becomes a list
    // of 2^31 - 1 booleans (the bytes after it are the rest of the header).
    let mut damaged = file.clone();
    damaged[at..at + 7].copy_from_slice(&[0x19, 0xf1, 0xff, 0xff, 0xff, 0xff, 0x07]);
    for threads in [1, 2] {
        let started = std::time::Instant::now();
        let e = cjm_events::read_bytes(&damaged, "page.parquet", &ReadOptions { threads, ..ReadOptions::default() })
            .unwrap_err();
        assert!(e.message.contains("column `touchpoint`: the file's page header is damaged"), "{e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "took {:?}", started.elapsed());
    }
}

/// A score enters every mean of its touchpoint: one that is not a finite
/// number is refused where it is read, in every format (a bad row in text
/// logs, the file with its line or row in XES and Parquet), never kept as
/// an infinity that turns means into `null`.
#[test]
fn non_finite_scores_are_refused_in_every_format() {
    let dir = tempdir();
    for (name, line, text) in [
        ("inf.csv", 2, "customer_id,timestamp,touchpoint,score\nA,2024-01-01T00:00:00Z,x,inf\nA,2024-01-01T00:01:00Z,y,4\nB,2024-01-01T00:00:00Z,x,NaN\n"),
        ("inf.jsonl", 1, "{\"customer_id\":\"A\",\"timestamp\":\"2024-01-01T00:00:00Z\",\"touchpoint\":\"x\",\"score\":\"-Infinity\"}\n{\"customer_id\":\"A\",\"timestamp\":\"2024-01-01T00:01:00Z\",\"touchpoint\":\"y\",\"score\":4}\n"),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let log = read_path(&path, &ReadOptions::default()).unwrap();
        assert!(log.score.iter().all(|s| s.is_finite() || s.is_nan()), "{name}");
        assert!(log.stats.bad_rows >= 1, "{name}: {:?}", log.stats);
        assert!(log.stats.problems[0].message.contains("is not a number"), "{name}: {:?}", log.stats.problems);
        assert_eq!(log.stats.problems[0].line, line, "{name}");
    }
    let xml = "<log xes.version=\"1.0\">\n<trace>\n<string key=\"concept:name\" value=\"c1\"/>\n<event>\n<string key=\"concept:name\" value=\"a\"/>\n<float key=\"score\" value=\"INF\"/>\n</event>\n</trace>\n</log>\n";
    let path = dir.join("inf.xes");
    std::fs::write(&path, xml).unwrap();
    let err = read_path(&path, &ReadOptions::default()).unwrap_err();
    assert_eq!(err.line, Some(6), "{err}");
    assert!(err.message.contains("a score must be a finite number"), "{err}");

    use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
    use std::sync::Arc;
    let batch = RecordBatch::try_from_iter(vec![
        ("customer_id", Arc::new(StringArray::from(vec!["c1", "c1", "c2"])) as ArrayRef),
        ("timestamp", Arc::new(StringArray::from(vec!["2024-01-01T00:00:00Z"; 3])) as ArrayRef),
        ("touchpoint", Arc::new(StringArray::from(vec!["a", "b", "c"])) as ArrayRef),
        ("score", Arc::new(Float64Array::from(vec![Some(4.0), None, Some(f64::INFINITY)])) as ArrayRef),
    ])
    .unwrap();
    let path = dir.join("inf.parquet");
    let mut w =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let err = read_path(&path, &ReadOptions::default()).unwrap_err();
    assert!(err.message.contains("row 3 holds the score `inf`"), "{err}");
    assert!(err.message.contains("column `score`"), "{err}");
    std::fs::remove_dir_all(dir).ok();
}

// ---------------------------------------------------------------- previews

/// The cells of `column` in a preview, row by row.
fn preview_column<'a>(p: &'a cjm_events::Preview, column: &str) -> Vec<&'a str> {
    let i =
        p.columns.iter().position(|c| c == column).unwrap_or_else(|| panic!("no column {column} in {:?}", p.columns));
    p.rows.iter().map(|r| r[i].as_str()).collect()
}

/// A preview of each real log shows its first rows as the full read has
/// them (customer and touchpoint of each of the first 25 events, in order)
/// and names the columns the full read took for each role.
#[test]
fn previews_of_the_real_logs_show_their_first_events() {
    for (file, case_col, act_col) in [
        ("logs/sepsis.csv", "Case ID", "Activity"),
        ("logs/receipt.parquet", "case:concept:name", "concept:name"),
        ("logs/receipt.xes.gz", "case:concept:name", "concept:name"),
        ("logs/helpdesk.xes.gz", "case:concept:name", "concept:name"),
    ] {
        let path = data().join(file);
        let log = read_path(&path, &opts_all()).unwrap();
        let p = cjm_events::preview_path(&path, &opts_all(), 25).unwrap();
        assert_eq!(p.rows.len(), 25, "{file}");
        let want_cases: Vec<&str> = (0..25).map(|r| log.cases.get(log.case[r])).collect();
        let want_acts: Vec<&str> = (0..25).map(|r| log.activities.get(log.activity[r])).collect();
        assert_eq!(preview_column(&p, case_col), want_cases, "{file}");
        assert_eq!(preview_column(&p, act_col), want_acts, "{file}");
        assert_eq!(p.case.as_deref(), Some(case_col), "{file}");
        assert_eq!(p.activity.as_deref(), Some(act_col), "{file}");
        if let Some(cols) = &log.columns {
            assert_eq!(p.time.as_deref(), Some(cols.time.as_str()), "{file}");
        }
        assert!(p.rows.iter().all(|r| r.len() == p.columns.len()), "{file}: ragged rows");
        assert!(!p.not_utf8, "{file}");
    }
}

/// BPIC 2016's complaints are Latin-1 and name the touchpoint
/// `ComplaintTopic_EN`: the preview still shows the file, finds the
/// customer and the time on their own, leaves the touchpoint to choose,
/// and says the text is not UTF-8 until Latin-1 is chosen.
#[test]
fn a_preview_finds_each_role_on_its_own_and_notices_the_encoding() {
    let path = data().join("logs/bpic2016_complaints.csv");
    assert!(read_path(&path, &opts_all()).is_err() || read_path(&path, &opts_all()).unwrap().stats.bad_rows > 0);
    let p = cjm_events::preview_path(&path, &opts_all(), 10).unwrap();
    assert_eq!(p.case.as_deref(), Some("CustomerID"));
    assert_eq!(p.time.as_deref(), Some("ContactDate"));
    assert_eq!(p.activity, None);
    // The first byte that is not UTF-8 is past the rows shown, within the prefix read.
    assert!(p.not_utf8);
    assert!(p.columns.iter().any(|c| c == "ComplaintTopic_EN"));
    let latin1 = ReadOptions { encoding: cjm_events::Encoding::Latin1, ..opts_all() };
    let p1 = cjm_events::preview_path(&path, &latin1, 10).unwrap();
    assert!(!p1.not_utf8);
    assert!(p1.rows.iter().flatten().all(|c| !c.contains('\u{fffd}')));
    // A name the caller gives wins over detection; one not there is detection's.
    let named = ReadOptions {
        columns: cjm_events::ColumnMap {
            activity: Some("ComplaintTopic_EN".into()),
            case: Some("nope".into()),
            ..Default::default()
        },
        ..latin1
    };
    let p2 = cjm_events::preview_path(&path, &named, 10).unwrap();
    assert_eq!(p2.activity.as_deref(), Some("ComplaintTopic_EN"));
    assert_eq!(p2.case.as_deref(), Some("CustomerID"));
}

/// Previews are bounded whatever the file: a gzip bomb inflates 1 MiB, a
/// line with no end is cut, a header of 100,000 columns lists 1,000 and
/// counts the rest, JSON Lines take their keys as the reader does (each object's sorted, new
/// ones after), and
/// a file that is not its format is an error naming it.
#[test]
fn previews_are_bounded_and_bad_files_are_errors() {
    use std::io::Write;
    let dir = tempdir();
    let bomb = dir.join("bomb.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(std::fs::File::create(&bomb).unwrap(), flate2::Compression::best());
    gz.write_all(b"case,time,activity\n").unwrap();
    let zeros = vec![b'0'; 1 << 20];
    for _ in 0..64 {
        gz.write_all(&zeros).unwrap();
    }
    gz.finish().unwrap();
    let started = std::time::Instant::now();
    let p = cjm_events::preview_path(&bomb, &opts_all(), 10).unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(p.columns, ["case", "time", "activity"]);
    assert!(p.rows.len() <= 1 && p.rows.iter().flatten().all(|c| c.chars().count() <= 200));

    let wide = dir.join("wide.csv");
    let header: Vec<String> = (0..100_000).map(|i| format!("c{i}")).collect();
    std::fs::write(&wide, format!("{}\n", header.join(","))).unwrap();
    let p = cjm_events::preview_path(&wide, &opts_all(), 10).unwrap();
    assert_eq!((p.columns.len(), p.more_columns), (1_000, 99_000));

    let jsonl = dir.join("e.jsonl");
    std::fs::write(&jsonl, "{\"user\":\"u1\",\"ts\":\"2024-01-01\",\"event\":\"a\"}\nnot json\n{\"user\":\"u2\",\"plan\":{\"tier\":1},\"event\":\"b\"}\n").unwrap();
    let p = cjm_events::preview_path(&jsonl, &opts_all(), 10).unwrap();
    assert_eq!(p.columns, ["event", "ts", "user", "plan"]);
    assert_eq!(p.rows, [vec!["a", "2024-01-01", "u1", ""], vec!["", "", "", ""], vec!["b", "", "u2", "{\"tier\":1}"]]);
    assert_eq!(
        (p.case.as_deref(), p.time.as_deref(), p.activity.as_deref()),
        (Some("user"), Some("ts"), Some("event"))
    );

    let fake = dir.join("fake.parquet");
    std::fs::write(&fake, "case,time,activity\n").unwrap();
    let e = cjm_events::preview_path(&fake, &opts_all(), 10).unwrap_err();
    assert!(e.to_string().contains("fake.parquet") && e.to_string().contains("PAR1"), "{e}");
    let xml = dir.join("bad.xes");
    std::fs::write(&xml, "<log><trace><<<").unwrap();
    let e = cjm_events::preview_path(&xml, &opts_all(), 10).unwrap_err();
    assert!(e.to_string().contains("bad.xes:1"), "{e}");
}

/// A CSV file is read as a stream: a gzip cut short or damaged midway
/// ends the read with an error naming the file (not a loop of bad rows),
/// and a gzipped Latin-1 log read from disk equals the same bytes read
/// from memory.
#[test]
fn csv_streams_end_at_damage_and_equal_the_read_from_memory() {
    use std::io::Write;
    let dir = tempdir();
    let mut csv = b"customer_id;timestamp;touchpoint\n".to_vec();
    for i in 0..50_000u32 {
        csv.extend(format!("c{};2026-01-01T10:{:02}:00Z;caf", i % 997, i % 60).as_bytes());
        csv.extend([0xE9, b'\n']);
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&csv).unwrap();
    let gz = gz.finish().unwrap();
    let whole = dir.join("l.csv.gz");
    std::fs::write(&whole, &gz).unwrap();
    let opts = ReadOptions { encoding: cjm_events::Encoding::Latin1, ..opts_all() };
    let from_file = read_path(&whole, &opts).unwrap();
    assert_eq!((from_file.len(), from_file.stats.bad_rows), (50_000, 0));
    assert_eq!(from_file.activities.get(0), "café");
    assert_same_log(&from_file, &cjm_events::read_bytes(&gz, "l.csv.gz", &opts).unwrap());
    let cut = dir.join("cut.csv.gz");
    std::fs::write(&cut, &gz[..gz.len() / 2]).unwrap();
    let e = read_path(&cut, &opts).unwrap_err();
    assert!(e.to_string().starts_with(&cut.display().to_string()) && e.message.contains("gzip"), "{e}");
    let mut damaged = gz.clone();
    let mid = damaged.len() / 2;
    damaged[mid..mid + 64].fill(0xAB);
    let bad = dir.join("bad.csv.gz");
    std::fs::write(&bad, &damaged).unwrap();
    assert!(read_path(&bad, &opts).is_err());
}
