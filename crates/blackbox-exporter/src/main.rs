fn main() -> std::process::ExitCode {
    exporter_kit::Exporter::builder(blackbox_exporter::SPEC)
        .collectors(blackbox_exporter::COLLECTORS)
        .args(blackbox_exporter::args::with_timeout_offset_alias(
            std::env::args_os().collect(),
        ))
        .setup(blackbox_exporter::setup)
        .preflight(blackbox_exporter::config_check)
        .run()
}
