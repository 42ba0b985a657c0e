//! Descriptors: a metric family's name, help, type, unit and label names,
//! checked once when a collector is built rather than on every sample.

use std::fmt;
use std::sync::{Arc, OnceLock};

/// The type of a metric family, as Prometheus' data model names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
    Summary,
    Untyped,
}

impl Kind {
    /// The kind a `# TYPE` line names; OpenMetrics' `unknown` is untyped.
    pub fn from_type_name(name: &str) -> Option<Kind> {
        Some(match name.trim() {
            "counter" => Kind::Counter,
            "gauge" => Kind::Gauge,
            "histogram" => Kind::Histogram,
            "summary" => Kind::Summary,
            "untyped" | "unknown" => Kind::Untyped,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
            Kind::Summary => "summary",
            Kind::Untyped => "untyped",
        }
    }
}

/// A name that is not a valid Prometheus metric or label name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DescError {
    #[error("invalid metric name {0:?}")]
    MetricName(String),
    #[error("invalid label name {label:?} on metric {metric:?}")]
    LabelName { metric: String, label: String },
    #[error("label name {label:?} repeated on metric {metric:?}")]
    DuplicateLabel { metric: String, label: String },
    #[error("metric {metric:?} does not end with its unit {unit:?}")]
    Unit { metric: String, unit: String },
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`
pub fn is_valid_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with the reserved `__`.
pub fn is_valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    !name.starts_with("__") && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A metric name from outside text (a sysctl, a server variable): every
/// character outside `[a-zA-Z0-9_:]` becomes `_`, one `_` per character as
/// Go's `regexp.ReplaceAllString` does. Case and a leading digit are the
/// caller's (upstreams differ on both).
pub fn sanitize_metric_name(name: &str) -> String {
    replace_outside(name, |c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// A label name (or a metric name part upstream builds without `:`):
/// every character outside `[a-zA-Z0-9_]` becomes `_`, as cAdvisor's and
/// redis_exporter's `[^a-zA-Z0-9_]` replacements do.
pub fn sanitize_label_name(name: &str) -> String {
    replace_outside(name, |c| c.is_ascii_alphanumeric() || c == '_')
}

fn replace_outside(name: &str, keep: impl Fn(char) -> bool) -> String {
    name.chars()
        .map(|c| if keep(c) { c } else { '_' })
        .collect()
}

#[derive(Debug)]
pub(crate) struct DescInner {
    pub(crate) name: Box<str>,
    pub(crate) help: Box<str>,
    pub(crate) kind: Kind,
    pub(crate) unit: Option<Box<str>>,
    pub(crate) label_names: Box<[Box<str>]>,
    /// Indices into `label_names` in name order: client_golang writes a
    /// series' labels sorted by name and sorts series by their values in
    /// that order, and the text must be byte for byte the same.
    pub(crate) label_order: Box<[usize]>,
    /// Whether a series leaves out the labels whose value is empty
    /// ([`Desc::omitting_empty_labels`]).
    pub(crate) omit_empty: bool,
    /// The family's comment lines (`# HELP`, `# TYPE`, `# UNIT`) as each
    /// text format writes them, made on first use: escaping every help
    /// text on every scrape was a tenth of encoding a page.
    pub(crate) headers: [OnceLock<Box<[u8]>>; 2],
}

/// Which text format's comment lines [`Desc::header`] holds.
#[derive(Debug, Clone, Copy)]
pub(crate) enum HeaderFormat {
    Text = 0,
    OpenMetrics = 1,
}

impl PartialEq for DescInner {
    fn eq(&self, other: &DescInner) -> bool {
        self.name == other.name
            && self.help == other.help
            && self.kind == other.kind
            && self.unit == other.unit
            && self.label_names == other.label_names
            && self.omit_empty == other.omit_empty
    }
}

impl Eq for DescInner {}

/// A checked family descriptor. Cheap to clone; build it once per collector.
#[derive(Clone, PartialEq, Eq)]
pub struct Desc(pub(crate) Arc<DescInner>);

impl fmt::Debug for Desc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Desc({} {})", self.0.name, self.0.kind.as_str())
    }
}

impl Desc {
    /// A descriptor whose name and labels are constants of the program.
    ///
    /// # Panics
    /// When a name is invalid: a programming error that every test of the
    /// collector finds. Names that come from outside the process (a textfile,
    /// a server's variable names) go through [`Desc::try_new`].
    pub fn new(name: &str, help: &str, kind: Kind, label_names: &[&str]) -> Desc {
        match Desc::try_new(name, help, kind, label_names) {
            Ok(desc) => desc,
            Err(err) => panic!("bad constant descriptor: {err}"),
        }
    }

