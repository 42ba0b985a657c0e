//! Exposition formats and content negotiation.
//!
//! Prometheus text 0.0.4, OpenMetrics 1.0 text and the delimited protobuf
//! format, chosen from the scraper's `Accept` header, written into one
//! reused buffer.

mod go_float;
mod openmetrics;
mod protobuf;
mod text;

use crate::family::{Family, LabelValues, Value};

pub use openmetrics::encode as encode_openmetrics;
pub use protobuf::encode as encode_protobuf;
pub use text::encode as encode_text;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    OpenMetrics,
    Protobuf,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Format::Protobuf => {
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
            }
        }
    }

    pub fn encode(self, families: &[Family], buf: &mut Vec<u8>) {
        match self {
            Format::Text => encode_text(families, buf),
            Format::OpenMetrics => encode_openmetrics(families, buf),
            Format::Protobuf => encode_protobuf(families, buf),
        }
    }
}

/// Picks the format the client prefers among those we serve, by `q` and
/// then by order; anything unrecognised (or no header) gets text 0.0.4.
pub fn negotiate(accept: Option<&str>) -> Format {
    let Some(accept) = accept else {
        return Format::Text;
    };
    let mut best: Option<(f32, Format)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or("").to_ascii_lowercase();
        let mut q = 1.0f32;
        let mut proto = None;
        let mut encoding = None;
        let mut version = None;
        for param in parts {
            let Some((key, value)) = param.split_once('=') else {
                continue;
            };
            let value = value.trim().trim_matches('"');
            match key.trim().to_ascii_lowercase().as_str() {
                "q" => q = value.parse().unwrap_or(0.0),
                "proto" => proto = Some(value.to_string()),
                "encoding" => encoding = Some(value.to_string()),
                "version" => version = Some(value.to_string()),
                _ => {}
            }
        }
        let format = match media.as_str() {
            "application/vnd.google.protobuf"
                if proto.as_deref() == Some("io.prometheus.client.MetricFamily")
                    && encoding.as_deref() == Some("delimited") =>
            {
                Some(Format::Protobuf)
            }
            "application/openmetrics-text"
                if matches!(version.as_deref(), None | Some("1.0.0") | Some("0.0.1")) =>
            {
                Some(Format::OpenMetrics)
            }
            "text/plain" if matches!(version.as_deref(), None | Some("0.0.4")) => {
                Some(Format::Text)
            }
            _ => None,
        };
        if let Some(format) = format
            && q > 0.0
            && best.is_none_or(|(best_q, _)| q > best_q)
        {
            best = Some((q, format));
        }
    }
    best.map_or(Format::Text, |(_, format)| format)
}

/// A sample's value: counts of histograms and summaries are integers,
/// which OpenMetrics writes without a fraction and text 0.0.4 as floats.
#[derive(Clone, Copy)]
pub(crate) enum Number {
    Float(f64),
    Count(u64),
}

/// Which exposition's spelling of numbers to use.
#[derive(Clone, Copy)]
pub(crate) enum Spelling {
    Text,
    OpenMetrics,
}

impl Spelling {
    fn float(self, buf: &mut Vec<u8>, value: f64) {
        match self {
            Spelling::Text => go_float::write_text(buf, value),
            Spelling::OpenMetrics => go_float::write_openmetrics(buf, value),
        }
    }

    fn number(self, buf: &mut Vec<u8>, value: Number) {
        match (self, value) {
            (_, Number::Float(v)) => self.float(buf, v),
            (Spelling::Text, Number::Count(c)) => go_float::write_text(buf, c as f64),
            (Spelling::OpenMetrics, Number::Count(c)) => {
                buf.extend_from_slice(itoa::Buffer::new().format(c).as_bytes())
            }
        }
    }
}

/// Writes `text` with backslashes and newlines escaped, and double quotes
/// too when `quotes` (label values, OpenMetrics help). Runs of plain bytes
/// are copied whole: help texts are a good part of a page's bytes.
pub(crate) fn write_escaped(buf: &mut Vec<u8>, text: &str, quotes: bool) {
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'"' if quotes => b"\\\"",
            _ => continue,
        };
        buf.extend_from_slice(&bytes[start..i]);
        buf.extend_from_slice(escaped);
        start = i + 1;
    }
    buf.extend_from_slice(&bytes[start..]);
}

