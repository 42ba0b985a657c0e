//! Delimited protobuf (`io.prometheus.client.MetricFamily`), written by
//! hand: the message is small and stable, and a protobuf runtime would cost
//! more build time than this file. Field numbers follow
//! prometheus/client_model's metrics.proto.

use crate::desc::Kind;
use crate::family::{Family, Metric, Value};

const WIRE_VARINT: u64 = 0;
const WIRE_FIXED64: u64 = 1;
const WIRE_LEN: u64 = 2;

fn varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

fn tag(buf: &mut Vec<u8>, field: u64, wire: u64) {
    varint(buf, (field << 3) | wire);
}

fn bytes_field(buf: &mut Vec<u8>, field: u64, data: &[u8]) {
    tag(buf, field, WIRE_LEN);
    varint(buf, data.len() as u64);
    buf.extend_from_slice(data);
}

fn double_field(buf: &mut Vec<u8>, field: u64, v: f64) {
    tag(buf, field, WIRE_FIXED64);
    buf.extend_from_slice(&v.to_le_bytes());
}

fn uint_field(buf: &mut Vec<u8>, field: u64, v: u64) {
    tag(buf, field, WIRE_VARINT);
    varint(buf, v);
}

/// Writes `field` as a length-delimited submessage built by `body` in
/// `scratch`, which is returned empty for reuse.
fn message(buf: &mut Vec<u8>, scratch: &mut Vec<u8>, field: u64, body: impl FnOnce(&mut Vec<u8>)) {
    scratch.clear();
    body(scratch);
    bytes_field(buf, field, scratch);
    scratch.clear();
}

fn metric_type(kind: Kind) -> u64 {
    match kind {
        Kind::Counter => 0,
        Kind::Gauge => 1,
        Kind::Summary => 2,
        Kind::Untyped => 3,
        Kind::Histogram => 4,
    }
}

fn encode_metric(out: &mut Vec<u8>, family: &Family, metric: &Metric, scratch: &mut Vec<u8>) {
    let omit = family.desc.omits_empty_labels();
    for (index, name) in family.desc.sorted_label_names() {
        let value = metric.label_values.get(index).unwrap_or_default();
        if omit && value.is_empty() {
            continue;
        }
        message(out, scratch, 1, |m| {
            bytes_field(m, 1, name.as_bytes());
            bytes_field(m, 2, value.as_bytes());
        });
    }
    match (&metric.value, family.desc.kind()) {
        (Value::Scalar(v), Kind::Counter) => message(out, scratch, 3, |m| double_field(m, 1, *v)),
        (Value::Scalar(v), Kind::Gauge) => message(out, scratch, 2, |m| double_field(m, 1, *v)),
        (Value::Scalar(v), _) => message(out, scratch, 5, |m| double_field(m, 1, *v)),
        (Value::Summary(s), _) => message(out, scratch, 4, |m| {
            uint_field(m, 1, s.count);
            double_field(m, 2, s.sum);
            let mut inner = Vec::with_capacity(18);
            for &(q, v) in &s.quantiles {
                inner.clear();
                double_field(&mut inner, 1, q);
                double_field(&mut inner, 2, v);
                bytes_field(m, 3, &inner);
            }
        }),
        (Value::Histogram(h), _) => message(out, scratch, 7, |m| {
            uint_field(m, 1, h.count);
            double_field(m, 2, h.sum);
            let mut inner = Vec::with_capacity(20);
            // The +Inf bucket is implied by the count, as client_golang writes it.
            for bucket in h.buckets.iter().filter(|b| b.upper_bound != f64::INFINITY) {
                inner.clear();
                uint_field(&mut inner, 1, bucket.cumulative_count);
                double_field(&mut inner, 2, bucket.upper_bound);
                bytes_field(m, 3, &inner);
            }
        }),
    }
}

pub fn encode(families: &[Family], buf: &mut Vec<u8>) {
    let mut family_buf = Vec::with_capacity(4096);
    let mut metric_buf = Vec::with_capacity(256);
    let mut scratch = Vec::with_capacity(128);
    for family in families {
        family_buf.clear();
        bytes_field(&mut family_buf, 1, family.name().as_bytes());
        bytes_field(&mut family_buf, 2, family.desc.help().as_bytes());
        uint_field(&mut family_buf, 3, metric_type(family.desc.kind()));
        for metric in &family.metrics {
            metric_buf.clear();
            encode_metric(&mut metric_buf, family, metric, &mut scratch);
            bytes_field(&mut family_buf, 4, &metric_buf);
        }
        if let Some(unit) = family.desc.unit() {
            bytes_field(&mut family_buf, 5, unit.as_bytes());
        }
        varint(buf, family_buf.len() as u64);
        buf.extend_from_slice(&family_buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints() {
        let mut b = Vec::new();
        varint(&mut b, 300);
        assert_eq!(b, [0xac, 0x02]);
        b.clear();
        varint(&mut b, 1);
        assert_eq!(b, [1]);
    }
}
