//! Generated copies of the compose stack's own config files for the native
//! stack: prometheus/prometheus.yml, prometheus/rules/*.rules.yml,
//! prometheus/targets/*.yml and alertmanager/alertmanager.yml with the
//! compose service addresses replaced by loopback ports, paths made
//! absolute, and, in simulation mode, every duration divided by a factor.
//! Nothing here is a second hand-written copy: each file is read from the
//! repository and transformed.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_norway::Value;

/// A Prometheus duration (`1h30m`, `5m`, `250ms`) in milliseconds.
pub fn parse_duration(text: &str) -> Option<u64> {
    let mut total = 0u64;
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.chars().take_while(char::is_ascii_alphabetic).count();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let ms = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 7 * 86_400_000,
            "y" => 365 * 86_400_000,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(ms)?)?;
    }
    Some(total)
}

/// Formats milliseconds as a Prometheus duration: whole seconds as `Ns`,
/// else `Nms`.
pub fn format_duration(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// `text` divided by `factor`, never below `floor_ms`; unchanged when it
/// does not parse or the factor is 1.
pub fn scale(text: &str, factor: u32, floor_ms: u64) -> String {
    if factor <= 1 {
        return text.to_string();
    }
    match parse_duration(text) {
        Some(ms) => format_duration((ms / u64::from(factor)).max(floor_ms)),
        None => text.to_string(),
    }
}

/// Scales the range selectors and subquery ranges of a PromQL expression
/// (`rate(x[5m])` -> `rate(x[20s])`). Brackets whose content is not a
/// duration (a regex character class) are left alone.
pub fn scale_ranges(expr: &str, factor: u32, floor_ms: u64) -> String {
    if factor <= 1 {
        return expr.to_string();
    }
    let mut out = String::with_capacity(expr.len());
    let mut rest = expr;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..=open]);
        rest = &rest[open + 1..];
        let Some(close) = rest.find(']') else {
            break;
        };
        let inner = &rest[..close];
        let parts: Vec<&str> = inner.split(':').collect();
        let durations = parts.len() <= 2
            && parts
                .iter()
                .enumerate()
                .all(|(i, p)| parse_duration(p).is_some() || (i == 1 && p.is_empty()));
        if durations {
            let scaled: Vec<String> = parts
                .iter()
                .map(|p| {
                    if p.is_empty() {
                        String::new()
                    } else {
                        scale(p, factor, floor_ms)
                    }
                })
                .collect();
            out.push_str(&scaled.join(":"));
        } else {
            out.push_str(inner);
        }
        rest = &rest[close..];
    }
    out.push_str(rest);
    out
}

fn key(name: &str) -> Value {
    Value::String(name.to_string())
}

fn scale_field(map: &mut serde_norway::Mapping, name: &str, factor: u32, floor_ms: u64) {
    if let Some(Value::String(s)) = map.get_mut(key(name)) {
        *s = scale(s, factor, floor_ms);
    }
}

/// A rules file with every `for`, `keep_firing_for`, group `interval` and
/// range selector divided by `factor` (range selectors never below
/// `range_floor_ms`, so a rate keeps a few samples).
pub fn shorten_rules(text: &str, factor: u32, range_floor_ms: u64) -> Result<String> {
    if factor <= 1 {
        return Ok(text.to_string());
    }
    let mut doc: Value = serde_norway::from_str(text).context("parsing a rules file")?;
    let groups = doc
        .get_mut("groups")
        .and_then(Value::as_sequence_mut)
        .context("rules file without groups")?;
    for group in groups {
        let Some(group) = group.as_mapping_mut() else {
            continue;
        };
        scale_field(group, "interval", factor, 1000);
        let Some(Value::Sequence(rules)) = group.get_mut(key("rules")) else {
            continue;
        };
        for rule in rules {
            let Some(rule) = rule.as_mapping_mut() else {
                continue;
            };
            scale_field(rule, "for", factor, 0);
            scale_field(rule, "keep_firing_for", factor, 0);
            if let Some(Value::String(expr)) = rule.get_mut(key("expr")) {
                *expr = scale_ranges(expr, factor, range_floor_ms);
            }
        }
    }
    Ok(serde_norway::to_string(&doc)?)
}

