//! Small I/O helpers for the sysfs and procfs collectors: read one
//! attribute file, list a class directory. Errors stay typed so a
//! collector can tell "absent" (no such hardware: `NoData`) from "broken".

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use exporter_kit::CollectError;

/// The trimmed contents of a sysfs attribute, or `None` when it cannot be
/// read (absent, EINVAL on a down link, permission): upstream skips those.
pub fn read_attr(path: &Path) -> Option<String> {
    crate::collectors::read_string(path)
        .ok()
        .map(|s| s.trim().to_string())
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

/// The names in a directory, sorted. A missing directory is `NoData`, as
/// upstream's ErrNoData; any other error is an I/O error.
pub fn list_dir(dir: &Path) -> Result<Vec<String>, CollectError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err)
            if matches!(
                err.kind(),
                ErrorKind::NotFound | ErrorKind::PermissionDenied
            ) =>
        {
            tracing::debug!(path = %dir.display(), error = %err, "source absent");
            return Err(CollectError::NoData);
        }
        Err(err) => return Err(CollectError::io(dir, err)),
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    Ok(names)
}

/// A whole file, with "absent" mapped to `NoData`.
pub fn read_source(path: &Path) -> Result<String, CollectError> {
    match crate::collectors::read_string(path) {
        Ok(text) => Ok(text),
        Err(err)
            if matches!(
                err.kind(),
                ErrorKind::NotFound | ErrorKind::PermissionDenied
            ) =>
        {
            tracing::debug!(path = %path.display(), error = %err, "source absent");
            Err(CollectError::NoData)
        }
        Err(err) => Err(CollectError::io(path, err)),
    }
}

/// Whether `path` is a directory (following symlinks).
pub fn is_dir(path: &Path) -> bool {
    std::fs::metadata(path).map(|m| m.is_dir()).unwrap_or(false)
}

/// `dir/name` as a path.
pub fn join(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

/// Compiles a flag's regex at startup, as upstream's MustCompile (but as
/// an error, not a panic).
pub fn regex_flag(flag: &str, pattern: &str) -> Result<regex::Regex, exporter_kit::BuildError> {
    regex::Regex::new(pattern).map_err(|e| exporter_kit::BuildError::new(format!("--{flag}: {e}")))
}

/// An optional include/exclude pair as upstream's DeviceFilter: included
/// when it matches `include` (if set) and does not match `exclude` (if set).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    include: Option<regex::Regex>,
    exclude: Option<regex::Regex>,
}

impl Filter {
    pub fn new(
        flag: &str,
        include: Option<&str>,
        exclude: Option<&str>,
    ) -> Result<Filter, exporter_kit::BuildError> {
        let compile = |p: Option<&str>| -> Result<Option<regex::Regex>, exporter_kit::BuildError> {
            match p {
                Some(p) if !p.is_empty() => regex_flag(flag, p).map(Some),
                _ => Ok(None),
            }
        };
        Ok(Filter {
            include: compile(include)?,
            exclude: compile(exclude)?,
        })
    }

    /// True when `name` is filtered out.
    pub fn ignored(&self, name: &str) -> bool {
        if let Some(inc) = &self.include
            && !inc.is_match(name)
        {
            return true;
        }
        self.exclude.as_ref().is_some_and(|exc| exc.is_match(name))
    }
}
