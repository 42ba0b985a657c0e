//! Metrics from `*.prom` files in `--collector.textfile.directory`, with
//! node_textfile_mtime_seconds{file} and node_textfile_scrape_error.
//!
//! A file is taken whole or not at all: a parse error, client-side
//! timestamps, or a family whose type or help conflicts with one read
//! earlier cost that file (or family) and set scrape_error to 1. Files are
//! opened non-blocking and must be regular files, so a FIFO with no writer
//! (or a device node) named *.prom never blocks the scrape.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use exporter_kit::family::{LabelValues, Metric, Value};
use exporter_kit::{
    AnyCollector, Bucket, BuildError, CollectError, Collector, Desc, Emitter, Family, Histogram,
    Kind, ScrapeContext, Summary,
};

use crate::args::Args;
use crate::parse::textfile::{self, TextFamily, Type};

/// Larger files are refused rather than read into memory.
const MAX_FILE_BYTES: u64 = 64 << 20;

#[derive(clap::Args, Debug, Clone)]
pub struct TextfileArgs {
    /// Directory to read text files with metrics from (repeatable; the last
    /// path component may be a glob with `*` and `?`).
    #[arg(long = "collector.textfile.directory", value_name = "DIR")]
    pub textfile_directory: Vec<String>,
}

pub struct Textfile {
    dirs: Vec<String>,
    mtime: Desc,
    error: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Textfile::new(args)))
}

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("not a regular file")]
    NotRegular,
    #[error("larger than {MAX_FILE_BYTES} bytes")]
    TooLarge,
    #[error("failed to parse textfile data: {0}")]
    Parse(#[from] crate::parse::ParseError),
    #[error("contains unsupported client-side timestamps, skipping entire file")]
    Timestamps,
}

/// Reads one file without ever blocking on it: O_NONBLOCK open, then the
/// opened descriptor must be a regular file. Returns the text and mtime.
pub fn read_file(path: &Path) -> Result<(String, f64), FileError> {
    let mut f: File = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(FileError::NotRegular);
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(FileError::TooLarge);
    }
    let mut text = String::with_capacity(meta.len() as usize);
    f.by_ref()
        .take(MAX_FILE_BYTES + 1)
        .read_to_string(&mut text)?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0.0, |d| d.as_secs_f64());
    Ok((text, mtime))
}

/// `*`/`?` wildcard match of one path component.
fn wildcard(pattern: &[u8], name: &[u8]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            wildcard(&pattern[1..], name) || (!name.is_empty() && wildcard(pattern, &name[1..]))
        }
        (Some(b'?'), Some(_)) => wildcard(&pattern[1..], &name[1..]),
        (Some(p), Some(n)) if p == n => wildcard(&pattern[1..], &name[1..]),
        _ => false,
    }
}

