//! What the repository's PromQL reads: the metric names (and `__name__`
//! regexes) of every rule in prometheus/rules and every query of
//! grafana/dashboards, for `cargo xtask cardinality`'s unused series; and
//! the labels known to be unbounded that an expression selects or groups
//! by, for `lint-rules`.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Context as _;
use promql_parser::label::MatchOp;
use promql_parser::parser::{Expr, LabelModifier, VectorSelector};

/// Labels whose values grow without bound (one per user, request, path,
/// process...): a series per value is a cardinality explosion, so a rule
/// must neither keep them (`by`) nor pin one of their values (a matcher).
/// The seed's examples: user ids, raw URLs and paths, request ids.
pub const UNBOUNDED_LABELS: &[&str] = &[
    "id",
    "uid",
    "uuid",
    "user",
    "user_id",
    "username",
    "email",
    "session",
    "session_id",
    "request_id",
    "trace_id",
    "span_id",
    "path",
    "url",
    "uri",
    "raw_url",
    "query",
    "client_ip",
    "remote_addr",
    "pid",
];

/// Metric names an expression reads, and the `__name__` regexes of
/// selectors without a name.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Used {
    pub names: BTreeSet<String>,
    pub patterns: BTreeSet<String>,
}

impl Used {
    /// Whether a series of metric `name` is read by some expression.
    pub fn reads(&self, name: &str) -> bool {
        self.names.contains(name)
            || self
                .patterns
                .iter()
                .any(|p| regex::Regex::new(&format!("^(?:{p})$")).is_ok_and(|re| re.is_match(name)))
    }

    /// Adds what `expr` reads; an expression that does not parse adds
    /// nothing (the linters report it).
    pub fn add_expr(&mut self, expr: &str) {
        if let Ok(ast) = promql_parser::parser::parse(expr) {
            walk(&ast, &mut |e| {
                if let Some(vs) = selector(e) {
                    self.add_selector(vs);
                }
            });
        }
    }

    fn add_selector(&mut self, vs: &VectorSelector) {
        if let Some(name) = &vs.name {
            self.names.insert(name.clone());
            return;
        }
        for m in &vs.matchers.matchers {
            if m.name != "__name__" {
                continue;
            }
            match m.op {
                MatchOp::Equal => {
                    self.names.insert(m.value.clone());
                }
                MatchOp::Re(_) => {
                    self.patterns.insert(m.value.clone());
                }
                // A negative name matcher reads (nearly) everything.
                _ => {
                    self.patterns.insert(".*".to_string());
                }
            }
        }
    }

    /// Adds a Grafana query: PromQL with Grafana's variables, or a
    /// templating function (`label_values(metric, label)`,
    /// `query_result(expr)`, `metrics(regex)`).
    pub fn add_grafana_query(&mut self, query: &str) {
        let query = super::dashboards::substitute_variables(query.trim());
        let inner = |prefix: &str| {
            query
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix(')'))
                .map(str::to_string)
        };
        if let Some(args) = inner("label_values(") {
            // label_values(label) reads no metric; label_values(expr, label)
            // reads expr.
            if let Some((expr, _label)) = args.rsplit_once(',') {
                self.add_expr(expr);
            }
        } else if let Some(expr) = inner("query_result(") {
            self.add_expr(&expr);
        } else if let Some(pattern) = inner("metrics(") {
            self.patterns.insert(format!(".*(?:{}).*", pattern.trim()));
        } else {
            self.add_expr(&query);
        }
    }

    /// Every rule expression under `prometheus/rules` and every query of
    /// `grafana/dashboards` of the repository at `repo`, plus what the
    /// rules record (their outputs are read by whoever queries them).
    pub fn of_repository(repo: &Path) -> anyhow::Result<Used> {
        let mut used = Used::default();
        for path in files(&repo.join("prometheus/rules"), "yml")? {
            let text = std::fs::read_to_string(&path)?;
            let doc: serde_norway::Value = serde_norway::from_str(&text)
                .with_context(|| format!("parsing {}", path.display()))?;
            for group in doc["groups"].as_sequence().into_iter().flatten() {
                for rule in group["rules"].as_sequence().into_iter().flatten() {
                    if let Some(expr) = rule["expr"].as_str() {
                        used.add_expr(expr);
                    }
                    if let Some(record) = rule["record"].as_str() {
                        used.names.insert(record.to_string());
                    }
                }
            }
        }
        for path in files(&repo.join("grafana/dashboards"), "json")? {
            let text = std::fs::read_to_string(&path)?;
            let dash: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("parsing {}", path.display()))?;
            used.add_dashboard(&dash);
        }
        Ok(used)
    }

    /// Panel targets (`expr`) and templating queries (`query`, a string
    /// or `{query: ...}`), wherever they are nested (rows, libraries).
    fn add_dashboard(&mut self, value: &serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    match (k.as_str(), v) {
                        ("expr", serde_json::Value::String(q)) => self.add_grafana_query(q),
                        ("query" | "definition", serde_json::Value::String(q)) => {
                            self.add_grafana_query(q)
                        }
                        _ => self.add_dashboard(v),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| self.add_dashboard(v)),
            _ => {}
        }
    }
}

