//! `cargo xtask compat REFERENCE CANDIDATE`: how well our exposition
//! covers the upstream exporter's, family by family (name, type, label
//! names). The comparison is testkit's, the same the side-by-side tests
//! with Debian's exporters assert on.

use anyhow::{Context as _, bail};
use testkit::exposition::{compare, ignores, parse};

#[derive(clap::Args)]
pub struct Args {
    /// What we must be compatible with (the upstream exporter): a URL
    /// (http://...) or a file holding text exposition format 0.0.4.
    pub reference: String,
    /// Ours, as a URL or a file.
    pub candidate: String,
    /// Regex of reference families to leave out (repeatable).
    #[arg(long, value_name = "REGEX")]
    pub ignore: Vec<String>,
    /// Also compare go_* families (a Rust binary has no Go runtime).
    #[arg(long)]
    pub no_default_ignores: bool,
    /// Print one JSON object instead of the report.
    #[arg(long)]
    pub json: bool,
    /// Fail below this coverage, in percent.
    #[arg(long, default_value_t = 0.0, value_name = "PCT")]
    pub min_coverage: f64,
}

fn read(source: &str) -> anyhow::Result<String> {
    if source.starts_with("http://") || source.starts_with("https://") {
        return reqwest::blocking::Client::new()
            .get(source)
            .header("accept", "text/plain;version=0.0.4")
            .timeout(std::time::Duration::from_secs(30))
            .send()
            .and_then(|r| r.error_for_status())
            .and_then(|r| r.text())
            .with_context(|| format!("fetching {source}"));
    }
    std::fs::read_to_string(source).with_context(|| format!("reading {source}"))
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let extra: Vec<&str> = args.ignore.iter().map(String::as_str).collect();
    let ignores = ignores(&extra, !args.no_default_ignores).context("--ignore")?;
    let reference = parse(&read(&args.reference)?).context("reference exposition")?;
    let candidate = parse(&read(&args.candidate)?).context("candidate exposition")?;
    let coverage = compare(&reference, &candidate, &ignores);
    if args.json {
        println!("{}", serde_json::to_string(&coverage)?);
    } else {
        println!("{coverage}");
    }
    if coverage.coverage_pct < args.min_coverage {
        bail!(
            "coverage {:.1}% is below --min-coverage {}",
            coverage.coverage_pct,
            args.min_coverage
        );
    }
    Ok(())
}
