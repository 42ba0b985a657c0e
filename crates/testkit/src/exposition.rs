//! The Prometheus text format (0.0.4) read family by family, for the two
//! questions tests and `cargo xtask` ask of an exposition: does ours cover
//! the upstream exporter's families ([`compare`]), and does it still match
//! the committed catalog ([`crate::catalog`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use regex::Regex;

/// One metric family as exposed: its type and help, the label names its
/// series carry (without `le`/`quantile`) and how many samples it has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Family {
    pub kind: String,
    pub help: String,
    pub labels: BTreeSet<String>,
    pub samples: usize,
}

/// The families of an exposition by name.
pub type Families = BTreeMap<String, Family>;

/// A line the text format does not allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

/// The sample-name suffixes each type adds to its family name.
fn suffixes(kind: &str) -> &'static [&'static str] {
    match kind {
        "histogram" => &["_bucket", "_sum", "_count", "_created"],
        "summary" => &["_sum", "_count", "_created"],
        "counter" => &["_total", "_created"],
        _ => &[],
    }
}

fn is_name_start(c: u8, colon: bool) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || (colon && c == b':')
}

fn is_name_char(c: u8, colon: bool) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || (colon && c == b':')
}

/// The length of the name at the start of `s` (`colon`: metric names
/// allow `:`, label names do not).
fn name_len(s: &[u8], colon: bool) -> usize {
    match s.first() {
        Some(&c) if is_name_start(c, colon) => {
            1 + s[1..]
                .iter()
                .take_while(|&&c| is_name_char(c, colon))
                .count()
        }
        _ => 0,
    }
}

/// Label names of `{a="b",c="d"}` at the start of `s`, and the rest after `}`.
fn label_names(s: &str) -> Result<(Vec<String>, &str), ParseError> {
    let bytes = s.as_bytes();
    let mut names = Vec::new();
    let mut i = 1;
    loop {
        while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b',') {
            i += 1;
        }
        match bytes.get(i) {
            Some(b'}') => return Ok((names, &s[i + 1..])),
            None => return Err(ParseError(format!("unterminated label set in {s:.60}"))),
            _ => {}
        }
        let n = name_len(&bytes[i..], false);
        if n == 0 {
            return Err(ParseError(format!("bad label name at {:.20}", &s[i..])));
        }
        names.push(s[i..i + n].to_string());
        i += n;
        while bytes.get(i) == Some(&b' ') {
            i += 1;
        }
        if bytes.get(i) != Some(&b'=') || bytes.get(i + 1) != Some(&b'"') {
            return Err(ParseError(format!("bad label syntax near {:.20}", &s[i..])));
        }
        i += 2;
        while i < bytes.len() && bytes[i] != b'"' {
            i += if bytes[i] == b'\\' { 2 } else { 1 };
        }
        i += 1;
    }
}

/// Reads an exposition: every family with its type (`untyped` when no
/// `# TYPE` says otherwise), help, label names and sample count. Samples
/// of histograms, summaries and counters count towards their family.
pub fn parse(text: &str) -> Result<Families, ParseError> {
    let mut families = Families::new();
    let mut typed: BTreeMap<String, String> = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(comment) = line.strip_prefix('#') {
            let mut parts = comment.trim_start().splitn(3, ' ');
            let (Some(keyword), Some(name)) = (parts.next(), parts.next()) else {
                continue;
            };
            let rest = parts.next().unwrap_or("").trim();
            match keyword {
                "TYPE" => {
                    let kind = if rest.is_empty() { "untyped" } else { rest };
                    families.entry(name.to_string()).or_default().kind = kind.to_string();
                    typed.insert(name.to_string(), kind.to_string());
                }
                "HELP" => families.entry(name.to_string()).or_default().help = rest.to_string(),
                _ => {}
            }
            continue;
        }
        let n = name_len(line.as_bytes(), true);
        if n == 0 {
            return Err(ParseError(format!("bad sample line: {line:.80}")));
        }
        let name = &line[..n];
        let labels = match line[n..].strip_prefix('{') {
            Some(_) => label_names(&line[n..])?.0,
            None => Vec::new(),
        };
        let family = if typed.contains_key(name) {
            name
        } else {
            typed
                .iter()
                .find_map(|(base, kind)| {
                    suffixes(kind)
                        .iter()
                        .any(|s| name.strip_suffix(s) == Some(base.as_str()))
                        .then_some(base.as_str())
                })
                .unwrap_or(name)
        };
        let entry = families.entry(family.to_string()).or_default();
        entry.samples += 1;
        entry
            .labels
            .extend(labels.into_iter().filter(|l| l != "le" && l != "quantile"));
    }
    for family in families.values_mut() {
        if family.kind.is_empty() {
            family.kind = "untyped".to_string();
        }
    }
    Ok(families)
}

