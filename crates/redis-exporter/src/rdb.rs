//! `--include-rdb-file-size-metric`: the size of the RDB file Redis would
//! load (`CONFIG GET dir dbfilename`), read on the exporter's host, as
//! upstream's rdb.go does (so only meaningful beside the server).

use std::path::Path;

use exporter_kit::Emitter;
use redis::Value;

use crate::descs::Descs;
use crate::resp;

/// The settings the metric needs, added to the scrape's `CONFIG GET`.
pub const CONFIG_KEYS: [&str; 2] = ["dir", "dbfilename"];

/// Writes `rdb_current_size_bytes` from a `CONFIG GET` reply: the file's
/// size, 0 when it does not exist (yet), nothing when the settings are
/// missing, the file name is not a bare name, or the path is not a
/// regular file (logged).
pub fn file_size(d: &Descs, config: &Value, out: &mut Emitter) {
    let mut dir = None;
    let mut name = None;
    for (key, value) in resp::raw_pairs(config) {
        match (resp::str_ref(key), resp::str_ref(value)) {
            (Some("dir"), Some(v)) => dir = Some(v),
            (Some("dbfilename"), Some(v)) => name = Some(v),
            _ => {}
        }
    }
    let (Some(dir), Some(name)) = (
        dir.filter(|d| !d.is_empty()),
        name.filter(|n| !n.is_empty()),
    ) else {
        tracing::debug!("no dir or dbfilename in CONFIG; no RDB file size");
        return;
    };
    // Upstream's guard: a dbfilename that walks out of dir is not followed.
    if Path::new(name).file_name().is_none_or(|base| base != name) || name == "." || name == ".." {
        tracing::warn!(
            dbfilename = name,
            "dbfilename is not a bare file name; no RDB file size"
        );
        return;
    }
    let path = Path::new(dir).join(name);
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_file() => out.gauge(&d.rdb_current_size_bytes, &[], meta.len() as f64),
        Ok(_) => tracing::warn!(path = %path.display(), "the RDB path is not a regular file"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            out.gauge(&d.rdb_current_size_bytes, &[], 0.0)
        }
        Err(e) => tracing::warn!(path = %path.display(), error = %e, "cannot stat the RDB file"),
    }
}