    pub fn try_new(
        name: &str,
        help: &str,
        kind: Kind,
        label_names: &[&str],
    ) -> Result<Desc, DescError> {
        if !is_valid_metric_name(name) {
            return Err(DescError::MetricName(name.to_string()));
        }
        for (i, label) in label_names.iter().enumerate() {
            if !is_valid_label_name(label) {
                return Err(DescError::LabelName {
                    metric: name.to_string(),
                    label: label.to_string(),
                });
            }
            if label_names[..i].contains(label) {
                return Err(DescError::DuplicateLabel {
                    metric: name.to_string(),
                    label: label.to_string(),
                });
            }
        }
        Ok(Desc(Arc::new(DescInner {
            name: name.into(),
            help: help.into(),
            kind,
            unit: None,
            label_names: label_names.iter().map(|l| Box::<str>::from(*l)).collect(),
            label_order: name_order(label_names),
            omit_empty: false,
            headers: Default::default(),
        })))
    }

    pub fn counter(name: &str, help: &str, label_names: &[&str]) -> Desc {
        Desc::new(name, help, Kind::Counter, label_names)
    }

    pub fn gauge(name: &str, help: &str, label_names: &[&str]) -> Desc {
        Desc::new(name, help, Kind::Gauge, label_names)
    }

    pub fn untyped(name: &str, help: &str, label_names: &[&str]) -> Desc {
        Desc::new(name, help, Kind::Untyped, label_names)
    }

    pub fn histogram(name: &str, help: &str, label_names: &[&str]) -> Desc {
        Desc::new(name, help, Kind::Histogram, label_names)
    }

    pub fn summary(name: &str, help: &str, label_names: &[&str]) -> Desc {
        Desc::new(name, help, Kind::Summary, label_names)
    }

    /// Declares the family's unit for OpenMetrics' `# UNIT` line. OpenMetrics
    /// requires the name to end with it (before `_total` for counters).
    pub fn with_unit(self, unit: &str) -> Result<Desc, DescError> {
        let inner = &self.0;
        let base = match inner.kind {
            Kind::Counter => inner.name.strip_suffix("_total").unwrap_or(&inner.name),
            _ => &inner.name,
        };
        if !base.ends_with(&format!("_{unit}")) {
            return Err(DescError::Unit {
                metric: inner.name.to_string(),
                unit: unit.to_string(),
            });
        }
        Ok(self.rebuilt(|d| d.unit = Some(unit.into())))
    }

    /// Makes every series of the family leave out the labels whose value is
    /// empty, so that series of one family carry different label sets, as
    /// client_golang writes families built from a `Desc` per series
    /// (node_exporter's `node_power_supply_info` keeps only the attributes
    /// a supply has). Prometheus stores `l=""` as no `l` at all, so this
    /// changes the text, never what is stored; series are then ordered as
    /// client_golang orders mixed label sets (fewer labels first).
    pub fn omitting_empty_labels(self) -> Desc {
        self.rebuilt(|d| d.omit_empty = true)
    }

    /// A copy with `change` applied: its comment lines are written anew.
    fn rebuilt(&self, change: impl FnOnce(&mut DescInner)) -> Desc {
        let inner = &self.0;
        let mut copy = DescInner {
            name: inner.name.clone(),
            help: inner.help.clone(),
            kind: inner.kind,
            unit: inner.unit.clone(),
            label_names: inner.label_names.clone(),
            label_order: inner.label_order.clone(),
            omit_empty: inner.omit_empty,
            headers: Default::default(),
        };
        change(&mut copy);
        Desc(Arc::new(copy))
    }

    /// This family's comment lines in `format`, written by `write` the
    /// first time.
    pub(crate) fn header(&self, format: HeaderFormat, write: impl FnOnce(&mut Vec<u8>)) -> &[u8] {
        self.0.headers[format as usize].get_or_init(|| {
            let mut lines = Vec::new();
            write(&mut lines);
            lines.into_boxed_slice()
        })
    }

    pub fn name(&self) -> &str {
        &self.0.name
    }

    pub fn help(&self) -> &str {
        &self.0.help
    }

    pub fn kind(&self) -> Kind {
        self.0.kind
    }

    pub fn unit(&self) -> Option<&str> {
        self.0.unit.as_deref()
    }

    pub fn label_names(&self) -> impl ExactSizeIterator<Item = &str> {
        self.0.label_names.iter().map(|l| &**l)
    }

