//! Reading whole procfs and sysfs files, for collectors and the kit's own
//! `process_*` metrics.

use std::io::{self, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

/// Reads a file whole, opened afresh. procfs reports a size of 0 (sysfs
/// 4096), so the size probe of `std::fs::read_to_string` (a statx) buys
/// nothing and its small first reads cost syscalls: one buffer, read until
/// EOF, usually two reads.
pub fn read_fresh(path: &Path) -> io::Result<String> {
    read_from(std::fs::File::open(path)?)
}

fn read_from(file: impl Read) -> io::Result<String> {
    let mut text = String::with_capacity(8192);
    // `Take` reads with the generic read-to-end (no size probe) into
    // uninitialised capacity (no zeroing).
    file.take(u64::MAX).read_to_string(&mut text)?;
    Ok(text)
}

type Kept = Mutex<crate::NameMap<PathBuf, Arc<Mutex<std::fs::File>>>>;

static KEPT: LazyLock<Kept> = LazyLock::new(Kept::default);

/// More distinct files than any exporter reads on every scrape.
const MAX_KEPT: usize = 256;

/// Reads a file read on every scrape (/proc/meminfo, /proc/net/netstat,
/// /proc/self/stat, ...), keeping it open in between and reading it again
/// from the start: opening a procfs file walks its path, and for a file of
/// more than a page the kernel writes the text twice while it grows the
/// buffer, which a kept file has already grown (/proc/net/netstat: 44 us
/// to open and read, 13 us to seek and read). Only files the kernel
/// writes afresh on each read are kept (procfs, sysfs: a regular file
/// such as /etc/os-release may be replaced by a new one), and none under a
/// /proc/<pid> directory (processes come and go; /proc/self is ours). A
/// kept file that fails is closed and the read retried on a fresh one.
pub fn read(path: &Path) -> io::Result<String> {
    let per_process = path.components().any(|c| {
        let c = c.as_os_str().as_encoded_bytes();
        !c.is_empty() && c.iter().all(u8::is_ascii_digit)
    });
    if per_process {
        return read_fresh(path);
    }
    let lock_kept = || KEPT.lock().unwrap_or_else(|p| p.into_inner());
    let existing = lock_kept().get(path).cloned();
    let file = match existing {
        Some(file) => file,
        None => {
            let file = std::fs::File::open(path)?;
            if !is_kernel_generated(&file) {
                return read_from(file);
            }
            let file = Arc::new(Mutex::new(file));
            let mut kept = lock_kept();
            if kept.len() < MAX_KEPT {
                kept.insert(path.to_path_buf(), file.clone());
            }
            file
        }
    };
    let mut guard = file.lock().unwrap_or_else(|p| p.into_inner());
    let read = guard.rewind().and_then(|()| read_from(&mut *guard));
    drop(guard);
    read.or_else(|_| {
        lock_kept().remove(path);
        read_fresh(path)
    })
}

/// Whether `file` lives on procfs or sysfs, whose files the kernel writes
/// afresh on every read from the start.
#[cfg(target_os = "linux")]
fn is_kernel_generated(file: &std::fs::File) -> bool {
    /// statfs(2)'s magic for sysfs, which rustix does not name.
    const SYSFS_MAGIC: rustix::fs::FsWord = 0x6265_6572;
    rustix::fs::fstatfs(file)
        .is_ok_and(|st| st.f_type == rustix::fs::PROC_SUPER_MAGIC || st.f_type == SYSFS_MAGIC)
}

#[cfg(not(target_os = "linux"))]
fn is_kernel_generated(_file: &std::fs::File) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_files_are_read_afresh_every_time() {
        // procfs: kept open, yet every read sees the kernel's current text.
        let uptime = |text: String| -> f64 {
            text.split_whitespace()
                .next()
                .and_then(|s| s.parse().ok())
                .expect("uptime")
        };
        let path = Path::new("/proc/uptime");
        let first = uptime(read(path).expect("uptime"));
        std::thread::sleep(std::time::Duration::from_millis(50));
        let second = uptime(read(path).expect("uptime"));
        assert!(second > first, "stale /proc/uptime: {first} then {second}");
        assert!(KEPT.lock().unwrap().contains_key(path), "procfs file kept");

        // A regular file replaced by another (as package upgrades do) is
        // read from the new one, and never kept.
        let dir = std::env::temp_dir().join(format!("kit-kept-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("os-release");
        std::fs::write(&file, "ID=old\n").expect("write");
        assert_eq!(read(&file).expect("read"), "ID=old\n");
        std::fs::write(dir.join("new"), "ID=new\n").expect("write");
        std::fs::rename(dir.join("new"), &file).expect("rename");
        assert_eq!(read(&file).expect("read"), "ID=new\n");
        assert!(!KEPT.lock().unwrap().contains_key(&file));
        let _ = std::fs::remove_dir_all(&dir);

        // Nor a file of another process.
        let other = PathBuf::from("/proc/1/stat");
        let _ = read(&other);
        assert!(!KEPT.lock().unwrap().contains_key(&other));
    }

    #[test]
    fn absent_file_is_not_found() {
        let err = read(Path::new("/proc/no-such-file")).expect_err("absent");
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
}
