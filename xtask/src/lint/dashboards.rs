//! `cargo xtask lint-dashboards`: every panel query of grafana/dashboards
//! parses as PromQL and uses metrics and labels some exporter has; every
//! panel has a description and (time series, stat) a unit; everything
//! refers to the `datasource` variable (no hard-coded uid), whose default is
//! a uid the provisioning defines; `__inputs`/`__requires` let Grafana's
//! Import bind it; links to dashboards keep the time range and variables;
//! queries use only variables the dashboard defines.

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

/// A panel whose description contains this (followed by the condition)
/// has data only on some hosts or configurations: `--live` reports it
/// empty but does not fail.
pub const CONDITIONAL: &str = "Empty unless";

/// Variables Grafana defines itself.
const BUILTIN_VARIABLES: &[&str] = &[
    "__rate_interval",
    "__interval",
    "__interval_ms",
    "__range",
    "__range_s",
    "__range_ms",
    "__dashboard",
    "__org",
    "__user",
    "__name",
    "__url_time_range",
    "__all_variables",
    "__from",
    "__to",
    "__field",
    "__series",
    "__value",
    "__data",
    "timeFilter",
];

/// Names of the `$var`/`${var}`/`${var:format}` references in `text`.
pub fn variable_references(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        rest = &rest[pos + 1..];
        let name: String = if let Some(braced) = rest.strip_prefix('{') {
            braced
                .split('}')
                .next()
                .unwrap_or("")
                .split([':', '.'])
                .next()
                .unwrap_or("")
                .to_string()
        } else {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        };
        if !name.is_empty() {
            names.push(name);
        }
    }
    names
}

/// Whether a datasource reference is the dashboard's `datasource` variable.
fn is_datasource_variable(uid: &str) -> bool {
    uid == "${datasource}" || uid == "$datasource"
}

