//! Shared helpers: start the exporter in-process on an ephemeral port and
//! read series out of its exposition.

#![allow(dead_code)]

use std::collections::BTreeMap;

use container_exporter::{COLLECTORS, SPEC, setup};
use exporter_kit::testing::{TestServer, local_args};

pub fn start(flags: &[&str]) -> TestServer {
    let mut argv = vec!["container-exporter".to_string()];
    argv.extend(flags.iter().map(|s| s.to_string()));
    let cli = exporter_kit::args::parse_from(&SPEC, COLLECTORS, argv).expect("flags parse");
    TestServer::start(local_args(), move || {
        exporter_kit::build(SPEC, COLLECTORS, &cli, setup).expect("exporter builds")
    })
    .expect("server starts")
}

pub fn scrape(server: &TestServer) -> String {
    let resp = testkit::http()
        .get(server.url("/metrics"))
        .send()
        .expect("scrape answers");
    assert!(
        resp.status().is_success(),
        "scrape status {}",
        resp.status()
    );
    resp.text().expect("scrape body")
}

/// One series: name, labels, value.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

pub fn parse(text: &str) -> Vec<Series> {
    let mut out = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (head, value) = match line.rsplit_once(' ') {
            Some(x) => x,
            None => continue,
        };
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().unwrap_or(f64::NAN),
        };
        let (name, labels) = match head.split_once('{') {
            Some((n, rest)) => (n, rest.trim_end_matches('}')),
            None => (head, ""),
        };
        let mut map = BTreeMap::new();
        let mut rest = labels;
        while let Some((k, v)) = rest.split_once("=\"") {
            let end = v.find("\"").unwrap_or(v.len());
            map.insert(k.trim_start_matches(',').to_string(), v[..end].to_string());
            rest = &v[(end + 1).min(v.len())..];
        }
        out.push(Series {
            name: name.to_string(),
            labels: map,
            value,
        });
    }
    out
}

/// Series of `name` whose labels include all of `want`.
pub fn find<'a>(all: &'a [Series], name: &str, want: &[(&str, &str)]) -> Vec<&'a Series> {
    all.iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            want.iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .collect()
}

pub fn value(all: &[Series], name: &str, want: &[(&str, &str)]) -> Option<f64> {
    let found = find(all, name, want);
    if found.is_empty() {
        None
    } else {
        Some(found.iter().map(|s| s.value).sum())
    }
}
