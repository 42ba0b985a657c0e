//! `cargo xtask dashboards`: writes grafana/dashboards/*.json from the
//! definitions in this module's files (one per dashboard), so every
//! dashboard has the same skeleton: a `datasource` variable instead of a
//! hard-coded uid, `__inputs`/`__requires` for Grafana's Import,
//! `job`/`host`/`instance` variables, collapsible rows, a description and a
//! unit on every panel, alert thresholds drawn as red lines, and links that
//! keep the time range and the variables. The committed JSON is what
//! Grafana loads; `--check` (and a test) fail when it is not what this
//! code writes.

mod api;
mod containers;
mod endpoints;
mod kafka;
mod monitoring;
mod mysql;
mod node;
mod overview;
mod redis;

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

#[derive(clap::Args)]
pub struct Args {
    /// Do not write: fail when a committed dashboard differs from what
    /// would be written.
    #[arg(long)]
    pub check: bool,
}

/// Every dashboard: (file name, definition).
pub fn all() -> Vec<(&'static str, Dashboard)> {
    vec![
        ("overview.json", overview::dashboard()),
        ("node.json", node::dashboard()),
        ("containers.json", containers::dashboard()),
        ("endpoints.json", endpoints::dashboard()),
        ("redis.json", redis::dashboard()),
        ("mysql.json", mysql::dashboard()),
        ("kafka.json", kafka::dashboard()),
        ("api.json", api::dashboard()),
        ("monitoring.json", monitoring::dashboard()),
    ]
}

/// The text written for one dashboard (pretty JSON, trailing newline).
pub fn render_text(d: &Dashboard) -> String {
    let mut text = serde_json::to_string_pretty(&d.render()).unwrap_or_default();
    text.push('\n');
    text
}

fn dir() -> PathBuf {
    crate::lint::repo_root().join("grafana/dashboards")
}