pub struct DashContext {
    pub catalog: Catalog,
    pub min_range: Duration,
    /// Prometheus datasource uids defined in grafana/provisioning/datasources.
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

/// Uids of the Prometheus datasources of provisioning files
/// (`datasources: - uid: ..., type: prometheus`): what a dashboard's
/// `datasource` variable may default to.
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
            if ds["type"].as_str() != Some("prometheus") {
                continue;
            }
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
    // Every reference goes through the `datasource` variable: a
    // hard-coded uid binds only in the Grafana it was made in.
    let check_ds = |ds: &Value, required: bool| -> Option<String> {
        match ds {
            Value::Null if required => {
                Some("no datasource: refer to the ${datasource} variable".to_string())
            }
            Value::Null => None,
            Value::Object(o) => match o.get("uid").and_then(Value::as_str) {
                Some(uid) if is_datasource_variable(uid) => None,
                Some(uid) => Some(format!(
                    "hard-coded datasource uid {uid:?}: refer to the ${{datasource}} variable"
                )),
                None => Some("datasource has no uid".to_string()),
            },
            other => Some(format!(
                "datasource {other} is named, not the ${{datasource}} variable"
            )),
        }
    };
    // The `datasource` variable, bound by default to the provisioned
    // Prometheus; `__inputs`/`__requires` for Import.
    let vars: Vec<&Value> = dash["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    match vars.iter().find(|v| v["name"] == "datasource") {
        None => push(
            1,
            "-",
            "no `datasource` template variable (type datasource, query prometheus)".to_string(),
        ),
        Some(v) => {
            let line = line_of(text, "name", "datasource");
            if v["type"] != "datasource" || v["query"] != "prometheus" {
                push(
                    line,
                    "$datasource",
                    "the datasource variable must have type datasource and query prometheus"
                        .to_string(),
                );
            }
            if let Some(current) = v["current"]["value"].as_str()
                && !ctx.uids.contains(current)
            {
                push(
                    line,
                    "$datasource",
                    format!(
                        "default {current:?} is not a provisioned uid ({}): the compose stack would not bind it",
                        ctx.uids.iter().cloned().collect::<Vec<_>>().join(", ")
                    ),
                );
            }
        }
    }
    let imports_prometheus = dash["__inputs"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|i| i["type"] == "datasource" && i["pluginId"] == "prometheus");
    let requires_prometheus = dash["__requires"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|r| r["type"] == "datasource" && r["id"] == "prometheus");
    if !imports_prometheus || !requires_prometheus {
        push(
            1,
            "-",
            "no prometheus datasource in __inputs and __requires (Grafana's Import asks for it from there)"
                .to_string(),
        );
    }
    let defined: Vec<&str> = vars.iter().filter_map(|v| v["name"].as_str()).collect();
    let undefined = |text: &str| -> Vec<String> {
        variable_references(text)
            .into_iter()
            .filter(|n| !defined.contains(&n.as_str()) && !BUILTIN_VARIABLES.contains(&n.as_str()))
            .collect()
    };
    // Links to other dashboards keep the time range and the variables.
    let check_link = |link: &Value| -> Vec<String> {
        let mut out = Vec::new();
        if link["type"] == "dashboards" {
            if link["keepTime"] != true {
                out.push("dashboard link does not keep the time range (keepTime)".to_string());
            }
            if link["includeVars"] != true {
                out.push("dashboard link does not carry the variables (includeVars)".to_string());
            }
        }
        let url = link["url"].as_str().unwrap_or("");
        if url.contains("/d/") {
            if !url.contains("${__url_time_range}") {
                out.push(format!(
                    "link {url:?} does not carry the time range (${{__url_time_range}})"
                ));
            }
            let all = url.contains("${__all_variables}");
            if !all && !url.contains("var-datasource=") {
                out.push(format!(
                    "link {url:?} does not carry the datasource (var-datasource)"
                ));
            }
            if !all && !url.contains("var-instance=") {
                out.push(format!(
                    "link {url:?} does not carry the instance (var-instance)"
                ));
            }
        }
        out
    };
    for link in dash["links"].as_array().into_iter().flatten() {
        for p in check_link(link) {
            push(1, "-", p);
        }
    }
    for a in dash["annotations"]["list"].as_array().into_iter().flatten() {
        if a["builtIn"] == 1 {
            continue;
        }
        let name = a["name"].as_str().unwrap_or("annotation");
        if let Some(p) = check_ds(&a["datasource"], true) {
            push(line_of(text, "name", name), name, p);
        }
    }
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
        if let Some(p) = check_ds(&panel["datasource"], true) {
            push(line, title, p);
        }
        if panel["description"]
            .as_str()
            .is_none_or(|d| d.trim().is_empty())
        {
            push(
                line,
                title,
                "panel has no description (what it shows, what is bad)".to_string(),
            );
        }
        for link in panel["links"].as_array().into_iter().flatten().chain(
            panel["fieldConfig"]["defaults"]["links"]
                .as_array()
                .into_iter()
                .flatten(),
        ) {
            for p in check_link(link) {
                push(line, title, p);
            }
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
            if let Some(p) = check_ds(&t["datasource"], false) {
                push(line, title, p);
            }
            if expr.trim().is_empty() {
                push(line, title, "query has no expr".to_string());
                continue;
            }
            for v in undefined(expr) {
                push(
                    line,
                    title,
                    format!("query uses ${v}, which the dashboard does not define"),
                );
            }
            for p in check_expr(&substitute_variables(expr), &ctx.catalog, ctx.min_range) {
                push(line, title, p);
            }
        }
    }
    for var in vars.iter().copied() {
        let name = format!("${}", var["name"].as_str().unwrap_or("?"));
        if var["type"].as_str() != Some("query") {
            continue;
        }
        let query = var["query"]["query"]
            .as_str()
            .or_else(|| var["query"].as_str())
            .unwrap_or("");
        let line = line_of(text, "name", var["name"].as_str().unwrap_or(""));
        if let Some(p) = check_ds(&var["datasource"], true) {
            push(line, &name, p);
        }
        for v in undefined(query) {
            push(
                line,
                &name,
                format!("query uses ${v}, which the dashboard does not define"),
            );
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
    /// The condition its description gives for having data (the text
    /// after [`CONDITIONAL`]); such a panel may rightly be empty.
    pub unless: Option<String>,
}

/// The condition after [`CONDITIONAL`] in a panel's description.
pub fn condition(description: &str) -> Option<String> {
    let (_, rest) = description.split_once(CONDITIONAL)?;
    let rest = rest.trim();
    Some(rest.strip_suffix('.').unwrap_or(rest).to_string())
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
                    unless: condition(panel["description"].as_str().unwrap_or("")),
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
        let mut failed = 0;
        for p in &empty {
            match &p.unless {
                Some(unless) => println!(
                    "{}: {}: no data, as expected unless {unless} ({})",
                    p.file, p.title, p.detail
                ),
                None => {
                    failed += 1;
                    println!("{}: {}: no data ({})", p.file, p.title, p.detail);
                }
            }
        }
        if failed > 0 {
            bail!("{failed} of {checked} panel(s) return no data");
        }
        println!(
            "{} of {checked} panel(s) return data; the other {} are empty where their description says they may be",
            checked - empty.len(),
            empty.len()
        );
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
  "__inputs": [{"name": "DS_PROMETHEUS", "type": "datasource", "pluginId": "prometheus"}],
  "__requires": [{"type": "datasource", "id": "prometheus", "name": "Prometheus"}],
  "title": "Node",
  "links": [{"title": "all", "type": "dashboards", "tags": ["t"], "keepTime": true, "includeVars": true}],
  "templating": {"list": [
    {"name": "datasource", "type": "datasource", "query": "prometheus",
     "current": {"text": "Prometheus", "value": "prometheus"}},
    {"name": "job", "type": "query", "datasource": {"type": "prometheus", "uid": "${datasource}"},
     "query": {"query": "label_values(node_cpu_seconds_total, job)"}},
    {"name": "cpu", "type": "query", "datasource": {"type": "prometheus", "uid": "${datasource}"},
     "query": {"query": "label_values(node_cpu_seconds_total{job=~\"$job\"}, cpu)"}}
  ]},
  "panels": [
    {"type": "row", "title": "CPU", "panels": []},
    {"type": "timeseries", "title": "CPU usage",
     "description": "CPU time per mode; high is bad.",
     "datasource": {"type": "prometheus", "uid": "${datasource}"},
     "fieldConfig": {"defaults": {"unit": "percentunit",
       "links": [{"title": "node", "url": "/d/node?${__url_time_range}&var-datasource=${datasource}&var-instance=${__field.labels.instance}"}]}},
     "targets": [
       {"datasource": {"type": "prometheus", "uid": "${datasource}"}, "refId": "A",
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
    fn variable_references_are_found_in_every_spelling() {
        assert_eq!(
            variable_references(
                "x{a=~\"$job\"} ${instance} ${host:queryparam} ${__field.labels.x} $"
            ),
            ["job", "instance", "host", "__field"]
        );
    }

    #[test]
    fn a_conditional_panel_names_its_condition() {
        assert_eq!(
            condition("Sensor temperatures. Empty unless the host has hwmon sensors."),
            Some("the host has hwmon sensors".to_string())
        );
        assert_eq!(condition("CPU time per mode."), None);
    }

    #[test]
    fn each_query_check_catches_its_bad_dashboard() {
        let p = bad("[$__rate_interval]))", "[$__rate_interval])");
        assert!(
            p.starts_with("d.json:23: CPU usage: expression does not parse"),
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
        assert!(
            bad("job=~\\\"$job\\\"}, cpu)", "job=~\\\"$job\\\"}, core)")
                .contains("no label \"core\"")
        );
        assert!(
            bad("{job=~\\\"$job\\\"}[", "{job=~\\\"$jobs\\\"}[")
                .contains("uses $jobs, which the dashboard does not define")
        );
        assert!(
            bad(
                "\"panels\": [\n    {\"type\"",
                "\"panels\": [\n    {\"type\" \""
            )
            .contains("not JSON")
        );
    }

    #[test]
    fn every_panel_has_a_description_and_a_unit() {
        assert!(
            bad("\"description\": \"CPU time per mode; high is bad.\",", "")
                .contains("CPU usage: panel has no description")
        );
        assert!(
            bad(
                "\"description\": \"CPU time per mode; high is bad.\"",
                "\"description\": \" \""
            )
            .contains("no description")
        );
        assert!(bad("\"unit\": \"percentunit\"", "\"unit\": \"\"").contains("no unit"));
    }

    #[test]
    fn everything_refers_to_the_datasource_variable() {
        assert!(
            bad(
                "\"datasource\": {\"type\": \"prometheus\", \"uid\": \"${datasource}\"},\n     \"fieldConfig\"",
                "\"datasource\": {\"type\": \"prometheus\", \"uid\": \"prometheus\"},\n     \"fieldConfig\""
            )
            .contains("CPU usage: hard-coded datasource uid \"prometheus\"")
        );
        assert!(
            bad(
                "\"datasource\": {\"type\": \"prometheus\", \"uid\": \"${datasource}\"},\n     \"fieldConfig\"",
                "\"fieldConfig\""
            )
            .contains("CPU usage: no datasource")
        );
        assert!(
            bad(
                "\"datasource\": {\"type\": \"prometheus\", \"uid\": \"${datasource}\"}, \"refId\"",
                "\"datasource\": \"Prometheus\", \"refId\""
            )
            .contains("named, not the ${datasource} variable")
        );
        assert!(
            bad(
                "{\"name\": \"job\", \"type\": \"query\", \"datasource\": {\"type\": \"prometheus\", \"uid\": \"${datasource}\"}",
                "{\"name\": \"job\", \"type\": \"query\", \"datasource\": {\"type\": \"prometheus\", \"uid\": \"P1234\"}"
            )
            .contains("$job: hard-coded datasource uid \"P1234\"")
        );
        assert!(
            bad(
                "{\"name\": \"datasource\", \"type\": \"datasource\"",
                "{\"name\": \"ds\", \"type\": \"datasource\""
            )
            .contains("no `datasource` template variable")
        );
        assert!(
            bad("\"value\": \"prometheus\"}", "\"value\": \"P1234\"}")
                .contains("default \"P1234\" is not a provisioned uid")
        );
        assert!(bad("\"pluginId\": \"prometheus\"", "\"pluginId\": \"loki\"").contains("__inputs"));
    }

    #[test]
    fn links_keep_the_time_range_and_the_variables() {
        assert!(bad("\"keepTime\": true", "\"keepTime\": false").contains("keepTime"));
        assert!(bad("\"includeVars\": true", "\"includeVars\": false").contains("includeVars"));
        assert!(
            bad("/d/node?${__url_time_range}&", "/d/node?")
                .contains("CPU usage: link \"/d/node?var-datasource")
        );
        assert!(
            bad("&var-instance=${__field.labels.instance}", "")
                .contains("does not carry the instance (var-instance)")
        );
        assert!(
            bad("&var-datasource=${datasource}", "")
                .contains("does not carry the datasource (var-datasource)")
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
