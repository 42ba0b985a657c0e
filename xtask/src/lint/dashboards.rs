//! `cargo xtask lint-dashboards`: every panel query of grafana/dashboards
//! parses as PromQL, uses metrics and labels that exist, and names the
//! datasource uid the provisioning defines.

use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Dashboard files (default: grafana/dashboards/*.json).
    pub files: Vec<PathBuf>,
    /// Upstream catalogs (default: ../shared/reference beside the repository).
    #[arg(long)]
    pub reference: Option<PathBuf>,
}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("lint-dashboards: no dashboards yet")
}
