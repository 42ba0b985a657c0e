//! A slow, failing or panicking collector costs only its own families.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use exporter_kit::testing::{TestServer, local_args};
use exporter_kit::{AnyCollector, Desc, Exporter};

fn scrape(server: &TestServer, timeout_header: &str) -> (String, Duration) {
    let started = Instant::now();
    let body = testkit::http()
        .get(server.url("/metrics"))
        .header("X-Prometheus-Scrape-Timeout-Seconds", timeout_header)
        .send()
        .and_then(|r| {
            assert_eq!(r.status(), 200);
            r.text()
        })
        .expect("scrape");
    (body, started.elapsed())
}

#[test]
fn stuck_collectors_lose_only_their_own_families_and_threads_do_not_pile_up() {
    let started = Arc::new(AtomicUsize::new(0));
    let counter = started.clone();
    let server = TestServer::start(local_args(), move || {
        let mut e = Exporter::new(SPEC);
        e.collector("known", AnyCollector::blocking(Known::new()));
        e.collector(
            "slow_blocking",
            AnyCollector::blocking(SlowBlocking {
                sleep: Duration::from_secs(3),
                started: counter,
                desc: Desc::gauge("kit_test_slow_blocking", "", &[]),
            }),
        );
        e.collector(
            "slow_async",
            AnyCollector::asynchronous(SlowAsync {
                sleep: Duration::from_secs(30),
                desc: Desc::gauge("kit_test_slow_async", "", &[]),
            }),
        );
        e.collector("panics", AnyCollector::blocking(Panics));
        e.collector(
            "fails",
            AnyCollector::blocking(Fails(Desc::gauge("kit_test_partial", "", &[]))),
        );
        e.collector(
            "sloppy",
            AnyCollector::blocking(Sloppy(Desc::gauge("kit_test_sloppy", "", &["l"]))),
        );
        e
    })
    .expect("server");

    // Deadline: 2 s from the header less the 0.5 s offset.
    let (body, took) = scrape(&server, "2");
    assert!(
        took < Duration::from_millis(2300),
        "scrape took {took:?}, past its 1.5 s deadline"
    );
    assert!(
        took >= Duration::from_millis(1400),
        "scrape returned before the deadline ({took:?})"
    );
    assert_eq!(
        sample(&body, "kit_test_value{kind=\"a\"}"),
        Some(42.5),
        "{body}"
    );
    for (collector, ok) in [
        ("known", 1.0),
        ("slow_blocking", 0.0),
        ("slow_async", 0.0),
        ("panics", 0.0),
        ("fails", 0.0),
        ("sloppy", 1.0),
    ] {
        let line = format!("kit_scrape_collector_success{{collector=\"{collector}\"}}");
        assert_eq!(sample(&body, &line), Some(ok), "{collector}: {body}");
        let line = format!("kit_scrape_collector_duration_seconds{{collector=\"{collector}\"}}");
        assert!(
            sample(&body, &line).is_some(),
            "{collector} has no duration: {body}"
        );
    }
    assert!(
        !body.contains("kit_test_slow_blocking "),
        "overrunning collector's families leaked"
    );
    assert!(
        !body.contains("kit_test_slow_async "),
        "overrunning collector's families leaked"
    );
    // A failing collector keeps what it wrote, as upstream does.
    assert_eq!(sample(&body, "kit_test_partial"), Some(1.0));
    // Of a duplicated series, one is kept; the wrong label count is dropped.
    assert_eq!(body.matches("kit_test_sloppy{").count(), 1, "{body}");

    // The blocking collector is still sleeping: the next scrape must not
    // start another thread for it, and reports it failed.
    let (body, took) = scrape(&server, "2");
    assert!(took < Duration::from_millis(2300));
    assert_eq!(
        sample(
            &body,
            "kit_scrape_collector_success{collector=\"slow_blocking\"}"
        ),
        Some(0.0)
    );
    assert_eq!(
        started.load(Ordering::SeqCst),
        1,
        "a second thread was started behind a stuck collector"
    );

    // Once it returns (3 s after it started), a scrape runs it again.
    let ran_again = testkit::wait_until(Duration::from_secs(10), || {
        let _ = scrape(&server, "2");
        started.load(Ordering::SeqCst) == 2
    });
    assert!(
        ran_again,
        "the collector was not run again after it returned"
    );

    // The server still serves.
    let (body, _) = scrape(&server, "2");
    assert_eq!(sample(&body, "kit_test_events_total"), Some(7.0));
}

