//! `cargo xtask lint-rules`: `promtool check rules`, then the checks a
//! careful reviewer makes of every rule.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde::Deserialize;

use super::{Catalog, Problem, check_expr, parse_duration};

#[derive(clap::Args)]
pub struct Args {
    /// Rule files to check (default: prometheus/rules/*.yml).
    pub files: Vec<PathBuf>,
    /// prometheus.yml, for the scrape interval and the target labels.
    #[arg(long, default_value = "prometheus/prometheus.yml")]
    pub config: PathBuf,
    /// A directory of more catalogs (`*.tsv`, `*.md` tables of metric
    /// names) besides the repository's catalog/.
    #[arg(long, value_name = "DIR")]
    pub reference: Option<PathBuf>,
    /// The runbooks that `runbook_url` annotations point into.
    #[arg(long, default_value = "docs/runbooks.md")]
    pub runbooks: PathBuf,
    /// Where the runbooks are published: every `runbook_url` must be
    /// this, `#`, and the anchor of its alert's section. Change it for
    /// all rules at once with `cargo xtask runbook-base-url`.
    #[arg(long, env = "FERROSCOPE_RUNBOOK_BASE_URL", default_value = DEFAULT_RUNBOOK_BASE_URL)]
    pub runbook_base_url: String,
}

/// Where the project publishes docs/runbooks.md (absolute, so the links
/// work from Slack and Alertmanager's UI).
pub const DEFAULT_RUNBOOK_BASE_URL: &str =
    "https://github.com/ferroscope/ferroscope/blob/main/docs/runbooks.md";

#[derive(Debug, Deserialize)]
struct RuleFile {
    #[serde(default)]
    groups: Vec<Group>,
}

#[derive(Debug, Deserialize)]
struct Group {
    #[serde(default)]
    rules: Vec<Rule>,
}

#[derive(Debug, Deserialize)]
struct Rule {
    record: Option<String>,
    alert: Option<String>,
    #[serde(default)]
    expr: String,
    #[serde(rename = "for")]
    for_: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

/// `none` is the Watchdog's: routed to the dead man's switch, never to people.
pub const SEVERITIES: &[&str] = &["critical", "warning", "info", "none"];
pub const REQUIRED_ANNOTATIONS: &[&str] = &["summary", "description", "runbook_url"];
/// What every runbook section says, besides the meaning of its alert.
pub const RUNBOOK_PARTS: &[&str] = &["**Impact:**", "**Verify:**"];

/// What the checks need besides the file itself.
pub struct LintContext {
    pub catalog: Catalog,
    /// 4x the scrape interval.
    pub min_range: Duration,
    /// The runbooks file's sections: anchor (`hostdown`) and text.
    pub runbook_sections: Vec<(String, String)>,
    /// The runbooks file, for messages (`docs/runbooks.md`).
    pub runbook_path: String,
    /// What every `runbook_url` starts with, before `#anchor`.
    pub runbook_base_url: String,
}

/// GitHub-style anchor of a Markdown heading.
pub fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == ' ' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// Each heading's anchor with the text up to the next heading.
pub fn sections(markdown: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in markdown.lines() {
        let heading = line
            .trim_start_matches('#')
            .strip_prefix(' ')
            .filter(|_| line.starts_with('#'));
        match (heading, out.last_mut()) {
            (Some(h), _) => out.push((anchor(h), String::new())),
            (None, Some((_, text))) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

/// Rule names whose outputs other rules may use.
pub fn recorded_names(text: &str) -> Vec<String> {
    serde_norway::from_str::<RuleFile>(text)
        .map(|f| {
            f.groups
                .into_iter()
                .flat_map(|g| g.rules)
                .filter_map(|r| r.record)
                .collect()
        })
        .unwrap_or_default()
}

fn is_recording_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split(':').collect();
    let ident = |s: &str, allow_upper: bool| {
        !s.is_empty()
            && s.chars().all(|c| {
                c.is_ascii_lowercase()
                    || c.is_ascii_digit()
                    || c == '_'
                    || (allow_upper && c.is_ascii_uppercase())
            })
    };
    parts.len() == 3 && ident(parts[0], false) && ident(parts[1], true) && ident(parts[2], false)
}

/// Lines (1-based) of each `- alert:`/`- record:` in file order.
fn rule_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start();
            t.starts_with("- alert:") || t.starts_with("- record:")
        })
        .map(|(i, _)| i + 1)
        .collect()
}

