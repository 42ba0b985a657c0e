//! LATENCY LATEST (spikes per event) and LATENCY HISTOGRAM (per-command
//! latency histograms, Redis 7+).

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

/// Each `cmdstat_<name>:...usec=<n>...` line of INFO, read as upstream's
/// pattern `^cmdstat_([a-zA-Z0-9|]+):.*usec=([0-9]+)` reads it: names with
/// other characters (`georadius_ro`) and numbers that are negative or do
/// not fit 64 bits are left out, and the last `usec=<digits>` counts.
pub fn command_usec(info_text: &str) -> Vec<(&str, u64)> {
    info_text
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("cmdstat_")?;
            let name_len = rest
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || *b == b'|')
                .count();
            let after = rest[name_len..].strip_prefix(':')?;
            if name_len == 0 {
                return None;
            }
            let digits = after.rmatch_indices("usec=").find_map(|(at, m)| {
                let tail = &after[at + m.len()..];
                let n = tail.bytes().take_while(u8::is_ascii_digit).count();
                (n > 0).then(|| &tail[..n])
            })?;
            Some((&rest[..name_len], digits.parse::<u64>().ok()?))
        })
        .collect()
}

/// Microseconds of `cmd` and its subcommands (`config` sums `config|get`,
/// `config|set`, ...), as upstream totals them for the histogram's sum.
fn total_usec(stats: &[(&str, u64)], cmd: &str) -> u64 {
    stats
        .iter()
        .filter(|(name, _)| {
            *name == cmd
                || name
                    .strip_prefix(cmd)
                    .is_some_and(|tail| tail.starts_with('|'))
        })
        .fold(0u64, |sum, (_, usec)| sum.wrapping_add(*usec))
}

/// `[cmd, [calls, n, histogram_usec, [bucket, cumulative, ...]], ...]`;
/// `usec` holds the commandstats microseconds (see [`command_usec`]).
pub fn emit_histogram(d: &Descs, reply: &Value, usec: &[(&str, u64)], out: &mut Emitter) {
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
                sum: total_usec(usec, cmd) as f64,
                count: calls.max(0) as u64,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATS: &str = "# Commandstats\r\n\
        cmdstat_client|list:calls=2,usec=70,usec_per_call=35.00,rejected_calls=0,failed_calls=0\r\n\
        cmdstat_client|setname:calls=4,usec=9,usec_per_call=2.25,rejected_calls=0,failed_calls=0\r\n\
        cmdstat_clientx:calls=1,usec=1000,usec_per_call=1000.00\r\n\
        cmdstat_get:calls=3,usec=12,usec_per_call=4.00\r\n\
        cmdstat_georadius_ro:calls=1,usec=500,usec_per_call=500.00\r\n\
        cmdstat_nousec:calls=1,usec_per_call=5.00\r\n\
        cmdstat_negative:calls=1,usec=-4,usec_per_call=5.00\r\n\
        cmdstat_huge:calls=1,usec=184467440737095516150,usec_per_call=5.00\r\n\
        # Keyspace\r\n";

    #[test]
    fn histogram_sums_read_commandstats_like_upstream() {
        let stats = command_usec(STATS);
        assert_eq!(total_usec(&stats, "get"), 12);
        assert_eq!(total_usec(&stats, "client|list"), 70);
        // a parent command sums its subcommands, not `clientx`
        assert_eq!(total_usec(&stats, "client"), 79);
        // names with `_`, no usec, negative or too big: 0
        for cmd in ["georadius_ro", "nousec", "negative", "huge", "absent"] {
            assert_eq!(total_usec(&stats, cmd), 0, "{cmd}");
        }
    }
}
