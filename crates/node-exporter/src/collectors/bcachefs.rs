//! bcachefs: per filesystem under /sys/fs/bcachefs/<uuid>/ its btree cache,
//! compression, error and btree write statistics, its event counters and
//! its member devices (dev-<n>/).

use std::path::{Path, PathBuf};

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, Kind, ScrapeContext,
};

use crate::args::Args;
use crate::sysfs::{is_dir, list_dir, read_attr, read_string};

pub struct Bcachefs {
    root: PathBuf,
    info: Desc,
    btree_cache: Desc,
    compressed: Desc,
    uncompressed: Desc,
    errors: Desc,
    btree_writes: Desc,
    btree_write_size: Desc,
    dev_info: Desc,
    dev_bucket_size: Desc,
    dev_buckets: Desc,
    dev_durability: Desc,
    dev_io_done: Desc,
    dev_io_errors: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let g = |n: &str, h: &str, l: &[&str]| Desc::gauge(&format!("node_bcachefs_{n}"), h, l);
    let c = |n: &str, h: &str, l: &[&str]| Desc::counter(&format!("node_bcachefs_{n}"), h, l);
    Ok(AnyCollector::blocking(Bcachefs {
        root: args.sys("fs/bcachefs"),
        info: g("info", "Filesystem information.", &["uuid"]),
        btree_cache: g(
            "btree_cache_size_bytes",
            "Btree cache memory usage in bytes.",
            &["uuid"],
        ),
        compressed: g(
            "compression_compressed_bytes",
            "Compressed size by algorithm.",
            &["uuid", "algorithm"],
        ),
        uncompressed: g(
            "compression_uncompressed_bytes",
            "Uncompressed size by algorithm.",
            &["uuid", "algorithm"],
        ),
        errors: c(
            "errors_total",
            "Error count by error type.",
            &["uuid", "error_type"],
        ),
        btree_writes: c(
            "btree_writes_total",
            "Number of btree writes by type.",
            &["uuid", "type"],
        ),
        btree_write_size: g(
            "btree_write_average_size_bytes",
            "Average btree write size by type.",
            &["uuid", "type"],
        ),
        dev_info: g(
            "device_info",
            "Device information.",
            &["uuid", "device", "label", "state"],
        ),
        dev_bucket_size: g(
            "device_bucket_size_bytes",
            "Bucket size in bytes.",
            &["uuid", "device"],
        ),
        dev_buckets: g(
            "device_buckets",
            "Total number of buckets.",
            &["uuid", "device"],
        ),
        dev_durability: g(
            "device_durability",
            "Device durability setting.",
            &["uuid", "device"],
        ),
        dev_io_done: c(
            "device_io_done_bytes_total",
            "IO bytes by operation type and data type.",
            &["uuid", "device", "operation", "data_type"],
        ),
        dev_io_errors: c(
            "device_io_errors_total",
            "IO errors by error type.",
            &["uuid", "device", "type"],
        ),
    }))
}

/// bcachefs prints sizes as `2.05G`, `62.5k`, `720`: powers of 1024. The
/// value is the decimal times the power, truncated to whole bytes, as
/// upstream (procfs) computes it, so the exposed number is the same.
pub fn human_bytes(text: &str) -> Option<f64> {
    let t = text.trim();
    let last = t.chars().last()?;
    let power = match last.to_ascii_lowercase() {
        'k' => 1,
        'm' => 2,
        'g' => 3,
        't' => 4,
        'p' => 5,
        'e' => 6,
        _ => 0,
    };
    let digits = if power == 0 { t } else { &t[..t.len() - 1] };
    let value = digits.trim().parse::<f64>().ok()? * 1024f64.powi(power);
    // Go's uint64(float64) truncates toward zero; negatives are not sizes.
    if value.is_nan() || value < 0.0 {
        return None;
    }
    Some((value as u64) as f64)
}

/// A file whose absence means "not reported by this kernel": no series.
fn optional(path: &Path) -> Result<Option<String>, CollectError> {
    match read_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(CollectError::io(path, err)),
    }
}