/// All reviewer checks of one rule file's text.
pub fn lint_text(file: &str, text: &str, ctx: &LintContext) -> Vec<Problem> {
    let mut problems = Vec::new();
    let parsed: RuleFile = match serde_norway::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            let line = e.location().map_or(1, |l| l.line());
            problems.push(Problem {
                file: file.to_string(),
                line,
                rule: "-".to_string(),
                message: format!("not a rule file: {e}"),
            });
            return problems;
        }
    };
    let lines = rule_lines(text);
    let rules = parsed.groups.iter().flat_map(|g| &g.rules);
    for (i, rule) in rules.enumerate() {
        let line = lines.get(i).copied().unwrap_or(1);
        let name = rule
            .alert
            .clone()
            .or_else(|| rule.record.clone())
            .unwrap_or_else(|| "?".to_string());
        let mut push = |message: String| {
            problems.push(Problem {
                file: file.to_string(),
                line,
                rule: name.clone(),
                message,
            })
        };
        for p in check_expr(&rule.expr, &ctx.catalog, ctx.min_range) {
            push(p);
        }
        for p in super::usage::unbounded_label_uses(&rule.expr) {
            push(p);
        }
        if let Some(record) = &rule.record {
            if !is_recording_name(record) {
                push(format!(
                    "recording rule name {record:?} is not level:metric:operations"
                ));
            }
            if rule.for_.is_some() {
                push("recording rules take no `for`".to_string());
            }
            continue;
        }
        match rule.for_.as_deref().map(|f| (f, parse_duration(f))) {
            None => push("alert has no `for`: one bad evaluation would page".to_string()),
            Some((f, None)) => push(format!("`for: {f}` is not a duration")),
            Some((_, Some(d))) if d.is_zero() => {
                push("`for` is zero: one bad evaluation would page".to_string())
            }
            Some(_) => {}
        }
        match rule.labels.get("severity") {
            None => push("alert has no severity label".to_string()),
            Some(s) if !SEVERITIES.contains(&s.as_str()) => push(format!(
                "severity {s:?} is not one of {}",
                SEVERITIES.join(", ")
            )),
            Some(_) => {}
        }
        if !rule.labels.contains_key("layer") {
            push("alert has no layer label (Alertmanager routes on it)".to_string());
        }
        for a in REQUIRED_ANNOTATIONS {
            if rule.annotations.get(*a).is_none_or(|v| v.trim().is_empty()) {
                push(format!("alert has no {a} annotation"));
            }
        }
        if let Some(runbook) = rule.annotations.get("runbook_url") {
            match runbook.split_once('#') {
                Some((base, anchor)) if base == ctx.runbook_base_url => {
                    match ctx.runbook_sections.iter().find(|(a, _)| a == anchor) {
                        None => push(format!(
                            "runbook anchor #{anchor} is no heading of {}",
                            ctx.runbook_path
                        )),
                        Some((_, text)) => {
                            for part in RUNBOOK_PARTS {
                                if !text.contains(part) {
                                    push(format!(
                                        "runbook section #{anchor} of {} has no {part}",
                                        ctx.runbook_path
                                    ));
                                }
                            }
                        }
                    }
                }
                _ => push(format!(
                    "runbook_url {runbook:?} is not {}#<section>",
                    ctx.runbook_base_url
                )),
            }
        }
    }
    problems
}

fn promtool_check(file: &Path) -> anyhow::Result<Option<String>> {
    let out = Command::new("promtool")
        .args(["check", "rules"])
        .arg(file)
        .output()
        .context("running promtool (Debian package prometheus)")?;
    if out.status.success() {
        return Ok(None);
    }
    Ok(Some(format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )))
}

