fn main() -> std::process::ExitCode {
    exporter_kit::Exporter::builder(kafka_exporter::SPEC)
        .collectors(kafka_exporter::COLLECTORS)
        .setup(kafka_exporter::setup)
        .run()
}
