//! The textfile collector: upstream's semantics for *.prom files, and no
//! file (a FIFO without a writer, a parse error) can hang or fail the scrape.

use std::path::Path;
use std::time::{Duration, Instant};

use exporter_kit::testing::{collect_one, to_text};
use node_exporter::SPEC;
use node_exporter::collectors::COLLECTORS;

async fn run(dirs: &[&Path]) -> String {
    let mut argv = vec!["node-exporter".to_string()];
    argv.extend(
        dirs.iter()
            .map(|d| format!("--collector.textfile.directory={}", d.display())),
    );
    let cli = exporter_kit::args::parse_from(&SPEC, COLLECTORS, argv).expect("flags parse");
    let reg = COLLECTORS
        .iter()
        .find(|r| r.name == "textfile")
        .expect("registered");
    let collector = reg
        .build(&cli.args, &exporter_kit::BuildContext::new())
        .expect("builds");
    let (result, families) = collect_one(&collector, Duration::from_secs(5)).await;
    assert!(
        result.is_ok(),
        "textfile errors are reported by scrape_error, not collector failure"
    );
    to_text(&families)
}

fn has(text: &str, line: &str) -> bool {
    text.lines().any(|l| l == line)
}

#[tokio::test]
async fn reads_prom_files_rejects_bad_ones_and_conflicts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/textfile");
    let t = run(&[&dir]).await;
    // label sets are merged: a missing label is "" (upstream fills them in)
    assert!(has(&t, r#"app_jobs_total{prio="",queue="a"} 5"#), "{t}");
    assert!(has(&t, r#"app_jobs_total{prio="high",queue="b"} 7"#), "{t}");
    assert!(has(&t, "# TYPE app_jobs_total counter"));
    assert!(has(&t, "# HELP app_jobs_total Jobs run."));
    // histograms keep their type and buckets
    assert!(has(&t, "# TYPE app_latency_seconds histogram"), "{t}");
    assert!(has(&t, r#"app_latency_seconds_bucket{le="1"} 3"#), "{t}");
    assert!(has(&t, "app_latency_seconds_count 4"));
    // no HELP: upstream's "Metric read from <file>"
    let good = dir.join("good.prom");
    assert!(
        has(
            &t,
            &format!("# HELP untyped_thing Metric read from {}", good.display())
        ),
        "{t}"
    );
    // a file with timestamps and an unparsable file are skipped whole
    assert!(!t.contains("ts_metric") && !t.contains("not valid"));
    // a family whose help differs from the first file's is dropped; the rest of that file is kept
    assert!(!t.contains(r#"queue="c""#));
    assert!(has(&t, "second_file_metric 3"));
    assert!(has(&t, "node_textfile_scrape_error 1"));
    // mtime for each file read successfully, labelled with its full path
    assert!(t.contains(&format!(
        "node_textfile_mtime_seconds{{file=\"{}\"}}",
        good.display()
    )));
    assert!(t.contains("z_conflict.prom\"}"));
    assert!(!t.contains("broken.prom\"}") && !t.contains("timestamps.prom\"}"));
    assert!(!t.contains("ignored"));
}

#[tokio::test]
async fn a_fifo_without_writer_does_not_hang_the_scrape() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("ok.prom"), "ok_metric 1\n").expect("write");
    let fifo = dir.path().join("stuck.prom");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    let started = Instant::now();
    let t = run(&[dir.path()]).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert!(has(&t, "ok_metric 1"), "{t}");
    assert!(has(&t, "node_textfile_scrape_error 1"), "{t}");
}

#[tokio::test]
async fn clean_directory_missing_directory_and_no_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a.prom"), "# TYPE a gauge\na 1\n").expect("write");
    let t = run(&[dir.path()]).await;
    assert!(
        has(&t, "a 1") && has(&t, "node_textfile_scrape_error 0"),
        "{t}"
    );

    let t = run(&[&dir.path().join("missing")]).await;
    assert!(has(&t, "node_textfile_scrape_error 1"), "{t}");

    let t = run(&[]).await;
    assert!(has(&t, "node_textfile_scrape_error 0"), "{t}");
    assert!(!t.contains("node_textfile_mtime_seconds{"));
}

#[test]
fn parser_rejects_what_upstream_rejects() {
    use node_exporter::parse::textfile::parse;
    assert!(
        parse("# TYPE x gauge\n# TYPE x counter\nx 1\n").is_err(),
        "second TYPE"
    );
    assert!(
        parse("x 1\n# TYPE x gauge\n").is_err(),
        "TYPE after samples"
    );
    assert!(parse("x{a=\"1\",a=\"2\"} 1\n").is_err(), "duplicate label");
    assert!(parse("x{a=1} 1\n").is_err(), "unquoted label value");
    assert!(parse("x 1 2 3\n").is_err(), "trailing text");
    assert!(
        parse("# TYPE h histogram\nh_bucket 1\n").is_err(),
        "bucket without le"
    );
    let fams = parse("# HELP x a\\nb\nx{l=\"q\\\"uote\"} +Inf\n# a comment\n").expect("valid");
    assert_eq!(fams[0].help.as_deref(), Some("a\nb"));
    assert_eq!(fams[0].samples[0].labels[0].1, "q\"uote");
    assert!(fams[0].samples[0].value.is_infinite());
}
