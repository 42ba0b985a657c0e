//! What the fixture-tree tests share: one collector built from flags and
//! collected once, the way the exporter would run it.

use std::time::Duration;

use exporter_kit::testing::{collect_one, to_text};
use node_exporter::SPEC;
use node_exporter::collectors::COLLECTORS;

/// Builds the collector `name` from `flags` (the path flags, then the
/// test's own) and collects it once under `timeout`: (succeeded, text).
pub async fn run_collector(name: &str, flags: Vec<String>, timeout: Duration) -> (bool, String) {
    let mut argv = vec!["node-exporter".to_string()];
    argv.extend(flags);
    let cli = exporter_kit::args::parse_from(&SPEC, COLLECTORS, argv).expect("flags parse");
    let reg = COLLECTORS
        .iter()
        .find(|r| r.name == name)
        .expect("registered");
    let collector = reg
        .build(&cli.args, &exporter_kit::BuildContext::new())
        .expect("builds");
    let (result, families) = collect_one(&collector, timeout).await;
    (result.is_ok(), to_text(&families))
}
