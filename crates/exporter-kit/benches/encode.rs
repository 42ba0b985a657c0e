//! Encoding one 10,000-series scrape in each format: time per series and
//! bytes allocated per scrape (counted by a wrapping global allocator).
//!
//! `cargo bench -p exporter-kit`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{Criterion, Throughput, criterion_group};
use exporter_kit::encode::Format;
use exporter_kit::{Bucket, Desc, Emitter, Family, Histogram};

struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATED.fetch_add(new_size, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

pub const SERIES: usize = 10_000;

/// 100 families of 100 series: counters and gauges with two labels, and
/// histograms (5 buckets + inf, sum, count) counted by their lines.
fn scrape() -> (Vec<Family>, usize) {
    let mut out = Emitter::new();
    let mut series = 0;
    for f in 0..100 {
        match f % 10 {
            0 => {
                let desc = Desc::histogram(
                    &format!("bench_latency_{f}_seconds"),
                    "Request latency.",
                    &["handler", "code"],
                );
                // A histogram series is 8 lines; 13 of them stand for ~100.
                for s in 0..13 {
                    out.histogram(
                        &desc,
                        &[&format!("/api/v1/h{s}"), "200"],
                        Histogram {
                            buckets: [0.005, 0.05, 0.5, 1.0, 5.0]
                                .iter()
                                .enumerate()
                                .map(|(i, &le)| Bucket {
                                    upper_bound: le,
                                    cumulative_count: (i as u64 + 1) * 10,
                                })
                                .collect(),
                            sum: 12.345,
                            count: 60,
                        },
                    );
                    series += 8;
                }
            }
            n if n % 2 == 0 => {
                let desc = Desc::counter(
                    &format!("bench_events_{f}_total"),
                    "Events seen.",
                    &["device", "mode"],
                );
                for s in 0..100 {
                    out.counter(&desc, &[&format!("dev{s}"), "read"], 1234567.0 + s as f64);
                    series += 1;
                }
            }
            _ => {
                let desc =
                    Desc::gauge(&format!("bench_level_{f}"), "A level.", &["device", "mode"]);
                for s in 0..100 {
                    out.gauge(&desc, &[&format!("dev{s}"), "idle"], 0.25 * s as f64);
                    series += 1;
                }
            }
        }
    }
    assert!(series >= SERIES, "{series} series");
    (out.into_families(), series)
}

fn encoding(c: &mut Criterion) {
    let (families, series) = scrape();
    let mut group = c.benchmark_group("encode_10k_series");
    group.throughput(Throughput::Elements(series as u64));
    for (name, format) in [
        ("text", Format::Text),
        ("openmetrics", Format::OpenMetrics),
        ("protobuf", Format::Protobuf),
    ] {
        // Allocations of one scrape's encoding into a fresh buffer, as the
        // server does (it sizes the buffer from the previous body).
        let mut sized = Vec::new();
        format.encode(&families, &mut sized);
        let before = ALLOCATED.load(Ordering::Relaxed);
        let mut buf = Vec::with_capacity(sized.len() + sized.len() / 8);
        let body_buffer = buf.capacity();
        format.encode(&families, &mut buf);
        let allocated = ALLOCATED.load(Ordering::Relaxed) - before;
        println!(
            "{name}: {} bytes of output; allocated per scrape: {allocated} bytes, of which {} beyond the body buffer",
            buf.len(),
            allocated - body_buffer
        );
        let mut reused = Vec::with_capacity(buf.len() * 2);
        group.bench_function(name, |b| {
            b.iter(|| {
                reused.clear();
                format.encode(&families, &mut reused);
                reused.len()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, encoding);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