#[test]
fn collect_filter_selects_collectors() {
    let server = TestServer::start(local_args(), || {
        let mut e = known_exporter();
        e.collector(
            "fails",
            AnyCollector::blocking(Fails(Desc::gauge("kit_test_partial", "", &[]))),
        );
        e
    })
    .expect("server");
    let client = testkit::http();
    let body = client
        .get(server.url("/metrics?collect[]=known"))
        .send()
        .and_then(|r| r.text())
        .expect("scrape");
    assert!(body.contains("kit_test_value"));
    assert!(!body.contains("kit_test_partial"));
    assert!(!body.contains("collector=\"fails\""));
    let body = client
        .get(server.url("/metrics?exclude[]=known"))
        .send()
        .and_then(|r| r.text())
        .expect("scrape");
    assert!(!body.contains("kit_test_value"));
    assert!(body.contains("kit_test_partial"));
    let resp = client
        .get(server.url("/metrics?collect[]=nope"))
        .send()
        .expect("scrape");
    assert_eq!(resp.status(), 400);
}

/// An HA pair of Prometheus servers scraping at the same moment: the
/// collectors run once and both get the whole page; a scrape after that
/// collects afresh.
#[test]
fn concurrent_identical_scrapes_share_one_collection() {
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    let server = TestServer::start(local_args(), move || {
        let mut e = known_exporter();
        e.collector(
            "slow_blocking",
            AnyCollector::blocking(SlowBlocking {
                sleep: Duration::from_millis(600),
                started: counter,
                desc: Desc::gauge("kit_test_slow_blocking", "", &[]),
            }),
        );
        e
    })
    .expect("server");
    let server = Arc::new(server);
    let scrapers: Vec<_> = (0..4)
        .map(|_| {
            let server = server.clone();
            std::thread::spawn(move || scrape(&server, "10").0)
        })
        .collect();
    for scraper in scrapers {
        let body = scraper.join().expect("scraper");
        assert_eq!(sample(&body, "kit_test_slow_blocking"), Some(1.0), "{body}");
        assert_eq!(sample(&body, "kit_test_value{kind=\"a\"}"), Some(42.5));
    }
    assert_eq!(
        runs.load(Ordering::SeqCst),
        1,
        "four simultaneous scrapes ran the collectors more than once"
    );

    let _ = scrape(&server, "10");
    assert_eq!(
        runs.load(Ordering::SeqCst),
        2,
        "a later scrape was served stale"
    );

    // A filtered scrape is a different page: it never joins the full one.
    // The filtered scrape is sent once the full one has started its slow
    // collector (600 ms), so joining it was possible.
    let full = {
        let server = server.clone();
        std::thread::spawn(move || scrape(&server, "10").0)
    };
    assert!(
        testkit::wait_until(Duration::from_secs(10), || runs.load(Ordering::SeqCst) == 3),
        "the full scrape never started its collectors"
    );
    let filtered = testkit::http()
        .get(server.url("/metrics?collect[]=known"))
        .send()
        .and_then(|r| r.text())
        .expect("scrape");
    assert!(!filtered.contains("kit_test_slow_blocking"), "{filtered}");
    assert!(
        full.join()
            .expect("scraper")
            .contains("kit_test_slow_blocking 1")
    );
}