/// Reference families left out by default: a Rust binary has no Go
/// runtime. (The promhttp handler's own families are compared: the kit
/// serves them where upstream does.)
pub const DEFAULT_IGNORES: &[&str] = &["^go_"];

/// How well a candidate exposition covers a reference one, family by
/// family. A reference family (with samples, not ignored) is covered when
/// the candidate has it with samples, the same type and at least its label
/// names.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Coverage {
    pub reference_families: usize,
    pub covered: usize,
    pub coverage_pct: f64,
    pub missing: Vec<String>,
    /// (family, reference type, candidate type)
    pub wrong_type: Vec<(String, String, String)>,
    /// (family, label names the candidate lacks, label names it has besides)
    pub label_gaps: Vec<(String, Vec<String>, Vec<String>)>,
    /// Candidate families the reference does not have.
    pub extra: Vec<String>,
    #[serde(skip)]
    types: BTreeMap<String, String>,
}

/// Compares `candidate` with `reference`, leaving out reference families
/// any of `ignores` matches.
pub fn compare(reference: &Families, candidate: &Families, ignores: &[Regex]) -> Coverage {
    let kept: Vec<&String> = reference
        .iter()
        .filter(|(name, f)| f.samples > 0 && !ignores.iter().any(|r| r.is_match(name)))
        .map(|(name, _)| name)
        .collect();
    let (mut covered, mut missing, mut wrong_type, mut label_gaps) =
        (0, Vec::new(), Vec::new(), Vec::new());
    let mut types = BTreeMap::new();
    for name in &kept {
        let r = &reference[*name];
        types.insert((*name).clone(), r.kind.clone());
        match candidate.get(*name).filter(|c| c.samples > 0) {
            None => missing.push((*name).clone()),
            Some(c) if c.kind != r.kind => {
                wrong_type.push(((*name).clone(), r.kind.clone(), c.kind.clone()))
            }
            Some(c) if !r.labels.is_subset(&c.labels) => label_gaps.push((
                (*name).clone(),
                r.labels.difference(&c.labels).cloned().collect(),
                c.labels.difference(&r.labels).cloned().collect(),
            )),
            Some(_) => covered += 1,
        }
    }
    let extra: Vec<String> = candidate
        .iter()
        .filter(|(name, f)| f.samples > 0 && !reference.contains_key(*name))
        .map(|(name, f)| {
            types.insert(name.clone(), f.kind.clone());
            name.clone()
        })
        .collect();
    let coverage_pct = if kept.is_empty() {
        100.0
    } else {
        (1000.0 * covered as f64 / kept.len() as f64).round() / 10.0
    };
    Coverage {
        reference_families: kept.len(),
        covered,
        coverage_pct,
        missing,
        wrong_type,
        label_gaps,
        extra,
        types,
    }
}

/// Compiles [`DEFAULT_IGNORES`] plus `extra` patterns.
pub fn ignores(extra: &[&str], defaults: bool) -> Result<Vec<Regex>, regex::Error> {
    let defaults = if defaults { DEFAULT_IGNORES } else { &[] };
    defaults
        .iter()
        .chain(extra)
        .map(|p| Regex::new(p))
        .collect()
}

