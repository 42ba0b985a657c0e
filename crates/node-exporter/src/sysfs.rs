//! The small helpers every collector shares: read a procfs/sysfs file or
//! attribute, list a class directory, compile a regex flag, filter device
//! names. Errors stay typed so a collector can tell "absent" (no such
//! hardware: `NoData`) from "broken".

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use exporter_kit::{BuildError, CollectError, Desc, NameMap};

/// The trimmed contents of a sysfs attribute, or `None` when it cannot be
/// read (absent, EINVAL on a down link, permission): upstream skips those.
pub fn read_attr(path: &Path) -> Option<String> {
    read_string(path).ok().map(|s| s.trim().to_string())
}

/// An attribute parsed as an integer (decimal, or hex with `0x`).
pub fn read_int(path: &Path) -> Option<i64> {
    read_attr(path).and_then(|s| crate::parse::sysfs_value::parse_int(&s))
}

/// An attribute parsed as an unsigned integer.
pub fn read_u64(path: &Path) -> Option<u64> {
    read_attr(path).and_then(|s| s.parse::<u64>().ok())
}

/// An attribute parsed as a float.
pub fn read_f64(path: &Path) -> Option<f64> {
    read_attr(path).and_then(|s| s.parse::<f64>().ok())
}

/// The names in a directory that upstream globs: a missing or unreadable
/// directory is an empty list (nothing to report is a successful scrape),
/// other I/O errors fail.
pub fn glob_dir(dir: &Path) -> Result<Vec<String>, CollectError> {
    match list_dir(dir) {
        Err(CollectError::NoData) => Ok(Vec::new()),
        other => other,
    }
}

/// The names in a directory, sorted. A missing or unreadable directory
/// is `NoData`, as upstream's sysfs class readers (ErrNotExist or
/// ErrPermission -> ErrNoData); any other error is an I/O error.
pub fn list_dir(dir: &Path) -> Result<Vec<String>, CollectError> {
    let entries = std::fs::read_dir(dir).map_err(|err| {
        absent_or_io(
            dir,
            err,
            &[ErrorKind::NotFound, ErrorKind::PermissionDenied],
        )
    })?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    Ok(names)
}

/// A whole file. A missing file is the collector's `NoData` (no such
/// hardware or kernel feature), as upstream's `errors.Is(err,
/// os.ErrNotExist)` checks, logged at debug level; any other error
/// (permission included) is an I/O error, logged at error level.
pub fn read_source(path: &Path) -> Result<String, CollectError> {
    // Kept open between scrapes where the kernel writes it afresh: see
    // exporter_kit::procfs::read.
    exporter_kit::procfs::read(path).map_err(|err| absent_or_io(path, err, &[ErrorKind::NotFound]))
}

/// `NoData` when `err` is one of `absent` (logged at debug level), else an
/// I/O error.
fn absent_or_io(path: &Path, err: std::io::Error, absent: &[ErrorKind]) -> CollectError {
    if absent.contains(&err.kind()) {
        tracing::debug!(path = %path.display(), error = %err, "source absent");
        CollectError::NoData
    } else {
        CollectError::io(path, err)
    }
}

/// A file read whole, opened afresh (per-device sysfs attributes come
/// and go with their devices).
pub fn read_string(path: &Path) -> std::io::Result<String> {
    exporter_kit::procfs::read_fresh(path)
}

/// Whether `path` is a directory (following symlinks).
pub fn is_dir(path: &Path) -> bool {
    std::fs::metadata(path).map(|m| m.is_dir()).unwrap_or(false)
}

