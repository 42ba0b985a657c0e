fn main() -> std::process::ExitCode {
    exporter_kit::run_sized(
        node_exporter::SPEC,
        node_exporter::collectors::COLLECTORS,
        node_exporter::setup,
        |args| usize::try_from(args.runtime_gomaxprocs).unwrap_or(0),
    )
}
