//! Tests of the monitoring stack's files: see `tests/`. This library holds
//! only the helpers they share.
//! They run Debian's `promtool` and `amtool` and a real
//! `prometheus-alertmanager` against the files under `prometheus/` and
//! `alertmanager/` at the repository root.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

/// A YAML file as a JSON value; a missing or malformed file fails the test
/// with its path.
pub fn load_yaml(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Debian's `promtool` with `args` in `dir`: whether it succeeded, and its
/// stdout and stderr together.
pub fn promtool(args: &[&str], dir: &Path) -> (bool, String) {
    let bin = testkit::require("promtool");
    let out = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("running promtool {args:?}: {e}"));
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}