fn expand(dir: &str) -> Vec<PathBuf> {
    let path = Path::new(dir);
    let Some(last) = path.file_name().and_then(|n| n.to_str()) else {
        return vec![path.to_path_buf()];
    };
    if !last.contains(['*', '?']) {
        return vec![path.to_path_buf()];
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut out: Vec<PathBuf> = std::fs::read_dir(parent)
        .map(|rd| {
            rd.flatten()
                .filter(|e| {
                    e.file_name()
                        .to_str()
                        .is_some_and(|n| wildcard(last.as_bytes(), n.as_bytes()))
                })
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    if out.is_empty() {
        out.push(path.to_path_buf()); // as upstream: no match means a literal directory
    }
    out
}

/// One family being merged across files.
struct Merged {
    kind: Type,
    help: Option<String>,
    files: Vec<String>,
    samples: Vec<textfile::Sample>,
}

impl Textfile {
    pub fn new(args: &Args) -> Textfile {
        Textfile {
            dirs: args
                .textfile
                .textfile_directory
                .iter()
                .filter(|d| !d.is_empty())
                .cloned()
                .collect(),
            mtime: Desc::gauge(
                "node_textfile_mtime_seconds",
                "Unixtime mtime of textfiles successfully read.",
                &["file"],
            ),
            error: Desc::gauge(
                "node_textfile_scrape_error",
                "1 if there was an error opening or reading a file, 0 otherwise",
                &[],
            ),
        }
    }
}

impl Collector for Textfile {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let mut errored = false;
        let mut mtimes: BTreeMap<String, f64> = BTreeMap::new();
        let mut merged: Vec<(String, Merged)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for dir in self.dirs.iter().flat_map(|d| expand(d)) {
            let mut names: Vec<String> = match std::fs::read_dir(&dir) {
                Ok(rd) => rd
                    .flatten()
                    .filter_map(|e| e.file_name().into_string().ok())
                    .filter(|n| n.ends_with(".prom"))
                    .collect(),
                Err(e) => {
                    tracing::error!(path = %dir.display(), err = %e, "failed to read textfile collector directory");
                    errored = true;
                    continue;
                }
            };
            names.sort();
            for name in names {
                let path = dir.join(&name);
                let shown = path.display().to_string();
                let result = read_file(&path).and_then(|(text, mtime)| {
                    let fams = textfile::parse(&text)?;
                    if fams.iter().any(TextFamily::has_timestamps) {
                        return Err(FileError::Timestamps);
                    }
                    Ok((fams, mtime))
                });
                let (fams, mtime) = match result {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::error!(file = %shown, err = %e, "failed to collect textfile data");
                        errored = true;
                        continue;
                    }
                };
                for fam in fams {
                    if fam.samples.is_empty() {
                        continue;
                    }
                    match index.get(&fam.name) {
                        None => {
                            index.insert(fam.name.clone(), merged.len());
                            merged.push((
                                fam.name,
                                Merged {
                                    kind: fam.kind,
                                    help: fam.help,
                                    files: vec![shown.clone()],
                                    samples: fam.samples,
                                },
                            ));
                        }
                        Some(&i) => {
                            let m = &mut merged[i].1;
                            let help_conflict =
                                matches!((&m.help, &fam.help), (Some(a), Some(b)) if a != b);
                            if m.kind != fam.kind || help_conflict {
                                tracing::error!(
                                    file = %shown,
                                    metric = %fam.name,
                                    "metric family read before from another file with a different type or help text; dropping this one"
                                );
                                errored = true;
                                continue;
                            }
                            if m.help.is_none() {
                                m.help = fam.help;
                            }
                            m.files.push(shown.clone());
                            m.samples.extend(fam.samples);
                        }
                    }
                }
                mtimes.insert(shown, mtime);
            }
        }
        for (name, m) in merged {
            match convert(&name, m) {
                Ok(family) => out.family(family),
                Err(e) => {
                    tracing::error!(metric = %name, err = %e, "invalid textfile metric family");
                    errored = true;
                }
            }
        }
        for (file, mtime) in &mtimes {
            out.gauge(&self.mtime, &[file], *mtime);
        }
        out.gauge(&self.error, &[], if errored { 1.0 } else { 0.0 });
        Ok(())
    }
}

fn convert(name: &str, m: Merged) -> Result<Family, String> {
    let kind = match m.kind {
        Type::Counter => Kind::Counter,
        Type::Gauge => Kind::Gauge,
        Type::Untyped => Kind::Untyped,
        Type::Histogram => Kind::Histogram,
        Type::Summary => Kind::Summary,
    };
    let help = m
        .help
        .unwrap_or_else(|| format!("Metric read from {}", m.files.join(", ")));
    let special = match m.kind {
        Type::Histogram => Some("le"),
        Type::Summary => Some("quantile"),
        _ => None,
    };
    // The union of label names, sorted; missing ones are filled with "".
    let mut label_names: Vec<String> = Vec::new();
    for s in &m.samples {
        for (k, _) in &s.labels {
            if Some(k.as_str()) != special && !label_names.contains(k) {
                label_names.push(k.clone());
            }
        }
    }
    label_names.sort();
    let refs: Vec<&str> = label_names.iter().map(String::as_str).collect();
    let desc = Desc::try_new(name, &help, kind, &refs).map_err(|e| e.to_string())?;
    let key_of = |s: &textfile::Sample| -> LabelValues {
        label_names
            .iter()
            .map(|n| {
                s.labels
                    .iter()
                    .find(|(k, _)| k == n)
                    .map_or("", |(_, v)| v.as_str())
            })
            .collect()
    };
    let label_of = |s: &textfile::Sample, l: &str| {
        s.labels
            .iter()
            .find(|(k, _)| k == l)
            .map(|(_, v)| v.clone())
    };
    let mut metrics: Vec<Metric> = Vec::new();
    match m.kind {
        Type::Counter | Type::Gauge | Type::Untyped => {
            for s in &m.samples {
                metrics.push(Metric {
                    label_values: key_of(s),
                    value: Value::Scalar(s.value),
                });
            }
        }
        Type::Histogram | Type::Summary => {
            let mut groups: Vec<(LabelValues, Value)> = Vec::new();
            for s in &m.samples {
                let key = key_of(s);
                let slot = match groups.iter().position(|(k, _)| *k == key) {
                    Some(i) => i,
                    None => {
                        let v = if m.kind == Type::Histogram {
                            Value::Histogram(Histogram::default())
                        } else {
                            Value::Summary(Summary::default())
                        };
                        groups.push((key, v));
                        groups.len() - 1
                    }
                };
                let suffix = &s.name[name.len().min(s.name.len())..];
                match (&mut groups[slot].1, suffix) {
                    (Value::Histogram(h), "_bucket") => {
                        let le = label_of(s, "le").unwrap_or_default();
                        let upper = parse_bound(&le).ok_or_else(|| format!("invalid le {le:?}"))?;
                        h.buckets.push(Bucket {
                            upper_bound: upper,
                            cumulative_count: s.value.max(0.0) as u64,
                        });
                    }
                    (Value::Histogram(h), "_sum") => h.sum = s.value,
                    (Value::Histogram(h), "_count") => h.count = s.value.max(0.0) as u64,
                    (Value::Summary(q), "") => {
                        let qs = label_of(s, "quantile").unwrap_or_default();
                        let quantile =
                            parse_bound(&qs).ok_or_else(|| format!("invalid quantile {qs:?}"))?;
                        q.quantiles.push((quantile, s.value));
                    }
                    (Value::Summary(q), "_sum") => q.sum = s.value,
                    (Value::Summary(q), "_count") => q.count = s.value.max(0.0) as u64,
                    _ => return Err(format!("unexpected sample {}", s.name)),
                }
            }
            for (key, mut v) in groups {
                if let Value::Histogram(h) = &mut v {
                    h.buckets
                        .sort_by(|a, b| a.upper_bound.total_cmp(&b.upper_bound));
                }
                metrics.push(Metric {
                    label_values: key,
                    value: v,
                });
            }
        }
    }
    Ok(Family { desc, metrics })
}

fn parse_bound(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => s.parse().ok(),
    }
}
