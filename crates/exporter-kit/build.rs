//! Records what `--version` and `<ns>_exporter_build_info` report: the git
//! revision and branch the binary was built from and the compiler version.
use std::process::Command;

fn run(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn main() {
    // Images are built from a source tree without .git: let the builder say.
    let revision = std::env::var("FERROSCOPE_REVISION")
        .ok()
        .or_else(|| run("git", &["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_default();
    let branch = std::env::var("FERROSCOPE_BRANCH")
        .ok()
        .or_else(|| run("git", &["rev-parse", "--abbrev-ref", "HEAD"]))
        .unwrap_or_default();
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let rustc_version = run(&rustc, &["--version"])
        .and_then(|v| v.split_whitespace().nth(1).map(str::to_string))
        .unwrap_or_default();
    // The build date `--version` prints, as upstream's "build date": the
    // commit's date (or SOURCE_DATE_EPOCH), so that a rebuild of the same
    // source is the same binary.
    let build_epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .or_else(|| run("git", &["log", "-1", "--format=%ct"]))
        .unwrap_or_default();
    println!("cargo:rustc-env=FERROSCOPE_BUILD_EPOCH={build_epoch}");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    println!("cargo:rustc-env=FERROSCOPE_REVISION={revision}");
    println!("cargo:rustc-env=FERROSCOPE_BRANCH={branch}");
    println!("cargo:rustc-env=FERROSCOPE_RUSTC_VERSION={rustc_version}");
    println!("cargo:rerun-if-env-changed=FERROSCOPE_REVISION");
    println!("cargo:rerun-if-env-changed=FERROSCOPE_BRANCH");
    // HEAD is per worktree; branches live in the common directory (the
    // same in a plain checkout). Watching a path that does not exist would
    // rerun this script on every build.
    let git = |what: &str| run("git", &["rev-parse", "--path-format=absolute", what]);
    if let Some(git_dir) = git("--git-dir") {
        println!("cargo:rerun-if-changed={git_dir}/HEAD");
    }
    if let Some(common_dir) = git("--git-common-dir") {
        println!("cargo:rerun-if-changed={common_dir}/refs/heads");
    }
}
