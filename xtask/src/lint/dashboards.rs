//! `cargo xtask lint-dashboards`: every panel query of grafana/dashboards
//! parses as PromQL, uses metrics and labels some exporter has, panels set
//! a unit, and every datasource uid is one the provisioning defines.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde_json::Value;

use super::{Catalog, Found, Problem, check_expr};

#[derive(clap::Args)]
pub struct Args {
    /// Dashboard files (default: grafana/dashboards/*.json).
    pub files: Vec<PathBuf>,
    /// A directory of more catalogs (`*.tsv`, `*.md` tables of metric
    /// names) besides the repository's catalog/.
    #[arg(long, value_name = "DIR")]
    pub reference: Option<PathBuf>,
    /// Instead of the static checks, evaluate every panel query against
    /// the Prometheus at this URL and list the panels that return no data.
    #[arg(long, value_name = "URL")]
    pub live: Option<String>,
}

pub struct DashContext {
    pub catalog: Catalog,
    pub min_range: Duration,
    /// Datasource uids defined in grafana/provisioning/datasources.
    pub uids: BTreeSet<String>,
}

/// Grafana's variables, replaced by values that keep the query valid
/// PromQL: intervals by `5m`, anything else by `x` (they appear inside
/// label matcher strings).
pub fn substitute_variables(expr: &str) -> String {
    let mut out = String::with_capacity(expr.len());
    let mut chars = expr.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let mut name = String::new();
        if chars.peek() == Some(&'{') {
            chars.next();
            for c in chars.by_ref() {
                if c == '}' {
                    break;
                }
                name.push(c);
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_ascii_alphanumeric() || c == '_' {
                    name.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
        }
        let name = name.split(':').next().unwrap_or("");
        out.push_str(match name {
            "__rate_interval" | "__interval" | "__range" => "5m",
            "__range_s" | "__interval_ms" | "__range_ms" => "300",
            "" => "$",
            _ => "x",
        });
    }
    out
}

/// Datasource uids of provisioning files (`datasources: - uid: ...`).
pub fn provisioned_uids(dir: &Path) -> anyhow::Result<BTreeSet<String>> {
    let mut uids = BTreeSet::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if !path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path)?;
        let v: serde_norway::Value =
            serde_norway::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        for ds in v["datasources"].as_sequence().into_iter().flatten() {
            if let Some(uid) = ds["uid"].as_str() {
                uids.insert(uid.to_string());
            }
        }
    }
    Ok(uids)
}

fn line_of(text: &str, key: &str, value: &str) -> usize {
    let needle = format!(
        "\"{key}\": {}",
        serde_json::to_string(value).unwrap_or_default()
    );
    text.find(&needle)
        .map_or(1, |i| text[..i].matches('\n').count() + 1)
}