fn bad(path: &Path, line: &str) -> CollectError {
    CollectError::parse(path.display().to_string(), format!("bad line {line:?}"))
}

/// Table files with a header line and `name: v1 v2 ...` rows; rows with
/// fewer than `min_fields` fields are skipped as upstream skips them.
fn table_rows(text: &str, min_fields: usize) -> impl Iterator<Item = Vec<&str>> {
    text.lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(move |f| f.len() >= min_fields)
}

/// `since filesystem creation: <human number>` of a counters/<name> file.
fn counter_since_creation(path: &Path, text: &str) -> Result<Option<f64>, CollectError> {
    let mut seen = false;
    let mut value = None;
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("since filesystem creation:") {
            value = Some(human_bytes(v).ok_or_else(|| bad(path, line))?);
            seen = true;
        } else if let Some(v) = line.strip_prefix("since mount:") {
            human_bytes(v).ok_or_else(|| bad(path, line))?;
            seen = true;
        }
    }
    if !seen {
        return Err(CollectError::parse(
            path.display().to_string(),
            "counter file format not recognized",
        ));
    }
    // A counter reporting only "since mount" counts zero since creation, as
    // upstream's zero value.
    Ok(Some(value.unwrap_or(0.0)))
}

impl Bcachefs {
    fn filesystem(&self, dir: &Path, uuid: &str, out: &mut Emitter) -> Result<(), CollectError> {
        let cache = match optional(&dir.join("btree_cache_size"))? {
            Some(t) if !t.trim().is_empty() => {
                human_bytes(&t).ok_or_else(|| bad(&dir.join("btree_cache_size"), t.trim()))?
            }
            _ => 0.0,
        };
        let mut series = Emitter::new();
        series.gauge(&self.info, &[uuid], 1.0);
        series.gauge(&self.btree_cache, &[uuid], cache);

        let path = dir.join("compression_stats");
        if let Some(text) = optional(&path)? {
            for f in table_rows(&text, 3) {
                let algorithm = f[0].trim_end_matches(':');
                let c = human_bytes(f[1]).ok_or_else(|| bad(&path, f[1]))?;
                let u = human_bytes(f[2]).ok_or_else(|| bad(&path, f[2]))?;
                series.gauge(&self.compressed, &[uuid, algorithm], c);
                series.gauge(&self.uncompressed, &[uuid, algorithm], u);
            }
        }

        let path = dir.join("errors");
        if let Some(text) = optional(&path)? {
            for line in text.lines() {
                let f: Vec<&str> = line.split_whitespace().collect();
                if f.len() < 2 {
                    continue;
                }
                let count: u64 = f[1].parse().map_err(|_| bad(&path, line))?;
                series.counter(&self.errors, &[uuid, f[0]], count as f64);
            }
        }

        let counters = dir.join("counters");
        if is_dir(&counters) {
            for name in list_dir(&counters)? {
                let path = counters.join(&name);
                if is_dir(&path) {
                    continue;
                }
                let Some(text) = optional(&path)? else {
                    continue;
                };
                let Some(value) = counter_since_creation(&path, &text)? else {
                    continue;
                };
                let family = format!("node_bcachefs_{}_total", sanitize(&name));
                let help = format!("Bcachefs counter {name} since filesystem creation.");
                let desc = Desc::try_new(&family, &help, Kind::Counter, &["uuid"])
                    .map_err(|e| CollectError::parse(path.display().to_string(), e))?;
                series.counter(&desc, &[uuid], value);
            }
        }

        let path = dir.join("btree_write_stats");
        if let Some(text) = optional(&path)? {
            for f in table_rows(&text, 3) {
                let kind = f[0].trim_end_matches(':');
                let count: u64 = f[1].parse().map_err(|_| bad(&path, f[1]))?;
                let size = human_bytes(f[2]).ok_or_else(|| bad(&path, f[2]))?;
                series.counter(&self.btree_writes, &[uuid, kind], count as f64);
                series.gauge(&self.btree_write_size, &[uuid, kind], size);
            }
        }

        for entry in list_dir(dir)? {
            let Some(device) = entry.strip_prefix("dev-") else {
                continue;
            };
            let dev_dir = dir.join(&entry);
            if is_dir(&dev_dir) {
                self.device(&dev_dir, uuid, device, &mut series)?;
            }
        }
        // A filesystem whose files do not parse contributes nothing, as
        // upstream fails its whole Stats() call.
        for family in series.into_families() {
            out.family(family);
        }
        Ok(())
    }

