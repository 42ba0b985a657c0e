//! The Prometheus text format (0.0.4) as written by textfile producers.
//! As upstream's parser, any malformed line fails the whole file: a file
//! is taken whole or not at all.

use exporter_kit::desc::{is_valid_label_name, is_valid_metric_name};

use super::ParseError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Counter,
    Gauge,
    Untyped,
    Histogram,
    Summary,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The sample's own name (`x_bucket` for a histogram bucket).
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
    pub timestamp_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TextFamily {
    pub name: String,
    pub help: Option<String>,
    pub kind: Type,
    /// Whether a `# TYPE` line declared the type.
    pub typed: bool,
    pub samples: Vec<Sample>,
}

impl TextFamily {
    pub fn has_timestamps(&self) -> bool {
        self.samples.iter().any(|s| s.timestamp_ms.is_some())
    }
}

pub fn parse(text: &str) -> Result<Vec<TextFamily>, ParseError> {
    let mut fams: Vec<TextFamily> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim_start_matches([' ', '\t']);
        if line.trim().is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            let mut parts = comment.trim_start().splitn(3, [' ', '\t']);
            let keyword = parts.next().unwrap_or("");
            if keyword != "HELP" && keyword != "TYPE" {
                continue;
            }
            let name = parts.next().unwrap_or("");
            let rest = parts.next().unwrap_or("").trim_start();
            if !is_valid_metric_name(name) {
                return Err(ParseError::new(
                    n,
                    format!("invalid metric name in {keyword} line: {name:?}"),
                ));
            }
            let idx = family_index(&mut fams, name);
            let fam = &mut fams[idx];
            if keyword == "HELP" {
                if fam.help.is_some() {
                    return Err(ParseError::new(n, format!("second HELP line for {name}")));
                }
                fam.help = Some(unescape_help(rest));
            } else {
                if fam.typed {
                    return Err(ParseError::new(n, format!("second TYPE line for {name}")));
                }
                if !fam.samples.is_empty() {
                    return Err(ParseError::new(
                        n,
                        format!("TYPE line for {name} after its samples"),
                    ));
                }
                fam.kind = match rest.trim() {
                    "counter" => Type::Counter,
                    "gauge" => Type::Gauge,
                    "untyped" => Type::Untyped,
                    "histogram" => Type::Histogram,
                    "summary" => Type::Summary,
                    other => return Err(ParseError::new(n, format!("unknown type {other:?}"))),
                };
                fam.typed = true;
            }
            continue;
        }
        let sample = parse_sample(n, line)?;
        let family_name = owning_family(&fams, &sample.name);
        let idx = family_index(&mut fams, &family_name);
        let fam = &mut fams[idx];
        check_sample(n, fam, &sample)?;
        fam.samples.push(sample);
    }
    Ok(fams)
}

fn family_index(fams: &mut Vec<TextFamily>, name: &str) -> usize {
    if let Some(i) = fams.iter().position(|f| f.name == name) {
        return i;
    }
    fams.push(TextFamily {
        name: name.to_string(),
        help: None,
        kind: Type::Untyped,
        typed: false,
        samples: Vec::new(),
    });
    fams.len() - 1
}

/// `x_bucket`, `x_sum`, `x_count` belong to `x` when `x` is a histogram or summary.
fn owning_family(fams: &[TextFamily], sample: &str) -> String {
    for suffix in ["_bucket", "_sum", "_count"] {
        if let Some(base) = sample.strip_suffix(suffix)
            && let Some(f) = fams.iter().find(|f| f.name == base)
            && (f.kind == Type::Histogram || (f.kind == Type::Summary && suffix != "_bucket"))
        {
            return base.to_string();
        }
    }
    sample.to_string()
}