/// All checks of one dashboard's JSON text.
pub fn lint_text(file: &str, text: &str, ctx: &DashContext) -> Vec<Problem> {
    let mut problems = Vec::new();
    let dash: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            problems.push(Problem {
                file: file.to_string(),
                line: e.line(),
                rule: "-".to_string(),
                message: format!("not JSON: {e}"),
            });
            return problems;
        }
    };
    let mut push = |line: usize, rule: &str, message: String| {
        problems.push(Problem {
            file: file.to_string(),
            line,
            rule: rule.to_string(),
            message,
        })
    };
    let check_ds = |ds: &Value| -> Option<String> {
        match ds {
            Value::Null => None,
            Value::Object(o) => match o.get("uid").and_then(Value::as_str) {
                Some(uid) if ctx.uids.contains(uid) => None,
                Some(uid) => Some(format!(
                    "datasource uid {uid:?} is not provisioned (known: {})",
                    ctx.uids.iter().cloned().collect::<Vec<_>>().join(", ")
                )),
                None => Some("datasource has no uid".to_string()),
            },
            other => Some(format!(
                "datasource {other} is named, not referred to by uid"
            )),
        }
    };
    // Panels, rows' nested panels included.
    let mut panels: Vec<&Value> = Vec::new();
    for p in dash["panels"].as_array().into_iter().flatten() {
        panels.push(p);
        panels.extend(p["panels"].as_array().into_iter().flatten());
    }
    for panel in panels {
        let title = panel["title"].as_str().unwrap_or("(untitled)");
        let kind = panel["type"].as_str().unwrap_or("");
        let line = line_of(text, "title", title);
        if kind == "row" {
            continue;
        }
        if let Some(p) = check_ds(&panel["datasource"]) {
            push(line, title, p);
        }
        if matches!(kind, "timeseries" | "stat" | "gauge" | "bargauge")
            && panel["fieldConfig"]["defaults"]["unit"]
                .as_str()
                .is_none_or(str::is_empty)
        {
            push(line, title, "panel sets no unit".to_string());
        }
        let targets = panel["targets"].as_array().cloned().unwrap_or_default();
        if targets.is_empty() {
            push(line, title, "panel has no query".to_string());
        }
        for t in &targets {
            let expr = t["expr"].as_str().unwrap_or("");
            let line = line_of(text, "expr", expr);
            if let Some(p) = check_ds(&t["datasource"]) {
                push(line, title, p);
            }
            if expr.trim().is_empty() {
                push(line, title, "query has no expr".to_string());
                continue;
            }
            for p in check_expr(&substitute_variables(expr), &ctx.catalog, ctx.min_range) {
                push(line, title, p);
            }
        }
    }
    for var in dash["templating"]["list"].as_array().into_iter().flatten() {
        let name = format!("${}", var["name"].as_str().unwrap_or("?"));
        if var["type"].as_str() != Some("query") {
            continue;
        }
        let query = var["query"]["query"]
            .as_str()
            .or_else(|| var["query"].as_str())
            .unwrap_or("");
        let line = line_of(text, "name", var["name"].as_str().unwrap_or(""));
        if let Some(p) = check_ds(&var["datasource"]) {
            push(line, &name, p);
        }
        let query = substitute_variables(query);
        if let Some(args) = query
            .strip_prefix("label_values(")
            .and_then(|r| r.strip_suffix(')'))
        {
            let (selector, label) = match args.rsplit_once(',') {
                Some((s, l)) => (s.trim(), l.trim()),
                None => ("", args.trim()),
            };
            if selector.is_empty() {
                continue;
            }
            for p in check_expr(selector, &ctx.catalog, ctx.min_range) {
                push(line, &name, p);
            }
            let metric = selector.split('{').next().unwrap_or("").trim();
            if let Found::Family(f, extra) = ctx.catalog.find(metric)
                && let Some(labels) = &f.labels
                && !labels.contains(label)
                && !ctx.catalog.target_labels.contains(label)
                && extra != Some(label)
            {
                push(line, &name, format!("{metric} has no label {label:?}"));
            }
        } else if let Some(expr) = query
            .strip_prefix("query_result(")
            .and_then(|r| r.strip_suffix(')'))
        {
            for p in check_expr(expr, &ctx.catalog, ctx.min_range) {
                push(line, &name, p);
            }
        }
    }
    problems
}

/// Lints the named dashboards (or all of grafana/dashboards).
pub fn lint(args: &Args) -> anyhow::Result<(Vec<Problem>, usize)> {
    let repo = super::repo_root();
    let files = dashboard_files(args)?;
    let mut rule_texts = Vec::new();
    for entry in std::fs::read_dir(repo.join("prometheus/rules"))? {
        let p = entry?.path();
        if p.extension().is_some_and(|e| e == "yml") {
            rule_texts.push(std::fs::read_to_string(p)?);
        }
    }
    let rules_ctx = super::rules::context(
        &repo,
        Path::new("prometheus/prometheus.yml"),
        args.reference.as_deref(),
        Path::new("docs/runbooks.md"),
        &rule_texts,
    )?;
    let ctx = DashContext {
        catalog: rules_ctx.catalog,
        min_range: rules_ctx.min_range,
        uids: provisioned_uids(&repo.join("grafana/provisioning/datasources"))?,
    };
    let mut problems = Vec::new();
    for f in &files {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        let shown = f.strip_prefix(&repo).unwrap_or(f).display().to_string();
        problems.extend(lint_text(&shown, &text, &ctx));
    }
    Ok((problems, files.len()))
}

