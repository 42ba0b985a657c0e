fn main() -> std::process::ExitCode {
    blackbox_exporter::main()
}
