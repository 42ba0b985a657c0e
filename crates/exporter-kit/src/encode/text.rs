//! Prometheus text exposition format 0.0.4.

use super::{write_escaped, write_float, write_labels};
use crate::desc::HeaderFormat;
use crate::family::{Family, LabelValues, Value};

pub fn encode(families: &[Family], buf: &mut Vec<u8>) {
    for family in families {
        let name = family.name().as_bytes();
        buf.extend_from_slice(family.desc.header(HeaderFormat::Text, |lines| {
            lines.extend_from_slice(b"# HELP ");
            lines.extend_from_slice(name);
            lines.push(b' ');
            write_escaped(lines, family.desc.help(), false);
            lines.extend_from_slice(b"\n# TYPE ");
            lines.extend_from_slice(name);
            lines.push(b' ');
            lines.extend_from_slice(family.desc.kind().as_str().as_bytes());
            lines.push(b'\n');
        }));
        for metric in &family.metrics {
            match &metric.value {
                Value::Scalar(v) => sample(buf, name, b"", family, &metric.label_values, None, *v),
                Value::Histogram(h) => {
                    let mut saw_inf = false;
                    for bucket in &h.buckets {
                        saw_inf |= bucket.upper_bound == f64::INFINITY;
                        let le = Some(("le", bucket.upper_bound));
                        sample(
                            buf,
                            name,
                            b"_bucket",
                            family,
                            &metric.label_values,
                            le,
                            bucket.cumulative_count as f64,
                        );
                    }
                    if !saw_inf {
                        let le = Some(("le", f64::INFINITY));
                        sample(
                            buf,
                            name,
                            b"_bucket",
                            family,
                            &metric.label_values,
                            le,
                            h.count as f64,
                        );
                    }
                    sample(
                        buf,
                        name,
                        b"_sum",
                        family,
                        &metric.label_values,
                        None,
                        h.sum,
                    );
                    sample(
                        buf,
                        name,
                        b"_count",
                        family,
                        &metric.label_values,
                        None,
                        h.count as f64,
                    );
                }
                Value::Summary(s) => {
                    for &(q, v) in &s.quantiles {
                        sample(
                            buf,
                            name,
                            b"",
                            family,
                            &metric.label_values,
                            Some(("quantile", q)),
                            v,
                        );
                    }
                    sample(
                        buf,
                        name,
                        b"_sum",
                        family,
                        &metric.label_values,
                        None,
                        s.sum,
                    );
                    sample(
                        buf,
                        name,
                        b"_count",
                        family,
                        &metric.label_values,
                        None,
                        s.count as f64,
                    );
                }
            }
        }
    }
}

pub(super) fn sample(
    buf: &mut Vec<u8>,
    name: &[u8],
    suffix: &[u8],
    family: &Family,
    label_values: &LabelValues,
    extra: Option<(&str, f64)>,
    value: f64,
) {
    buf.extend_from_slice(name);
    buf.extend_from_slice(suffix);
    write_labels(buf, family, label_values, extra);
    buf.push(b' ');
    write_float(buf, value);
    buf.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desc::Desc;
    use crate::emit::Emitter;
    use crate::family::{Bucket, Histogram, Summary};

    #[test]
    fn writes_every_kind() {
        let mut e = Emitter::new();
        e.counter(
            &Desc::counter("c_total", "A \\ counter\nhelp.", &["a"]),
            &["q\"\\\n"],
            3.0,
        );
        e.gauge(&Desc::gauge("g", "G.", &[]), &[], 0.5);
        e.histogram(
            &Desc::histogram("h_seconds", "H.", &["x"]),
            &["1"],
            Histogram {
                buckets: vec![
                    Bucket {
                        upper_bound: 0.1,
                        cumulative_count: 1,
                    },
                    Bucket {
                        upper_bound: 1.0,
                        cumulative_count: 2,
                    },
                ],
                sum: 1.5,
                count: 3,
            },
        );
        e.summary(
            &Desc::summary("s", "S.", &[]),
            &[],
            Summary {
                quantiles: vec![(0.5, 2.0)],
                sum: 4.0,
                count: 2,
            },
        );
        let mut buf = Vec::new();
        encode(&e.into_families(), &mut buf);
        let text = String::from_utf8(buf).unwrap();
        assert_eq!(
            text,
            "# HELP c_total A \\\\ counter\\nhelp.\n# TYPE c_total counter\nc_total{a=\"q\\\"\\\\\\n\"} 3\n\
             # HELP g G.\n# TYPE g gauge\ng 0.5\n\
             # HELP h_seconds H.\n# TYPE h_seconds histogram\n\
             h_seconds_bucket{x=\"1\",le=\"0.1\"} 1\nh_seconds_bucket{x=\"1\",le=\"1\"} 2\nh_seconds_bucket{x=\"1\",le=\"+Inf\"} 3\n\
             h_seconds_sum{x=\"1\"} 1.5\nh_seconds_count{x=\"1\"} 3\n\
             # HELP s S.\n# TYPE s summary\ns{quantile=\"0.5\"} 2\ns_sum 4\ns_count 2\n"
        );
    }
}
