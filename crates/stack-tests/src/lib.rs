//! Tests of the monitoring stack's files (no library code): see `tests/`.
//! They run Debian's `promtool` and `amtool` and a real
//! `prometheus-alertmanager` against the files under `prometheus/` and
//! `alertmanager/` at the repository root.

use std::path::PathBuf;

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."))
}
