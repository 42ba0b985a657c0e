fn main() -> std::process::ExitCode {
    exporter_kit::Exporter::builder(node_exporter::SPEC)
        .collectors(node_exporter::collectors::COLLECTORS)
        .setup(node_exporter::setup)
        .runtime_threads(|args| usize::try_from(args.runtime_gomaxprocs).unwrap_or(0))
        .run()
}
