fn main() -> std::process::ExitCode {
    let argv = redis_exporter::cmdline::translate(std::env::args_os().collect(), |name| {
        std::env::var(name).ok()
    });
    exporter_kit::run_from(
        redis_exporter::SPEC,
        redis_exporter::COLLECTORS,
        redis_exporter::setup,
        argv,
    )
}
