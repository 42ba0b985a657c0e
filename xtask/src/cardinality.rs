//! `cargo xtask cardinality [--prometheus URL]`: where a Prometheus' series
//! go. Series per job, per metric name and per label (from the TSDB status
//! API and series queries), the top offenders, and the series that nothing
//! in this repository reads: no dashboard panel, recording rule or alert
//! (the PromQL of grafana/ and prometheus/, parsed). `--drop-unused` prints
//! the `metric_relabel_configs` that would drop those, per job.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::{Context, bail};
use serde_json::Value;

use crate::lint::usage::Used;

#[derive(clap::Args)]
pub struct Args {
    /// The Prometheus to read (default: the one `cargo xtask up` runs).
    #[arg(long, value_name = "URL")]
    pub prometheus: Option<String>,
    /// How many offenders to list per table.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Print, per job, the metric_relabel_configs dropping the metrics
    /// nothing in the repository reads (your own dashboards may: check).
    #[arg(long)]
    pub drop_unused: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Metrics Prometheus writes itself for each target or rule: never
/// dropped by relabelling (they are not scraped).
const SYNTHETIC: &[&str] = &[
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
    "scrape_sample_limit",
    "scrape_timeout_seconds",
    "scrape_body_size_bytes",
    "ALERTS",
    "ALERTS_FOR_STATE",
];

/// The series of one job, by metric name.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Report {
    pub head_series: u64,
    /// job -> metric -> series.
    pub series: BTreeMap<String, BTreeMap<String, u64>>,
    /// label -> distinct values (TSDB status, all series).
    pub label_values: Vec<(String, u64)>,
    /// label=value pairs with the most series (TSDB status).
    pub label_pairs: Vec<(String, u64)>,
}

impl Report {
    pub fn total(&self) -> u64 {
        self.series.values().flat_map(|m| m.values()).sum()
    }

    pub fn per_job(&self) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = self
            .series
            .iter()
            .map(|(j, m)| (j.clone(), m.values().sum()))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }

    pub fn per_metric(&self) -> Vec<(String, String, u64)> {
        let mut v: Vec<(String, String, u64)> = self
            .series
            .iter()
            .flat_map(|(j, m)| m.iter().map(move |(n, c)| (j.clone(), n.clone(), *c)))
            .collect();
        v.sort_by(|a, b| b.2.cmp(&a.2).then(a.1.cmp(&b.1)));
        v
    }

    /// Per job, the scraped metrics nothing in `used` reads, and their
    /// series (recording rules' outputs and Prometheus' own per-target
    /// series are never unused).
    pub fn unused(&self, used: &Used) -> BTreeMap<String, Vec<(String, u64)>> {
        let mut out = BTreeMap::new();
        for (job, metrics) in &self.series {
            if job.is_empty() {
                // Recording rules' outputs and ALERTS: no scrape job.
                continue;
            }
            let unused: Vec<(String, u64)> = metrics
                .iter()
                .filter(|(name, _)| !SYNTHETIC.contains(&name.as_str()) && !used.reads(name))
                .map(|(n, c)| (n.clone(), *c))
                .collect();
            if !unused.is_empty() {
                out.insert(job.clone(), unused);
            }
        }
        out
    }
}

/// The `metric_relabel_configs` that drop `names` (one anchored regex
/// alternation; Prometheus anchors it).
pub fn drop_rule(names: &[String]) -> String {
    let mut sorted = names.to_vec();
    sorted.sort();
    let mut out = String::from(
        "metric_relabel_configs:\n  - source_labels: [__name__]\n    action: drop\n    regex: >-\n",
    );
    let alternation = sorted.join("|");
    let _ = writeln!(out, "      {alternation}");
    out
}

fn get(
    client: &reqwest::blocking::Client,
    url: &str,
    query: &[(&str, &str)],
) -> anyhow::Result<Value> {
    let body: Value = client
        .get(url)
        .query(query)
        .send()
        .with_context(|| format!("GET {url}"))?
        .json()
        .with_context(|| format!("GET {url}: not JSON"))?;
    if body["status"] != "success" {
        bail!("GET {url}: {}", body["error"].as_str().unwrap_or("failed"));
    }
    Ok(body["data"].clone())
}

fn pairs(v: &Value) -> Vec<(String, u64)> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| Some((e["name"].as_str()?.to_string(), e["value"].as_u64()?)))
        .collect()
}

