//! `--append-instance-role-label`: every family of a scrape gets an
//! `instance_role` label holding the server's INFO `role` (`master`,
//! `slave`), as upstream appends it to each metric it registers, except
//! the connect and ping times (measured before the role is known).

use std::time::Instant;

use exporter_kit::{Desc, Emitter, Family, LabelValues};

use crate::conn::Target;
use crate::scrape::{KeyOptions, Scraper};

const LABEL: &str = "instance_role";

/// Scrapes `target` into `out`, with the label when the flag asks for it.
pub async fn scrape(
    scraper: &Scraper,
    target: &Target,
    keys: &KeyOptions,
    deadline: Instant,
    out: &mut Emitter,
) {
    if !scraper.settings.append_instance_role_label {
        return scraper.scrape(target, keys, deadline, out).await;
    }
    let mut scraped = Emitter::new();
    scraper.scrape(target, keys, deadline, &mut scraped).await;
    let families = scraped.into_families();
    let d = &scraper.d;
    // The role INFO reported, from the family that carries it; none when
    // the server did not answer (an empty label is an absent one).
    let role = families
        .iter()
        .find(|f| f.name() == d.instance_info.name())
        .and_then(|f| {
            let metric = f.metrics.first()?;
            f.labels(metric)
                .find(|(name, _)| *name == "role")
                .map(|(_, role)| role.to_string())
        })
        .unwrap_or_default();
    let unlabelled = [
        d.last_scrape_connect_time.name(),
        d.last_scrape_ping_time.name(),
    ];
    for family in families {
        if unlabelled.contains(&family.name()) {
            out.family(family);
        } else {
            out.family(with_role(family, &role));
        }
    }
}

fn with_role(family: Family, role: &str) -> Family {
    let Family { desc, metrics } = family;
    let names: Vec<&str> = desc.label_names().chain([LABEL]).collect();
    let labelled = Desc::new(desc.name(), desc.help(), desc.kind(), &names);
    let metrics = metrics
        .into_iter()
        .map(|mut metric| {
            let values = {
                let mut values: Vec<&str> = metric.label_values.iter().collect();
                values.push(role);
                LabelValues::new(&values)
            };
            metric.label_values = values;
            metric
        })
        .collect();
    Family {
        desc: labelled,
        metrics,
    }
}
