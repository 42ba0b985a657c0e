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

/// How many label values a series keeps without a second allocation:
/// enough for nearly every family of the exporters (node_network_info
/// has seven).
const INLINE_VALUES: usize = 7;

/// Where each of a series' label values ends in its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Ends {
    Inline { len: u8, ends: [u32; INLINE_VALUES] },
    Spilled(Box<[u32]>),
}

/// A series' label values, in the order of its family's label names, in
/// one allocation: a scrape writes thousands of series, and a `String`
/// per value made label storage the largest source of allocations.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LabelValues {
    /// The values back to back.
    text: Box<str>,
    ends: Ends,
}

impl LabelValues {
    pub fn new<S: AsRef<str>>(values: &[S]) -> LabelValues {
        let size = values.iter().map(|v| v.as_ref().len()).sum();
        let mut text = String::with_capacity(size);
        let mut inline = [0u32; INLINE_VALUES];
        let mut spilled: Vec<u32> = Vec::with_capacity(if values.len() > INLINE_VALUES {
            values.len()
        } else {
            0
        });
        for (i, value) in values.iter().enumerate() {
            text.push_str(value.as_ref());
            // A series cannot carry 4 GiB of label values; saturate
            // rather than wrap.
            let end = u32::try_from(text.len()).unwrap_or(u32::MAX);
            match inline.get_mut(i) {
                Some(slot) if values.len() <= INLINE_VALUES => *slot = end,
                _ => spilled.push(end),
            }
        }
        let ends = if values.len() <= INLINE_VALUES {
            Ends::Inline {
                len: values.len() as u8,
                ends: inline,
            }
        } else {
            Ends::Spilled(spilled.into_boxed_slice())
        };
        LabelValues {
            text: text.into_boxed_str(),
            ends,
        }
    }

    pub fn len(&self) -> usize {
        self.ends().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, index: usize) -> Option<&str> {
        let ends = self.ends();
        let end = *ends.get(index)? as usize;
        let start = if index == 0 {
            0
        } else {
            ends[index - 1] as usize
        };
        self.text.get(start..end)
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + Clone + '_ {
        let ends = self.ends();
        (0..ends.len()).map(move |i| {
            let start = if i == 0 { 0 } else { ends[i - 1] as usize };
            self.text.get(start..ends[i] as usize).unwrap_or_default()
        })
    }

    fn ends(&self) -> &[u32] {
        match &self.ends {
            Ends::Inline { len, ends } => &ends[..usize::from(*len)],
            Ends::Spilled(ends) => ends,
        }
    }
}

impl<'a> FromIterator<&'a str> for LabelValues {
    fn from_iter<I: IntoIterator<Item = &'a str>>(values: I) -> LabelValues {
        LabelValues::new(&values.into_iter().collect::<Vec<_>>())
    }
}

impl<'a> FromIterator<&'a String> for LabelValues {
    fn from_iter<I: IntoIterator<Item = &'a String>>(values: I) -> LabelValues {
        values.into_iter().map(String::as_str).collect()
    }
}

impl Ord for LabelValues {
    fn cmp(&self, other: &LabelValues) -> std::cmp::Ordering {
        self.iter().cmp(other.iter())
    }
}

impl PartialOrd for LabelValues {
    fn partial_cmp(&self, other: &LabelValues) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Debug for LabelValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// One series: label values in the order of the family's label names.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub label_values: LabelValues,
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

    /// Label name/value pairs of one of this family's series, sorted by
    /// label name as client_golang writes them; without the empty ones
    /// when the family omits them.
    pub fn labels<'a>(&'a self, metric: &'a Metric) -> impl Iterator<Item = (&'a str, &'a str)> {
        let omit = self.desc.omits_empty_labels();
        self.desc
            .sorted_label_names()
            .map(|(i, name)| (name, metric.label_values.get(i).unwrap_or_default()))
            .filter(move |(_, value)| !(omit && value.is_empty()))
    }

    /// Orders two series of this family as client_golang does: by their
    /// label values taken in label-name order. Series of different label
    /// sets (empty labels omitted) go by their number of labels first,
    /// then by the values they have, position by position, whatever the
    /// names: client_golang's `MetricSorter`.
    pub fn compare_series(&self, a: &Metric, b: &Metric) -> std::cmp::Ordering {
        if self.desc.omits_empty_labels() {
            let values = |m| self.labels(m).map(|(_, value)| value);
            return values(a)
                .count()
                .cmp(&values(b).count())
                .then_with(|| values(a).cmp(values(b)));
        }
        fn value(m: &Metric, i: usize) -> &str {
            m.label_values.get(i).unwrap_or_default()
        }
        self.desc
            .sorted_label_names()
            .map(|(i, _)| value(a, i).cmp(value(b, i)))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_keep_every_value_whatever_their_number() {
        for n in [0, 1, 2, 7, 8, 20] {
            let values: Vec<String> = (0..n)
                .map(|i| {
                    if i % 3 == 1 {
                        String::new()
                    } else {
                        format!("v{i}é")
                    }
                })
                .collect();
            let lv = LabelValues::new(&values);
            assert_eq!(lv.len(), n);
            assert_eq!(lv.is_empty(), n == 0);
            assert_eq!(lv.iter().collect::<Vec<_>>(), values, "{n} values");
            for (i, v) in values.iter().enumerate() {
                assert_eq!(lv.get(i), Some(v.as_str()));
            }
            assert_eq!(lv.get(n), None);
            assert_eq!(values.iter().collect::<LabelValues>(), lv);
        }
    }

    #[test]
    fn label_values_compare_value_by_value() {
        // Joined text would order ("a", "b") after ("ab", ""): values must not.
        let sets: [&[&str]; 6] = [
            &["ab", ""],
            &["a", "b"],
            &["a", ""],
            &["", "z"],
            &["a", "b", "c", "d", "e", "f", "g", "h"],
            &["a", "b", "c", "d", "e", "f", "g"],
        ];
        let mut ours: Vec<LabelValues> = sets.iter().map(|s| LabelValues::new(s)).collect();
        let mut strings: Vec<Vec<&str>> = sets.iter().map(|s| s.to_vec()).collect();
        ours.sort();
        strings.sort();
        let ours: Vec<Vec<&str>> = ours.iter().map(|l| l.iter().collect()).collect();
        assert_eq!(ours, strings);
        assert_ne!(LabelValues::new(&["ab", ""]), LabelValues::new(&["a", "b"]));
        assert_eq!(LabelValues::new(&["x", "y"]), LabelValues::new(&["x", "y"]));
    }
}
