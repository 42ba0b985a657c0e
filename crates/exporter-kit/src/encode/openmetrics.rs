//! OpenMetrics 1.0 text.
//!
//! Counters are announced without their `_total` suffix and their sample
//! keeps it. A counter whose name lacks `_total` (some upstream exporters
//! have them) is announced as `unknown`: OpenMetrics would otherwise make
//! the scraper store it as `<name>_total`, and dashboards written for the
//! upstream exporter would lose it.

use super::text::sample;
use super::write_escaped;
use crate::desc::{HeaderFormat, Kind};
use crate::family::{Family, Value};

pub fn encode(families: &[Family], buf: &mut Vec<u8>) {
    for family in families {
        let name = family.name();
        let (meta_name, type_name) = match family.desc.kind() {
            Kind::Counter => match name.strip_suffix("_total") {
                Some(base) => (base, "counter"),
                None => (name, "unknown"),
            },
            Kind::Gauge => (name, "gauge"),
            Kind::Histogram => (name, "histogram"),
            Kind::Summary => (name, "summary"),
            Kind::Untyped => (name, "unknown"),
        };
        buf.extend_from_slice(family.desc.header(HeaderFormat::OpenMetrics, |lines| {
            lines.extend_from_slice(b"# HELP ");
            lines.extend_from_slice(meta_name.as_bytes());
            lines.push(b' ');
            write_escaped(lines, family.desc.help(), true);
            lines.extend_from_slice(b"\n# TYPE ");
            lines.extend_from_slice(meta_name.as_bytes());
            lines.push(b' ');
            lines.extend_from_slice(type_name.as_bytes());
            lines.push(b'\n');
            if let Some(unit) = family.desc.unit() {
                lines.extend_from_slice(b"# UNIT ");
                lines.extend_from_slice(meta_name.as_bytes());
                lines.push(b' ');
                lines.extend_from_slice(unit.as_bytes());
                lines.push(b'\n');
            }
        }));
        let name = name.as_bytes();
        for metric in &family.metrics {
            let labels = &metric.label_values;
            match &metric.value {
                Value::Scalar(v) => sample(buf, name, b"", family, labels, None, *v),
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
                            labels,
                            le,
                            bucket.cumulative_count as f64,
                        );
                    }
                    if !saw_inf {
                        sample(
                            buf,
                            name,
                            b"_bucket",
                            family,
                            labels,
                            Some(("le", f64::INFINITY)),
                            h.count as f64,
                        );
                    }
                    sample(buf, name, b"_count", family, labels, None, h.count as f64);
                    sample(buf, name, b"_sum", family, labels, None, h.sum);
                }
                Value::Summary(s) => {
                    for &(q, v) in &s.quantiles {
                        sample(buf, name, b"", family, labels, Some(("quantile", q)), v);
                    }
                    sample(buf, name, b"_count", family, labels, None, s.count as f64);
                    sample(buf, name, b"_sum", family, labels, None, s.sum);
                }
            }
        }
    }
    buf.extend_from_slice(b"# EOF\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desc::Desc;
    use crate::emit::Emitter;

    #[test]
    fn counters_keep_their_series_names() {
        let mut e = Emitter::new();
        e.counter(&Desc::counter("a_total", "With suffix.", &[]), &[], 1.0);
        e.counter(&Desc::counter("b", "Without \"suffix\".", &[]), &[], 2.0);
        e.untyped(&Desc::untyped("c", "Untyped.", &[]), &[], 3.0);
        e.gauge(
            &Desc::gauge("d_seconds", "Gauge.", &[])
                .with_unit("seconds")
                .unwrap(),
            &[],
            4.0,
        );
        let mut buf = Vec::new();
        encode(&e.into_families(), &mut buf);
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "# HELP a With suffix.\n# TYPE a counter\na_total 1\n\
             # HELP b Without \\\"suffix\\\".\n# TYPE b unknown\nb 2\n\
             # HELP c Untyped.\n# TYPE c unknown\nc 3\n\
             # HELP d_seconds Gauge.\n# TYPE d_seconds gauge\n# UNIT d_seconds seconds\nd_seconds 4\n\
             # EOF\n"
        );
    }
}
