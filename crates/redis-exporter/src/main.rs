fn main() -> std::process::ExitCode {
    let argv = redis_exporter::cmdline::translate(std::env::args_os().collect(), |name| {
        std::env::var(name).ok()
    });
    exporter_kit::Exporter::builder(redis_exporter::SPEC)
        .collectors(redis_exporter::COLLECTORS)
        .setup(redis_exporter::setup)
        .args(argv)
        .run()
}
