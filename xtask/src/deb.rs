//! `cargo xtask deb`: one Debian package per exporter in `target/debian/`,
//! built with `dpkg-deb` from the workspace's binaries (no network).
//!
//! The node, blackbox, redis and mysqld packages are drop-ins for Debian's
//! `prometheus-*-exporter` packages: they Provide, Conflict with and
//! Replace them, and install the same binary path, systemd unit name,
//! `/etc/default/<name>` file with its `ARGS`, `prometheus` user, textfile
//! directory and config paths, so that swapping the package keeps an
//! installation's configuration. Their units are our hardened units of
//! `deploy/systemd/` with Debian's names and paths, and `User=prometheus`
//! instead of `DynamicUser=` (the textfile directory and configs belong to
//! `prometheus`). container-exporter and kafka-exporter have no Debian
//! package and get packages under their own names.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

/// One package: which binary, under which names, replacing what.
pub struct Package {
    /// The workspace crate and binary.
    pub krate: &'static str,
    /// The package's name.
    pub package: &'static str,
    /// The name of the binary in /usr/bin, of the unit and of the
    /// /etc/default file (Debian's, for the drop-ins).
    pub name: &'static str,
    /// The Debian package this one replaces.
    pub replaces: Option<&'static str>,
    pub summary: &'static str,
    /// `ARGS` of the /etc/default file as Debian ships it.
    pub default_args: &'static str,
    /// Flags before `$ARGS` in the unit: defaults Debian's build patched
    /// into its binary (a flag in ARGS given again wins).
    pub unit_flags: &'static str,
    /// Config files shipped: (repository path, installed path).
    pub configs: &'static [(&'static str, &'static str)],
    /// Directories owned by `prometheus`.
    pub state_dirs: &'static [&'static str],
}

pub const PACKAGES: &[Package] = &[
    Package {
        krate: "node-exporter",
        package: "ferroscope-node-exporter",
        name: "prometheus-node-exporter",
        replaces: Some("prometheus-node-exporter"),
        summary: "Prometheus exporter for machine metrics (ferroscope, drop-in for node_exporter)",
        default_args: "",
        // Debian's node_exporter defaults the textfile directory here.
        unit_flags: "--collector.textfile.directory=/var/lib/prometheus/node-exporter ",
        configs: &[],
        state_dirs: &["/var/lib/prometheus/node-exporter"],
    },
    Package {
        krate: "blackbox-exporter",
        package: "ferroscope-blackbox-exporter",
        name: "prometheus-blackbox-exporter",
        replaces: Some("prometheus-blackbox-exporter"),
        summary: "Blackbox prober for Prometheus (ferroscope, drop-in for blackbox_exporter)",
        default_args: "--config.file /etc/prometheus/blackbox.yml",
        unit_flags: "",
        configs: &[(
            "deploy/blackbox/blackbox.yml",
            "/etc/prometheus/blackbox.yml",
        )],
        state_dirs: &[],
    },
    Package {
        krate: "redis-exporter",
        package: "ferroscope-redis-exporter",
        name: "prometheus-redis-exporter",
        replaces: Some("prometheus-redis-exporter"),
        summary: "Prometheus exporter for Redis metrics (ferroscope, drop-in for redis_exporter)",
        default_args: "",
        unit_flags: "",
        configs: &[],
        state_dirs: &["/var/lib/prometheus/redis-exporter"],
    },
    Package {
        krate: "mysql-exporter",
        package: "ferroscope-mysqld-exporter",
        name: "prometheus-mysqld-exporter",
        replaces: Some("prometheus-mysqld-exporter"),
        summary: "Prometheus exporter for MySQL server (ferroscope, drop-in for mysqld_exporter)",
        default_args: "",
        unit_flags: "",
        configs: &[],
        state_dirs: &[],
    },
    Package {
        krate: "container-exporter",
        package: "ferroscope-container-exporter",
        name: "container-exporter",
        replaces: None,
        summary: "Prometheus exporter for container metrics (ferroscope, cAdvisor's families)",
        default_args: "",
        unit_flags: "",
        configs: &[],
        state_dirs: &[],
    },
    Package {
        krate: "kafka-exporter",
        package: "ferroscope-kafka-exporter",
        name: "kafka-exporter",
        replaces: None,
        summary: "Prometheus exporter for Kafka (ferroscope, drop-in for kafka_exporter)",
        default_args: "",
        unit_flags: "",
        configs: &[],
        state_dirs: &[],
    },
];