fn check_sample(n: usize, fam: &TextFamily, s: &Sample) -> Result<(), ParseError> {
    let has = |l: &str| s.labels.iter().any(|(k, _)| k == l);
    match fam.kind {
        Type::Histogram if s.name.ends_with("_bucket") && !has("le") => {
            Err(ParseError::new(n, "histogram bucket without le label"))
        }
        Type::Histogram if s.name == fam.name => Err(ParseError::new(
            n,
            "histogram sample without _bucket/_sum/_count suffix",
        )),
        Type::Summary if s.name == fam.name && !has("quantile") => {
            Err(ParseError::new(n, "summary sample without quantile label"))
        }
        _ => Ok(()),
    }
}

fn unescape_help(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('\\') => out.push('\\'),
                Some(o) => {
                    out.push('\\');
                    out.push(o);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn parse_value(n: usize, s: &str) -> Result<f64, ParseError> {
    match s {
        "+Inf" | "Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ => s
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| ParseError::new(n, format!("invalid value {s:?}"))),
    }
}

fn parse_sample(n: usize, line: &str) -> Result<Sample, ParseError> {
    let name_end = line.find(['{', ' ', '\t']).unwrap_or(line.len());
    let name = &line[..name_end];
    if !is_valid_metric_name(name) {
        return Err(ParseError::new(n, format!("invalid metric name {name:?}")));
    }
    let mut rest = &line[name_end..];
    let mut labels: Vec<(String, String)> = Vec::new();
    if let Some(after) = rest.strip_prefix('{') {
        let mut s = after;
        loop {
            s = s.trim_start();
            if let Some(r) = s.strip_prefix('}') {
                rest = r;
                break;
            }
            let eq = s
                .find('=')
                .ok_or_else(|| ParseError::new(n, "label without '='"))?;
            let lname = s[..eq].trim();
            if !is_valid_label_name(lname) {
                return Err(ParseError::new(n, format!("invalid label name {lname:?}")));
            }
            s = s[eq + 1..].trim_start();
            let body = s
                .strip_prefix('"')
                .ok_or_else(|| ParseError::new(n, "label value not quoted"))?;
            let mut value = String::new();
            let mut chars = body.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some((_, 'n')) => value.push('\n'),
                        Some((_, '"')) => value.push('"'),
                        Some((_, '\\')) => value.push('\\'),
                        _ => return Err(ParseError::new(n, "invalid escape in label value")),
                    },
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    c => value.push(c),
                }
            }
            let end = end.ok_or_else(|| ParseError::new(n, "unterminated label value"))?;
            if labels.iter().any(|(k, _)| k == lname) {
                return Err(ParseError::new(n, format!("duplicate label {lname:?}")));
            }
            labels.push((lname.to_string(), value));
            s = body[end + 1..].trim_start();
            if let Some(r) = s.strip_prefix(',') {
                s = r;
            } else if !s.starts_with('}') {
                return Err(ParseError::new(n, "expected ',' or '}' after label value"));
            }
        }
    }
    let mut fields = rest.split_whitespace();
    let value = parse_value(
        n,
        fields
            .next()
            .ok_or_else(|| ParseError::new(n, "sample without value"))?,
    )?;
    let timestamp_ms = match fields.next() {
        Some(t) => Some(
            t.parse::<i64>()
                .map_err(|_| ParseError::new(n, format!("invalid timestamp {t:?}")))?,
        ),
        None => None,
    };
    if fields.next().is_some() {
        return Err(ParseError::new(n, "text after the timestamp"));
    }
    Ok(Sample {
        name: name.to_string(),
        labels,
        value,
        timestamp_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Label names starting with `__` are reserved for Prometheus; a file
    /// using one is rejected whole, like any other invalid label name.
    #[test]
    fn reserved_label_prefix_fails_the_file() {
        let err = parse("m{__name__=\"x\"} 1\n").unwrap_err();
        assert!(
            err.to_string().contains("invalid label name \"__name__\""),
            "{err}"
        );
        assert!(parse("m{__meta=\"x\"} 1\n").is_err());
        assert!(parse("m{_ok=\"x\"} 1\n").is_ok());
    }
}
