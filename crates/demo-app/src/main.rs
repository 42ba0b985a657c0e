//! `demo-app`: serve the sample API (and its /metrics through exporter-kit),
//! or `demo-app load ...` to generate traffic against one.

use std::process::ExitCode;

fn main() -> ExitCode {
    if std::env::args_os().nth(1).is_some_and(|a| a == "load") {
        return demo_app::load::main(std::env::args_os().skip(1));
    }
    exporter_kit::Exporter::builder(demo_app::SPEC)
        .collectors(demo_app::COLLECTORS)
        .setup(demo_app::setup)
        .run()
}