/// `dir/name` as a path.
pub fn join(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

/// `dir/a/b` as a path, in one allocation (`dir.join(a).join(b)` makes two).
pub fn join2(dir: &Path, a: &str, b: &str) -> PathBuf {
    let mut path = PathBuf::with_capacity(dir.as_os_str().len() + a.len() + b.len() + 2);
    path.push(dir);
    path.push(a);
    path.push(b);
    path
}

/// Descriptors of the fields a file names at run time (/proc/vmstat,
/// /proc/net/snmp6, sockstat rows), made the first time each field is
/// seen; `None` for a field the collector does not export.
pub type FieldDescs = NameMap<String, Option<Desc>>;

/// The descriptor of field `name`: one lookup by the borrowed name once
/// the field is known, `make` the first time.
pub fn field_desc(
    descs: &mut FieldDescs,
    name: &str,
    make: impl FnOnce() -> Option<Desc>,
) -> Option<Desc> {
    if let Some(desc) = descs.get(name) {
        return desc.clone();
    }
    let desc = make();
    descs.insert(name.to_string(), desc.clone());
    desc
}

/// A flag's regular expression, matched (unanchored, as Go's MatchString)
/// against short names: devices, mount points, /proc field names, a few
/// dozen a scrape. It is compiled without the lazy and one-pass DFAs the
/// regex crate builds for long texts: their tables and per-thread caches
/// were more than half of node-exporter's heap (about 0.5 MiB), and a
/// name is matched in about 0.1 us without them.
#[derive(Debug, Clone)]
pub struct Regex(regex_automata::meta::Regex);

impl Regex {
    /// The error is the parser's message.
    pub fn new(pattern: &str) -> Result<Regex, String> {
        let config = regex_automata::meta::Config::new()
            .hybrid(false)
            .onepass(false)
            .dfa(false);
        regex_automata::meta::Regex::builder()
            .configure(config)
            .build(pattern)
            .map(Regex)
            .map_err(|e| e.to_string())
    }

    pub fn is_match(&self, name: &str) -> bool {
        self.0.is_match(name)
    }
}

/// Compiles a flag's regex at startup, as upstream's MustCompile (but as
/// an error, not a panic). An empty pattern compiles and matches
/// everything, as in Go (e.g. `--collector.netclass.ignored-devices=""`).
pub fn regex_flag(flag: &str, pattern: &str) -> Result<Regex, BuildError> {
    Regex::new(pattern).map_err(|e| BuildError::new(format!("--{flag}: {e}")))
}

/// An include/exclude pair as upstream's deviceFilter: a name is ignored
/// when it matches `exclude` or does not match `include`. An absent or
/// empty pattern is unset.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    include: Option<Regex>,
    exclude: Option<Regex>,
}

impl Filter {
    /// Both patterns may be set (ethtool, infiniband, hwmon, interrupts).
    /// `flags` names the pair in error messages, e.g.
    /// "collector.hwmon.chip-include/exclude".
    pub fn new(
        flags: &str,
        include: Option<&str>,
        exclude: Option<&str>,
    ) -> Result<Filter, BuildError> {
        let compile = |p: Option<&str>| match p {
            Some(p) if !p.is_empty() => regex_flag(flags, p).map(Some),
            _ => Ok(None),
        };
        Ok(Filter {
            include: compile(include)?,
            exclude: compile(exclude)?,
        })
    }

    /// `--<prefix>-include` and `--<prefix>-exclude` that may not both be
    /// set (netdev, arp, diskstats: upstream fails at startup), e.g. prefix
    /// "collector.netdev.device".
    pub fn exclusive(
        prefix: &str,
        include: Option<&str>,
        exclude: Option<&str>,
    ) -> Result<Filter, BuildError> {
        let filter = Filter::new(&format!("{prefix}-include/exclude"), include, exclude)?;
        if filter.include.is_some() && filter.exclude.is_some() {
            return Err(BuildError::new(format!(
                "--{prefix}-include and --{prefix}-exclude are mutually exclusive"
            )));
        }
        Ok(filter)
    }

    /// True when `name` is filtered out.
    pub fn ignored(&self, name: &str) -> bool {
        self.exclude.as_ref().is_some_and(|e| e.is_match(name))
            || self.include.as_ref().is_some_and(|i| !i.is_match(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_is_no_data_other_errors_are_io() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        assert!(matches!(
            read_source(&dir.join("no-such-file")),
            Err(CollectError::NoData)
        ));
        // A directory cannot be read as a file: a real error, not "absent".
        assert!(matches!(read_source(&dir), Err(e) if !matches!(e, CollectError::NoData)));
        assert!(matches!(
            list_dir(&dir.join("no-such-dir")),
            Err(CollectError::NoData)
        ));
        let names = list_dir(&dir.join("textfile")).expect("fixture dir");
        assert!(names.windows(2).all(|w| w[0] <= w[1]), "sorted: {names:?}");
    }

    #[test]
    fn filter_as_upstream_device_filter() {
        let none = Filter::new("f", None, Some("")).expect("empty is unset");
        assert!(!none.ignored("eth0"));
        let both = Filter::new("f", Some("^eth"), Some("^eth1$")).expect("both allowed");
        assert!(!both.ignored("eth0"));
        assert!(both.ignored("eth1"));
        assert!(both.ignored("lo"));
        let exc =
            Filter::exclusive("collector.netdev.device", None, Some("^lo$")).expect("exclude");
        assert!(exc.ignored("lo"));
        assert!(!exc.ignored("eth0"));
        let err = Filter::exclusive("collector.netdev.device", Some("a"), Some("b"))
            .expect_err("mutually exclusive");
        assert!(err.to_string().contains("mutually exclusive"), "{err}");
        assert!(Filter::new("f", Some("("), None).is_err());
    }

    #[test]
    fn empty_regex_flag_matches_everything_as_go() {
        let re = regex_flag("collector.netclass.ignored-devices", "").expect("compiles");
        assert!(re.is_match("eth0"));
        let err = regex_flag("collector.ethtool.metrics-include", "(").expect_err("bad");
        assert!(
            err.to_string()
                .contains("--collector.ethtool.metrics-include"),
            "{err}"
        );
    }
}
