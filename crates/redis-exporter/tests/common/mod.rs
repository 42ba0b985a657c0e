//! Helpers shared by the integration tests: our exporter on an ephemeral
//! port, scrapes, and a small exposition reader.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use exporter_kit::testing::{TestServer, local_args};
use redis_exporter::{COLLECTORS, SPEC, setup};

/// Our exporter, built from `flags` exactly as the binary parses them.
pub fn exporter(flags: &[&str]) -> TestServer {
    let mut argv = vec!["redis-exporter".to_string()];
    argv.extend(flags.iter().map(|s| s.to_string()));
    let cli = exporter_kit::args::parse_from(&SPEC, COLLECTORS, argv).expect("flags parse");
    TestServer::start(local_args(), move || {
        exporter_kit::build(SPEC, COLLECTORS, &cli, setup).expect("exporter builds")
    })
    .expect("exporter serves")
}

pub fn get(url: &str) -> (u16, String) {
    let resp = testkit::http()
        .get(url)
        .header("X-Prometheus-Scrape-Timeout-Seconds", "10")
        .send()
        .expect("HTTP request");
    let status = resp.status().as_u16();
    (status, resp.text().expect("body"))
}

pub fn scrape(server: &TestServer) -> String {
    let (status, body) = get(&server.url("/metrics"));
    assert_eq!(status, 200, "{body}");
    body
}

/// series (`name{a="b",...}` with labels sorted) -> value
pub type Series = BTreeMap<String, f64>;

pub fn series(text: &str) -> Series {
    let mut out = Series::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let Some((key, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(v) = value.parse::<f64>() else {
            continue;
        };
        out.insert(normalise(key), v);
    }
    out
}

fn normalise(key: &str) -> String {
    let Some((name, rest)) = key.split_once('{') else {
        return key.to_string();
    };
    let body = rest.trim_end_matches('}');
    let mut labels = split_labels(body);
    labels.sort();
    format!("{name}{{{}}}", labels.join(","))
}

fn split_labels(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    let mut escaped = false;
    for c in body.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' => {
                cur.push(c);
                escaped = true;
            }
            '"' => {
                in_quotes = !in_quotes;
                cur.push(c);
            }
            ',' if !in_quotes => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

pub fn value(text: &str, key: &str) -> Option<f64> {
    series(text).get(&normalise(key)).copied()
}

/// `# TYPE` families: name -> (type, label names of its series)
pub fn families(text: &str) -> BTreeMap<String, (String, Vec<String>)> {
    let mut fams: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut it = rest.split_whitespace();
            if let (Some(n), Some(t)) = (it.next(), it.next()) {
                fams.insert(n.to_string(), (t.to_string(), Vec::new()));
            }
        }
    }
    for key in series(text).keys() {
        let (name, labels) = match key.split_once('{') {
            Some((n, l)) => (n, l.trim_end_matches('}')),
            None => (key.as_str(), ""),
        };
        let family = fams
            .keys()
            .filter(|f| name.starts_with(f.as_str()))
            .max_by_key(|f| f.len())
            .cloned();
        if let Some(f) = family {
            let entry = fams.get_mut(&f).unwrap();
            for l in split_labels(labels) {
                if let Some((ln, _)) = l.split_once('=')
                    && ln != "le"
                    && ln != "quantile"
                    && !entry.1.iter().any(|x| x == ln)
                {
                    entry.1.push(ln.to_string());
                }
            }
        }
    }
    fams
}

/// Debian's prometheus-redis-exporter on a free port.
pub struct Upstream {
    pub process: testkit::Process,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Upstream {
    pub fn start(flags: &[&str]) -> Upstream {
        let bin = testkit::require("prometheus-redis-exporter");
        let port = testkit::free_port();
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = std::process::Command::new(bin);
        cmd.arg(format!("-web.listen-address=127.0.0.1:{port}"))
            .args(flags)
            .env_remove("REDIS_ADDR")
            .env_remove("REDIS_PASSWORD");
        let mut process =
            testkit::Process::spawn("prometheus-redis-exporter", cmd, &dir.path().join("log"));
        let url = format!("http://127.0.0.1:{port}/health");
        process.wait_ready(Duration::from_secs(20), || {
            testkit::http()
                .get(&url)
                .send()
                .is_ok_and(|r| r.status().is_success())
        });
        Upstream {
            process,
            port,
            _dir: dir,
        }
    }

    pub fn scrape(&self) -> String {
        let (status, body) = get(&format!("http://127.0.0.1:{}/metrics", self.port));
        assert_eq!(status, 200);
        body
    }
}