fn files(dir: &Path, ext: &str) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    out.sort();
    Ok(out)
}

fn selector(e: &Expr) -> Option<&VectorSelector> {
    match e {
        Expr::VectorSelector(vs) => Some(vs),
        Expr::MatrixSelector(ms) => Some(&ms.vs),
        _ => None,
    }
}

/// Calls `f` on `expr` and every expression inside it.
fn walk(expr: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(expr);
    match expr {
        Expr::Aggregate(a) => {
            walk(&a.expr, f);
            if let Some(p) = &a.param {
                walk(p, f);
            }
        }
        Expr::Unary(u) => walk(&u.expr, f),
        Expr::Binary(b) => {
            walk(&b.lhs, f);
            walk(&b.rhs, f);
        }
        Expr::Paren(p) => walk(&p.expr, f),
        Expr::Subquery(s) => walk(&s.expr, f),
        Expr::Call(c) => c.args.args.iter().for_each(|a| walk(a, f)),
        Expr::VectorSelector(_)
        | Expr::MatrixSelector(_)
        | Expr::NumberLiteral(_)
        | Expr::StringLiteral(_)
        | Expr::Extension(_) => {}
    }
}

/// Problems of an expression that selects one value of, or groups by, a
/// label known to be unbounded (`by (user_id)`, `{path="/a/b"}`). A
/// matcher that only requires the label to be set (`!=""`, `=~".+"`) is
/// fine; so is `without (...)`, which removes the label.
pub fn unbounded_label_uses(expr: &str) -> Vec<String> {
    let Ok(ast) = promql_parser::parser::parse(expr) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    walk(&ast, &mut |e| {
        if let Expr::Aggregate(a) = e
            && let Some(LabelModifier::Include(labels)) = &a.modifier
        {
            for l in &labels.labels {
                if UNBOUNDED_LABELS.contains(&l.as_str()) {
                    out.push(format!(
                        "aggregates by ({l}), a label without bound: one series per value"
                    ));
                }
            }
        }
        if let Some(vs) = selector(e) {
            for m in &vs.matchers.matchers {
                let presence = matches!(
                    (&m.op, m.value.as_str()),
                    (MatchOp::NotEqual, "") | (MatchOp::Re(_), ".+" | ".*")
                );
                if UNBOUNDED_LABELS.contains(&m.name.as_str()) && !presence {
                    out.push(format!(
                        "matches {}{}{:?}, a label without bound: the rule follows one of its values",
                        m.name, m.op, m.value
                    ));
                }
            }
        }
    });
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_patterns_come_from_the_parsed_expression() {
        let mut used = Used::default();
        used.add_expr(
            r#"sum by (job) (rate(node_cpu_seconds_total{mode!="idle"}[5m])) / on (job) group_left count({__name__=~"node_load(1|5)"})"#,
        );
        used.add_expr(r#"histogram_quantile(0.9, rate(app_request_duration_seconds_bucket[5m])) > bool scalar(up{job="x"})"#);
        assert_eq!(
            used.names,
            BTreeSet::from(
                [
                    "node_cpu_seconds_total",
                    "app_request_duration_seconds_bucket",
                    "up"
                ]
                .map(String::from)
            )
        );
        assert!(used.reads("node_load5"));
        assert!(!used.reads("node_load15"));
        assert!(!used.reads("node_cpu_guest_seconds_total"));
    }

    #[test]
    fn grafana_queries_and_templating_functions() {
        let mut used = Used::default();
        used.add_grafana_query(
            r#"rate(redis_commands_total{instance=~"$instance"}[$__rate_interval])"#,
        );
        used.add_grafana_query("label_values(node_uname_info{job=\"$job\"}, instance)");
        used.add_grafana_query("label_values(job)");
        used.add_grafana_query("query_result(topk(5, mysql_up))");
        for name in ["redis_commands_total", "node_uname_info", "mysql_up"] {
            assert!(used.reads(name), "{name}: {used:?}");
        }
        assert_eq!(used.names.len(), 3, "{used:?}");
    }

    #[test]
    fn unbounded_labels_are_flagged_in_by_and_matchers_only() {
        assert_eq!(
            unbounded_label_uses(r#"sum by (user_id) (rate(app_requests_total{path="/a/b"}[5m]))"#),
            vec![
                "aggregates by (user_id), a label without bound: one series per value".to_string(),
                "matches path=\"/a/b\", a label without bound: the rule follows one of its values"
                    .to_string(),
            ]
        );
        for fine in [
            r#"sum without (id) (rate(container_cpu_usage_seconds_total{id!=""}[5m]))"#,
            r#"count by (route, status) (app_requests_total{url=~".+"})"#,
            "sum by (job) (up)",
        ] {
            assert_eq!(unbounded_label_uses(fine), Vec::<String>::new(), "{fine}");
        }
    }
}
