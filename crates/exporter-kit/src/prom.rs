//! The bridge from the `prometheus` crate, which exporters use for their
//! own instrumentation, to the kit's data model.

use prometheus::proto::{MetricFamily, MetricType};

use crate::desc::{Desc, Kind};
use crate::emit::Emitter;
use crate::family::{Bucket, Histogram, Summary};

fn kind(t: MetricType) -> Kind {
    match t {
        MetricType::COUNTER => Kind::Counter,
        MetricType::GAUGE => Kind::Gauge,
        MetricType::SUMMARY => Kind::Summary,
        MetricType::HISTOGRAM => Kind::Histogram,
        MetricType::UNTYPED => Kind::Untyped,
    }
}

fn convert(family: &MetricFamily, out: &mut Emitter) {
    // Series of one family may carry different label sets (const labels);
    // each distinct set becomes its own descriptor, and the merge step
    // drops what cannot be exposed together.
    for metric in family.get_metric() {
        let names: Vec<&str> = metric.get_label().iter().map(|l| l.name()).collect();
        let values: Vec<&str> = metric.get_label().iter().map(|l| l.value()).collect();
        let desc = match Desc::try_new(
            family.name(),
            family.help(),
            kind(family.get_field_type()),
            &names,
        ) {
            Ok(desc) => desc,
            Err(err) => {
                tracing::error!(error = %err, "dropping a registry family with an invalid name");
                return;
            }
        };
        match family.get_field_type() {
            MetricType::COUNTER => out.counter(&desc, &values, metric.get_counter().get_value()),
            MetricType::GAUGE => out.gauge(&desc, &values, metric.get_gauge().get_value()),
            // The crate marks its untyped accessors deprecated but still
            // produces untyped families; read them until it stops.
            #[allow(deprecated)]
            MetricType::UNTYPED => out.untyped(&desc, &values, metric.get_untyped().get_value()),
            MetricType::HISTOGRAM => {
                let h = metric.get_histogram();
                out.histogram(
                    &desc,
                    &values,
                    Histogram {
                        buckets: h
                            .get_bucket()
                            .iter()
                            .map(|b| Bucket {
                                upper_bound: b.upper_bound(),
                                cumulative_count: b.cumulative_count(),
                            })
                            .collect(),
                        sum: h.get_sample_sum(),
                        count: h.get_sample_count(),
                    },
                );
            }
            MetricType::SUMMARY => {
                let s = metric.get_summary();
                out.summary(
                    &desc,
                    &values,
                    Summary {
                        quantiles: s
                            .get_quantile()
                            .iter()
                            .map(|q| (q.quantile(), q.value()))
                            .collect(),
                        sum: s.sample_sum(),
                        count: s.sample_count(),
                    },
                );
            }
        }
    }
}

pub fn gather(registry: &prometheus::Registry, out: &mut Emitter) {
    for family in registry.gather() {
        convert(&family, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_registry_metrics() {
        let registry = prometheus::Registry::new();
        let counter =
            prometheus::IntCounterVec::new(prometheus::Opts::new("x_total", "X."), &["a"]).unwrap();
        registry.register(Box::new(counter.clone())).unwrap();
        counter.with_label_values(&["1"]).inc_by(3);
        let hist = prometheus::Histogram::with_opts(
            prometheus::HistogramOpts::new("h_seconds", "H.").buckets(vec![0.1, 1.0]),
        )
        .unwrap();
        registry.register(Box::new(hist.clone())).unwrap();
        hist.observe(0.5);
        let mut out = Emitter::new();
        gather(&registry, &mut out);
        let fams = out.into_families();
        let names: Vec<&str> = fams.iter().map(|f| f.name()).collect();
        assert_eq!(names, ["h_seconds", "x_total"]);
        assert_eq!(fams[1].metrics[0].value, crate::family::Value::Scalar(3.0));
        match &fams[0].metrics[0].value {
            crate::family::Value::Histogram(h) => {
                assert_eq!(h.count, 1);
                assert_eq!(h.buckets[0].cumulative_count, 0);
                assert_eq!(h.buckets[1].cumulative_count, 1);
            }
            other => panic!("not a histogram: {other:?}"),
        }
    }
}
