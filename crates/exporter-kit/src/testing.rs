//! Helpers for exporters' tests (feature `test-util`): run collectors
//! without a server and read the result as text.

use std::time::{Duration, Instant};

use crate::collector::{AnyCollector, CollectError, ScrapeContext};
use crate::emit::Emitter;
use crate::family::Family;

/// Runs one blocking or async collector to completion and returns its
/// result and families, merged and sorted as a scrape would.
pub async fn collect_one(
    collector: &AnyCollector,
    timeout: Duration,
) -> (Result<(), CollectError>, Vec<Family>) {
    let ctx = ScrapeContext::new(Instant::now() + timeout);
    let mut out = Emitter::new();
    let result = match collector {
        AnyCollector::Blocking(c) => c.update(&ctx, &mut out),
        AnyCollector::Async(c) => c.update(&ctx, &mut out).await,
    };
    (result, crate::runner::merge(out.into_families()))
}

/// Families in the text format, for golden files and assertions.
pub fn to_text(families: &[Family]) -> String {
    let mut buf = Vec::new();
    crate::encode::encode_text(families, &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// Shared flags as an exporter would get them with no command-line
/// arguments, but listening on an ephemeral loopback port.
pub fn local_args() -> crate::args::CommonArgs {
    crate::args::CommonArgs {
        listen_addresses: vec!["127.0.0.1:0".to_string()],
        telemetry_path: "/metrics".to_string(),
        web_config_file: None,
        max_requests: 40,
        scrape_timeout_offset: 0.5,
        default_scrape_timeout: 10.0,
        disable_exporter_metrics: false,
        log_level: "info".to_string(),
        log_format: "logfmt".to_string(),
    }
}

/// A kit server running on its own runtime thread, so that tests can be
/// plain synchronous functions using blocking clients and testkit guards.
/// Stopped (gracefully) when dropped.
pub struct TestServer {
    /// The first listen address.
    pub addr: std::net::SocketAddr,
    /// Every listen address.
    pub addrs: Vec<std::net::SocketAddr>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// Builds the exporter with `build` inside the server's runtime (so it
    /// may spawn tasks) and serves it with `args`.
    pub fn start(
        args: crate::args::CommonArgs,
        build: impl FnOnce() -> crate::exporter::Exporter + Send + 'static,
    ) -> Result<TestServer, crate::http::ServeError> {
        crate::log::init("info", "logfmt");
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => panic!("test runtime: {e}"),
            };
            runtime.block_on(async move {
                let server = match crate::http::Server::bind(build(), &args).await {
                    Ok(server) => server,
                    Err(err) => {
                        let _ = ready_tx.send(Err(err));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(server.local_addrs()));
                server
                    .run(async {
                        let _ = shutdown_rx.await;
                    })
                    .await;
            });
        });
        match ready_rx.recv() {
            Ok(Ok(addrs)) => Ok(TestServer {
                addr: addrs[0],
                addrs,
                shutdown: Some(shutdown_tx),
                thread: Some(thread),
            }),
            Ok(Err(err)) => {
                let _ = thread.join();
                Err(err)
            }
            Err(_) => panic!("test server thread died before binding"),
        }
    }

    /// `http://ADDR/PATH` (`path` starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Checks that every boolean flag of an exporter's command line (found in
/// the clap command, so a flag added later is checked too) takes the
/// spellings of upstream's parser and sets the value they say: kingpin's
/// `--X`, `--X=true|false` and `--no-X`, or Go `flag`'s `-X`, `--X` and
/// `-X=false` without `--no-X` (the kit's collector switches negate under
/// both). The last occurrence wins. Panics listing every spelling that
/// failed.
pub fn assert_boolean_flags<A>(spec: &crate::Spec, registrations: &[crate::Registration<A>])
where
    A: clap::Args + clap::FromArgMatches,
{
    use clap::FromArgMatches;

    let cmd = crate::args::command(spec, registrations);
    let flags = crate::bool_flags::boolean_flags(&cmd);
    assert!(
        flags
            .iter()
            .any(|f| f.long == "web.disable-exporter-metrics"),
        "the kit's own boolean flags are found: {flags:?}"
    );
    let go_flag = spec.single_dash_long_flags;
    let mut failures = Vec::new();
    for flag in &flags {
        let x = &flag.long;
        let collector_switch = flag.id.starts_with("enable:");
        let mut cases: Vec<(Vec<String>, Option<bool>)> = vec![
            (vec![format!("--{x}")], Some(true)),
            (vec![format!("--{x}=true")], Some(true)),
            (vec![format!("--{x}=false")], Some(false)),
            (vec![format!("--{x}=0"), format!("--{x}=T")], Some(true)),
        ];
        let negation = if go_flag && !collector_switch {
            None
        } else {
            Some(false)
        };
        cases.push((vec![format!("--no-{x}")], negation));
        if negation.is_some() {
            cases.push((vec![format!("--no-{x}"), format!("--{x}")], Some(true)));
            cases.push((vec![format!("--{x}"), format!("--no-{x}")], Some(false)));
        }
        if go_flag {
            cases.push((vec![format!("-{x}")], Some(true)));
            cases.push((vec![format!("-{x}=false")], Some(false)));
            cases.push((vec![format!("-{x}=false"), format!("-{x}")], Some(true)));
        }
        for (words, expected) in cases {
            let argv = std::iter::once(spec.binary.to_string()).chain(words.iter().cloned());
            let parsed = crate::args::matches_from(spec, registrations, argv).and_then(|m| {
                A::from_arg_matches(&m)?;
                crate::CommonArgs::from_arg_matches(&m)?;
                Ok(m.get_one::<bool>(&flag.id).copied())
            });
            match (parsed, expected) {
                (Ok(Some(got)), Some(want)) if got == want => {}
                (Err(_), None) => {}
                (got, want) => failures.push(format!(
                    "{words:?}: expected {}, got {}",
                    want.map_or("an error".to_string(), |w| w.to_string()),
                    match got {
                        Ok(v) => format!("{v:?}"),
                        Err(e) => e.to_string(),
                    }
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} boolean flags checked; these spellings failed:\n{}",
        flags.len(),
        failures.join("\n")
    );
}
