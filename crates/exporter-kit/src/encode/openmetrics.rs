//! OpenMetrics 1.0 text.
//!
//! Counters are announced without their `_total` suffix and their sample
//! keeps it. A counter whose name lacks `_total` (some upstream exporters
//! have them) is announced as `unknown`: OpenMetrics would otherwise make
//! the scraper store it as `<name>_total`, and dashboards written for the
//! upstream exporter would lose it.

use super::{Spelling, samples, write_escaped};
use crate::desc::{HeaderFormat, Kind};
use crate::family::Family;

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
        samples(buf, Spelling::OpenMetrics, name, family);
    }
    buf.extend_from_slice(b"# EOF\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desc::Desc;
    use crate::emit::Emitter;
    use crate::family::{Bucket, Histogram, Summary};

    /// prometheus/common's OpenMetrics writer: floats always show they are
    /// floats (`1.0`, `le="0.5"`), counts are integers, `_sum` before
    /// `_count`, labels sorted by name with `le`/`quantile` last.
    #[test]
    fn numbers_and_sample_order_are_client_golangs() {
        let mut e = Emitter::new();
        e.histogram(
            &Desc::histogram("h_seconds", "H.", &["zone", "app"]),
            &["z", "a"],
            Histogram {
                buckets: vec![Bucket {
                    upper_bound: 1.0,
                    cumulative_count: 2_000_000,
                }],
                sum: 3.0,
                count: 2_000_000,
            },
        );
        e.summary(
            &Desc::summary("s", "S.", &[]),
            &[],
            Summary {
                quantiles: vec![(0.5, 1e6)],
                sum: 0.25,
                count: 7,
            },
        );
        let mut buf = Vec::new();
        encode(&e.into_families(), &mut buf);
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "# HELP h_seconds H.\n# TYPE h_seconds histogram\n\
             h_seconds_bucket{app=\"a\",zone=\"z\",le=\"1.0\"} 2000000\n\
             h_seconds_bucket{app=\"a\",zone=\"z\",le=\"+Inf\"} 2000000\n\
             h_seconds_sum{app=\"a\",zone=\"z\"} 3.0\n\
             h_seconds_count{app=\"a\",zone=\"z\"} 2000000\n\
             # HELP s S.\n# TYPE s summary\n\
             s{quantile=\"0.5\"} 1e+06\ns_sum 0.25\ns_count 7\n\
             # EOF\n"
        );
    }

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
            "# HELP a With suffix.\n# TYPE a counter\na_total 1.0\n\
             # HELP b Without \\\"suffix\\\".\n# TYPE b unknown\nb 2.0\n\
             # HELP c Untyped.\n# TYPE c unknown\nc 3.0\n\
             # HELP d_seconds Gauge.\n# TYPE d_seconds gauge\n# UNIT d_seconds seconds\nd_seconds 4.0\n\
             # EOF\n"
        );
    }
}
