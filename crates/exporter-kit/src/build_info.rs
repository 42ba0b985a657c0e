//! Version facts recorded at build time, for `--version` and the
//! `<exporter>_build_info` family.

use crate::desc::Desc;
use crate::emit::Emitter;
use crate::spec::Spec;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub const REVISION: &str = env!("FERROSCOPE_REVISION");
pub const BRANCH: &str = env!("FERROSCOPE_BRANCH");
pub const RUSTC_VERSION: &str = env!("FERROSCOPE_RUSTC_VERSION");
/// Seconds since the epoch of the commit built (or SOURCE_DATE_EPOCH);
/// empty when neither was known.
pub const BUILD_EPOCH: &str = env!("FERROSCOPE_BUILD_EPOCH");

/// The build date as upstream's `--version` prints it (`20260101-12:00:00`,
/// UTC), or `unknown`.
pub fn build_date() -> String {
    BUILD_EPOCH
        .parse::<i64>()
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .map(|t| {
            format!(
                "{:04}{:02}{:02}-{:02}:{:02}:{:02}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
        })
        .unwrap_or_else(|| "unknown".to_string())
}

/// Go's names for the architecture, which dashboards filter on.
pub fn goarch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64",
        other => other,
    }
}

pub fn version_text(spec: &Spec) -> String {
    format!(
        "{} (ferroscope, replacing {}), version {VERSION} (branch: {BRANCH}, revision: {REVISION})\n  build date: {}\n  rust version: {RUSTC_VERSION}\n  platform: {}/{}\n",
        spec.binary,
        spec.name,
        build_date(),
        std::env::consts::OS,
        goarch()
    )
}

/// `<exporter>_build_info` with client_golang's label names, so queries
/// that join on `version` keep working; `goversion` carries the Rust
/// compiler's version.
pub fn collect(spec: &Spec, out: &mut Emitter) {
    let desc = Desc::gauge(
        spec.build_info_metric,
        &format!(
            "A metric with a constant '1' value labeled by version, revision, branch, goversion from which {} was built, and the goos and goarch for the build.",
            spec.name
        ),
        &[
            "branch",
            "goarch",
            "goos",
            "goversion",
            "revision",
            "rustversion",
            "tags",
            "version",
        ],
    );
    out.gauge(
        &desc,
        &[
            BRANCH,
            goarch(),
            std::env::consts::OS,
            &format!("rust{RUSTC_VERSION}"),
            REVISION,
            RUSTC_VERSION,
            "",
            VERSION,
        ],
        1.0,
    );
}
