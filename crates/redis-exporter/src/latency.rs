//! LATENCY LATEST (spikes per event) and LATENCY HISTOGRAM (per-command
//! latency histograms, Redis 7+).

use std::collections::HashMap;

use exporter_kit::{Bucket, Emitter, Histogram};
use redis::Value;

use crate::descs::Descs;
use crate::resp;

/// `[[event, unix_time, latest_ms, max_ms, ...], ...]`
pub fn emit_latest(d: &Descs, reply: &Value, out: &mut Emitter) {
    let Some(events) = resp::array(reply) else {
        return;
    };
    for event in events {
        let Some(e) = resp::array(event) else {
            continue;
        };
        if e.len() < 3 {
            continue;
        }
        let (Some(name), Some(ts), Some(latest)) =
            (resp::text(&e[0]), resp::float(&e[1]), resp::float(&e[2]))
        else {
            continue;
        };
        out.gauge(&d.latency_spike_last, &[&name], ts);
        out.gauge(&d.latency_spike_duration_seconds, &[&name], latest / 1000.0);
    }
}

/// `[cmd, [calls, n, histogram_usec, [bucket, cumulative, ...]], ...]`;
/// `usec` holds each command's total microseconds from INFO commandstats.
pub fn emit_histogram(d: &Descs, reply: &Value, usec: &HashMap<&str, f64>, out: &mut Emitter) {
    for (cmd, body) in resp::raw_pairs(reply) {
        let Some(cmd) = resp::str_ref(cmd) else {
            continue;
        };
        let mut calls = None;
        let mut buckets = Vec::new();
        for (k, v) in resp::raw_pairs(body) {
            match resp::str_ref(k) {
                Some("calls") => calls = resp::int(v),
                Some("histogram_usec") => {
                    for (bound, count) in resp::raw_pairs(v) {
                        if let (Some(b), Some(c)) = (resp::float(bound), resp::int(count)) {
                            buckets.push(Bucket {
                                upper_bound: b,
                                cumulative_count: c.max(0) as u64,
                            });
                        }
                    }
                }
                _ => {}
            }
        }
        let Some(calls) = calls else { continue };
        buckets.sort_by(|a, b| a.upper_bound.total_cmp(&b.upper_bound));
        out.histogram(
            &d.commands_latencies_usec,
            &[cmd],
            Histogram {
                buckets,
                sum: usec.get(cmd).copied().unwrap_or(0.0),
                count: calls.max(0) as u64,
            },
        );
    }
}
