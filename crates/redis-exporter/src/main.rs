fn main() -> std::process::ExitCode {
    exporter_kit::run(
        redis_exporter::SPEC,
        redis_exporter::COLLECTORS,
        redis_exporter::setup,
    )
}
