//! The one binary -> Debian package table: `ci/apt-packages.txt`, compiled
//! in. `cargo xtask ci` installs its packages, and every lookup of a
//! system binary (testkit's guards, the tests, `cargo xtask up`) names the
//! package from it.

use std::path::PathBuf;

use crate::process::{find_binary, require_binary};

const APT_PACKAGES: &str = include_str!("../../../ci/apt-packages.txt");

/// One line of `ci/apt-packages.txt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AptPackage {
    pub name: &'static str,
    /// The binaries of the package that are looked up by name.
    pub binaries: Vec<&'static str>,
}

/// Every package of `ci/apt-packages.txt`, in its order.
pub fn apt_packages() -> Vec<AptPackage> {
    parse(APT_PACKAGES)
}

fn parse(text: &'static str) -> Vec<AptPackage> {
    text.lines()
        .filter_map(|line| line.split('#').next())
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| {
            let (name, binaries) = line.split_once(':').unwrap_or((line, ""));
            AptPackage {
                name: name.trim(),
                binaries: binaries.split_whitespace().collect(),
            }
        })
        .collect()
}

/// The Debian package that provides `binary`, per `ci/apt-packages.txt`.
pub fn package_of(binary: &str) -> Option<&'static str> {
    apt_packages()
        .into_iter()
        .find(|p| p.binaries.contains(&binary))
        .map(|p| p.name)
}

/// Finds `binary` (on PATH or in the sbin directories), or fails the test
/// naming the package `ci/apt-packages.txt` lists it under.
///
/// # Panics
/// When `binary` is missing, and when the table does not list it (a new
/// system binary goes into `ci/apt-packages.txt` with its package first).
pub fn require(binary: &str) -> PathBuf {
    let Some(package) = package_of(binary) else {
        if let Some(path) = find_binary(binary) {
            panic!(
                "`{binary}` ({}) is not listed in ci/apt-packages.txt: add it after its package",
                path.display()
            );
        }
        panic!("`{binary}` is not installed, and ci/apt-packages.txt names no package for it");
    };
    require_binary(binary, package)
}

/// The packages of `binaries` that are not installed, each once, in the
/// order of `binaries`.
///
/// # Panics
/// When the table does not list one of `binaries` (see [`require`]).
pub fn missing_packages(binaries: &[&str]) -> Vec<&'static str> {
    let mut missing = Vec::new();
    for binary in binaries {
        let Some(package) = package_of(binary) else {
            panic!("`{binary}` is not listed in ci/apt-packages.txt: add it after its package");
        };
        if find_binary(binary).is_none() && !missing.contains(&package) {
            missing.push(package);
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_with_and_without_binaries() {
        let parsed = parse(
            "# comment\n\
             redis-tools:   redis-cli      # testkit: redis-cli\n\
             docker.io:     dockerd docker # two\n\
             cmake                         # build only\n\n",
        );
        assert_eq!(
            parsed,
            [
                AptPackage {
                    name: "redis-tools",
                    binaries: vec!["redis-cli"]
                },
                AptPackage {
                    name: "docker.io",
                    binaries: vec!["dockerd", "docker"]
                },
                AptPackage {
                    name: "cmake",
                    binaries: vec![]
                },
            ]
        );
    }

    #[test]
    fn the_table_names_each_binary_once_and_every_package_is_a_debian_name() {
        let packages = apt_packages();
        let mut binaries: Vec<&str> = packages.iter().flat_map(|p| p.binaries.clone()).collect();
        let count = binaries.len();
        binaries.sort_unstable();
        binaries.dedup();
        assert_eq!(binaries.len(), count, "a binary under two packages");
        for p in &packages {
            assert!(
                !p.name.is_empty()
                    && p.name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c)),
                "{p:?}"
            );
        }
        assert_eq!(package_of("redis-cli"), Some("redis-tools"));
        assert_eq!(package_of("mariadbd"), Some("mariadb-server"));
        assert_eq!(package_of("dockerd"), Some("docker.io"));
        assert_eq!(package_of("no-such-binary"), None);
    }

    #[test]
    fn an_unlisted_binary_fails_pointing_at_the_table() {
        let err = std::panic::catch_unwind(|| require("no-such-binary-ferroscope"))
            .expect_err("an unlisted binary must fail the test");
        let message = err.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(message.contains("ci/apt-packages.txt"), "{message}");
    }
}
