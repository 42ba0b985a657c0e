//! `cargo xtask deb` builds packages that replace Debian's exporters in
//! place: each is unpacked into a root the test owns and checked for its
//! relations, files, maintainer scripts and systemd unit
//! (`systemd-analyze verify`), and its binary starts with the `ARGS` of
//! Debian's stock /etc/default file and of its own.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use testkit::{Process, free_port, require};

struct Expected {
    package: &'static str,
    /// Binary, unit and /etc/default name.
    name: &'static str,
    /// Debian's package, whose stock defaults file the binary must accept.
    debian: Option<&'static str>,
    /// Flags the test adds so that nothing leaves loopback.
    loopback_flags: &'static [&'static str],
}

const EXPECTED: &[Expected] = &[
    Expected {
        package: "ferroscope-node-exporter",
        name: "prometheus-node-exporter",
        debian: Some("prometheus-node-exporter"),
        loopback_flags: &[],
    },
    Expected {
        package: "ferroscope-blackbox-exporter",
        name: "prometheus-blackbox-exporter",
        debian: Some("prometheus-blackbox-exporter"),
        loopback_flags: &[],
    },
    Expected {
        package: "ferroscope-redis-exporter",
        name: "prometheus-redis-exporter",
        debian: Some("prometheus-redis-exporter"),
        loopback_flags: &["--redis.addr=redis://127.0.0.1:1"],
    },
    Expected {
        package: "ferroscope-mysqld-exporter",
        name: "prometheus-mysqld-exporter",
        debian: Some("prometheus-mysqld-exporter"),
        loopback_flags: &[],
    },
    Expected {
        package: "ferroscope-container-exporter",
        name: "container-exporter",
        debian: None,
        loopback_flags: &[],
    },
    Expected {
        package: "ferroscope-kafka-exporter",
        name: "kafka-exporter",
        debian: None,
        loopback_flags: &["--kafka.server=127.0.0.1:1"],
    },
];

fn output(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `ARGS` of an /etc/default file, split as systemd splits `$ARGS`.
fn args_of(defaults: &str) -> Vec<String> {
    let line = defaults
        .lines()
        .rfind(|l| l.starts_with("ARGS="))
        .expect("an ARGS= line");
    line["ARGS=".len()..]
        .trim_matches(['"', '\''])
        .split_whitespace()
        .map(String::from)
        .collect()
}

/// Starts `binary` with `args` on a loopback port and waits for /metrics.
fn starts(binary: &Path, args: &[String], e: &Expected, home: &Path, what: &str) {
    let port = free_port();
    let mut cmd = Command::new(binary);
    cmd.args(args)
        .args(e.loopback_flags)
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .env("HOME", home)
        .current_dir(home);
    let process = Process::spawn(e.name, cmd, &home.join(format!("{}.log", e.name)));
    let url = format!("http://127.0.0.1:{port}/metrics");
    let served = testkit::wait_until(Duration::from_secs(20), || {
        testkit::http()
            .get(&url)
            .send()
            .is_ok_and(|r| r.status().is_success())
    });
    assert!(
        served,
        "{} did not serve with the ARGS of {what} ({args:?}):\n{}",
        e.name,
        process.log_tail()
    );
}

fn deb_of(dir: &Path, package: &str) -> PathBuf {
    std::fs::read_dir(dir)
        .expect("output dir")
        .map(|e| e.expect("entry").path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{package}_")) && n.ends_with(".deb"))
        })
        .unwrap_or_else(|| panic!("no {package} .deb in {}", dir.display()))
}

