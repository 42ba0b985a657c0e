fn main() -> std::process::ExitCode {
    let argv = container_exporter::args::translate(std::env::args_os());
    exporter_kit::run_from(
        container_exporter::SPEC,
        container_exporter::COLLECTORS,
        container_exporter::setup,
        argv,
    )
}
