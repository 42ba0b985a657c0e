//! `cargo xtask catalog`: regenerates `catalog/<exporter>.tsv` from our
//! own exporters. One test per exporter scrapes it in a fixed scenario
//! (the fixture tree, real servers through testkit) and checks the
//! committed file with `testkit::catalog::check`; run with testkit's write
//! switch, the same tests write the files instead, so what is committed is
//! exactly what the checks compare with.

use std::process::Command;

use anyhow::{Context as _, bail};

/// Each exporter crate, its test target and the test that checks its
/// catalog.
const TESTS: &[(&str, &str, &str)] = &[
    ("node-exporter", "catalog", "catalog_matches_the_exposition"),
    (
        "blackbox-exporter",
        "upstream_compat",
        "same_verdicts_and_families_as_upstream",
    ),
    (
        "redis-exporter",
        "catalog",
        "catalog_matches_the_exposition",
    ),
    (
        "mysql-exporter",
        "default_and_all",
        "all_scrapers_match_upstream",
    ),
    (
        "kafka-exporter",
        "kafka",
        "topics_offsets_and_consumer_group_lag",
    ),
    (
        "container-exporter",
        "docker",
        "catalog_coverage_of_default_families",
    ),
];

const CRATES: [&str; 6] = [
    TESTS[0].0, TESTS[1].0, TESTS[2].0, TESTS[3].0, TESTS[4].0, TESTS[5].0,
];

#[derive(clap::Args)]
pub struct Args {
    /// Only these crates (default: every exporter).
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(CRATES))]
    pub crates: Vec<String>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let root = crate::ci::workspace_root();
    let chosen = TESTS
        .iter()
        .filter(|(k, ..)| args.crates.is_empty() || args.crates.iter().any(|c| c == k));
    for (krate, target, test) in chosen {
        println!("==> catalog of {krate}");
        let status = Command::new(env!("CARGO"))
            .current_dir(&root)
            .args(["test", "-p", krate, "--test", target, "--", "--exact", test])
            .env(testkit::catalog::WRITE_ENV, "1")
            .status()
            .with_context(|| format!("running the catalog test of {krate}"))?;
        if !status.success() {
            bail!("the catalog test of {krate} failed ({status})");
        }
    }
    println!("catalog/ written; review with `git diff catalog/`");
    Ok(())
}
