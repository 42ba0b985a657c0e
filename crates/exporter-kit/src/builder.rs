//! The one entry point of an exporter binary: parse flags, log, build,
//! serve until SIGINT/SIGTERM. `main.rs` is one chain of calls:
//!
//! ```no_run
//! # use exporter_kit::*;
//! # #[derive(clap::Args, Debug)] struct Args { #[arg(long)] threads: usize }
//! # const SPEC: Spec = Spec { name: "x_exporter", binary: "x-exporter", about: "", namespace: "x",
//! #   build_info_metric: "x_exporter_build_info", default_listen_address: ":9999", default_max_requests: 0, env_prefix: None,
//! #   collector_flag: "collector", single_dash_long_flags: false,
//! #   promhttp: exporter_kit::spec::PromHttp::None };
//! # const COLLECTORS: &[Registration<Args>] = &[];
//! # fn setup(_: &Args, _: &mut Exporter, _: &BuildContext) -> Result<(), BuildError> { Ok(()) }
//! fn main() -> std::process::ExitCode {
//!     Exporter::builder(SPEC)
//!         .collectors(COLLECTORS)
//!         .setup(setup)
//!         .runtime_threads(|args| args.threads)
//!         .run()
//! }
//! ```

use std::ffi::OsString;
use std::process::ExitCode;

use crate::args;
use crate::collector::{BuildError, Registration};
use crate::context::BuildContext;
use crate::exporter::Exporter;
use crate::http::Server;
use crate::spec::Spec;
use crate::{build_info, log};

type Setup<'a, A> = dyn FnOnce(&A, &mut Exporter, &BuildContext) -> Result<(), BuildError> + 'a;
type RuntimeThreads<'a, A> = dyn FnOnce(&A) -> usize + 'a;
type Preflight<'a, A> = dyn FnOnce(&A) -> Option<ExitCode> + 'a;

/// Collects what an exporter binary consists of; [`run`](Self::run)
/// runs it. Made by [`Exporter::builder`]; `A` is the exporter's own
/// flags, fixed by [`collectors`](ExporterBuilder::collectors).
pub struct ExporterBuilder<'a, A> {
    spec: Spec,
    registrations: &'a [Registration<A>],
    setup: Option<Box<Setup<'a, A>>>,
    argv: Option<Vec<OsString>>,
    runtime_threads: Option<Box<RuntimeThreads<'a, A>>>,
    preflight: Option<Box<Preflight<'a, A>>>,
}

impl Exporter {
    /// The entry point of the binary described by `spec`.
    pub fn builder(spec: Spec) -> ExporterBuilder<'static, ()> {
        ExporterBuilder {
            spec,
            registrations: &[],
            setup: None,
            argv: None,
            runtime_threads: None,
            preflight: None,
        }
    }
}

impl ExporterBuilder<'static, ()> {
    /// The exporter's collector table (and so the type of its flags).
    pub fn collectors<A>(self, registrations: &[Registration<A>]) -> ExporterBuilder<'_, A> {
        ExporterBuilder {
            spec: self.spec,
            registrations,
            setup: None,
            argv: self.argv,
            runtime_threads: None,
            preflight: None,
        }
    }
}

