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
/// label (`le`, `quantile`) last, or nothing when there are no labels.
pub(crate) fn write_labels(
    buf: &mut Vec<u8>,
    spelling: Spelling,
    family: &Family,
    values: &LabelValues,
    extra: Option<(&str, f64)>,
) {
    if values.is_empty() && extra.is_none() {
        return;
    }
    buf.push(b'{');
    let mut first = true;
    for (index, name) in family.desc.sorted_label_names() {
        if !first {
            buf.push(b',');
        }
        first = false;
        buf.extend_from_slice(name.as_bytes());
        buf.extend_from_slice(b"=\"");
        write_escaped(buf, values.get(index).unwrap_or_default(), true);
        buf.push(b'"');
    }
    if let Some((name, value)) = extra {
        if !first {
            buf.push(b',');
        }
        buf.extend_from_slice(name.as_bytes());
        buf.extend_from_slice(b"=\"");
        spelling.float(buf, value);
        buf.push(b'"');
    }
    buf.push(b'}');
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
