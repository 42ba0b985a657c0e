//! processes: process and thread counts by state, and the kernel limits,
//! from /proc/[pid]/stat, /proc/[pid]/task/*/stat and /proc/sys/kernel.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::sysfs::read_source;

pub struct Processes {
    proc: PathBuf,
    threads: Desc,
    max_threads: Desc,
    state: Desc,
    threads_state: Desc,
    pids: Desc,
    max_processes: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Processes {
        proc: args.procfs.clone(),
        threads: Desc::gauge("node_processes_threads", "Allocated threads in system", &[]),
        max_threads: Desc::gauge(
            "node_processes_max_threads",
            "Limit of threads in the system",
            &[],
        ),
        state: Desc::gauge(
            "node_processes_state",
            "Number of processes in each state.",
            &["state"],
        ),
        threads_state: Desc::gauge(
            "node_processes_threads_state",
            "Number of threads in each state.",
            &["thread_state"],
        ),
        pids: Desc::gauge("node_processes_pids", "Number of PIDs", &[]),
        max_processes: Desc::gauge(
            "node_processes_max_processes",
            "Number of max PIDs limit",
            &[],
        ),
    }))
}

/// (state, num_threads) from a `stat` line; the command name may hold
/// spaces and parentheses, so fields are counted after the last ')'.
pub fn parse_stat(line: &str) -> Option<(char, u64)> {
    let rest = &line[line.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let state = f.first()?.chars().next()?;
    // After the comm: state is field 3, num_threads field 20.
    let threads = f.get(17)?.parse::<u64>().ok()?;
    Some((state, threads))
}

fn is_pid(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit())
}

fn thread_states(task_dir: &Path, states: &mut BTreeMap<char, u64>) {
    let Ok(entries) = std::fs::read_dir(task_dir) else {
        return;
    };
    for e in entries.flatten() {
        if let Some((s, _)) = std::fs::read_to_string(e.path().join("stat"))
            .ok()
            .and_then(|t| parse_stat(&t))
        {
            *states.entry(s).or_default() += 1;
        }
    }
}

impl Collector for Processes {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let entries = std::fs::read_dir(&self.proc).map_err(|e| CollectError::io(&self.proc, e))?;
        let mut pids = 0u64;
        let mut threads = 0u64;
        let mut states: BTreeMap<char, u64> = BTreeMap::new();
        let mut tstates: BTreeMap<char, u64> = BTreeMap::new();
        for e in entries.flatten() {
            let name = e.file_name();
            let Some(name) = name.to_str().filter(|n| is_pid(n)) else {
                continue;
            };
            let dir = self.proc.join(name);
            // A process that exited meanwhile is simply not counted.
            let Some((state, n)) = std::fs::read_to_string(dir.join("stat"))
                .ok()
                .and_then(|t| parse_stat(&t))
            else {
                continue;
            };
            pids += 1;
            threads += n;
            *states.entry(state).or_default() += 1;
            thread_states(&dir.join("task"), &mut tstates);
        }
        out.gauge(&self.threads, &[], threads as f64);
        for (s, n) in &states {
            out.gauge(&self.state, &[&s.to_string()], *n as f64);
        }
        for (s, n) in &tstates {
            out.gauge(&self.threads_state, &[&s.to_string()], *n as f64);
        }
        out.gauge(&self.pids, &[], pids as f64);
        let limit = |rel: &str| -> Result<f64, CollectError> {
            let p = self.proc.join(rel);
            let text = read_source(&p)?;
            text.trim()
                .parse::<f64>()
                .map_err(|e| CollectError::parse(p.display().to_string(), e))
        };
        out.gauge(&self.max_threads, &[], limit("sys/kernel/threads-max")?);
        out.gauge(&self.max_processes, &[], limit("sys/kernel/pid_max")?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn stat_lines() {
        let line = "1 (my (odd) cmd) S 0 1 1 0 -1 4194560 47330 7387558 104 2349 191 264 15870 4797 20 0 3 0 12 172167168 3237 18446744073709551615";
        assert_eq!(super::parse_stat(line), Some(('S', 3)));
        assert_eq!(super::parse_stat("1 (x) R"), None);
        assert_eq!(super::parse_stat("garbage"), None);
    }
}
