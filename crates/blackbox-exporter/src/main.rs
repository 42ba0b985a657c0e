fn main() -> std::process::ExitCode {
    exporter_kit::Exporter::builder(blackbox_exporter::SPEC)
        .collectors(blackbox_exporter::COLLECTORS)
        .setup(blackbox_exporter::setup)
        .preflight(blackbox_exporter::config_check)
        .run()
}