/// Where the compose services live natively: `service:port` -> `127.0.0.1:P`.
pub type AddressMap = BTreeMap<String, String>;

fn substitute(text: &str, map: &AddressMap) -> String {
    let mut out = text.to_string();
    for (from, to) in map {
        out = out.replace(from.as_str(), to);
    }
    out
}

/// Whether every address in `target` is known natively (after mapping).
fn target_available(target: &str, map: &AddressMap) -> bool {
    map.keys().any(|k| target.contains(k.as_str()))
}

pub struct PrometheusInputs<'a> {
    pub repo: &'a Path,
    pub out_dir: &'a Path,
    pub map: &'a AddressMap,
    pub factor: u32,
    pub alertmanager: &'a str,
    /// Extra blackbox http_2xx targets (the endpoint `simulate endpoint-down` stops).
    pub extra_http_targets: &'a [String],
    /// The stack's own dockerd (`unix:///...`), for docker_sd_configs.
    pub docker_host: Option<&'a str>,
    /// More targets of the `node` job: (address, `host` label) of node
    /// exporters of simulated hosts.
    pub extra_node_targets: &'a [(String, String)],
}

/// Writes rules/, targets/ and returns prometheus.yml for the native stack.
/// Jobs whose targets are not running natively (docker_sd without a
/// dockerd, a broker not started) are dropped and named in `skipped`.
pub fn prometheus(inputs: &PrometheusInputs<'_>, skipped: &mut Vec<String>) -> Result<String> {
    let factor = inputs.factor;
    let src = inputs.repo.join("prometheus");
    // Rules: a shortened copy of every file.
    let rules_dir = inputs.out_dir.join("rules");
    std::fs::create_dir_all(&rules_dir)?;
    for entry in std::fs::read_dir(src.join("rules"))? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !name.ends_with(".rules.yml") {
            continue;
        }
        let text = std::fs::read_to_string(&path)?;
        let range_floor = 4 * (15_000 / u64::from(factor.max(1))).max(1000);
        let shortened = shorten_rules(&text, factor, range_floor)
            .with_context(|| format!("shortening {}", path.display()))?;
        std::fs::write(rules_dir.join(name), shortened)?;
    }
    // File-SD targets: mapped, unavailable ones dropped.
    let targets_dir = inputs.out_dir.join("targets");
    std::fs::create_dir_all(&targets_dir)?;
    for entry in std::fs::read_dir(src.join("targets"))? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let mut groups: Vec<Value> = serde_norway::from_str(&std::fs::read_to_string(&path)?)
            .with_context(|| format!("parsing {}", path.display()))?;
        for group in &mut groups {
            if let Some(Value::Sequence(targets)) = group.get_mut("targets") {
                targets.retain(|t| {
                    let t = t.as_str().unwrap_or_default();
                    let keep = target_available(t, inputs.map);
                    if !keep {
                        skipped.push(format!("probe target {t} (not running natively)"));
                    }
                    keep
                });
                for t in targets.iter_mut() {
                    if let Value::String(s) = t {
                        *s = substitute(s, inputs.map);
                    }
                }
            }
        }
        if name.starts_with("blackbox-http") && !inputs.extra_http_targets.is_empty() {
            let mut group = serde_norway::Mapping::new();
            group.insert(
                key("targets"),
                Value::Sequence(
                    inputs
                        .extra_http_targets
                        .iter()
                        .map(|t| Value::String(t.clone()))
                        .collect(),
                ),
            );
            let mut labels = serde_norway::Mapping::new();
            labels.insert(key("module"), key("http_2xx"));
            group.insert(key("labels"), Value::Mapping(labels));
            groups.push(Value::Mapping(group));
        }
        std::fs::write(targets_dir.join(name), serde_norway::to_string(&groups)?)?;
    }

    let text = std::fs::read_to_string(src.join("prometheus.yml"))?;
    let mut doc: Value = serde_norway::from_str(&text).context("parsing prometheus.yml")?;
    let Some(root) = doc.as_mapping_mut() else {
        bail!("prometheus.yml is not a mapping");
    };
    if let Some(Value::Mapping(global)) = root.get_mut(key("global")) {
        scale_field(global, "scrape_interval", factor, 1000);
        scale_field(global, "evaluation_interval", factor, 1000);
        // The timeout must stay below the interval.
        scale_field(global, "scrape_timeout", factor, 800);
    }
    root.insert(
        key("rule_files"),
        Value::Sequence(vec![Value::String(format!(
            "{}/*.rules.yml",
            rules_dir.display()
        ))]),
    );
    let alerting: Value = serde_norway::from_str(&format!(
        "alertmanagers:\n  - static_configs:\n      - targets: ['{}']\n",
        inputs.alertmanager
    ))?;
    root.insert(key("alerting"), alerting);
    if let Some(Value::Sequence(jobs)) = root.get_mut(key("scrape_configs")) {
        jobs.retain_mut(|job| {
            let name = job
                .get("job_name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let Some(job) = job.as_mapping_mut() else {
                return false;
            };
            if let Some(Value::Sequence(sds)) = job.get_mut(key("docker_sd_configs")) {
                let Some(host) = inputs.docker_host else {
                    skipped.push(format!(
                        "job {name} (docker_sd_configs: no dockerd natively)"
                    ));
                    return false;
                };
                // Discovery from the stack's own dockerd.
                for sd in sds {
                    if let Some(sd) = sd.as_mapping_mut() {
                        sd.insert(key("host"), key(host));
                        scale_field(sd, "refresh_interval", factor, 1000);
                    }
                }
            }
            if let Some(Value::Sequence(sds)) = job.get_mut(key("file_sd_configs")) {
                for sd in sds {
                    if let Some(Value::Sequence(files)) = sd.get_mut("files") {
                        for f in files {
                            if let Value::String(s) = f {
                                *s = targets_dir
                                    .join(s.trim_start_matches("targets/"))
                                    .display()
                                    .to_string();
                            }
                        }
                    }
                    if let Some(sd) = sd.as_mapping_mut() {
                        scale_field(sd, "refresh_interval", factor, 1000);
                    }
                }
            }
            // Every address the job names (targets, relabel replacements)
            // must run natively.
            let text = serde_norway::to_string(job).unwrap_or_default();
            let addresses: Vec<&str> = text
                .split(|c: char| c.is_whitespace() || "'\"[],".contains(c))
                .filter(|w| {
                    w.contains(':')
                        && w.rsplit(':')
                            .next()
                            .is_some_and(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
                })
                .collect();
            if let Some(missing) = addresses.iter().find(|a| !target_available(a, inputs.map)) {
                skipped.push(format!("job {name} ({missing} is not running natively)"));
                return false;
            }
            let mapped = substitute(&text, inputs.map);
            match serde_norway::from_str::<serde_norway::Mapping>(&mapped) {
                Ok(m) => {
                    *job = m;
                    true
                }
                Err(_) => false,
            }
        });
    }
    if let Some(Value::Sequence(jobs)) = root.get_mut(key("scrape_configs"))
        && let Some(node) = jobs
            .iter_mut()
            .find(|j| j.get("job_name").and_then(Value::as_str) == Some("node"))
        && let Some(Value::Sequence(groups)) = node.get_mut("static_configs")
    {
        for (address, host) in inputs.extra_node_targets {
            let group: Value = serde_norway::from_str(&format!(
                "targets: ['{address}']\nlabels:\n  layer: host\n  host: {host}\n"
            ))?;
            groups.push(group);
        }
    }
    Ok(serde_norway::to_string(&doc)?)
}

