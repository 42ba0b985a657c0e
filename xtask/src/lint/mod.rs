//! Reviewer checks for the stack's PromQL: shared by `lint-rules` and
//! `lint-dashboards`. A [`Catalog`] knows every metric family some exporter
//! exposes (upstream's catalogs under `../shared/reference/` and our
//! crates' `families.tsv`), with its type and labels where known.

pub mod dashboards;
pub mod rules;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use promql_parser::parser::Expr;

/// One finding, printed `file:line: rule: problem`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub rule: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.rule, self.message
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
    Summary,
    Untyped,
}

impl Kind {
    fn parse(s: &str) -> Option<Kind> {
        Some(match s.trim() {
            "counter" => Kind::Counter,
            "gauge" => Kind::Gauge,
            "histogram" => Kind::Histogram,
            "summary" => Kind::Summary,
            "untyped" | "unknown" => Kind::Untyped,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct Family {
    pub kind: Option<Kind>,
    /// None when the source does not list labels.
    pub labels: Option<BTreeSet<String>>,
}

/// What a metric name resolves to.
#[derive(Debug, Clone)]
pub enum Found {
    /// A family (the base family for `_bucket`/`_sum`/`_count`), with the
    /// extra label the suffix brings (`le`, `quantile`).
    Family(Family, Option<&'static str>),
    /// Known only by a dynamic prefix (`mysql_global_status_*`).
    Dynamic,
    /// A recording rule's output or a series Prometheus makes itself.
    Derived,
    Missing,
}

/// Names of families whose members are generated from server variables.
const DYNAMIC_PREFIXES: &[&str] = &[
    "mysql_global_status_",
    "mysql_global_variables_",
    "mysql_slave_status_",
    "mysql_info_schema_",
    "mysql_perf_schema_",
];

/// Series Prometheus writes itself for every target or rule.
const SYNTHETIC: &[&str] = &[
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
    "ALERTS",
    "ALERTS_FOR_STATE",
];

#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub families: BTreeMap<String, Family>,
    /// Recording rules' outputs.
    pub recorded: BTreeSet<String>,
    /// Labels every target gets from the scrape config (job, instance,
    /// and the `labels:`/`target_label:` of prometheus.yml).
    pub target_labels: BTreeSet<String>,
}

impl Catalog {
    /// Adds the families of a catalog file: tab-separated name, type,
    /// comma-separated labels (comment lines start with `#`).
    pub fn add_tsv(&mut self, text: &str) {
        for line in text.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let mut cols = line.split('\t');
            let Some(name) = cols.next().map(str::trim) else {
                continue;
            };
            if !valid_metric_name(name) {
                continue;
            }
            let kind = cols.next().and_then(Kind::parse);
            let labels: BTreeSet<String> = cols
                .next()
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect();
            let entry = self.families.entry(name.to_string()).or_default();
            if entry.kind.is_none() {
                entry.kind = kind;
            }
            entry
                .labels
                .get_or_insert_with(BTreeSet::new)
                .extend(labels);
        }
    }

    /// Adds every metric-looking name of a Markdown reference (tables of
    /// the latest upstream releases): name known, type and labels not.
    pub fn add_markdown(&mut self, text: &str) {
        const PREFIXES: &[&str] = &[
            "node_",
            "mysql_",
            "redis_",
            "probe_",
            "kafka_",
            "container_",
            "machine_",
            "blackbox_",
        ];
        for token in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':')) {
            if PREFIXES.iter().any(|p| token.starts_with(p))
                && valid_metric_name(token)
                && !token.ends_with('_')
            {
                self.families.entry(token.to_string()).or_insert(Family {
                    kind: None,
                    labels: None,
                });
            }
        }
    }

    /// Loads `*.families.tsv` and `*.md` under `reference` (recursively)
    /// and `crates/*/families.tsv` under `repo`.
    pub fn load(reference: Option<&Path>, repo: &Path) -> std::io::Result<Catalog> {
        let mut catalog = Catalog::default();
        let mut files = Vec::new();
        if let Some(dir) = reference {
            walk(dir, &mut files)?;
        }
        if let Ok(entries) = std::fs::read_dir(repo.join("crates")) {
            for entry in entries.flatten() {
                let f = entry.path().join("families.tsv");
                if f.is_file() {
                    files.push(f);
                }
            }
        }
        files.sort();
        for f in files {
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.ends_with(".tsv") {
                catalog.add_tsv(&std::fs::read_to_string(&f)?);
            } else if name.ends_with(".md") {
                catalog.add_markdown(&std::fs::read_to_string(&f)?);
            }
        }
        catalog
            .target_labels
            .extend(["job", "instance"].map(String::from));
        Ok(catalog)
    }

    /// Collects the labels prometheus.yml attaches to targets.
    pub fn add_target_labels_from_config(&mut self, config: &serde_norway::Value) {
        fn visit(v: &serde_norway::Value, out: &mut BTreeSet<String>) {
            match v {
                serde_norway::Value::Mapping(m) => {
                    for (k, v) in m {
                        match (k.as_str(), v) {
                            (Some("labels"), serde_norway::Value::Mapping(labels)) => {
                                out.extend(
                                    labels.keys().filter_map(|k| k.as_str()).map(String::from),
                                );
                            }
                            (Some("target_label"), serde_norway::Value::String(l))
                                if !l.starts_with("__") =>
                            {
                                out.insert(l.clone());
                            }
                            _ => visit(v, out),
                        }
                    }
                }
                serde_norway::Value::Sequence(s) => s.iter().for_each(|v| visit(v, out)),
                _ => {}
            }
        }
        visit(config, &mut self.target_labels);
    }

    pub fn find(&self, name: &str) -> Found {
        if self.recorded.contains(name) || SYNTHETIC.contains(&name) {
            return Found::Derived;
        }
        if let Some(f) = self.families.get(name) {
            let extra = (f.kind == Some(Kind::Summary)).then_some("quantile");
            return Found::Family(f.clone(), extra);
        }
        for (suffix, extra) in [("_bucket", Some("le")), ("_sum", None), ("_count", None)] {
            if let Some(base) = name.strip_suffix(suffix)
                && let Some(f) = self.families.get(base)
                && matches!(f.kind, Some(Kind::Histogram | Kind::Summary) | None)
            {
                let extra = if f.kind == Some(Kind::Summary) && suffix == "_bucket" {
                    continue;
                } else {
                    extra
                };
                return Found::Family(f.clone(), extra);
            }
        }
        if DYNAMIC_PREFIXES.iter().any(|p| name.starts_with(p)) {
            return Found::Dynamic;
        }
        Found::Missing
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn valid_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `../shared/reference` as CI lays it out (the first `shared/reference`
/// found beside the repository or above it), or `$FERROSCOPE_SHARED/reference`.
pub fn find_reference(repo: &Path) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("FERROSCOPE_SHARED") {
        let p = PathBuf::from(dir).join("reference");
        if p.is_dir() {
            return Some(p);
        }
    }
    repo.ancestors()
        .skip(1)
        .map(|a| a.join("shared/reference"))
        .find(|p| p.is_dir())
}

/// Prometheus duration strings: `30s`, `5m`, `1h30m`, `2d`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s == "0" {
        return Some(Duration::ZERO);
    }
    let mut total = 0u64;
    let mut number = String::new();
    let mut chars = s.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: u64 = number.parse().ok()?;
        number.clear();
        let unit_ms = match c {
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                1
            }
            's' => 1000,
            'm' => 60_000,
            'h' => 3_600_000,
            'd' => 86_400_000,
            'w' => 7 * 86_400_000,
            'y' => 365 * 86_400_000,
            _ => return None,
        };
        total += n * unit_ms;
        any = true;
    }
    if !number.is_empty() || !any {
        return None;
    }
    Some(Duration::from_millis(total))
}