/// Reads the report from the Prometheus at `base`.
pub fn collect(base: &str) -> anyhow::Result<Report> {
    let client = testkit::http();
    let base = base.trim_end_matches('/');
    let status = get(&client, &format!("{base}/api/v1/status/tsdb"), &[])?;
    let mut report = Report {
        head_series: status["headStats"]["numSeries"].as_u64().unwrap_or(0),
        label_values: pairs(&status["labelValueCountByLabelName"]),
        label_pairs: pairs(&status["seriesCountByLabelValuePair"]),
        ..Report::default()
    };
    let counts = get(
        &client,
        &format!("{base}/api/v1/query"),
        &[("query", r#"count by (job, __name__) ({__name__=~".+"})"#)],
    )?;
    for r in counts["result"].as_array().into_iter().flatten() {
        let job = r["metric"]["job"].as_str().unwrap_or_default().to_string();
        let name = r["metric"]["__name__"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let n: u64 = r["value"][1]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        report.series.entry(job).or_default().insert(name, n);
    }
    Ok(report)
}

/// The URL of `--prometheus`, or of the stack `cargo xtask up` runs.
fn prometheus_url(given: Option<String>) -> anyhow::Result<String> {
    if let Some(url) = given {
        return Ok(url);
    }
    let state = crate::up::read_state(&crate::up::default_run_dir(None))
        .context("no --prometheus URL and no `cargo xtask up` stack")?;
    state["urls"]["prometheus"]
        .as_str()
        .map(str::to_string)
        .context("state.json names no prometheus")
}

pub fn render(report: &Report, used: &Used, top: usize, drop_unused: bool) -> String {
    let mut out = String::new();
    let total = report.total();
    let unused = report.unused(used);
    let unused_total: u64 = unused.values().flatten().map(|(_, c)| c).sum();
    let _ = writeln!(
        out,
        "{total} series now ({} in the head block, stale ones included); {unused_total} of them ({:.0}%) in metrics nothing in this repository reads",
        report.head_series,
        100.0 * unused_total as f64 / total.max(1) as f64
    );
    let _ = writeln!(out, "\nseries per job:");
    for (job, n) in report.per_job() {
        let u: u64 = unused.get(&job).into_iter().flatten().map(|(_, c)| c).sum();
        let job = if job.is_empty() {
            "(rules, ALERTS)"
        } else {
            &job
        };
        let _ = writeln!(out, "  {n:>7}  {job:<24} unused {u}");
    }
    let _ = writeln!(out, "\ntop {top} metrics (job, series):");
    for (job, name, n) in report.per_metric().into_iter().take(top) {
        let mark = if !job.is_empty() && !SYNTHETIC.contains(&name.as_str()) && !used.reads(&name) {
            "  (unused)"
        } else {
            ""
        };
        let _ = writeln!(out, "  {n:>7}  {name} [{job}]{mark}");
    }
    let _ = writeln!(out, "\ntop {top} labels by distinct values:");
    for (label, n) in report.label_values.iter().take(top) {
        let _ = writeln!(out, "  {n:>7}  {label}");
    }
    let _ = writeln!(out, "\ntop {top} label pairs by series:");
    for (pair, n) in report.label_pairs.iter().take(top) {
        let _ = writeln!(out, "  {n:>7}  {pair}");
    }
    if drop_unused {
        let _ = writeln!(
            out,
            "\n# metric_relabel_configs dropping what no panel, recording rule or alert of this\n# repository reads, per job ({unused_total} series). Keep what your own dashboards use."
        );
        for (job, metrics) in &unused {
            let names: Vec<String> = metrics.iter().map(|(n, _)| n.clone()).collect();
            let series: u64 = metrics.iter().map(|(_, c)| c).sum();
            let _ = writeln!(
                out,
                "\n# job {job}: {} metrics, {series} series",
                names.len()
            );
            out.push_str(&drop_rule(&names));
        }
    }
    out
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let url = prometheus_url(args.prometheus)?;
    let used = Used::of_repository(&crate::ci::workspace_root())?;
    let report = collect(&url)?;
    if args.json {
        let unused = report.unused(&used);
        let json = serde_json::json!({
            "prometheus": url,
            "total": report.total(),
            "head_series": report.head_series,
            "per_job": report.per_job(),
            "top_metrics": report.per_metric().into_iter().take(args.top).collect::<Vec<_>>(),
            "label_values": report.label_values,
            "label_pairs": report.label_pairs,
            "unused": unused,
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    print!("{}", render(&report, &used, args.top, args.drop_unused));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        let mut r = Report::default();
        let mut node = BTreeMap::new();
        node.insert("node_cpu_seconds_total".to_string(), 16);
        node.insert("node_cpu_guest_seconds_total".to_string(), 4);
        node.insert("up".to_string(), 1);
        r.series.insert("node".to_string(), node);
        let mut rules = BTreeMap::new();
        rules.insert("instance:cpu_usage:avg".to_string(), 1);
        r.series.insert(String::new(), rules);
        r
    }

    #[test]
    fn unused_series_are_the_scraped_metrics_no_query_reads() {
        let mut used = Used::default();
        used.add_expr(r#"rate(node_cpu_seconds_total{mode="idle"}[5m])"#);
        let unused = report().unused(&used);
        assert_eq!(
            unused,
            BTreeMap::from([(
                "node".to_string(),
                vec![("node_cpu_guest_seconds_total".to_string(), 4)]
            )])
        );
        let text = render(&report(), &used, 5, true);
        assert!(text.starts_with("22 series now"), "{text}");
        assert!(text.contains("4 of them (18%)"), "{text}");
        assert!(
            text.contains("node_cpu_guest_seconds_total [node]  (unused)"),
            "{text}"
        );
        assert!(
            text.contains("regex: >-\n      node_cpu_guest_seconds_total\n"),
            "{text}"
        );
    }

    #[test]
    fn the_drop_rule_is_one_anchored_alternation() {
        let rule = drop_rule(&["b_total".to_string(), "a".to_string()]);
        let parsed: serde_norway::Value = serde_norway::from_str(&rule).unwrap_or_default();
        let relabel = &parsed["metric_relabel_configs"][0];
        assert_eq!(relabel["action"].as_str(), Some("drop"));
        assert_eq!(relabel["regex"].as_str(), Some("a|b_total"));
        assert_eq!(relabel["source_labels"][0].as_str(), Some("__name__"));
    }
}
