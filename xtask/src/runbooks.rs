//! `cargo xtask runbook-base-url URL`: moves every alert's `runbook_url`
//! to another published copy of docs/runbooks.md (a wiki, an internal Git
//! host). The base is one string in every rule; this rewrites it in the
//! rules, their promtool tests and the generated Kubernetes rules, and
//! `lint-rules --runbook-base-url URL` then holds the rules to it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

#[derive(clap::Args)]
pub struct Args {
    /// The new base: the URL of the published runbooks file, without `#`.
    pub url: String,
}

fn yml_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yml"))
        .collect();
    files.sort();
    Ok(files)
}

/// The bases (`URL` of `URL#anchor`) the rules' runbook_url annotations use.
pub fn bases(rule_text: &str) -> BTreeSet<String> {
    let Ok(doc) = serde_norway::from_str::<serde_norway::Value>(rule_text) else {
        return BTreeSet::new();
    };
    doc["groups"]
        .as_sequence()
        .into_iter()
        .flatten()
        .flat_map(|g| g["rules"].as_sequence().into_iter().flatten())
        .filter_map(|r| r["annotations"]["runbook_url"].as_str())
        .filter_map(|u| u.split_once('#').map(|(base, _)| base.to_string()))
        .collect()
}

/// `text` with every `OLD#` of `old` turned into `NEW#`.
pub fn rebase(text: &str, old: &BTreeSet<String>, new: &str) -> String {
    old.iter().fold(text.to_string(), |t, base| {
        t.replace(&format!("{base}#"), &format!("{new}#"))
    })
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let url = args.url.trim_end_matches('#');
    if url.contains('#') || !(url.starts_with("https://") || url.starts_with("http://")) {
        bail!("{url:?}: give an absolute http(s) URL without a #fragment");
    }
    let root = crate::ci::workspace_root();
    let rules = yml_files(&root.join("prometheus/rules"))?;
    let mut old = BTreeSet::new();
    for f in &rules {
        old.extend(bases(&std::fs::read_to_string(f)?));
    }
    let tests = yml_files(&root.join("prometheus/tests"))?;
    for f in rules.iter().chain(&tests) {
        let text = std::fs::read_to_string(f)?;
        let new = rebase(&text, &old, url);
        if new != text {
            std::fs::write(f, new).with_context(|| format!("writing {}", f.display()))?;
        }
    }
    println!(
        "runbook_url base {} -> {url} in prometheus/rules and prometheus/tests",
        old.into_iter().collect::<Vec<_>>().join(", ")
    );
    crate::k8s::run(crate::k8s::Args { check: false })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebase_moves_every_link_and_keeps_the_anchor() {
        let rules = "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: vector(1)\n        annotations:\n          runbook_url: https://old.test/r.md#a\n";
        let old = bases(rules);
        assert_eq!(old, BTreeSet::from(["https://old.test/r.md".to_string()]));
        let moved = rebase(rules, &old, "https://wiki.test/runbooks");
        assert!(
            moved.contains("runbook_url: https://wiki.test/runbooks#a"),
            "{moved}"
        );
        assert!(!moved.contains("old.test"));
    }
}
