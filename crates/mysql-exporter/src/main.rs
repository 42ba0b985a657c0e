fn main() -> std::process::ExitCode {
    exporter_kit::Exporter::builder(mysql_exporter::SPEC)
        .collectors(mysql_exporter::COLLECTORS)
        .setup(mysql_exporter::setup)
        .run()
}
