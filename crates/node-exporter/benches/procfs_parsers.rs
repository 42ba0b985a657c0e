//! node-exporter's hand-written /proc parsers against the `procfs` crate's,
//! on this host's files, for the three read on every default scrape that
//! both can parse: /proc/meminfo, /proc/stat and /proc/net/dev. The parsers
//! stay hand-written where the crate costs more per scrape; the figures are
//! in the crate README.
//!
//! `cargo bench -p node-exporter --bench procfs_parsers`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use node_exporter::parse;
use procfs::{FromBufRead, FromBufReadSI, KernelStats, Meminfo, net::InterfaceDeviceStatus};

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parsers(c: &mut Criterion) {
    let meminfo = read("/proc/meminfo");
    let stat = read("/proc/stat");
    let netdev = read("/proc/net/dev");
    let system = procfs::current_system_info();

    let mut group = c.benchmark_group("meminfo");
    group.bench_function("ours", |b| {
        b.iter(|| black_box(parse::meminfo::parse(black_box(&meminfo)).is_ok()))
    });
    group.bench_function("procfs", |b| {
        b.iter(|| black_box(Meminfo::from_buf_read(black_box(meminfo.as_bytes())).is_ok()))
    });
    group.finish();

    let mut group = c.benchmark_group("stat");
    group.bench_function("ours", |b| {
        b.iter(|| black_box(parse::stat::parse(black_box(&stat)).value.cpus.len()))
    });
    group.bench_function("procfs", |b| {
        b.iter(|| black_box(KernelStats::from_buf_read(black_box(stat.as_bytes()), system).is_ok()))
    });
    group.finish();

    let mut group = c.benchmark_group("net_dev");
    group.bench_function("ours", |b| {
        b.iter(|| black_box(parse::netdev::parse(black_box(&netdev)).value.len()))
    });
    group.bench_function("procfs", |b| {
        b.iter(|| {
            black_box(InterfaceDeviceStatus::from_buf_read(black_box(netdev.as_bytes())).is_ok())
        })
    });
    group.finish();
}

criterion_group!(benches, parsers);
criterion_main!(benches);
