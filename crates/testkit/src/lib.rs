//! Real servers for tests, never mocks.
//!
//! Each guard starts a real server (`redis-server`, `mariadbd`,
//! `prometheus`, `prometheus-alertmanager`, the Kafka-compatible `tansu`,
//! `dockerd`, `containerd`) on a free loopback port in its
//! own temporary directory, waits until it answers, and stops it when
//! dropped. A missing binary fails the test with the Debian package that
//! provides it (from `ci/apt-packages.txt`, see [`require`]); nothing is
//! skipped.

mod alertmanager;
pub mod catalog;
mod containerd;
mod dockerd;
pub mod exposition;
mod flag_table;
mod kafka;
mod mariadb;
mod packages;
mod process;
mod prometheus;
mod redis;
mod samples;
mod sandbox;

pub use alertmanager::Alertmanager;
pub use containerd::Containerd;
pub use dockerd::Dockerd;
pub use flag_table::{FlagRow, FlagStatus, FlagWalk, check_flag_table, flag_table};
pub use kafka::{KafkaBroker, tansu_install_dir};
pub use mariadb::MariaDb;
pub use packages::{AptPackage, apt_packages, missing_packages, package_of, require};
pub use process::{Frozen, Process, find_binary, free_port, require_binary, wait_until};
pub use prometheus::Prometheus;
pub use redis::{RedisServer, RedisServerBuilder};
pub use samples::{has_sample, sample_value};

/// A blocking HTTP client for talking to the servers from tests.
pub fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("building an HTTP client")
}
