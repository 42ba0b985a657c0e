//! Collectors and helpers shared by the kit's integration tests.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use exporter_kit::{
    AnyCollector, AsyncCollector, Bucket, CollectError, Collector, Desc, Emitter, Exporter,
    Histogram, ScrapeContext, Spec, Summary,
};

pub const SPEC: Spec = Spec {
    name: "kit_test_exporter",
    binary: "kit-test",
    about: "exporter-kit integration tests",
    namespace: "kit",
    build_info_metric: "kit_exporter_build_info",
    default_listen_address: "127.0.0.1:0",
    default_max_requests: 40,
    env_prefix: None,
    collector_flag: "collector",
    single_dash_long_flags: false,
    promhttp: exporter_kit::spec::PromHttp::None,
};

/// One family of every kind, with known values.
pub struct Known {
    value: Desc,
    events: Desc,
    legacy: Desc,
    latency: Desc,
    rpc: Desc,
    untyped: Desc,
    info: Desc,
}

impl Known {
    pub fn new() -> Known {
        Known {
            value: Desc::gauge("kit_test_value", "A gauge.", &["kind"]),
            events: Desc::counter("kit_test_events_total", "A counter.", &[]),
            legacy: Desc::counter(
                "kit_test_legacy_counter",
                "A counter named without _total, as some upstreams have.",
                &[],
            ),
            latency: Desc::histogram("kit_test_latency_seconds", "A histogram.", &[]),
            rpc: Desc::summary("kit_test_rpc_seconds", "A summary.", &[]),
            untyped: Desc::untyped("kit_test_untyped", "An untyped value.", &[]),
            info: Desc::gauge(
                "kit_test_info",
                "Series of several label sets.",
                &["name", "model"],
            )
            .omitting_empty_labels(),
        }
    }
}

impl Collector for Known {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        out.gauge(&self.value, &["a"], 42.5);
        out.gauge(&self.value, &["b \"quoted\"\n"], -1.0);
        out.counter(&self.events, &[], 7.0);
        out.counter(&self.legacy, &[], 3.0);
        out.histogram(
            &self.latency,
            &[],
            Histogram {
                buckets: vec![
                    Bucket {
                        upper_bound: 0.1,
                        cumulative_count: 1,
                    },
                    Bucket {
                        upper_bound: 1.0,
                        cumulative_count: 3,
                    },
                ],
                sum: 2.5,
                count: 4,
            },
        );
        out.summary(
            &self.rpc,
            &[],
            Summary {
                quantiles: vec![(0.5, 0.2), (0.99, 0.9)],
                sum: 10.0,
                count: 20,
            },
        );
        out.untyped(&self.untyped, &[], 5.0);
        out.gauge(&self.info, &["BAT0", "X1"], 1.0);
        out.gauge(&self.info, &["AC", ""], 2.0);
        Ok(())
    }
}

/// Sleeps past any sensible deadline, counting how often it was started.
pub struct SlowBlocking {
    pub sleep: Duration,
    pub started: Arc<AtomicUsize>,
    pub desc: Desc,
}

impl Collector for SlowBlocking {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        self.started.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(self.sleep);
        out.gauge(&self.desc, &[], 1.0);
        Ok(())
    }
}

/// Holds the scrapes that run a [`Gated`] collector until the test opens
/// it, and counts the scrapes that reached it: a test acts while a scrape
/// is certainly in flight, whatever the machine's speed.
#[derive(Clone, Default)]
pub struct Gate(Arc<(Mutex<GateState>, Condvar)>);

#[derive(Default)]
struct GateState {
    open: bool,
    entered: usize,
}

/// Longest a test waits on a gate: a broken test fails instead of hanging.
const GATE_PATIENCE: Duration = Duration::from_secs(30);

impl Gate {
    pub fn open(&self) {
        self.0.0.lock().unwrap().open = true;
        self.0.1.notify_all();
    }

    pub fn close(&self) {
        self.0.0.lock().unwrap().open = false;
    }

    /// Waits until `n` scrapes in all have reached the gate.
    pub fn wait_entered(&self, n: usize) -> bool {
        let (state, changed) = &*self.0;
        let guard = state.lock().unwrap();
        let (guard, _) = changed
            .wait_timeout_while(guard, GATE_PATIENCE, |s| s.entered < n)
            .unwrap();
        guard.entered >= n
    }

    fn pass(&self) {
        let (state, changed) = &*self.0;
        let mut guard = state.lock().unwrap();
        guard.entered += 1;
        changed.notify_all();
        let _ = changed
            .wait_timeout_while(guard, GATE_PATIENCE, |s| !s.open)
            .unwrap();
    }
}

/// A collector that waits at its [`Gate`], then writes one gauge.
pub struct Gated {
    pub gate: Gate,
    pub desc: Desc,
}

impl Collector for Gated {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        self.gate.pass();
        out.gauge(&self.desc, &[], 1.0);
        Ok(())
    }
}

pub struct SlowAsync {
    pub sleep: Duration,
    pub desc: Desc,
}

#[async_trait::async_trait]
impl AsyncCollector for SlowAsync {
    async fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        tokio::time::sleep(self.sleep).await;
        out.gauge(&self.desc, &[], 1.0);
        Ok(())
    }
}

pub struct Panics;

impl Collector for Panics {
    fn update(&self, _ctx: &ScrapeContext, _out: &mut Emitter) -> Result<(), CollectError> {
        panic!("collector bug");
    }
}

pub struct Fails(pub Desc);

impl Collector for Fails {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        out.gauge(&self.0, &[], 1.0);
        Err(CollectError::backend("backend refused"))
    }
}

/// Writes the same series twice and a series with a wrong label count.
pub struct Sloppy(pub Desc);

impl Collector for Sloppy {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        out.gauge(&self.0, &["x"], 1.0);
        out.gauge(&self.0, &["x"], 2.0);
        out.gauge(&self.0, &[], 3.0);
        Ok(())
    }
}

pub fn known_exporter() -> Exporter {
    let mut exporter = Exporter::new(SPEC);
    exporter.collector("known", AnyCollector::blocking(Known::new()));
    exporter
}

/// The value of the first series line starting with `prefix` in a text
/// exposition.
pub fn sample(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}