impl<'a, A> ExporterBuilder<'a, A>
where
    A: clap::Args + clap::FromArgMatches,
{
    /// What the exporter adds once its collectors are built (a probe
    /// route, a registry, collector metrics of its own). Runs inside the
    /// async runtime, so it may spawn tasks; it shares the collectors'
    /// [`BuildContext`].
    pub fn setup(
        mut self,
        setup: impl FnOnce(&A, &mut Exporter, &BuildContext) -> Result<(), BuildError> + 'a,
    ) -> Self {
        self.setup = Some(Box::new(setup));
        self
    }

    /// The command line to parse (the first item is the program name)
    /// instead of the process's, for exporters that translate upstream
    /// spellings first (cAdvisor's `--port` into `--web.listen-address`).
    pub fn args<I, T>(mut self, argv: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString>,
    {
        self.argv = Some(argv.into_iter().map(Into::into).collect());
        self
    }

    /// Sizes the async runtime from a flag, as node_exporter's
    /// `--runtime.gomaxprocs`; 0 means one thread per CPU (also the
    /// default). Collectors that block run on their own threads whatever
    /// the size.
    pub fn runtime_threads(mut self, threads: impl FnOnce(&A) -> usize + 'a) -> Self {
        self.runtime_threads = Some(Box::new(threads));
        self
    }

    /// Work on the parsed flags that may end the program before it serves
    /// (blackbox_exporter's `--config.check`): `Some(code)` exits with
    /// `code`. Runs before logging is set up and the runtime starts.
    pub fn preflight(mut self, check: impl FnOnce(&A) -> Option<ExitCode> + 'a) -> Self {
        self.preflight = Some(Box::new(check));
        self
    }

    /// The whole life of the binary: parse flags (`--help` and
    /// `--version` print and return success), log, build, serve until
    /// SIGINT/SIGTERM.
    pub fn run(self) -> ExitCode {
        let ExporterBuilder {
            spec,
            registrations,
            setup,
            argv,
            runtime_threads,
            preflight,
        } = self;
        let argv = argv.unwrap_or_else(|| std::env::args_os().collect());
        let cli = match args::parse_from(&spec, registrations, argv) {
            Ok(cli) => cli,
            Err(err) => {
                let _ = args::print(&spec, &err);
                // Exit as upstream's flag parser does: kingpin 1, Go's `flag`
                // package (the single-dash exporters: redis_exporter, cAdvisor)
                // 2. clap's message and its "a similar argument exists" tip stay.
                return if err.use_stderr() {
                    if spec.single_dash_long_flags {
                        ExitCode::from(2)
                    } else {
                        ExitCode::FAILURE
                    }
                } else {
                    ExitCode::SUCCESS
                };
            }
        };
        if let Some(code) = preflight.and_then(|check| check(&cli.args)) {
            return code;
        }
        log::init(&cli.common.log_level, &cli.common.log_format);
        crate::tune_malloc();
        let mut runtime = tokio::runtime::Builder::new_multi_thread();
        if let Some(threads) = runtime_threads.map(|f| f(&cli.args))
            && threads > 0
        {
            runtime.worker_threads(threads);
        }
        let runtime = match runtime.enable_all().build() {
            Ok(rt) => rt,
            Err(err) => {
                tracing::error!(error = %err, "cannot start the async runtime");
                return ExitCode::FAILURE;
            }
        };
        runtime.block_on(async {
            tracing::info!(
                version = build_info::VERSION,
                revision = build_info::REVISION,
                "starting {}",
                spec.binary
            );
            let setup = setup.unwrap_or_else(|| Box::new(|_, _, _| Ok(())));
            let exporter = match crate::build(spec, registrations, &cli, setup) {
                Ok(exporter) => exporter,
                Err(err) => {
                    tracing::error!(error = %err, "cannot start");
                    return ExitCode::FAILURE;
                }
            };
            tracing::info!(collectors = ?exporter.collector_names(), "enabled collectors");
            let server = match Server::bind(exporter, &cli.common).await {
                Ok(server) => server,
                Err(err) => {
                    tracing::error!(error = %err, "cannot start");
                    return ExitCode::FAILURE;
                }
            };
            server.run(crate::shutdown_signal()).await;
            ExitCode::SUCCESS
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(clap::Args, Debug)]
    struct Own {
        #[arg(long = "config.check")]
        check: bool,
    }

    const REGS: &[Registration<Own>] = &[];

    const SPEC: Spec = Spec {
        name: "test_exporter",
        binary: "test-exporter",
        about: "test",
        namespace: "test",
        build_info_metric: "test_exporter_build_info",
        default_listen_address: ":9999",
        default_max_requests: 0,
        env_prefix: None,
        collector_flag: "collector",
        single_dash_long_flags: false,
        promhttp: crate::spec::PromHttp::None,
    };

    #[test]
    fn version_prints_and_returns_success_instead_of_exiting() {
        let err = args::parse_from(&SPEC, REGS, ["x", "--version"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::DisplayVersion);
        assert!(!err.use_stderr(), "printed to stdout, exit status 0");
        // Returning at all shows that the library did not exit the process.
        let code = Exporter::builder(SPEC)
            .collectors(REGS)
            .args(["x", "--version"])
            .run();
        assert_eq!(format!("{code:?}"), format!("{:?}", ExitCode::SUCCESS));
    }

    #[test]
    fn a_preflight_sees_the_parsed_flags_and_ends_the_program() {
        let code = Exporter::builder(SPEC)
            .collectors(REGS)
            .setup(|_, _, _| panic!("the preflight ended the program before setup"))
            .preflight(|args| args.check.then(|| ExitCode::from(3)))
            .args(["x", "--config.check"])
            .run();
        assert_eq!(format!("{code:?}"), format!("{:?}", ExitCode::from(3)));
    }
}
