fn main() -> std::process::ExitCode {
    exporter_kit::run(
        kafka_exporter::SPEC,
        kafka_exporter::COLLECTORS,
        kafka_exporter::setup,
    )
}