    /// `(index, name)` of each label name, sorted by name: the order in
    /// which every format writes a series' labels.
    pub fn sorted_label_names(&self) -> impl ExactSizeIterator<Item = (usize, &str)> + Clone {
        self.0
            .label_order
            .iter()
            .map(|&i| (i, &*self.0.label_names[i]))
    }

    pub fn omits_empty_labels(&self) -> bool {
        self.0.omit_empty
    }

    pub(crate) fn label_count(&self) -> usize {
        self.0.label_names.len()
    }

    /// Whether series written with `other` can join this family: same
    /// type, label names and handling of empty labels.
    pub(crate) fn same_shape(&self, other: &Desc) -> bool {
        self.kind() == other.kind()
            && self.omits_empty_labels() == other.omits_empty_labels()
            && self.label_names().eq(other.label_names())
    }
}

fn name_order(label_names: &[&str]) -> Box<[usize]> {
    let mut order: Vec<usize> = (0..label_names.len()).collect();
    order.sort_by_key(|&i| label_names[i]);
    order.into_boxed_slice()
}

#[cfg(test)]
mod tests {

    #[test]
    fn written_comment_lines_change_neither_equality_nor_output() {
        let a = Desc::gauge("g", "Help with \\ and\nlines.", &["l"]);
        let b = Desc::gauge("g", "Help with \\ and\nlines.", &["l"]);
        let first = a
            .header(HeaderFormat::Text, |l| l.extend_from_slice(b"first"))
            .to_vec();
        let again = a.header(HeaderFormat::Text, |l| l.extend_from_slice(b"second"));
        assert_eq!(first, again, "written once");
        assert_eq!(a, b, "a written header is not part of equality");
    }

    use super::*;

    #[test]
    fn labels_are_listed_in_name_order() {
        let d = Desc::gauge("g", "", &["zone", "a", "Z", "b_1", "b"]);
        let sorted: Vec<_> = d.sorted_label_names().collect();
        assert_eq!(
            sorted,
            [(2, "Z"), (1, "a"), (4, "b"), (3, "b_1"), (0, "zone")]
        );
        assert!(d.label_names().eq(["zone", "a", "Z", "b_1", "b"]));
    }

    #[test]
    fn names_are_checked() {
        assert!(Desc::try_new("node_load1", "", Kind::Gauge, &["a_b"]).is_ok());
        assert!(Desc::try_new("1node", "", Kind::Gauge, &[]).is_err());
        assert!(Desc::try_new("node-load", "", Kind::Gauge, &[]).is_err());
        assert!(Desc::try_new("ok", "", Kind::Gauge, &["__reserved"]).is_err());
        assert!(Desc::try_new("ok", "", Kind::Gauge, &["a", "a"]).is_err());
        assert!(Desc::try_new("ns:rule", "", Kind::Gauge, &[]).is_ok());
        assert!(Desc::try_new("", "", Kind::Gauge, &[]).is_err());
    }

    #[test]
    fn sanitized_names_are_valid_past_their_first_character() {
        assert_eq!(
            sanitize_metric_name("net.ipv4/ip-forward:x"),
            "net_ipv4_ip_forward:x"
        );
        assert_eq!(sanitize_label_name("io.k8s/app:x"), "io_k8s_app_x");
        // One `_` per character, not per byte, as Go's regexp replaces runes.
        assert_eq!(sanitize_label_name("température"), "temp_rature");
        for raw in ["a.b-c", "x:y z", "Ünï"] {
            let m = format!("x_{}", sanitize_metric_name(raw));
            let l = format!("x_{}", sanitize_label_name(raw));
            assert!(is_valid_metric_name(&m), "{m}");
            assert!(is_valid_label_name(&l), "{l}");
        }
    }

    #[test]
    fn label_names_starting_with_two_underscores_are_reserved() {
        assert!(is_valid_label_name("_x"));
        assert!(!is_valid_label_name("__name__"));
        assert!(!is_valid_label_name("__x"));
        assert!(!is_valid_label_name("a:b"));
        assert!(is_valid_metric_name("a:b"));
    }

    #[test]
    fn unit_must_be_a_suffix() {
        let d = Desc::counter("x_seconds_total", "", &[]);
        assert_eq!(
            d.with_unit("seconds").map(|d| d.unit().map(String::from)),
            Ok(Some("seconds".into()))
        );
        assert!(
            Desc::gauge("x_bytes", "", &[])
                .with_unit("seconds")
                .is_err()
        );
    }
}