pub struct AlertmanagerInputs<'a> {
    pub repo: &'a Path,
    pub out_dir: &'a Path,
    pub factor: u32,
    /// The console receiver's webhook URL.
    pub console_url: &'a str,
    /// Where the Watchdog's heartbeats go (the `deadmansswitch` receiver).
    pub deadmansswitch_url: &'a str,
    /// The local Slack stand-in's URL.
    pub slack_url: &'a str,
}

fn scale_route(route: &mut Value, factor: u32) {
    let Some(map) = route.as_mapping_mut() else {
        return;
    };
    scale_field(map, "group_wait", factor, 500);
    scale_field(map, "group_interval", factor, 1000);
    scale_field(map, "repeat_interval", factor, 1000);
    if let Some(Value::Sequence(routes)) = map.get_mut(key("routes")) {
        for r in routes {
            scale_route(r, factor);
        }
    }
}

/// alertmanager.yml for the native stack: templates from the repository,
/// the console webhook and the Slack API URL pointing at the local
/// receiver, timings divided by `factor`.
pub fn alertmanager(inputs: &AlertmanagerInputs<'_>) -> Result<String> {
    let src = inputs.repo.join("alertmanager");
    let text = std::fs::read_to_string(src.join("alertmanager.yml"))?;
    let mut doc: Value = serde_norway::from_str(&text).context("parsing alertmanager.yml")?;
    let slack_file = inputs.out_dir.join("slack-webhook-url");
    std::fs::write(&slack_file, inputs.slack_url)?;
    let Some(root) = doc.as_mapping_mut() else {
        bail!("alertmanager.yml is not a mapping");
    };
    if let Some(Value::Mapping(global)) = root.get_mut(key("global")) {
        scale_field(global, "resolve_timeout", inputs.factor, 1000);
    }
    root.insert(
        key("templates"),
        Value::Sequence(vec![Value::String(format!(
            "{}/templates/*.tmpl",
            src.display()
        ))]),
    );
    if let Some(route) = root.get_mut(key("route")) {
        scale_route(route, inputs.factor);
    }
    if let Some(Value::Sequence(receivers)) = root.get_mut(key("receivers")) {
        for receiver in receivers {
            let url = if receiver.get("name").and_then(Value::as_str) == Some("deadmansswitch") {
                inputs.deadmansswitch_url
            } else {
                inputs.console_url
            };
            if let Some(Value::Sequence(hooks)) = receiver.get_mut("webhook_configs") {
                for hook in hooks {
                    if let Some(map) = hook.as_mapping_mut() {
                        map.insert(key("url"), key(url));
                    }
                }
            }
            if let Some(Value::Sequence(slacks)) = receiver.get_mut("slack_configs") {
                for slack in slacks {
                    if let Some(map) = slack.as_mapping_mut()
                        && map.contains_key(key("api_url_file"))
                    {
                        map.insert(key("api_url_file"), key(&slack_file.display().to_string()));
                    }
                }
            }
        }
    }
    Ok(serde_norway::to_string(&doc)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_scale() {
        assert_eq!(parse_duration("1h30m"), Some(5_400_000));
        assert_eq!(scale("5m", 15, 0), "20s");
        assert_eq!(scale("10s", 15, 500), "666ms");
        assert_eq!(scale("30s", 15, 0), "2s");
        assert_eq!(scale("5m", 1, 0), "5m");
        assert_eq!(
            scale_ranges(
                r#"rate(x{a=~"[0-9]"}[5m]) + max_over_time(y[1h:1m])"#,
                15,
                0
            ),
            r#"rate(x{a=~"[0-9]"}[20s]) + max_over_time(y[240s:4s])"#
        );
    }

    #[test]
    fn rules_keep_their_alerts_with_shorter_durations() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let text = std::fs::read_to_string(repo.join("prometheus/rules/app.rules.yml"))
            .unwrap_or_default();
        let short = shorten_rules(&text, 15, 4000).unwrap_or_default();
        assert!(short.contains("AppHighErrorRate"));
        assert!(short.contains("for: 20s"), "{short}");
        assert!(short.contains("[20s]"), "{short}");
        assert!(!short.contains("[5m]"), "{short}");
    }
}