/// A dashboard variable inside a label matcher (`job=~"$job"`,
/// `instance="${instance}"`) becomes `=~".+"` (every value, as Grafana's
/// "All"); other variables as in [`substitute_variables`].
pub fn live_query(expr: &str) -> String {
    let mut out = String::with_capacity(expr.len());
    let mut rest = expr;
    while let Some(pos) = rest.find("\"$") {
        let (before, after) = rest.split_at(pos);
        let Some(end) = after[1..].find('"') else {
            break;
        };
        let value = &after[1..=end];
        let is_var = value[1..]
            .trim_start_matches('{')
            .trim_end_matches('}')
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
        let op = if before.ends_with("!~") || before.ends_with("!=") {
            0
        } else if before.ends_with("=~") {
            2
        } else if before.ends_with('=') {
            1
        } else {
            0
        };
        if is_var && op > 0 {
            out.push_str(&before[..before.len() - op]);
            out.push_str("=~\".+\"");
        } else {
            out.push_str(before);
            out.push_str(&after[..end + 2]);
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    substitute_variables(&out)
}

/// A panel whose queries all return nothing (or fail) on a live Prometheus.
pub struct EmptyPanel {
    pub file: String,
    pub title: String,
    pub detail: String,
}

/// Evaluates every panel query of `files` at `url`; returns the panels
/// without data and the number of panels checked.
pub fn live(url: &str, files: &[PathBuf]) -> anyhow::Result<(Vec<EmptyPanel>, usize)> {
    let client = testkit::http();
    let mut empty = Vec::new();
    let mut checked = 0;
    for f in files {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        let dash: Value = serde_json::from_str(&text)?;
        let file = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut panels: Vec<&Value> = Vec::new();
        for p in dash["panels"].as_array().into_iter().flatten() {
            panels.push(p);
            panels.extend(p["panels"].as_array().into_iter().flatten());
        }
        for panel in panels {
            let targets = panel["targets"].as_array().cloned().unwrap_or_default();
            if panel["type"] == "row" || targets.is_empty() {
                continue;
            }
            checked += 1;
            let mut details = Vec::new();
            let mut has_data = false;
            for t in &targets {
                let Some(expr) = t["expr"].as_str() else {
                    continue;
                };
                let query = live_query(expr);
                let response: Value = client
                    .get(format!("{url}/api/v1/query"))
                    .query(&[("query", query.as_str())])
                    .send()
                    .and_then(|r| r.json())
                    .with_context(|| format!("querying {url}"))?;
                if response["status"] != "success" {
                    details.push(format!(
                        "{query}: {}",
                        response["error"].as_str().unwrap_or("error")
                    ));
                } else if response["data"]["result"]
                    .as_array()
                    .is_some_and(|r| !r.is_empty())
                {
                    has_data = true;
                } else {
                    details.push(format!("{query}: no data"));
                }
            }
            if !has_data {
                empty.push(EmptyPanel {
                    file: file.clone(),
                    title: panel["title"].as_str().unwrap_or("(untitled)").to_string(),
                    detail: details.join("; "),
                });
            }
        }
    }
    Ok((empty, checked))
}

fn dashboard_files(args: &Args) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = args.files.clone();
    if files.is_empty() {
        for entry in std::fs::read_dir(super::repo_root().join("grafana/dashboards"))? {
            let p = entry?.path();
            if p.extension().is_some_and(|e| e == "json") {
                files.push(p);
            }
        }
        files.sort();
    }
    Ok(files)
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if let Some(url) = &args.live {
        let (empty, checked) = live(url.trim_end_matches('/'), &dashboard_files(&args)?)?;
        for p in &empty {
            println!("{}: {}: no data ({})", p.file, p.title, p.detail);
        }
        if !empty.is_empty() {
            bail!("{} of {checked} panel(s) return no data", empty.len());
        }
        println!("all {checked} panel(s) return data");
        return Ok(());
    }
    let (problems, files) = lint(&args)?;
    for p in &problems {
        println!("{p}");
    }
    if !problems.is_empty() {
        bail!("{} problem(s) in {files} dashboard(s)", problems.len());
    }
    println!("{files} dashboard(s) clean");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> DashContext {
        let mut catalog = super::super::test_catalog();
        catalog
            .recorded
            .insert("instance:cpu_usage:avg".to_string());
        DashContext {
            catalog,
            min_range: Duration::from_secs(60),
            uids: BTreeSet::from(["prometheus".to_string()]),
        }
    }

    const GOOD: &str = r#"{
  "title": "Node",
  "templating": {"list": [
    {"name": "job", "type": "query", "datasource": {"type": "prometheus", "uid": "prometheus"},
     "query": {"query": "label_values(node_cpu_seconds_total, job)"}},
    {"name": "cpu", "type": "query", "datasource": {"type": "prometheus", "uid": "prometheus"},
     "query": {"query": "label_values(node_cpu_seconds_total{job=~\"$job\"}, cpu)"}}
  ]},
  "panels": [
    {"type": "row", "title": "CPU", "panels": []},
    {"type": "timeseries", "title": "CPU usage",
     "datasource": {"type": "prometheus", "uid": "prometheus"},
     "fieldConfig": {"defaults": {"unit": "percentunit"}},
     "targets": [
       {"datasource": {"type": "prometheus", "uid": "prometheus"}, "refId": "A",
        "expr": "sum by (mode) (rate(node_cpu_seconds_total{job=~\"$job\"}[$__rate_interval]))"}
     ]}
  ]
}"#;

    fn problems(text: &str) -> Vec<String> {
        lint_text("d.json", text, &ctx())
            .into_iter()
            .map(|p| p.to_string())
            .collect()
    }

    fn bad(from: &str, to: &str) -> String {
        assert!(GOOD.contains(from), "{from}");
        let p = problems(&GOOD.replacen(from, to, 1));
        assert_eq!(p.len(), 1, "{from} -> {to}: {p:?}");
        p[0].clone()
    }

    #[test]
    fn a_good_dashboard_is_clean() {
        assert_eq!(problems(GOOD), Vec::<String>::new());
    }

    #[test]
    fn live_queries_select_every_variable_value() {
        assert_eq!(
            live_query(r#"rate(x{job=~"$job",instance="${instance}",a!="$b"}[$__rate_interval])"#),
            r#"rate(x{job=~".+",instance=~".+",a!="x"}[5m])"#
        );
    }

    #[test]
    fn variables_become_valid_promql() {
        assert_eq!(
            substitute_variables("rate(x{a=~\"$job\",b=\"${instance}\"}[$__rate_interval])"),
            "rate(x{a=~\"x\",b=\"x\"}[5m])"
        );
    }

    #[test]
    fn each_check_catches_its_bad_dashboard() {
        let p = bad("[$__rate_interval]))", "[$__rate_interval])");
        assert!(
            p.starts_with("d.json:16: CPU usage: expression does not parse"),
            "{p}"
        );
        assert!(
            bad("rate(node_cpu_seconds_total{", "rate(node_cpu_total{")
                .contains("no exporter's catalog")
        );
        assert!(
            bad(
                "{job=~\\\"$job\\\"}[",
                "{job=~\\\"$job\\\",disk=\\\"a\\\"}["
            )
            .contains("no label \"disk\"")
        );
        assert!(bad("rate(node_cpu_seconds_total", "rate(node_load1").contains("gauge"));
        assert!(bad("\"unit\": \"percentunit\"", "\"unit\": \"\"").contains("no unit"));
        assert!(bad(
            "\"datasource\": {\"type\": \"prometheus\", \"uid\": \"prometheus\"},\n     \"fieldConfig\"",
            "\"datasource\": {\"type\": \"prometheus\", \"uid\": \"P1234\"},\n     \"fieldConfig\""
        )
        .contains("\"P1234\" is not provisioned"));
        assert!(
            bad(
                "\"datasource\": {\"type\": \"prometheus\", \"uid\": \"prometheus\"}, \"refId\"",
                "\"datasource\": \"Prometheus\", \"refId\""
            )
            .contains("named, not referred to by uid")
        );
        assert!(
            bad("job=~\\\"$job\\\"}, cpu)", "job=~\\\"$job\\\"}, core)")
                .contains("no label \"core\"")
        );
        assert!(
            bad(
                "\"panels\": [\n    {\"type\"",
                "\"panels\": [\n    {\"type\" \""
            )
            .contains("not JSON")
        );
    }

    /// The committed dashboards pass every check against the real
    /// catalogs and the committed provisioning.
    #[test]
    fn committed_dashboards_are_clean() {
        let (problems, files) = match lint(&Args {
            files: Vec::new(),
            reference: None,
            live: None,
        }) {
            Ok(r) => r,
            Err(e) => panic!("lint-dashboards could not run: {e:#}"),
        };
        assert!(files >= 8, "{files} dashboards");
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(shown.is_empty(), "{shown:#?}");
    }
}