/// Writes `{a="x",b="y"}`, labels sorted by name, with an optional extra
/// label (`le`, `quantile`) last, or nothing when there are no labels
/// (also when every label is empty and the family omits empty labels).
pub(crate) fn write_labels(
    buf: &mut Vec<u8>,
    spelling: Spelling,
    family: &Family,
    values: &LabelValues,
    extra: Option<(&str, f64)>,
) {
    let omit = family.desc.omits_empty_labels();
    let mut first = true;
    let mut separator = |buf: &mut Vec<u8>| {
        buf.push(if first { b'{' } else { b',' });
        first = false;
    };
    for (index, name) in family.desc.sorted_label_names() {
        let value = values.get(index).unwrap_or_default();
        if omit && value.is_empty() {
            continue;
        }
        separator(buf);
        buf.extend_from_slice(name.as_bytes());
        buf.extend_from_slice(b"=\"");
        write_escaped(buf, value, true);
        buf.push(b'"');
    }
    if let Some((name, value)) = extra {
        separator(buf);
        buf.extend_from_slice(name.as_bytes());
        buf.extend_from_slice(b"=\"");
        spelling.float(buf, value);
        buf.push(b'"');
    }
    if !first {
        buf.push(b'}');
    }
}

/// Writes every sample of `family` under `name`: histograms as buckets
/// (with `+Inf` added when missing), `_sum` then `_count`; summaries as
/// quantiles, `_sum`, `_count`. Text and OpenMetrics differ only in spelling.
pub(crate) fn samples(buf: &mut Vec<u8>, spelling: Spelling, name: &[u8], family: &Family) {
    for metric in &family.metrics {
        let labels = &metric.label_values;
        let mut line = |suffix: &[u8], extra: Option<(&str, f64)>, value: Number| {
            buf.extend_from_slice(name);
            buf.extend_from_slice(suffix);
            write_labels(buf, spelling, family, labels, extra);
            buf.push(b' ');
            spelling.number(buf, value);
            buf.push(b'\n');
        };
        match &metric.value {
            Value::Scalar(v) => line(b"", None, Number::Float(*v)),
            Value::Histogram(h) => {
                let mut saw_inf = false;
                for bucket in &h.buckets {
                    saw_inf |= bucket.upper_bound == f64::INFINITY;
                    let le = Some(("le", bucket.upper_bound));
                    line(b"_bucket", le, Number::Count(bucket.cumulative_count));
                }
                if !saw_inf {
                    let le = Some(("le", f64::INFINITY));
                    line(b"_bucket", le, Number::Count(h.count));
                }
                line(b"_sum", None, Number::Float(h.sum));
                line(b"_count", None, Number::Count(h.count));
            }
            Value::Summary(s) => {
                for &(q, v) in &s.quantiles {
                    line(b"", Some(("quantile", q)), Number::Float(v));
                }
                line(b"_sum", None, Number::Float(s.sum));
                line(b"_count", None, Number::Count(s.count));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desc::Desc;
    use crate::emit::Emitter;
    use crate::family::Histogram;
    use crate::protowire::{self, map_entry};

    /// A family whose series leave out their empty labels (one with none
    /// left, a histogram among them), beside one that keeps `l=""`.
    fn omitting() -> Vec<Family> {
        let info =
            Desc::gauge("info", "I.", &["supply", "model", "serial"]).omitting_empty_labels();
        let hist = Desc::histogram("h", "H.", &["a"]).omitting_empty_labels();
        let kept = Desc::gauge("kept", "K.", &["a"]);
        let mut e = Emitter::new();
        e.gauge(&info, &["BAT0", "X1", ""], 1.0);
        e.gauge(&info, &["AC", "", ""], 1.0);
        e.gauge(&info, &["", "", ""], 1.0);
        e.gauge(&info, &["BAT1", "", "7"], 1.0);
        e.histogram(
            &hist,
            &[""],
            Histogram {
                buckets: vec![],
                sum: 1.0,
                count: 1,
            },
        );
        e.gauge(&kept, &[""], 2.0);
        crate::runner::merge(e.into_families())
    }

    /// client_golang orders series of different label sets by how many
    /// labels they have, then value by value whatever the label names, so
    /// `serial="7"` comes before `model="X1"`.
    #[test]
    fn empty_labels_are_left_out_in_text() {
        let mut buf = Vec::new();
        text::encode(&omitting(), &mut buf);
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "# HELP h H.\n# TYPE h histogram\n\
             h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n\
             # HELP info I.\n# TYPE info gauge\n\
             info 1\n\
             info{supply=\"AC\"} 1\n\
             info{serial=\"7\",supply=\"BAT1\"} 1\n\
             info{model=\"X1\",supply=\"BAT0\"} 1\n\
             # HELP kept K.\n# TYPE kept gauge\nkept{a=\"\"} 2\n"
        );
    }

    #[test]
    fn empty_labels_are_left_out_in_openmetrics() {
        let mut buf = Vec::new();
        openmetrics::encode(&omitting(), &mut buf);
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "# HELP h H.\n# TYPE h histogram\n\
             h_bucket{le=\"+Inf\"} 1\nh_sum 1.0\nh_count 1\n\
             # HELP info I.\n# TYPE info gauge\n\
             info 1.0\n\
             info{supply=\"AC\"} 1.0\n\
             info{serial=\"7\",supply=\"BAT1\"} 1.0\n\
             info{model=\"X1\",supply=\"BAT0\"} 1.0\n\
             # HELP kept K.\n# TYPE kept gauge\nkept{a=\"\"} 2.0\n\
             # EOF\n"
        );
    }

    /// A family's name and the label pairs of each of its series.
    type Decoded = (String, Vec<Vec<(String, String)>>);

    /// Each family as a protobuf reader sees it.
    fn protobuf_labels(mut buf: &[u8]) -> Vec<Decoded> {
        let mut families = Vec::new();
        while !buf.is_empty() {
            let (len, n) = protowire::varint(buf).unwrap();
            let (message, rest) = buf[n..].split_at(len as usize);
            buf = rest;
            let mut name = String::new();
            let mut series = Vec::new();
            for field in protowire::fields(message) {
                match field.unwrap() {
                    (1, v) => name = v.as_string().unwrap(),
                    (4, v) => series.push(
                        protowire::fields(v.as_bytes().unwrap())
                            .map(Result::unwrap)
                            .filter(|(number, _)| *number == 1)
                            .map(|(_, pair)| map_entry(pair.as_bytes().unwrap()).unwrap())
                            .collect(),
                    ),
                    _ => {}
                }
            }
            families.push((name, series));
        }
        families
    }

    #[test]
    fn empty_labels_are_left_out_in_protobuf() {
        let mut buf = Vec::new();
        protobuf::encode(&omitting(), &mut buf);
        let pair = |n: &str, v: &str| (n.to_string(), v.to_string());
        assert_eq!(
            protobuf_labels(&buf),
            [
                ("h".to_string(), vec![vec![]]),
                (
                    "info".to_string(),
                    vec![
                        vec![],
                        vec![pair("supply", "AC")],
                        vec![pair("serial", "7"), pair("supply", "BAT1")],
                        vec![pair("model", "X1"), pair("supply", "BAT0")],
                    ]
                ),
                ("kept".to_string(), vec![vec![pair("a", "")]]),
            ]
        );
    }

    #[test]
    fn a_family_that_omits_empty_labels_is_not_joined_to_one_that_keeps_them() {
        let mut e = Emitter::new();
        e.gauge(&Desc::gauge("g", "", &["a"]), &["x"], 1.0);
        e.gauge(
            &Desc::gauge("g", "", &["a"]).omitting_empty_labels(),
            &["y"],
            1.0,
        );
        assert_eq!(e.dropped(), 1);
    }

    #[test]
    fn negotiation() {
        assert_eq!(negotiate(None), Format::Text);
        assert_eq!(negotiate(Some("*/*")), Format::Text);
        assert_eq!(negotiate(Some("application/json")), Format::Text);
        // Prometheus 2.42's default header.
        assert_eq!(
            negotiate(Some(
                "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
            )),
            Format::OpenMetrics
        );
        // Prometheus with native histograms.
        assert_eq!(
            negotiate(Some(
                "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.8,application/openmetrics-text;version=1.0.0;q=0.5"
            )),
            Format::Protobuf
        );
        assert_eq!(
            negotiate(Some(
                "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text"
            )),
            Format::Text
        );
        assert_eq!(
            negotiate(Some("text/plain;q=0.2, application/openmetrics-text;q=0.9")),
            Format::OpenMetrics
        );
        assert_eq!(
            negotiate(Some("application/openmetrics-text;version=2.0.0")),
            Format::Text
        );
    }
}