/// The committed dashboards that differ from the generated ones.
pub fn stale() -> anyhow::Result<Vec<String>> {
    let mut stale = Vec::new();
    for (file, d) in all() {
        let path = dir().join(file);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != render_text(&d) {
            stale.push(file.to_string());
        }
    }
    Ok(stale)
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if args.check {
        let stale = stale()?;
        if !stale.is_empty() {
            bail!(
                "not what `cargo xtask dashboards` writes: {}",
                stale.join(", ")
            );
        }
        println!("dashboards up to date");
        return Ok(());
    }
    for (file, d) in all() {
        let path = dir().join(file);
        std::fs::write(&path, render_text(&d))
            .with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// The datasource every panel, query and variable refers to.
fn datasource() -> Value {
    json!({"type": "prometheus", "uid": "${datasource}"})
}

/// The uid of the Prometheus datasource grafana/provisioning defines: the
/// `datasource` variable's default, so the compose stack binds without a
/// choice; another Grafana falls back to its own Prometheus (or Import
/// asks, from `__inputs`).
pub const PROVISIONED_UID: &str = "prometheus";

/// A template variable.
pub enum Var {
    /// `label_values(<selector>, <label>)`, multi-valued with "All"
    /// (`.*` when `all_matches_absent`, so targets without the label stay).
    Query {
        name: &'static str,
        label: &'static str,
        query: String,
        all_matches_absent: bool,
    },
}

impl Var {
    pub fn query(name: &'static str, label: &'static str, query: impl Into<String>) -> Var {
        Var::Query {
            name,
            label,
            query: query.into(),
            all_matches_absent: false,
        }
    }

    /// As [`Var::query`], "All" is `.*`: series without the label match.
    pub fn optional(name: &'static str, label: &'static str, query: impl Into<String>) -> Var {
        Var::Query {
            name,
            label,
            query: query.into(),
            all_matches_absent: true,
        }
    }

    fn render(&self) -> Value {
        match self {
            Var::Query {
                name,
                label,
                query,
                all_matches_absent,
            } => {
                let mut v = json!({
                    "name": name,
                    "label": label,
                    "type": "query",
                    "datasource": datasource(),
                    "query": {"query": query, "refId": name},
                    "definition": query,
                    "refresh": 2,
                    "multi": true,
                    "includeAll": true,
                    "current": {"text": "All", "value": "$__all"},
                    "sort": 1,
                });
                if *all_matches_absent {
                    v["allValue"] = json!(".*");
                }
                v
            }
        }
    }
}

/// The standard variables of a layer dashboard: `job`, `host` and
/// `instance` of the targets exposing `metric`, each narrowed by the one
/// before. Queries use them through [`LAYER_SELECTOR`].
pub fn layer_vars(metric: &str) -> Vec<Var> {
    vec![
        Var::query("job", "job", format!("label_values({metric}, job)")),
        Var::optional(
            "host",
            "host",
            format!("label_values({metric}{{job=~\"$job\"}}, host)"),
        ),
        Var::query(
            "instance",
            "instance",
            format!("label_values({metric}{{job=~\"$job\",host=~\"$host\"}}, instance)"),
        ),
    ]
}

/// What `$S` in a layer dashboard's query stands for.
pub const LAYER_SELECTOR: &str = r#"job=~"$job",host=~"$host",instance=~"$instance""#;

pub struct Dashboard {
    pub uid: &'static str,
    pub title: &'static str,
    pub description: String,
    pub vars: Vec<Var>,
    /// What `$S` in a query is replaced by.
    pub selector: &'static str,
    pub rows: Vec<Row>,
}

pub struct Row {
    pub title: &'static str,
    pub open: bool,
    pub panels: Vec<Panel>,
}

/// A row shown expanded when the dashboard opens.
pub fn open_row(title: &'static str, panels: Vec<Panel>) -> Row {
    Row {
        title,
        open: true,
        panels,
    }
}

/// A row collapsed until clicked (its queries run only then).
pub fn row(title: &'static str, panels: Vec<Panel>) -> Row {
    Row {
        title,
        open: false,
        panels,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Timeseries,
    Stat,
}

/// Threshold steps: base colour, then (value, colour) ascending.
type Steps = (&'static str, Vec<(f64, &'static str)>);

pub struct Panel {
    kind: Kind,
    title: String,
    description: String,
    unit: &'static str,
    targets: Vec<(String, String)>,
    width: u32,
    height: u32,
    steps: Option<Steps>,
    min: Option<f64>,
    max: Option<f64>,
    stacked: bool,
    links: Vec<Value>,
}

/// A time series panel; `description` says what it shows and what is bad.
pub fn ts(title: impl Into<String>, description: impl Into<String>) -> Panel {
    Panel {
        kind: Kind::Timeseries,
        title: title.into(),
        description: description.into(),
        unit: "",
        targets: Vec::new(),
        width: 12,
        height: 8,
        steps: None,
        min: None,
        max: None,
        stacked: false,
        links: Vec::new(),
    }
}

/// A single-value panel (the last value; coloured by its thresholds).
pub fn stat(title: impl Into<String>, description: impl Into<String>) -> Panel {
    Panel {
        kind: Kind::Stat,
        width: 4,
        height: 4,
        ..ts(title, description)
    }
}

impl Panel {
    pub fn unit(mut self, unit: &'static str) -> Self {
        self.unit = unit;
        self
    }

    /// A query and its legend.
    pub fn q(mut self, expr: impl Into<String>, legend: impl Into<String>) -> Self {
        self.targets.push((expr.into(), legend.into()));
        self
    }

    pub fn w(mut self, width: u32) -> Self {
        self.width = width;
        self
    }

    pub fn min(mut self, v: f64) -> Self {
        self.min = Some(v);
        self
    }

    pub fn max(mut self, v: f64) -> Self {
        self.max = Some(v);
        self
    }

    /// Series stacked (parts of a whole: CPU modes, memory kinds).
    pub fn stacked(mut self) -> Self {
        self.stacked = true;
        self
    }

    /// The alert `alert` fires above `value`: drawn as a red line (a red
    /// value on a stat panel), named in the description.
    pub fn alert_above(mut self, value: f64, alert: &str) -> Self {
        self.steps = Some(("green", vec![(value, "red")]));
        self.description
            .push_str(&format!(" Red line: the {alert} alert's threshold."));
        self
    }

    /// The alert `alert` fires below `value`.
    pub fn alert_below(mut self, value: f64, alert: &str) -> Self {
        self.steps = Some(("red", vec![(value, "green")]));
        self.description
            .push_str(&format!(" Red area: below the {alert} alert's threshold."));
        self
    }

    /// Colours without an alert behind them (a stat's warning levels).
    pub fn colors(mut self, base: &'static str, steps: &[(f64, &'static str)]) -> Self {
        self.steps = Some((base, steps.to_vec()));
        self
    }

    /// The panel's data exists only where `condition` holds (hardware, a
    /// kernel feature, an exporter flag): said in the description, which
    /// `lint-dashboards --live` reads to accept the panel empty.
    pub fn only_where(mut self, condition: &str) -> Self {
        self.description.push_str(&format!(
            " {} {condition}.",
            crate::lint::dashboards::CONDITIONAL
        ));
        self
    }

    /// A data link on every series to dashboard `uid`, keeping the time
    /// range, the datasource, the `host` selection and the series' `job`
    /// and `instance` (the panel's queries keep those labels).
    pub fn drill(mut self, title: &str, uid: &str) -> Self {
        self.links.push(json!({
            "title": title,
            "url": format!(
                "/d/{uid}?${{__url_time_range}}&var-datasource=${{datasource}}&${{host:queryparam}}&var-job=${{__field.labels.job}}&var-instance=${{__field.labels.instance}}"
            ),
        }));
        self
    }

    fn render(&self, id: u32, x: u32, y: u32, selector: &str) -> Value {
        let targets: Vec<Value> = self
            .targets
            .iter()
            .enumerate()
            .map(|(i, (expr, legend))| {
                let ref_id = char::from(b'A' + u8::try_from(i).unwrap_or(25));
                json!({
                    "datasource": datasource(),
                    "refId": ref_id.to_string(),
                    "expr": expr.replace("$S", selector),
                    "legendFormat": legend,
                    "range": self.kind == Kind::Timeseries,
                    "instant": self.kind == Kind::Stat,
                })
            })
            .collect();
        let (base, steps) = self.steps.clone().unwrap_or((
            if self.kind == Kind::Stat {
                "blue"
            } else {
                "green"
            },
            Vec::new(),
        ));
        let mut threshold_steps = vec![json!({"color": base, "value": null})];
        threshold_steps.extend(steps.iter().map(|(v, c)| json!({"color": c, "value": v})));
        let mut defaults = json!({
            "unit": self.unit,
            "thresholds": {"mode": "absolute", "steps": threshold_steps},
            "links": self.links,
        });
        if let Some(min) = self.min {
            defaults["min"] = json!(min);
        }
        if let Some(max) = self.max {
            defaults["max"] = json!(max);
        }
        let options = match self.kind {
            Kind::Timeseries => {
                defaults["color"] = json!({"mode": "palette-classic"});
                defaults["custom"] = json!({
                    "drawStyle": "line",
                    "lineWidth": 1,
                    "fillOpacity": if self.stacked { 30 } else { 10 },
                    "showPoints": "never",
                    "spanNulls": false,
                    "stacking": {"mode": if self.stacked { "normal" } else { "none" }, "group": "A"},
                    "thresholdsStyle": {"mode": if self.steps.is_some() { "line+area" } else { "off" }},
                });
                json!({
                    "legend": {"displayMode": "table", "placement": "bottom", "calcs": ["mean", "max", "lastNotNull"]},
                    "tooltip": {"mode": "multi", "sort": "desc"},
                })
            }
            Kind::Stat => {
                defaults["color"] = json!({"mode": "thresholds"});
                json!({
                    "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": false},
                    "colorMode": "value",
                    "graphMode": "none",
                    "justifyMode": "auto",
                    "orientation": "auto",
                    "textMode": "auto",
                })
            }
        };
        json!({
            "id": id,
            "type": match self.kind { Kind::Timeseries => "timeseries", Kind::Stat => "stat" },
            "title": self.title,
            "description": self.description,
            "datasource": datasource(),
            "gridPos": {"h": self.height, "w": self.width, "x": x, "y": y},
            "fieldConfig": {"defaults": defaults, "overrides": []},
            "options": options,
            "targets": targets,
        })
    }
}

