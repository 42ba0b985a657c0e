//! What a collector writes into. Misuse (a wrong label count, a value of the
//! wrong type, a name reused with another type) costs the offending series
//! and a log line, never the scrape.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};

use crate::desc::{Desc, Kind};
use crate::family::{Family, Histogram, LabelValues, Metric, Summary, Value};

/// A family's descriptor as the key of its name: an `Arc` clone instead
/// of a copy of the name for every family of every scrape.
#[derive(Debug)]
struct ByName(Desc);

impl PartialEq for ByName {
    fn eq(&self, other: &ByName) -> bool {
        self.0.name() == other.0.name()
    }
}

impl Eq for ByName {}

impl Hash for ByName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // As `str` hashes, so that lookups by `&str` find it.
        self.0.name().hash(state);
    }
}

impl Borrow<str> for ByName {
    fn borrow(&self) -> &str {
        self.0.name()
    }
}

#[derive(Debug, Default)]
pub struct Emitter {
    families: Vec<Family>,
    by_name: crate::NameMap<ByName, usize>,
    last: Option<usize>,
    dropped: usize,
}

impl Emitter {
    pub fn new() -> Emitter {
        Emitter::default()
    }

    pub fn counter(&mut self, desc: &Desc, label_values: &[&str], value: f64) {
        self.scalar(desc, Kind::Counter, label_values, value);
    }

    pub fn gauge(&mut self, desc: &Desc, label_values: &[&str], value: f64) {
        self.scalar(desc, Kind::Gauge, label_values, value);
    }

    pub fn untyped(&mut self, desc: &Desc, label_values: &[&str], value: f64) {
        self.scalar(desc, Kind::Untyped, label_values, value);
    }

    /// Writes a counter, gauge or untyped value, whichever `desc` declares.
    pub fn value(&mut self, desc: &Desc, label_values: &[&str], value: f64) {
        self.push(desc, label_values, Value::Scalar(value));
    }

    pub fn histogram(&mut self, desc: &Desc, label_values: &[&str], histogram: Histogram) {
        self.push(desc, label_values, Value::Histogram(histogram));
    }

    pub fn summary(&mut self, desc: &Desc, label_values: &[&str], summary: Summary) {
        self.push(desc, label_values, Value::Summary(summary));
    }

    /// Adds a whole family built elsewhere (another library's registry,
    /// a parsed text file). Its series go through the same checks.
    pub fn family(&mut self, family: Family) {
        let Family { desc, metrics } = family;
        for metric in metrics {
            let count = metric.label_values.len();
            self.push_series(&desc, count, || metric.label_values, metric.value);
        }
        // A family without series still announces itself, as upstream does.
        self.slot(&desc);
    }

    fn scalar(&mut self, desc: &Desc, kind: Kind, label_values: &[&str], value: f64) {
        if desc.kind() != kind {
            self.drop_series(
                desc,
                &format!(
                    "written as {} but declared {}",
                    kind.as_str(),
                    desc.kind().as_str()
                ),
            );
            return;
        }
        self.push(desc, label_values, Value::Scalar(value));
    }

    fn push(&mut self, desc: &Desc, label_values: &[&str], value: Value) {
        self.push_series(
            desc,
            label_values.len(),
            || LabelValues::new(label_values),
            value,
        );
    }

    /// Adds a series of `count` label values, built only once it is valid.
    fn push_series(
        &mut self,
        desc: &Desc,
        count: usize,
        label_values: impl FnOnce() -> LabelValues,
        value: Value,
    ) {
        if count != desc.label_count() {
            self.drop_series(
                desc,
                &format!(
                    "{} label values for {} label names",
                    count,
                    desc.label_count()
                ),
            );
            return;
        }
        if !value.fits(desc.kind()) {
            self.drop_series(
                desc,
                &format!("value does not fit a {}", desc.kind().as_str()),
            );
            return;
        }
        let Some(slot) = self.slot(desc) else {
            return;
        };
        self.families[slot].metrics.push(Metric {
            label_values: label_values(),
            value,
        });
    }

    /// The family this descriptor writes to, or `None` when its name is
    /// already taken by a family of another type or label set.
    fn slot(&mut self, desc: &Desc) -> Option<usize> {
        if let Some(last) = self.last
            && self.families[last].desc == *desc
        {
            return Some(last);
        }
        let index = match self.by_name.get(desc.name()) {
            Some(&index) => {
                if !self.families[index].desc.same_shape(desc) {
                    self.drop_series(desc, "name already used with another type or label names");
                    return None;
                }
                index
            }
            None => {
                self.families.push(Family {
                    desc: desc.clone(),
                    metrics: Vec::new(),
                });
                let index = self.families.len() - 1;
                self.by_name.insert(ByName(desc.clone()), index);
                index
            }
        };
        self.last = Some(index);
        Some(index)
    }

    fn drop_series(&mut self, desc: &Desc, why: &str) {
        self.dropped += 1;
        tracing::error!(
            metric = desc.name(),
            reason = why,
            "dropping invalid series"
        );
    }

    /// Series dropped because they were invalid.
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    pub fn is_empty(&self) -> bool {
        self.families.is_empty()
    }

    pub fn into_families(self) -> Vec<Family> {
        self.families
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_label_count_and_type_are_dropped() {
        let d = Desc::gauge("g", "h", &["a"]);
        let mut e = Emitter::new();
        e.gauge(&d, &["x"], 1.0);
        e.gauge(&d, &[], 2.0);
        e.counter(&d, &["y"], 3.0);
        e.histogram(&d, &["z"], Histogram::default());
        assert_eq!(e.dropped(), 3);
        let fams = e.into_families();
        assert_eq!(fams.len(), 1);
        assert_eq!(fams[0].metrics.len(), 1);
    }

    #[test]
    fn same_name_with_other_type_is_dropped() {
        let g = Desc::gauge("m", "h", &[]);
        let c = Desc::counter("m", "h", &[]);
        let mut e = Emitter::new();
        e.gauge(&g, &[], 1.0);
        e.counter(&c, &[], 1.0);
        assert_eq!(e.dropped(), 1);
        // Equal descriptors built twice share the family.
        let g2 = Desc::gauge("m", "h", &[]);
        e.gauge(&g2, &[], 2.0);
        let fams = e.into_families();
        assert_eq!(fams[0].metrics.len(), 2);
    }
}
