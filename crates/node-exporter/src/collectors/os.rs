//! node_os_info and node_os_version from os-release(5) under --path.rootfs.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::os_release;

const INFO_KEYS: [(&str, &str); 12] = [
    ("build_id", "BUILD_ID"),
    ("id", "ID"),
    ("id_like", "ID_LIKE"),
    ("image_id", "IMAGE_ID"),
    ("image_version", "IMAGE_VERSION"),
    ("name", "NAME"),
    ("pretty_name", "PRETTY_NAME"),
    ("variant", "VARIANT"),
    ("variant_id", "VARIANT_ID"),
    ("version", "VERSION"),
    ("version_codename", "VERSION_CODENAME"),
    ("version_id", "VERSION_ID"),
];

pub struct Os {
    paths: [PathBuf; 2],
    info: Desc,
    version: Desc,
    support_end: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let labels: Vec<&str> = INFO_KEYS.iter().map(|(l, _)| *l).collect();
    Ok(AnyCollector::blocking(Os {
        paths: [
            args.root("/etc/os-release"),
            args.root("/usr/lib/os-release"),
        ],
        info: Desc::gauge(
            "node_os_info",
            "A metric with a constant '1' value labeled by build_id, id, id_like, image_id, image_version, name, pretty_name, variant, variant_id, version, version_codename, version_id.",
            &labels,
        ),
        version: Desc::gauge(
            "node_os_version",
            "Metric containing the major.minor part of the OS version.",
            &["id", "id_like", "name"],
        ),
        support_end: Desc::gauge(
            "node_os_support_end_timestamp_seconds",
            "Metric containing the end-of-life date timestamp of the OS.",
            &[],
        ),
    }))
}

impl Collector for Os {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let mut last = CollectError::NoData;
        for p in &self.paths {
            match crate::sysfs::read_source(p) {
                Ok(text) => {
                    let kv = os_release::parse(&text);
                    let get = |k: &str| kv.get(k).map_or("", |v| &**v);
                    let values: Vec<&str> = INFO_KEYS.iter().map(|(_, k)| get(k)).collect();
                    out.gauge(&self.info, &values, 1.0);
                    let v = os_release::version_number(get("VERSION_ID")).unwrap_or(0.0);
                    out.gauge(&self.version, &[get("ID"), get("ID_LIKE"), get("NAME")], v);
                    if let Some(ts) = support_end(get("SUPPORT_END")) {
                        out.gauge(&self.support_end, &[], ts);
                    }
                    return Ok(());
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

/// SUPPORT_END=YYYY-MM-DD as a Unix timestamp (midnight UTC).
fn support_end(s: &str) -> Option<f64> {
    let mut it = s.split('-');
    let (y, m, d) = (
        it.next()?.parse::<i64>().ok()?,
        it.next()?.parse::<i64>().ok()?,
        it.next()?.parse::<i64>().ok()?,
    );
    if it.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // days from civil (Howard Hinnant's algorithm)
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(((era * 146097 + doe - 719468) * 86400) as f64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn support_end_date() {
        assert_eq!(super::support_end("1970-01-02"), Some(86400.0));
        assert_eq!(super::support_end("2024-06-30"), Some(1719705600.0));
        assert_eq!(super::support_end("soon"), None);
    }
}
