//! Prometheus text exposition format 0.0.4.

use super::{Spelling, samples, write_escaped};
use crate::desc::HeaderFormat;
use crate::family::Family;

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
        samples(buf, Spelling::Text, name, family);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desc::Desc;
    use crate::emit::Emitter;
    use crate::family::{Bucket, Histogram, Summary};

    /// client_golang's text: labels sorted by name whatever the declaration
    /// order, series sorted by those values, numbers in Go's `%g`
    /// (counts too: text 0.0.4 writes them as floats).
    #[test]
    fn labels_and_numbers_are_client_golangs() {
        let desc = Desc::gauge("node_memory_bytes", "M.", &["zone", "node"]);
        let mut e = Emitter::new();
        e.gauge(&desc, &["b", "1"], 513708655616.0);
        e.gauge(&desc, &["a", "2"], 0.00001);
        e.gauge(&desc, &["c", "0"], -1234567.0);
        e.summary(
            &Desc::summary("s", "S.", &[]),
            &[],
            Summary {
                quantiles: vec![(0.99, 2.5e-7)],
                sum: 1e21,
                count: 3_000_000,
            },
        );
        let families = crate::runner::merge(e.into_families());
        let mut buf = Vec::new();
        encode(&families, &mut buf);
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "# HELP node_memory_bytes M.\n# TYPE node_memory_bytes gauge\n\
             node_memory_bytes{node=\"0\",zone=\"c\"} -1.234567e+06\n\
             node_memory_bytes{node=\"1\",zone=\"b\"} 5.13708655616e+11\n\
             node_memory_bytes{node=\"2\",zone=\"a\"} 1e-05\n\
             # HELP s S.\n# TYPE s summary\n\
             s{quantile=\"0.99\"} 2.5e-07\ns_sum 1e+21\ns_count 3e+06\n"
        );
    }

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