/// Functions that only make sense on counters.
const COUNTER_FUNCTIONS: &[&str] = &["rate", "irate", "increase", "resets"];

/// Checks one PromQL expression: it parses, every metric exists in some
/// catalog, matchers only use labels the metric has, counter functions get
/// counters, and ranges cover at least `min_range`. Returns problem texts.
pub fn check_expr(expr: &str, catalog: &Catalog, min_range: Duration) -> Vec<String> {
    let ast = match promql_parser::parser::parse(expr) {
        Ok(ast) => ast,
        Err(e) => return vec![format!("expression does not parse: {}", e.trim())],
    };
    let mut problems = Vec::new();
    visit(&ast, None, catalog, min_range, &mut problems);
    problems.sort();
    problems.dedup();
    problems
}

fn selector_name(vs: &promql_parser::parser::VectorSelector) -> Option<String> {
    vs.name.clone().or_else(|| {
        vs.matchers
            .matchers
            .iter()
            .find(|m| m.name == "__name__" && matches!(m.op, promql_parser::label::MatchOp::Equal))
            .map(|m| m.value.clone())
    })
}

fn visit(
    expr: &Expr,
    function: Option<&str>,
    catalog: &Catalog,
    min_range: Duration,
    out: &mut Vec<String>,
) {
    match expr {
        Expr::Aggregate(a) => {
            visit(&a.expr, None, catalog, min_range, out);
            if let Some(p) = &a.param {
                visit(p, None, catalog, min_range, out);
            }
        }
        Expr::Unary(u) => visit(&u.expr, None, catalog, min_range, out),
        Expr::Binary(b) => {
            visit(&b.lhs, None, catalog, min_range, out);
            visit(&b.rhs, None, catalog, min_range, out);
        }
        Expr::Paren(p) => visit(&p.expr, function, catalog, min_range, out),
        Expr::Subquery(s) => {
            if s.range < min_range {
                out.push(format!(
                    "subquery range {} is shorter than 4x the scrape interval ({})",
                    humantime(s.range),
                    humantime(min_range)
                ));
            }
            visit(&s.expr, None, catalog, min_range, out);
        }
        Expr::VectorSelector(vs) => check_selector(vs, None, catalog, out),
        Expr::MatrixSelector(ms) => {
            if ms.range < min_range {
                out.push(format!(
                    "range [{}] of {} is shorter than 4x the scrape interval ({})",
                    humantime(ms.range),
                    selector_name(&ms.vs).unwrap_or_default(),
                    humantime(min_range)
                ));
            }
            check_selector(&ms.vs, function, catalog, out);
        }
        Expr::Call(c) => {
            for arg in &c.args.args {
                visit(arg, Some(c.func.name), catalog, min_range, out);
            }
        }
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

fn check_selector(
    vs: &promql_parser::parser::VectorSelector,
    function: Option<&str>,
    catalog: &Catalog,
    out: &mut Vec<String>,
) {
    let Some(name) = selector_name(vs) else {
        return;
    };
    match catalog.find(&name) {
        Found::Missing => out.push(format!(
            "metric {name} is in no exporter's catalog (../shared/reference, crates/*/families.tsv)"
        )),
        Found::Family(family, extra) => {
            if let (Some(f), Some(Kind::Gauge)) = (function, family.kind)
                && COUNTER_FUNCTIONS.contains(&f)
            {
                out.push(format!(
                    "{f}() on {name}, which is a gauge (use deriv() or delta())"
                ));
            }
            if let Some(labels) = &family.labels {
                for m in &vs.matchers.matchers {
                    let l = m.name.as_str();
                    if l == "__name__"
                        || labels.contains(l)
                        || catalog.target_labels.contains(l)
                        || extra == Some(l)
                    {
                        continue;
                    }
                    out.push(format!("{name} has no label {l:?}"));
                }
            }
        }
        Found::Dynamic | Found::Derived => {}
    }
}

fn humantime(d: Duration) -> String {
    let s = d.as_secs();
    if s > 0 && s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else if s > 0 && s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else if d.subsec_millis() == 0 {
        format!("{s}s")
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// The repository root (xtask lives one level below it).
pub fn repo_root() -> PathBuf {
    crate::ci::workspace_root()
}

/// The global scrape interval of prometheus.yml (default 1m as
/// Prometheus), and the config itself.
pub fn scrape_interval(config: &serde_norway::Value) -> Duration {
    config["global"]["scrape_interval"]
        .as_str()
        .and_then(parse_duration)
        .unwrap_or(Duration::from_secs(60))
}

#[cfg(test)]
pub(crate) fn test_catalog() -> Catalog {
    let mut c = Catalog::default();
    c.add_tsv(
        "# name\ttype\tlabels\n\
         node_cpu_seconds_total\tcounter\tcpu,mode\n\
         node_load1\tgauge\t\n\
         node_memory_MemAvailable_bytes\tgauge\t\n\
         kafka_topic_partition_current_offset\tgauge\tpartition,topic\n\
         app_request_duration_seconds\thistogram\tmethod,route\n\
         app_requests_total\tcounter\tmethod,route,status\n",
    );
    c.target_labels
        .extend(["job", "instance", "host"].map(String::from));
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: Duration = Duration::from_secs(60);

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("0s"), Some(Duration::ZERO));
        assert_eq!(parse_duration("5 minutes"), None);
    }

    #[test]
    fn good_expressions_pass() {
        let c = test_catalog();
        for e in [
            r#"1 - avg without (cpu, mode) (rate(node_cpu_seconds_total{mode="idle",job="node"}[5m]))"#,
            "histogram_quantile(0.95, sum by (le) (rate(app_request_duration_seconds_bucket{route=\"/\"}[5m])))",
            "deriv(kafka_topic_partition_current_offset[5m])",
            "max_over_time(up[1h])",
        ] {
            assert_eq!(check_expr(e, &c, M), Vec::<String>::new(), "{e}");
        }
    }

    #[test]
    fn each_problem_is_caught() {
        let c = test_catalog();
        let one = |e: &str| {
            let p = check_expr(e, &c, M);
            assert_eq!(p.len(), 1, "{e}: {p:?}");
            p[0].clone()
        };
        assert!(one("rate(node_cpu_seconds_total[").contains("does not parse"));
        assert!(one("node_cpu_seconds").contains("in no exporter's catalog"));
        assert!(one("rate(kafka_topic_partition_current_offset[5m])").contains("gauge"));
        assert!(one("increase(node_load1[5m])").contains("gauge"));
        assert!(one("rate(node_cpu_seconds_total[30s])").contains("shorter than 4x"));
        assert!(one("max_over_time(node_load1[30s:10s])").contains("subquery range"));
        assert!(one(r#"node_load1{device="sda"}"#).contains("no label \"device\""));
        assert!(one(r#"app_request_duration_seconds_bucket{quantile="0.5"}"#).contains("quantile"));
    }
}
