fn main() -> std::process::ExitCode {
    exporter_kit::Exporter::builder(mysql_exporter::SPEC)
        .collectors(mysql_exporter::COLLECTORS)
        .setup(mysql_exporter::setup)
        .args(mysql_exporter::args::translate(
            std::env::args_os().collect(),
        ))
        .run()
}
