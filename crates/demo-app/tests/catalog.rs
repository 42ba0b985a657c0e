//! `families.tsv` lists what the app exposes (name, type, labels): the
//! stack's rule and dashboard linters check queries against it, so it must
//! stay true.

mod common;

use std::collections::{BTreeMap, BTreeSet};

#[test]
fn families_tsv_matches_the_exposition() {
    let server = common::start(&[]);
    let client = testkit::http();
    // Touch every labelled family so that it has children to expose.
    client.get(server.url("/")).send().expect("GET /");
    client.get(server.url("/nope")).send().expect("GET /nope");
    client
        .post(server.url("/api/checkout"))
        .header("content-type", "application/json")
        .body(r#"{"item_ids":[1]}"#)
        .send()
        .expect("checkout");
    let text = client
        .get(server.url("/metrics"))
        .send()
        .and_then(|r| r.text())
        .expect("scrape");
    let mut exposed: BTreeMap<String, (String, BTreeSet<String>)> = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split_whitespace();
            if let (Some(name), Some(kind)) = (parts.next(), parts.next())
                && name.starts_with("app_")
            {
                exposed.insert(name.to_string(), (kind.to_string(), BTreeSet::new()));
            }
        }
    }
    for sample in common::parse(&text) {
        let base = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| {
                sample
                    .name
                    .strip_suffix(s)
                    .filter(|b| exposed.get(*b).is_some_and(|(k, _)| k == "histogram"))
            })
            .unwrap_or(&sample.name)
            .to_string();
        if let Some((_, labels)) = exposed.get_mut(&base) {
            labels.extend(sample.labels.keys().filter(|k| *k != "le").cloned());
        }
    }
    let listed: BTreeMap<String, (String, BTreeSet<String>)> =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/families.tsv"))
            .expect("families.tsv")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| {
                let cols: Vec<&str> = l.split('\t').collect();
                let labels = cols
                    .get(2)
                    .unwrap_or(&"")
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect();
                (
                    cols[0].to_string(),
                    (cols.get(1).unwrap_or(&"").to_string(), labels),
                )
            })
            .collect();
    assert_eq!(exposed, listed);
}
