//! The owned data model of one scrape. Collectors never see the metrics
//! library underneath: they write these types through an [`crate::Emitter`].

use crate::desc::{Desc, Kind};

/// One bucket of a histogram: how many observations were `<= upper_bound`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    pub upper_bound: f64,
    pub cumulative_count: u64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Histogram {
    /// Ascending by upper bound; a `+Inf` bucket is added by the encoders
    /// when missing, holding `count`.
    pub buckets: Vec<Bucket>,
    pub sum: f64,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Summary {
    /// `(quantile, value)` pairs, quantiles in `[0, 1]`.
    pub quantiles: Vec<(f64, f64)>,
    pub sum: f64,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Counter, gauge or untyped.
    Scalar(f64),
    Histogram(Histogram),
    Summary(Summary),
}

impl Value {
    pub(crate) fn fits(&self, kind: Kind) -> bool {
        matches!(
            (self, kind),
            (
                Value::Scalar(_),
                Kind::Counter | Kind::Gauge | Kind::Untyped
            ) | (Value::Histogram(_), Kind::Histogram)
                | (Value::Summary(_), Kind::Summary)
        )
    }
}

/// One series: label values in the order of the family's label names.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub label_values: Box<[String]>,
    pub value: Value,
}

/// A metric family with its series.
#[derive(Debug, Clone)]
pub struct Family {
    pub desc: Desc,
    pub metrics: Vec<Metric>,
}

impl Family {
    pub fn name(&self) -> &str {
        self.desc.name()
    }

    /// Label name/value pairs of one of this family's series.
    pub fn labels<'a>(&'a self, metric: &'a Metric) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.desc
            .label_names()
            .zip(metric.label_values.iter().map(String::as_str))
    }
}
