//! sysctl: selected /proc/sys values (`--collector.sysctl.include`) as
//! numbers, and text ones (`--collector.sysctl.include-info`) as info.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, Kind, ScrapeContext,
};

use crate::args::Args;

#[derive(clap::Args, Debug, Clone)]
pub struct SysctlArgs {
    /// Select sysctl metrics to include: `name` or `name:label1,label2` to
    /// name the values of a multi-value sysctl. Repeatable.
    #[arg(long = "collector.sysctl.include", value_name = "NAME[:LABELS]", action = clap::ArgAction::Append)]
    pub sysctl_include: Vec<String>,
    /// Select sysctl metrics to include as info metrics. Repeatable.
    #[arg(long = "collector.sysctl.include-info", value_name = "NAME", action = clap::ArgAction::Append)]
    pub sysctl_include_info: Vec<String>,
}

struct Numeric {
    name: String,
    path: PathBuf,
    /// One descriptor per named value, or a single one (with an `index`
    /// label when the sysctl has several values and no names).
    keys: Vec<(String, Desc)>,
    plain: Desc,
    indexed: Desc,
}

pub struct Sysctl {
    numeric: Vec<Numeric>,
    info: Vec<(String, PathBuf)>,
    info_desc: Desc,
}

fn metric_name(name: &str) -> String {
    format!(
        "node_sysctl_{}",
        exporter_kit::desc::sanitize_label_name(name)
    )
}

fn sysctl_path(args: &Args, name: &str) -> PathBuf {
    args.proc("sys").join(name.replace('.', "/"))
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let mut numeric = Vec::new();
    for spec in &args.sysctl.sysctl_include {
        let (name, keys) = match spec.split_once(':') {
            Some((n, k)) => (n, k.split(',').map(str::to_string).collect::<Vec<_>>()),
            None => (spec.as_str(), Vec::new()),
        };
        let base = metric_name(name);
        let help = format!("sysctl {name}");
        let mk = |n: &str, labels: &[&str]| {
            Desc::try_new(n, &help, Kind::Untyped, labels)
                .map_err(|e| BuildError::new(format!("--collector.sysctl.include={spec}: {e}")))
        };
        let keys = keys
            .iter()
            .map(|k| Ok((k.clone(), mk(&format!("{base}_{k}"), &[])?)))
            .collect::<Result<Vec<_>, BuildError>>()?;
        numeric.push(Numeric {
            name: name.to_string(),
            path: sysctl_path(args, name),
            keys,
            plain: mk(&base, &[])?,
            indexed: mk(&base, &["index"])?,
        });
    }
    let info = args
        .sysctl
        .sysctl_include_info
        .iter()
        .map(|n| (n.clone(), sysctl_path(args, n)))
        .collect();
    Ok(AnyCollector::blocking(Sysctl {
        numeric,
        info,
        info_desc: Desc::gauge(
            "node_sysctl_info",
            "sysctl info",
            &["name", "value", "index"],
        ),
    }))
}

impl Collector for Sysctl {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let mut failed = Vec::new();
        for n in &self.numeric {
            let Ok(text) = std::fs::read_to_string(&n.path) else {
                failed.push(n.name.clone());
                continue;
            };
            let values: Result<Vec<f64>, _> =
                text.split_whitespace().map(str::parse::<f64>).collect();
            let Ok(values) = values else {
                failed.push(n.name.clone());
                continue;
            };
            if !n.keys.is_empty() {
                if n.keys.len() != values.len() {
                    failed.push(format!(
                        "{} ({} values, {} names)",
                        n.name,
                        values.len(),
                        n.keys.len()
                    ));
                    continue;
                }
                for ((_, d), v) in n.keys.iter().zip(&values) {
                    out.untyped(d, &[], *v);
                }
            } else if values.len() == 1 {
                out.untyped(&n.plain, &[], values[0]);
            } else {
                for (i, v) in values.iter().enumerate() {
                    out.untyped(&n.indexed, &[&i.to_string()], *v);
                }
            }
        }
        for (name, path) in &self.info {
            let Ok(text) = std::fs::read_to_string(path) else {
                failed.push(name.clone());
                continue;
            };
            for (i, v) in text.split_whitespace().enumerate() {
                out.gauge(&self.info_desc, &[name, v, &i.to_string()], 1.0);
            }
        }
        if !failed.is_empty() {
            return Err(CollectError::parse("sysctl", failed.join(", ")));
        }
        Ok(())
    }
}
