//! The simulated host of `simulate high-cpu` and `host-down`: a
//! node-exporter whose `--path.procfs` is a tree this process writes. Its
//! `/proc/stat` advances with the wall clock, idle (3% busy) or, while the
//! fault is on, 95% busy on both of its CPUs. So `HostHighCpu` goes quiet,
//! pending, firing and resolved on any machine, busy or idle, unlike a burn
//! of the real CPUs, which a machine already loaded by other work cannot
//! show. `host-down` stops its node-exporter (the machine's own could not
//! be stopped without blinding the rest of the stack) and starts it again
//! on the same port.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::restartable::Restartable;

/// The `host` label of the simulated host's target.
pub const HOST: &str = "simulated-host";
const CPUS: usize = 2;
/// USER_HZ: /proc/stat counts in hundredths of a second.
const TICKS_PER_SECOND: f64 = 100.0;

/// The simulated host: `busy` is the CPU fault, a stopped `exporter` the
/// host-down one.
pub struct SimulatedHost {
    pub busy: Arc<AtomicBool>,
    /// Where its node-exporter listens (`127.0.0.1:PORT`).
    pub address: String,
    pub exporter: Restartable,
    stop: Arc<AtomicBool>,
}

impl Drop for SimulatedHost {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// /proc/stat for CPU times in ticks (user, idle) per CPU.
pub fn proc_stat(user: u64, idle: u64) -> String {
    let mut text = format!(
        "cpu  {} 0 0 {} 0 0 0 0 0 0\n",
        user * CPUS as u64,
        idle * CPUS as u64
    );
    for cpu in 0..CPUS {
        text.push_str(&format!("cpu{cpu} {user} 0 0 {idle} 0 0 0 0 0 0\n"));
    }
    text.push_str(
        "intr 0\nctxt 0\nbtime 1700000000\nprocesses 1\nprocs_running 1\nprocs_blocked 0\n",
    );
    text
}

/// Replaces `path` whole (write and rename), so a scrape never reads half a file.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(tmp, path)
}

/// Starts the writer of `run_dir/simulated-host/proc/stat` and the
/// node-exporter reading it (cpu collector only: the tree has nothing
/// else), which `exporter` makes from its flags.
pub fn start(
    run_dir: &Path,
    exporter: impl FnOnce(&[String]) -> Restartable,
) -> Result<SimulatedHost> {
    let root: PathBuf = run_dir.join("simulated-host");
    let proc_dir = root.join("proc");
    let sys_dir = root.join("sys");
    std::fs::create_dir_all(&proc_dir).context("creating the simulated /proc")?;
    std::fs::create_dir_all(&sys_dir).context("creating the simulated /sys")?;
    let stat = proc_dir.join("stat");
    write_atomically(&stat, &proc_stat(0, 0))?;
    let busy = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let (flag, done) = (busy.clone(), stop.clone());
    std::thread::spawn(move || {
        let (mut user, mut idle) = (0.0f64, 0.0f64);
        let mut last = Instant::now();
        while !done.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(200));
            let ticks = last.elapsed().as_secs_f64() * TICKS_PER_SECOND;
            last = Instant::now();
            let share = if flag.load(Ordering::SeqCst) {
                0.95
            } else {
                0.03
            };
            user += ticks * share;
            idle += ticks * (1.0 - share);
            let _ = write_atomically(&stat, &proc_stat(user as u64, idle as u64));
        }
    });
    let mut exporter = exporter(&[
        format!("--path.procfs={}", proc_dir.display()),
        format!("--path.sysfs={}", sys_dir.display()),
        "--collector.disable-defaults".to_string(),
        "--collector.cpu".to_string(),
    ]);
    exporter.start();
    Ok(SimulatedHost {
        busy,
        address: exporter.url().trim_start_matches("http://").to_string(),
        exporter,
        stop,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_stat_has_the_total_and_every_cpu() {
        let text = proc_stat(5, 95);
        assert!(text.starts_with("cpu  10 0 0 190 "), "{text}");
        assert!(text.contains("\ncpu0 5 0 0 95 "), "{text}");
        assert!(text.contains("\ncpu1 5 0 0 95 "), "{text}");
    }
}