/// Builds the context from the repository's files.
pub fn context(
    repo: &Path,
    config: &Path,
    reference: Option<&Path>,
    runbooks: &Path,
    rule_texts: &[String],
) -> anyhow::Result<LintContext> {
    let mut catalog = Catalog::load(reference, repo).context("reading the catalogs")?;
    let config_text = std::fs::read_to_string(repo.join(config))
        .with_context(|| format!("reading {}", config.display()))?;
    let config: serde_norway::Value =
        serde_norway::from_str(&config_text).context("parsing prometheus.yml")?;
    catalog.add_target_labels_from_config(&config);
    for text in rule_texts {
        catalog.recorded.extend(recorded_names(text));
    }
    let runbook_text = std::fs::read_to_string(repo.join(runbooks)).unwrap_or_default();
    Ok(LintContext {
        catalog,
        min_range: super::scrape_interval(&config) * 4,
        runbook_sections: sections(&runbook_text),
        runbook_path: runbooks.display().to_string(),
        runbook_base_url: DEFAULT_RUNBOOK_BASE_URL.to_string(),
    })
}

/// Lints the files `args` names (or all of prometheus/rules): promtool
/// first, then the reviewer checks. Returns the problems and the context.
pub fn lint(args: &Args) -> anyhow::Result<(Vec<Problem>, LintContext, usize)> {
    let repo = super::repo_root();
    let mut files = args.files.clone();
    if files.is_empty() {
        for entry in std::fs::read_dir(repo.join("prometheus/rules"))? {
            let p = entry?.path();
            if p.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                files.push(p);
            }
        }
        files.sort();
    }
    let mut texts = Vec::new();
    for f in &files {
        texts.push(std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?);
    }
    let ctx = context(
        &repo,
        &args.config,
        args.reference.as_deref(),
        &args.runbooks,
        &texts,
    )?;
    let ctx = LintContext {
        runbook_base_url: args.runbook_base_url.clone(),
        ..ctx
    };
    let mut problems = Vec::new();
    for (f, text) in files.iter().zip(&texts) {
        let shown = f.strip_prefix(&repo).unwrap_or(f).display().to_string();
        if let Some(output) = promtool_check(f)? {
            for line in output.lines().filter(|l| !l.trim().is_empty()) {
                problems.push(Problem {
                    file: shown.clone(),
                    line: 1,
                    rule: "promtool".to_string(),
                    message: line.trim().to_string(),
                });
            }
        }
        problems.extend(lint_text(&shown, text, &ctx));
    }
    Ok((problems, ctx, files.len()))
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let (problems, ctx, files) = lint(&args)?;
    for p in &problems {
        println!("{p}");
    }
    if !problems.is_empty() {
        bail!("{} problem(s) in {files} rule file(s)", problems.len());
    }
    println!(
        "{files} rule file(s) clean ({} families known)",
        ctx.catalog.families.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> LintContext {
        let mut catalog = super::super::test_catalog();
        catalog
            .recorded
            .insert("instance:cpu_usage:avg".to_string());
        LintContext {
            catalog,
            min_range: Duration::from_secs(60),
            runbook_sections: sections(
                "# Runbooks\n## HostHighCpu\n**Impact:** i\n**Verify:** v\n## Bare\ntext\n",
            ),
            runbook_path: "docs/runbooks.md".to_string(),
            runbook_base_url: "https://r.test/runbooks.md".to_string(),
        }
    }

    const GOOD: &str = r#"groups:
  - name: node
    rules:
      - record: instance:cpu_usage:avg
        expr: 1 - avg without (cpu, mode) (rate(node_cpu_seconds_total{mode="idle"}[5m]))
      - alert: HostHighCpu
        expr: instance:cpu_usage:avg > 0.8
        for: 10m
        labels:
          severity: warning
          layer: host
        annotations:
          summary: s
          description: d
          runbook_url: https://r.test/runbooks.md#hosthighcpu
"#;

    fn problems(text: &str) -> Vec<String> {
        lint_text("x.yml", text, &ctx())
            .into_iter()
            .map(|p| p.to_string())
            .collect()
    }

    /// One problem, from GOOD with `from` replaced by `to`.
    fn bad(from: &str, to: &str) -> String {
        assert!(GOOD.contains(from), "{from}");
        let p = problems(&GOOD.replacen(from, to, 1));
        assert_eq!(p.len(), 1, "{from} -> {to}: {p:?}");
        p[0].clone()
    }

    #[test]
    fn a_good_file_is_clean() {
        assert_eq!(problems(GOOD), Vec::<String>::new());
    }

    #[test]
    fn problems_name_file_line_and_rule() {
        let p = bad("        for: 10m\n", "");
        assert_eq!(
            p,
            "x.yml:6: HostHighCpu: alert has no `for`: one bad evaluation would page"
        );
    }

    #[test]
    fn each_check_catches_its_bad_rule() {
        assert!(bad("for: 10m", "for: 0s").contains("`for` is zero"));
        assert!(bad("severity: warning", "severity: urgent").contains("severity \"urgent\""));
        assert!(bad("          severity: warning\n", "").contains("no severity label"));
        assert!(bad("          layer: host\n", "").contains("no layer label"));
        assert!(bad("          summary: s\n", "").contains("no summary annotation"));
        assert!(bad("          description: d\n", "").contains("no description annotation"));
        assert!(
            bad(
                "          runbook_url: https://r.test/runbooks.md#hosthighcpu\n",
                ""
            )
            .contains("no runbook_url annotation")
        );
        assert!(bad("#hosthighcpu", "#nowhere").contains("no heading"));
        assert!(
            problems(&GOOD.replacen("#hosthighcpu", "#bare", 1))
                == vec![
                    "x.yml:6: HostHighCpu: runbook section #bare of docs/runbooks.md has no **Impact:**",
                    "x.yml:6: HostHighCpu: runbook section #bare of docs/runbooks.md has no **Verify:**",
                ]
        );
        assert!(
            bad(
                "https://r.test/runbooks.md#hosthighcpu",
                "docs/runbooks.md#hosthighcpu"
            )
            .contains("is not https://r.test/runbooks.md#<section>")
        );
        assert!(
            bad("record: instance:cpu_usage:avg", "record: cpu_usage_avg")
                .contains("not level:metric:operations")
        );
        assert!(bad("[5m]", "[30s]").contains("shorter than 4x"));
        assert!(
            bad("node_cpu_seconds_total{", "node_cpu_total{").contains("no exporter's catalog")
        );
        assert!(
            bad(
                "rate(node_cpu_seconds_total{mode=\"idle\"}[5m])",
                "rate(node_load1[5m])"
            )
            .contains("gauge")
        );
        assert!(
            bad("{mode=\"idle\"}", "{mode=\"idle\",device=\"x\"}").contains("no label \"device\"")
        );
        assert!(bad("> 0.8", "> > 0.8").contains("does not parse"));
        assert!(
            bad("1 - avg without (cpu, mode)", "1 - avg by (instance, pid)")
                .contains("aggregates by (pid), a label without bound")
        );
    }

    /// The committed rules pass every check against the repository's
    /// catalogs.
    #[test]
    fn committed_rules_are_clean() {
        let args = Args {
            files: Vec::new(),
            config: PathBuf::from("prometheus/prometheus.yml"),
            reference: None,
            runbooks: PathBuf::from("docs/runbooks.md"),
            runbook_base_url: DEFAULT_RUNBOOK_BASE_URL.to_string(),
        };
        let (problems, ctx, files) = match lint(&args) {
            Ok(r) => r,
            Err(e) => panic!("lint-rules could not run: {e:#}"),
        };
        assert!(files >= 8);
        assert!(ctx.catalog.families.len() > 1000, "catalogs loaded");
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(shown.is_empty(), "{shown:#?}");
    }

    #[test]
    fn anchors_follow_github() {
        let found: Vec<String> = sections("# R\n## HostDown\nx\n## Host down (node)\n")
            .into_iter()
            .map(|(a, _)| a)
            .collect();
        assert_eq!(found, ["r", "hostdown", "host-down-node"]);
        assert_eq!(anchor("HostDown"), "hostdown");
        assert_eq!(anchor("Host down (node)"), "host-down-node");
    }
}
