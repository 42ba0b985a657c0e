fn main() -> std::process::ExitCode {
    exporter_kit::run(
        node_exporter::SPEC,
        node_exporter::collectors::COLLECTORS,
        node_exporter::setup,
    )
}
