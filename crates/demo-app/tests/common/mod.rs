//! Shared helpers: start the app on a loopback port, read its metrics.

#![allow(dead_code)]

use std::collections::BTreeMap;

use demo_app::{COLLECTORS, SPEC, setup};
use exporter_kit::testing::{TestServer, local_args};

/// The app as `demo-app FLAGS...` would build it, on an ephemeral port.
pub fn start(flags: &[&str]) -> TestServer {
    let mut argv = vec!["demo-app"];
    argv.extend_from_slice(flags);
    let cli = match exporter_kit::args::parse_from(&SPEC, COLLECTORS, argv) {
        Ok(cli) => cli,
        Err(err) => panic!("flags {flags:?}: {err}"),
    };
    TestServer::start(local_args(), move || {
        match exporter_kit::build(SPEC, COLLECTORS, &cli, setup) {
            Ok(exporter) => exporter,
            Err(err) => panic!("building the app: {err}"),
        }
    })
    .unwrap_or_else(|e| panic!("starting the app: {e}"))
}

/// One sample of a text exposition.
#[derive(Debug, Clone)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// Parses the 0.0.4 text format (enough for our own expositions: label
/// values may hold braces, escaped quotes and backslashes).
pub fn parse(text: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name_end, mut labels) = match line.find(['{', ' ']) {
            Some(i) => (i, BTreeMap::new()),
            None => continue,
        };
        let name = line[..name_end].to_string();
        let mut rest = &line[name_end..];
        if let Some(inner) = rest.strip_prefix('{') {
            let mut chars = inner.char_indices().peekable();
            let mut consumed = inner.len();
            loop {
                // key
                let mut key = String::new();
                let mut closed = false;
                for (i, c) in chars.by_ref() {
                    if c == '}' {
                        consumed = i + 1;
                        closed = true;
                        break;
                    }
                    if c == '=' {
                        break;
                    }
                    if c != ',' {
                        key.push(c);
                    }
                }
                if closed {
                    break;
                }
                chars.next(); // opening quote
                let mut value = String::new();
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => match chars.next() {
                            Some((_, 'n')) => value.push('\n'),
                            Some((_, other)) => value.push(other),
                            None => {}
                        },
                        '"' => break,
                        other => value.push(other),
                    }
                }
                labels.insert(key, value);
            }
            rest = &inner[consumed..];
        }
        let value = rest.split_whitespace().next().unwrap_or("NaN");
        let value = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or(f64::NAN),
        };
        out.push(Sample {
            name,
            labels,
            value,
        });
    }
    out
}

pub fn scrape(server: &TestServer) -> Vec<Sample> {
    let text = testkit::http()
        .get(server.url("/metrics"))
        .send()
        .and_then(|r| r.text())
        .unwrap_or_else(|e| panic!("scraping: {e}"));
    parse(&text)
}

/// The value of the sample `name` whose labels include all of `labels`
/// (summed if several match; 0 if none).
pub fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .sum()
}