impl fmt::Display for Coverage {
    /// The report: one line per difference, then the coverage.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = |name: &str| self.types.get(name).map_or("untyped", String::as_str);
        for name in &self.missing {
            writeln!(f, "missing     {name} ({})", kind(name))?;
        }
        for (name, r, c) in &self.wrong_type {
            writeln!(f, "type        {name}: reference {r}, candidate {c}")?;
        }
        for (name, lack, more) in &self.label_gaps {
            write!(f, "labels      {name}: lacks {}", lack.join(","))?;
            if !more.is_empty() {
                write!(f, "; has also {}", more.join(","))?;
            }
            writeln!(f)?;
        }
        for name in &self.extra {
            writeln!(f, "extra       {name} ({})", kind(name))?;
        }
        write!(
            f,
            "coverage {:.1}% ({} of {} reference families)",
            self.coverage_pct, self.covered, self.reference_families
        )
    }
}

/// Parses both texts and compares them with the default ignores plus
/// `extra_ignores`; panics (this is for tests) on text that is not the
/// exposition format.
pub fn coverage(reference: &str, candidate: &str, extra_ignores: &[&str]) -> Coverage {
    let parse = |which: &str, text: &str| {
        parse(text).unwrap_or_else(|e| panic!("{which} exposition: {e}\n{text}"))
    };
    let ignores = ignores(extra_ignores, true).expect("ignore patterns compile");
    compare(
        &parse("reference", reference),
        &parse("candidate", candidate),
        &ignores,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const REFERENCE: &str = r#"# HELP go_goroutines Goroutines.
# TYPE go_goroutines gauge
go_goroutines 8
# HELP req_seconds Latency.
# TYPE req_seconds histogram
req_seconds_bucket{path="/",le="1"} 1
req_seconds_sum{path="/"} 0.5
req_seconds_count{path="/"} 1
# TYPE up_total counter
up_total{job="a",instance="b"} 3
# TYPE temp gauge
temp{sensor="x"} 2
# TYPE gone gauge
gone 1
# TYPE empty gauge
"#;

    const CANDIDATE: &str = r#"# TYPE req_seconds histogram
req_seconds_bucket{path="/",le="+Inf"} 1
req_seconds_sum{path="/"} 0.5
req_seconds_count{path="/"} 1
# TYPE up_total gauge
up_total{job="a",instance="b"} 3
# TYPE temp gauge
temp{chip="y"} 2
# TYPE ours gauge
ours{a="with \"quote\", and } brace"} 1
"#;

    #[test]
    fn families_take_their_suffixed_samples_and_label_names() {
        let f = parse(REFERENCE).expect("parses");
        let h = &f["req_seconds"];
        assert_eq!((h.kind.as_str(), h.samples), ("histogram", 3));
        assert_eq!(h.labels, BTreeSet::from(["path".to_string()]));
        assert_eq!(f["empty"].samples, 0);
        assert_eq!(f["go_goroutines"].help, "Goroutines.");
        let c = parse(CANDIDATE).expect("parses");
        assert_eq!(c["ours"].labels, BTreeSet::from(["a".to_string()]));
    }

    #[test]
    fn each_difference_is_reported() {
        let c = coverage(REFERENCE, CANDIDATE, &[]);
        assert_eq!(
            c.reference_families, 4,
            "go_ and sample-less families left out"
        );
        assert_eq!(c.covered, 1);
        assert_eq!(c.missing, ["gone"]);
        assert_eq!(
            c.wrong_type,
            [("up_total".into(), "counter".into(), "gauge".into())]
        );
        assert_eq!(
            c.label_gaps,
            [("temp".into(), vec!["sensor".into()], vec!["chip".into()])]
        );
        assert_eq!(c.extra, ["ours"]);
        assert_eq!(c.coverage_pct, 25.0);
        let report = c.to_string();
        assert!(report.contains("missing     gone (gauge)"), "{report}");
        assert!(report.contains("labels      temp: lacks sensor; has also chip"));
        assert!(report.ends_with("coverage 25.0% (1 of 4 reference families)"));
        assert_eq!(
            coverage(REFERENCE, CANDIDATE, &["^gone$"]).reference_families,
            3
        );
    }

    #[test]
    fn malformed_lines_are_errors() {
        assert!(parse("9bad 1\n").is_err());
        assert!(parse("x{a=b} 1\n").is_err());
        assert!(parse("x{a=\"b\" 1\n").is_err());
    }
}