    fn device(
        &self,
        dir: &Path,
        uuid: &str,
        device: &str,
        out: &mut Emitter,
    ) -> Result<(), CollectError> {
        let label = read_attr(&dir.join("label")).unwrap_or_default();
        let state = read_attr(&dir.join("state")).unwrap_or_default();
        let bucket_size = match read_attr(&dir.join("bucket_size")) {
            Some(t) if !t.is_empty() => {
                human_bytes(&t).ok_or_else(|| bad(&dir.join("bucket_size"), &t))?
            }
            _ => 0.0,
        };
        let uint = |name: &str| -> Result<f64, CollectError> {
            let path = dir.join(name);
            match optional(&path)? {
                None => Ok(0.0),
                Some(t) => t
                    .trim()
                    .parse::<u64>()
                    .map(|v| v as f64)
                    .map_err(|_| bad(&path, t.trim())),
            }
        };
        let buckets = uint("nbuckets")?;
        let durability = uint("durability")?;
        out.gauge(&self.dev_info, &[uuid, device, &label, &state], 1.0);
        out.gauge(&self.dev_bucket_size, &[uuid, device], bucket_size);
        out.gauge(&self.dev_buckets, &[uuid, device], buckets);
        out.gauge(&self.dev_durability, &[uuid, device], durability);

        // io_done: "read:" / "write:" headers, then "<data type>: <bytes>".
        let path = dir.join("io_done");
        if let Some(text) = optional(&path)? {
            let mut op = "";
            for line in text.lines().map(str::trim) {
                if line == "read:" || line == "write:" {
                    op = line.trim_end_matches(':');
                    continue;
                }
                if op.is_empty() {
                    continue;
                }
                let Some((data_type, value)) = line.split_once(':') else {
                    continue;
                };
                let value: u64 = value.trim().parse().map_err(|_| bad(&path, line))?;
                out.counter(
                    &self.dev_io_done,
                    &[uuid, device, op, data_type.trim()],
                    value as f64,
                );
            }
        }

        // io_errors: the "since filesystem creation" section only.
        let path = dir.join("io_errors");
        if let Some(text) = optional(&path)? {
            let mut in_creation = false;
            for line in text.lines() {
                if line.starts_with("IO errors since filesystem creation") {
                    in_creation = true;
                    continue;
                }
                if line.starts_with("IO errors since ") {
                    break;
                }
                if !in_creation {
                    continue;
                }
                let Some((kind, value)) = line.trim().split_once(':') else {
                    continue;
                };
                let value: u64 = value.trim().parse().map_err(|_| bad(&path, line))?;
                out.counter(
                    &self.dev_io_errors,
                    &[uuid, device, kind.trim()],
                    value as f64,
                );
            }
        }
        Ok(())
    }
}

/// A counter file name as a metric name part: characters outside
/// `[a-zA-Z0-9_]` become `_`.
fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl Collector for Bcachefs {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let mut found = false;
        for uuid in list_dir(&self.root)? {
            let dir = self.root.join(&uuid);
            if !is_dir(&dir) {
                continue;
            }
            found = true;
            self.filesystem(&dir, &uuid, out)?;
        }
        if !found {
            return Err(CollectError::NoData);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn human_sizes_are_powers_of_1024_truncated_to_bytes() {
        assert_eq!(human_bytes("720"), Some(720.0));
        assert_eq!(human_bytes("62.5k"), Some(64000.0));
        // 2.05 * 2^30 = 2201170739.2 -> 2201170739
        assert_eq!(human_bytes("2.05G"), Some(2_201_170_739.0));
        assert_eq!(human_bytes("1.26k"), Some(1290.0));
        assert_eq!(human_bytes("x"), None);
        assert_eq!(human_bytes("-1k"), None);
        assert_eq!(human_bytes(""), None);
    }
}