#[test]
fn packages_replace_debians_and_start_with_its_defaults() {
    let out = tempfile::tempdir().expect("tempdir");
    // Debug binaries: the package layout is under test, not the optimiser.
    output(
        Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(["deb", "--profile", "dev", "--out"])
            .arg(out.path()),
    );
    for e in EXPECTED {
        let deb = deb_of(out.path(), e.package);
        let field = |f: &str| output(Command::new("dpkg-deb").arg("-f").arg(&deb).arg(f));
        assert_eq!(field("Package").trim(), e.package);
        let depends = field("Depends");
        assert!(
            depends.contains("libc6") && depends.contains("adduser"),
            "{depends}"
        );
        if let Some(debian) = e.debian {
            for relation in ["Provides", "Conflicts", "Replaces"] {
                assert_eq!(field(relation).trim(), debian, "{} {relation}", e.package);
            }
        }

        let root = tempfile::tempdir().expect("tempdir");
        output(
            Command::new("dpkg-deb")
                .arg("-x")
                .arg(&deb)
                .arg(root.path()),
        );
        let control = root.path().join("DEBIAN");
        output(Command::new("dpkg-deb").arg("-e").arg(&deb).arg(&control));
        let read = |p: &Path| {
            std::fs::read_to_string(p).unwrap_or_else(|err| panic!("{}: {err}", p.display()))
        };
        let name = e.name;
        let binary = root.path().join(format!("usr/bin/{name}"));
        let unit_path = root
            .path()
            .join(format!("lib/systemd/system/{name}.service"));
        let defaults_path = root.path().join(format!("etc/default/{name}"));
        for file in [
            format!("usr/share/man/man1/{name}.1.gz"),
            format!("usr/share/bash-completion/completions/{name}"),
            format!("usr/share/zsh/vendor-completions/_{name}"),
            format!("usr/share/doc/{}/copyright", e.package),
        ] {
            assert!(root.path().join(&file).is_file(), "{}: {file}", e.package);
        }
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode(&binary), 0o755);
        assert_eq!(
            mode(&defaults_path),
            0o600,
            "secrets may go in the defaults file"
        );
        assert!(read(&control.join("conffiles")).contains(&format!("/etc/default/{name}\n")));
        let postinst = read(&control.join("postinst"));
        assert!(postinst.contains("adduser") && postinst.contains(" prometheus\n"));

        let unit = read(&unit_path);
        for line in [
            "User=prometheus".to_string(),
            format!("EnvironmentFile=-/etc/default/{name}"),
            "NoNewPrivileges=yes".to_string(),
            "ProtectSystem=strict".to_string(),
            format!(
                "Documentation={}#installing-the-debian-packages man:{name}(1)",
                env!("CARGO_PKG_REPOSITORY")
            ),
        ] {
            assert!(
                unit.lines().any(|l| l == line),
                "{name}.service lacks {line}:\n{unit}"
            );
        }
        let exec = unit
            .lines()
            .find_map(|l| l.strip_prefix("ExecStart="))
            .expect("ExecStart");
        assert!(exec.starts_with(&format!("/usr/bin/{name} ")) && exec.ends_with(" $ARGS"));
        assert!(
            !unit.contains("DynamicUser"),
            "the textfile dir and configs belong to prometheus"
        );
        // verify needs the ExecStart binary on this host: a copy of the
        // unit that runs the unpacked one. It prints problems (unknown
        // keys, bad values) and exits 0 on some: any output fails.
        let verify_dir = tempfile::tempdir().expect("tempdir");
        let copy = verify_dir.path().join(format!("{name}.service"));
        std::fs::write(
            &copy,
            unit.replace(
                &format!("ExecStart=/usr/bin/{name} "),
                &format!("ExecStart={} ", binary.display()),
            ),
        )
        .expect("unit copy");
        // It also opens the unit's man: page: the one the package ships.
        let verify = Command::new(require("systemd-analyze"))
            .env("MANPATH", root.path().join("usr/share/man"))
            .arg("verify")
            .arg(&copy)
            .output()
            .expect("systemd-analyze");
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&verify.stdout),
            String::from_utf8_lossy(&verify.stderr)
        );
        assert!(
            verify.status.success() && said.trim().is_empty(),
            "{name}.service:\n{said}"
        );

        // The .my.cnf a working mysqld-exporter installation has (Debian's
        // ARGS are empty; the flag's default is .my.cnf in the working
        // directory, as upstream's); a closed loopback port.
        let home = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            home.path().join(".my.cnf"),
            "[client]\nuser=prometheus\nhost=127.0.0.1\nport=1\n",
        )
        .expect("writing .my.cnf");
        if let Some(debian) = e.debian {
            // Debian's own defaults file, installed with its package.
            require(debian);
            let stock = read(Path::new(&format!("/etc/default/{debian}")));
            starts(
                &binary,
                &args_of(&stock),
                e,
                home.path(),
                "Debian's defaults",
            );
        }
        // Ours, with its config paths inside the unpacked root.
        let ours: Vec<String> = args_of(&read(&defaults_path))
            .into_iter()
            .map(|a| a.replace("/etc/", &format!("{}/etc/", root.path().display())))
            .collect();
        starts(&binary, &ours, e, home.path(), "the package's defaults");

        let version = output(Command::new(&binary).arg("--version"));
        assert!(version.contains("build date: "), "{version}");
    }
}