#[derive(clap::Args)]
pub struct Args {
    /// Only these exporters (crate names; default: all).
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(PACKAGES.iter().map(|p| p.krate)))]
    pub crates: Vec<String>,
    /// Cargo profile of the packaged binaries (`dev` for quick test builds).
    #[arg(long, default_value = "release")]
    pub profile: String,
    /// Where the .deb files go (default: target/debian of the target dir).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// The cargo target directory.
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

fn run(cmd: &mut Command) -> anyhow::Result<String> {
    let out = cmd.output().with_context(|| format!("starting {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The Debian packages providing the shared libraries `binary` links
/// (libc6 for every binary; kafka-exporter's librdkafka adds OpenSSL and zlib),
/// with the version the binary's dynamic section needs.
fn shared_library_depends(binary: &Path) -> anyhow::Result<Vec<String>> {
    let ldd = run(Command::new("ldd").arg(binary))?;
    let mut depends = Vec::new();
    for path in ldd
        .lines()
        .filter_map(|l| l.split_once(" => ").map(|(_, r)| r))
        .filter_map(|r| r.split_whitespace().next())
    {
        // dpkg knows a library by the path its package ships it under:
        // /usr/lib/... on merged-/usr systems where ldd says /lib/...
        let canonical = std::fs::canonicalize(path)
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let candidates = [path.to_string(), format!("/usr{path}"), canonical];
        let owner = candidates
            .iter()
            .filter(|c| !c.is_empty())
            .find_map(|c| run(Command::new("dpkg").args(["-S", c])).ok())
            .with_context(|| format!("no Debian package has {path}"))?;
        let package = owner
            .split(':')
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        if !package.is_empty() && !depends.contains(&package) {
            depends.push(package);
        }
    }
    // Release builds pack relative relocations (crates/release-layout),
    // which glibc's loader reads from 2.36 on.
    let dynamic = run(Command::new("readelf").args(["-d", "-W"]).arg(binary))?;
    if dynamic.contains("(RELR)") {
        for package in &mut depends {
            if package == "libc6" {
                *package = "libc6 (>= 2.36)".to_string();
            }
        }
    }
    depends.sort();
    Ok(depends)
}

/// Our hardened unit of deploy/systemd with the package's names, paths
/// and user.
pub fn unit(repo_unit: &str, p: &Package, repository: &str) -> String {
    let mut out = String::new();
    for line in repo_unit.lines() {
        // The package reads its config from /etc (Debian's paths), not
        // through a systemd credential.
        if line.contains("LoadCredential=") || line.to_lowercase().contains("credential") {
            continue;
        }
        let line = if line.starts_with("Documentation=") {
            format!(
                "Documentation={repository}#installing-the-debian-packages man:{}(1)",
                p.name
            )
        } else if line.starts_with("EnvironmentFile=") {
            format!("EnvironmentFile=-/etc/default/{}", p.name)
        } else if line.starts_with("ExecStart=") {
            format!("ExecStart=/usr/bin/{} {}$ARGS", p.name, p.unit_flags)
        } else if line == "DynamicUser=yes" {
            "User=prometheus\nGroup=prometheus".to_string()
        } else {
            line.replace("/etc/ferroscope/", "/etc/prometheus/")
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The /etc/default file: Debian's words and `ARGS`.
pub fn defaults_file(p: &Package) -> String {
    format!(
        "# Set the command-line arguments to pass to the server.\n\
         # Due to shell escaping, to pass backslashes for regexes, you need to double\n\
         # them (\\\\d for \\d). If running under systemd, you need to double them again\n\
         # (\\\\\\\\d to mean \\d), and escape newlines too.\n\
         # Secrets go in the exporter's own variables here (this file is 0600),\n\
         # never in ARGS, which ps shows. `{} --help` lists the flags.\n\
         ARGS=\"{}\"\n",
        p.name, p.default_args
    )
}

fn postinst(p: &Package) -> String {
    let mut s = String::from(
        "#!/bin/sh\nset -e\n\
         if [ \"$1\" = configure ]; then\n\
         \x20   adduser --quiet --system --home /var/lib/prometheus --no-create-home \\\n\
         \x20           --group --gecos \"Prometheus daemon\" prometheus\n\
         \x20   if ! dpkg-statoverride --list /var/lib/prometheus >/dev/null; then\n\
         \x20       chown prometheus:prometheus /var/lib/prometheus\n\
         \x20   fi\n",
    );
    for dir in p.state_dirs {
        s.push_str(&format!(
            "    if ! dpkg-statoverride --list {dir} >/dev/null; then\n\
             \x20       chown prometheus:prometheus {dir}\n\
             \x20   fi\n"
        ));
    }
    s.push_str(&format!(
        "fi\n\
         if [ -d /run/systemd/system ]; then\n\
         \x20   systemctl daemon-reload >/dev/null || true\n\
         \x20   deb-systemd-helper enable {name}.service >/dev/null || true\n\
         \x20   deb-systemd-invoke restart {name}.service >/dev/null || true\n\
         fi\n",
        name = p.name
    ));
    s
}

fn prerm(p: &Package) -> String {
    format!(
        "#!/bin/sh\nset -e\n\
         if [ -d /run/systemd/system ] && [ \"$1\" = remove ]; then\n\
         \x20   deb-systemd-invoke stop {}.service >/dev/null || true\n\
         fi\n",
        p.name
    )
}

fn postrm(p: &Package) -> String {
    format!(
        "#!/bin/sh\nset -e\n\
         if [ -d /run/systemd/system ]; then\n\
         \x20   systemctl daemon-reload >/dev/null || true\n\
         fi\n\
         if [ \"$1\" = purge ] && [ -x \"$(command -v deb-systemd-helper)\" ]; then\n\
         \x20   deb-systemd-helper purge {}.service >/dev/null || true\n\
         fi\n",
        p.name
    )
}

fn write(path: &Path, text: &str, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("chmod {}", path.display()))
}

/// Output of `binary ARGS...`, which must succeed.
fn generated(binary: &Path, args: &[&str]) -> anyhow::Result<String> {
    run(Command::new(binary).args(args))
}

fn gzip(path: &Path) -> anyhow::Result<()> {
    run(Command::new("gzip").args(["-9n", "-f"]).arg(path)).map(drop)
}

/// Lays out one package's tree under `staging` and builds the .deb into
/// `out`; returns its path.
fn build_one(
    root: &Path,
    p: &Package,
    binary: &Path,
    staging: &Path,
    out: &Path,
    arch: &str,
    fast: bool,
) -> anyhow::Result<PathBuf> {
    let repository = env!("CARGO_PKG_REPOSITORY");
    let version = format!("{}-1", env!("CARGO_PKG_VERSION"));
    let tree = staging.join(p.package);
    if tree.exists() {
        std::fs::remove_dir_all(&tree)?;
    }
    let usr_bin = tree.join("usr/bin");
    std::fs::create_dir_all(&usr_bin)?;
    std::fs::copy(binary, usr_bin.join(p.name))
        .with_context(|| format!("copying {}", binary.display()))?;
    let repo_unit =
        std::fs::read_to_string(root.join(format!("deploy/systemd/{}.service", p.krate)))
            .with_context(|| format!("reading deploy/systemd/{}.service", p.krate))?;
    write(
        &tree.join(format!("lib/systemd/system/{}.service", p.name)),
        &unit(&repo_unit, p, repository),
        0o644,
    )?;
    write(
        &tree.join(format!("etc/default/{}", p.name)),
        &defaults_file(p),
        0o600,
    )?;
    let mut conffiles = vec![format!("/etc/default/{}", p.name)];
    for (from, to) in p.configs {
        let text =
            std::fs::read_to_string(root.join(from)).with_context(|| format!("reading {from}"))?;
        write(&tree.join(to.trim_start_matches('/')), &text, 0o644)?;
        conffiles.push(to.to_string());
    }
    for dir in p.state_dirs {
        std::fs::create_dir_all(tree.join(dir.trim_start_matches('/')))?;
    }
    // Man page and completions, generated by the binary from its own flags.
    let man = tree.join(format!("usr/share/man/man1/{}.1", p.name));
    write(&man, &generated(binary, &["--help-man"])?, 0o644)?;
    gzip(&man)?;
    for (shell, path) in [
        (
            "bash",
            format!("usr/share/bash-completion/completions/{}", p.name),
        ),
        (
            "zsh",
            format!("usr/share/zsh/vendor-completions/_{}", p.name),
        ),
        (
            "fish",
            format!("usr/share/fish/vendor_completions.d/{}.fish", p.name),
        ),
    ] {
        let script = generated(binary, &[&format!("--completion-script-{shell}")])?;
        write(&tree.join(path), &script, 0o644)?;
    }
    let doc = tree.join(format!("usr/share/doc/{}", p.package));
    std::fs::create_dir_all(&doc)?;
    std::fs::copy(root.join("LICENSE"), doc.join("copyright")).context("LICENSE")?;

    let mut depends = vec!["adduser".to_string()];
    depends.extend(shared_library_depends(binary)?);
    let mut control = format!(
        "Package: {}\nVersion: {version}\nArchitecture: {arch}\nSection: net\nPriority: optional\n\
         Maintainer: ferroscope maintainers <{repository}>\nHomepage: {repository}\n\
         Depends: {}\n",
        p.package,
        depends.join(", ")
    );
    if let Some(debian) = p.replaces {
        control.push_str(&format!(
            "Provides: {debian}\nConflicts: {debian}\nReplaces: {debian}\n"
        ));
    }
    control.push_str(&format!(
        "Description: {}\n Built from {repository} with cargo xtask deb.\n",
        p.summary
    ));
    let debian = tree.join("DEBIAN");
    write(&debian.join("control"), &control, 0o644)?;
    write(
        &debian.join("conffiles"),
        &(conffiles.join("\n") + "\n"),
        0o644,
    )?;
    write(&debian.join("postinst"), &postinst(p), 0o755)?;
    write(&debian.join("prerm"), &prerm(p), 0o755)?;
    write(&debian.join("postrm"), &postrm(p), 0o755)?;

    std::fs::create_dir_all(out)?;
    let deb = out.join(format!("{}_{version}_{arch}.deb", p.package));
    // xz for releases; a quick gzip for dev builds, whose unstripped
    // binaries would take minutes to compress on a small machine.
    let compression: &[&str] = if fast { &["-Zgzip", "-z1"] } else { &["-Zxz"] };
    run(Command::new("dpkg-deb")
        .arg("--root-owner-group")
        .args(compression)
        .arg("--build")
        .arg(&tree)
        .arg(&deb))?;
    Ok(deb)
}

/// Builds the binaries and the packages; returns the .deb paths.
pub fn build(args: &Args) -> anyhow::Result<Vec<PathBuf>> {
    let root = crate::ci::workspace_root();
    let chosen: Vec<&Package> = PACKAGES
        .iter()
        .filter(|p| args.crates.is_empty() || args.crates.iter().any(|c| c == p.krate))
        .collect();
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .current_dir(&root)
        .args(["build", "--profile", &args.profile]);
    for p in &chosen {
        cargo.args(["-p", p.krate]);
    }
    let status = cargo.status().context("running cargo build")?;
    if !status.success() {
        bail!("cargo build failed ({status})");
    }
    let target = target_dir(&root);
    let profile_dir = if args.profile == "dev" {
        "debug"
    } else {
        &args.profile
    };
    let out = args.out.clone().unwrap_or_else(|| target.join("debian"));
    let staging = out.join("staging");
    let arch = run(Command::new("dpkg").arg("--print-architecture"))?
        .trim()
        .to_string();
    let mut debs = Vec::new();
    for p in chosen {
        let binary = target.join(profile_dir).join(p.krate);
        let deb = build_one(
            &root,
            p,
            &binary,
            &staging,
            &out,
            &arch,
            args.profile == "dev",
        )
        .with_context(|| format!("packaging {}", p.krate))?;
        println!("{}", deb.display());
        debs.push(deb);
    }
    std::fs::remove_dir_all(&staging).ok();
    Ok(debs)
}

pub fn run_command(args: Args) -> anyhow::Result<()> {
    build(&args).map(drop)
}
