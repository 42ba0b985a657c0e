fn main() -> std::process::ExitCode {
    exporter_kit::run(
        mysql_exporter::SPEC,
        mysql_exporter::COLLECTORS,
        mysql_exporter::setup,
    )
}