impl Dashboard {
    pub fn render(&self) -> Value {
        let mut id = 0;
        let mut y = 0;
        let mut panels = Vec::new();
        for row in &self.rows {
            id += 1;
            let mut row_json = json!({
                "id": id,
                "type": "row",
                "title": row.title,
                "collapsed": !row.open,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                "panels": [],
            });
            y += 1;
            let (mut x, mut line_height) = (0, 0);
            let mut inner = Vec::new();
            for p in &row.panels {
                if x + p.width > 24 {
                    x = 0;
                    y += line_height;
                    line_height = 0;
                }
                id += 1;
                inner.push(p.render(id, x, y, self.selector));
                x += p.width;
                line_height = line_height.max(p.height);
            }
            y += line_height;
            if row.open {
                panels.push(row_json);
                panels.extend(inner);
            } else {
                // Collapsed, the row takes one line; its panels keep the
                // places they get when it is expanded.
                y = row_json["gridPos"]["y"]
                    .as_u64()
                    .map_or(y, |row_y| u32::try_from(row_y).unwrap_or(0) + 1);
                row_json["panels"] = Value::Array(inner);
                panels.push(row_json);
            }
        }
        let mut kinds: Vec<&str> = Vec::new();
        for p in self.rows.iter().flat_map(|r| &r.panels) {
            let k = match p.kind {
                Kind::Timeseries => "timeseries",
                Kind::Stat => "stat",
            };
            if !kinds.contains(&k) {
                kinds.push(k);
            }
        }
        kinds.sort_unstable();
        let mut requires = vec![
            json!({"type": "grafana", "id": "grafana", "name": "Grafana", "version": "10.0.0"}),
            json!({"type": "datasource", "id": "prometheus", "name": "Prometheus", "version": "1.0.0"}),
        ];
        requires.extend(kinds.iter().map(|k| {
            json!({"type": "panel", "id": k, "name": if *k == "stat" { "Stat" } else { "Time series" }, "version": ""})
        }));
        let mut vars = vec![json!({
            "name": "datasource",
            "label": "Data source",
            "type": "datasource",
            "query": "prometheus",
            "current": {"selected": true, "text": "Prometheus", "value": PROVISIONED_UID},
            "hide": 0,
            "refresh": 1,
            "regex": "",
            "includeAll": false,
            "multi": false,
            "options": [],
        })];
        vars.extend(self.vars.iter().map(Var::render));
        json!({
            "__inputs": [{
                "name": "DS_PROMETHEUS",
                "label": "Prometheus",
                "description": "The Prometheus that scrapes ferroscope's exporters (the dashboard's datasource variable).",
                "type": "datasource",
                "pluginId": "prometheus",
                "pluginName": "Prometheus",
            }],
            "__requires": requires,
            "uid": self.uid,
            "title": self.title,
            "description": self.description,
            "tags": ["ferroscope"],
            "timezone": "browser",
            "schemaVersion": 39,
            "version": 1,
            "editable": false,
            "graphTooltip": 1,
            "refresh": "30s",
            "time": {"from": "now-1h", "to": "now"},
            "links": [{
                "title": "ferroscope",
                "type": "dashboards",
                "tags": ["ferroscope"],
                "asDropdown": true,
                "keepTime": true,
                "includeVars": true,
            }],
            "templating": {"list": vars},
            "annotations": {"list": [{
                "name": "Firing alerts",
                "datasource": datasource(),
                "enable": true,
                "iconColor": "red",
                "expr": "ALERTS{alertstate=\"firing\"}",
                "titleFormat": "{{alertname}}",
                "textFormat": "{{instance}}",
                "step": "60s",
                "useValueForTime": false,
            }]},
            "panels": panels,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed JSON is what this module writes: edit the Rust, run
    /// `cargo xtask dashboards`.
    #[test]
    fn committed_dashboards_are_generated() {
        let stale = match stale() {
            Ok(s) => s,
            Err(e) => panic!("{e:#}"),
        };
        assert!(
            stale.is_empty(),
            "run `cargo xtask dashboards`: {stale:?} differ"
        );
    }

    /// The node dashboard's failing-collectors panel leaves out the
    /// collectors the alert leaves out.
    #[test]
    fn failing_collectors_match_the_alert() {
        let rules = crate::lint::repo_root().join("prometheus/rules/exporters.rules.yml");
        let text = std::fs::read_to_string(&rules).unwrap_or_default();
        assert!(
            text.contains(node::HARDWARE),
            "{} no longer has {}",
            rules.display(),
            node::HARDWARE
        );
    }

    #[test]
    fn panels_flow_left_to_right_and_wrap() {
        let d = Dashboard {
            uid: "u",
            title: "t",
            description: String::new(),
            vars: Vec::new(),
            selector: "job=~\"$job\"",
            rows: vec![
                open_row(
                    "A",
                    vec![
                        ts("a", "d").unit("s").q("up{$S}", ""),
                        ts("b", "d").unit("s").q("up", "").w(16),
                    ],
                ),
                row("B", vec![stat("c", "d").unit("none").q("up", "")]),
                row("C", vec![stat("e", "d").unit("none").q("up", "")]),
            ],
        };
        let v = d.render();
        let panels = v["panels"].as_array().cloned().unwrap_or_default();
        assert_eq!(panels.len(), 5, "{v:#}");
        assert_eq!(
            panels[1]["gridPos"],
            json!({"h": 8, "w": 12, "x": 0, "y": 1})
        );
        assert_eq!(
            panels[2]["gridPos"],
            json!({"h": 8, "w": 16, "x": 0, "y": 9})
        );
        assert_eq!(panels[1]["targets"][0]["expr"], "up{job=~\"$job\"}");
        assert_eq!(panels[3]["collapsed"], true);
        assert_eq!(panels[3]["gridPos"]["y"], 17);
        assert_eq!(panels[3]["panels"][0]["gridPos"]["y"], 18);
        assert_eq!(
            panels[4]["gridPos"]["y"], 18,
            "a collapsed row takes one line"
        );
    }
}
