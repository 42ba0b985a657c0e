//! redis_exporter's logging flags (`-log-level`, `-log-format txt|json`,
//! `-debug`, and their `REDIS_EXPORTER_*` variables) translated to the
//! kit's `--log.level` / `--log.format` before parsing. The kit's own
//! variables share upstream's names (`REDIS_EXPORTER_LOG_LEVEL`), so the
//! translated values always go on the command line: an upstream value such
//! as `txt` or `INFO` never reaches the kit's stricter parser.

use std::ffi::OsString;

fn level(value: &str) -> &'static str {
    match value.trim().to_ascii_lowercase().as_str() {
        "trace" | "debug" => "debug",
        "warn" | "warning" => "warn",
        "error" | "fatal" | "panic" => "error",
        _ => "info",
    }
}

fn format(value: &str) -> &'static str {
    match value.trim().to_ascii_lowercase().as_str() {
        "json" => "json",
        _ => "logfmt",
    }
}

/// Go's `strconv.ParseBool`, as for every other boolean flag and variable:
/// a value it refuses (`yes`) counts as unset here and is then refused by
/// the flag parser, which reads `-debug` and `REDIS_EXPORTER_DEBUG` too.
fn truthy(value: &str) -> bool {
    exporter_kit::bool_flags::parse_go_bool(value) == Ok(true)
}

/// `argv` with `--log.level=...` and `--log.format=...` appended unless
/// given; `env` reads an environment variable.
pub fn translate(argv: Vec<OsString>, env: impl Fn(&str) -> Option<String>) -> Vec<OsString> {
    let mut up_level = env("REDIS_EXPORTER_LOG_LEVEL");
    let mut up_format = env("REDIS_EXPORTER_LOG_FORMAT");
    let mut debug = env("REDIS_EXPORTER_DEBUG").is_some_and(|v| truthy(&v));
    let mut kit_level = false;
    let mut kit_format = false;
    let strs: Vec<Option<String>> = argv
        .iter()
        .map(|a| a.to_str().map(str::to_string))
        .collect();
    for (i, arg) in strs.iter().enumerate().skip(1) {
        let Some(arg) = arg else { continue };
        let name_value = arg.trim_start_matches('-');
        if name_value.len() == arg.len() {
            continue;
        }
        let (name, inline) = match name_value.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (name_value, None),
        };
        let next = || {
            inline
                .clone()
                .or_else(|| strs.get(i + 1).cloned().flatten())
        };
        match name {
            "log-level" => up_level = next(),
            "log-format" => up_format = next(),
            "debug" => debug = inline.as_deref().is_none_or(truthy),
            "log.level" => kit_level = true,
            "log.format" => kit_format = true,
            _ => {}
        }
    }
    let mut out = argv;
    if !kit_level {
        let lvl = if debug {
            "debug"
        } else {
            up_level.as_deref().map_or("info", level)
        };
        out.push(format!("--log.level={lvl}").into());
    }
    if !kit_format {
        let fmt = up_format.as_deref().map_or("logfmt", format);
        out.push(format!("--log.format={fmt}").into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str], env: &[(&str, &str)]) -> Vec<String> {
        let argv = args.iter().map(OsString::from).collect();
        translate(argv, |k| {
            env.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
        .into_iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect()
    }

    #[test]
    fn upstream_logging_spellings() {
        let out = run(&["x", "-log-format", "txt", "-log-level=WARNING"], &[]);
        assert!(out.ends_with(&["--log.level=warn".into(), "--log.format=logfmt".into()]));
        let out = run(&["x", "-debug"], &[("REDIS_EXPORTER_LOG_FORMAT", "json")]);
        assert!(out.ends_with(&["--log.level=debug".into(), "--log.format=json".into()]));
        let out = run(
            &["x"],
            &[
                ("REDIS_EXPORTER_LOG_LEVEL", "INFO"),
                ("REDIS_EXPORTER_LOG_FORMAT", "txt"),
            ],
        );
        assert!(out.ends_with(&["--log.level=info".into(), "--log.format=logfmt".into()]));
        let out = run(
            &["x", "--log.level=error", "--log.format", "json"],
            &[("REDIS_EXPORTER_DEBUG", "true")],
        );
        assert_eq!(out.len(), 4);
    }

    #[test]
    fn debug_takes_go_parse_bool_spellings_only() {
        for (value, level) in [
            ("T", "debug"),
            ("1", "debug"),
            ("yes", "info"),
            ("on", "info"),
        ] {
            let out = run(&["x"], &[("REDIS_EXPORTER_DEBUG", value)]);
            assert_eq!(out[1], format!("--log.level={level}"), "{value}");
        }
    }

    /// A spelling ParseBool refuses is a startup error, not silently false.
    #[test]
    fn debug_spelling_go_refuses_is_an_error() {
        let argv = run(&["x", "-debug=yes"], &[]);
        assert!(exporter_kit::args::parse_from(&crate::SPEC, crate::COLLECTORS, argv).is_err());
    }
}
