fn main() -> std::process::ExitCode {
    exporter_kit::Exporter::builder(container_exporter::SPEC)
        .collectors(container_exporter::COLLECTORS)
        .setup(container_exporter::setup)
        .args(container_exporter::args::translate(std::env::args_os()))
        .run()
}
