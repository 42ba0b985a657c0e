//! The `## Upstream flags` table of a crate README, and a walker that runs
//! the exporter binary with each flag to check that the table tells the
//! truth: a flag marked `works` is accepted (the exporter starts and
//! serves), a flag marked `refused: <why>` stops startup with a message
//! naming it. A flag is never accepted and ignored.
//!
//! The table has three columns, `| flag | status | notes |`. The flag cell
//! is the flag as a user would write it, with a plausible value when it
//! takes one: `` `--check-keys=db0=user:*` `` or `` `--debug` ``.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::process::{Process, free_port, wait_until};

/// What the README says of a flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlagStatus {
    Works,
    Refused(String),
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagRow {
    /// The flag's name without dashes or value (`check-keys`).
    pub name: String,
    /// The command-line words to pass (`--check-keys=db0=user:*`).
    pub argument: String,
    pub status: FlagStatus,
}

/// The rows of the `## Upstream flags` section of `readme` (the text).
/// Panics on a malformed row, naming it: the table is part of the tests.
pub fn flag_table(readme: &str) -> Vec<FlagRow> {
    let mut rows = Vec::new();
    let mut in_section = false;
    for line in readme.lines() {
        if line.starts_with("## ") {
            in_section = line.trim() == "## Upstream flags";
            continue;
        }
        if !in_section || !line.trim_start().starts_with('|') {
            continue;
        }
        let cells: Vec<&str> = line.trim().trim_matches('|').split('|').collect();
        let cell = |i: usize| cells.get(i).map_or("", |c| c.trim());
        let flag = cell(0);
        if flag == "flag" || flag.starts_with("---") {
            continue;
        }
        let argument = flag.trim_matches('`').to_string();
        assert!(
            argument.starts_with('-') && cells.len() == 3,
            "malformed row in ## Upstream flags: {line}"
        );
        let name = argument
            .trim_start_matches('-')
            .split('=')
            .next()
            .unwrap_or_default()
            .to_string();
        let status = match cell(1) {
            "works" => FlagStatus::Works,
            other => match other.strip_prefix("refused:") {
                Some(why) if !why.trim().is_empty() => FlagStatus::Refused(why.trim().to_string()),
                _ => panic!("status must be `works` or `refused: <why>`: {line}"),
            },
        };
        rows.push(FlagRow {
            name,
            argument,
            status,
        });
    }
    assert!(
        !rows.is_empty(),
        "the README has no ## Upstream flags table"
    );
    rows
}

/// How to run the exporter for [`check_flag_table`].
pub struct FlagWalk<'a> {
    /// The exporter binary.
    pub binary: &'a Path,
    /// Arguments every run gets before the flag under test (a backend
    /// address, a config file).
    pub base_args: Vec<String>,
    /// Environment every run gets.
    pub env: Vec<(String, String)>,
    /// The flag that sets the listen address (`--web.listen-address`).
    pub listen_flag: &'a str,
    /// Replaces a row's argument words (a flag whose value must be a file
    /// the test writes).
    pub arguments: &'a dyn Fn(&FlagRow) -> Option<Vec<String>>,
    /// Where the run's logs go.
    pub log_dir: &'a Path,
}

/// Runs the binary once per row of `readme`'s table and fails, listing
/// every row that lied, when a `works` flag stops startup or a `refused`
/// flag does not (or does without naming the flag).
pub fn check_flag_table(readme: &str, walk: &FlagWalk<'_>) {
    let mut wrong = Vec::new();
    for row in flag_table(readme) {
        if let Some(problem) = check_row(&row, walk) {
            wrong.push(format!("{}: {problem}", row.argument));
        }
    }
    assert!(
        wrong.is_empty(),
        "the README's ## Upstream flags table is wrong for:\n{}",
        wrong.join("\n")
    );
}

fn check_row(row: &FlagRow, walk: &FlagWalk<'_>) -> Option<String> {
    let port = free_port();
    // exporter-toolkit's socket activation: the socket comes from
    // systemd's own `systemd-socket-activate`, which starts the exporter on
    // the first connection; serving then means answering HTTP.
    let activated = row.name == "web.systemd-socket";
    let mut command = if activated {
        let mut command = Command::new(crate::require("systemd-socket-activate"));
        command
            .arg(format!("--listen=127.0.0.1:{port}"))
            .arg(walk.binary);
        command
    } else {
        Command::new(walk.binary)
    };
    command
        .args(&walk.base_args)
        .args((walk.arguments)(row).unwrap_or_else(|| vec![row.argument.clone()]));
    if !activated {
        command.arg(format!("{}=127.0.0.1:{port}", walk.listen_flag));
    }
    for (key, value) in &walk.env {
        command.env(key, value);
    }
    if row.name == "version" {
        // Prints and exits: it works when it exits successfully.
        return match command.output() {
            Ok(out) if out.status.success() => None,
            Ok(out) => Some(format!(
                "--version failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )),
            Err(e) => Some(e.to_string()),
        };
    }
    let log = walk
        .log_dir
        .join(format!("{}.log", row.name.replace('/', "_")));
    let mut process = Process::spawn(&row.name, command, &log);
    // Serving means listening: with TLS or basic auth flags a plain
    // request gets an error, but the port accepts.
    let served = || {
        if activated {
            crate::http()
                .get(format!("http://127.0.0.1:{port}/"))
                .send()
                .is_ok()
        } else {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        }
    };
    let mut exited = false;
    let started = wait_until(Duration::from_secs(20), || {
        exited = !process.alive();
        exited || served()
    }) && !exited;
    let output = process.log_tail();
    process.stop(Duration::from_secs(5));
    match &row.status {
        FlagStatus::Works if started => None,
        FlagStatus::Works => Some(format!("marked works, but startup failed:\n{output}")),
        FlagStatus::Refused(_) if started => {
            Some("marked refused, but the exporter started and served".into())
        }
        // kingpin's `--no-X` is refused as X's value.
        FlagStatus::Refused(_)
            if !output.contains(&row.name)
                && !row
                    .name
                    .strip_prefix("no-")
                    .is_some_and(|name| output.contains(name)) =>
        {
            Some(format!(
                "refused, but the message does not name the flag:\n{output}"
            ))
        }
        FlagStatus::Refused(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_section_table_only() {
        let readme = "# x\n| a | b | c |\n## Upstream flags\n\n| flag | status | notes |\n|---|---|---|\n\
            | `--check-keys=db0=a*` | works | SCAN |\n| `-debug` | works | |\n\
            | `--is-tile38` | refused: no Tile38 to test against | |\n## Next\n| `--x` | works | |\n";
        let rows = flag_table(readme);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].name, "check-keys");
        assert_eq!(rows[0].argument, "--check-keys=db0=a*");
        assert_eq!(rows[1].name, "debug");
        assert_eq!(
            rows[2].status,
            FlagStatus::Refused("no Tile38 to test against".into())
        );
    }

    #[test]
    #[should_panic(expected = "status must be")]
    fn a_bare_refused_is_malformed() {
        flag_table("## Upstream flags\n| `--x` | refused | |\n");
    }
}
