//! A mount whose statfs never answers costs that mount only: it is
//! reported with device_error, not asked again until it answers, and no
//! threads pile up however many scrapes come.

use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use node_exporter::collectors::filesystem::{StatOutcome, Statter};
use node_exporter::sys::FsStats;

static RELEASE: AtomicBool = AtomicBool::new(false);

/// Blocks on "/stuck" until RELEASE is set, answers at once elsewhere.
fn fake_stat(path: &Path) -> io::Result<FsStats> {
    if path == Path::new("/stuck") {
        while !RELEASE.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    Ok(FsStats {
        size_bytes: 100.0,
        free_bytes: 50.0,
        avail_bytes: 40.0,
        files: 10.0,
        files_free: 5.0,
        readonly: false,
    })
}

#[test]
fn stuck_mount_times_out_is_skipped_and_recovers() {
    let timeout = Duration::from_millis(200);
    let statter = Statter::with_stat_fn(timeout, fake_stat);
    let far = || Instant::now() + Duration::from_secs(10);

    let start = Instant::now();
    assert!(matches!(
        statter.stat(Path::new("/stuck"), far()),
        StatOutcome::Stuck
    ));
    let first = start.elapsed();
    assert!(first >= timeout && first < timeout * 5, "waited {first:?}");
    assert!(
        matches!(statter.stat(Path::new("/ok"), far()), StatOutcome::Ok(_)),
        "others go on"
    );

    // Later scrapes do not wait again and do not start another thread.
    for _ in 0..50 {
        let t = Instant::now();
        assert!(matches!(
            statter.stat(Path::new("/stuck"), far()),
            StatOutcome::Stuck
        ));
        assert!(t.elapsed() < Duration::from_millis(50));
        assert!(matches!(
            statter.stat(Path::new("/ok"), far()),
            StatOutcome::Ok(_)
        ));
    }
    assert!(statter.threads() <= 2, "threads: {}", statter.threads());

    // Once the mount answers, it is asked again.
    RELEASE.store(true, Ordering::SeqCst);
    let ok = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(10));
        matches!(statter.stat(Path::new("/stuck"), far()), StatOutcome::Ok(_))
    });
    assert!(ok, "the mount is monitored again after it answers");
}

#[test]
fn the_scrape_deadline_bounds_the_wait() {
    let statter = Statter::with_stat_fn(Duration::from_secs(30), |_| {
        std::thread::sleep(Duration::from_secs(3));
        Err(io::Error::other("slow"))
    });
    let start = Instant::now();
    let out = statter.stat(
        Path::new("/slow"),
        Instant::now() + Duration::from_millis(100),
    );
    assert!(matches!(out, StatOutcome::Stuck));
    assert!(start.elapsed() < Duration::from_secs(1));
}

static TOGETHER: std::sync::Barrier = std::sync::Barrier::new(4);

/// Answers only once four statfs calls are running at the same time.
fn stat_four_at_once(_: &Path) -> io::Result<FsStats> {
    TOGETHER.wait();
    Err(io::Error::other("answered"))
}

/// `--collector.filesystem.stat-workers=4`: four mounts are statted at
/// once (one at a time, each call would wait for the others until the
/// mount timeout marks it stuck).
#[test]
fn stat_workers_stat_mounts_concurrently() {
    let statter = Statter::with_stat_fn(Duration::from_secs(5), stat_four_at_once).with_workers(4);
    let paths = ["/a", "/b", "/c", "/d"]
        .map(std::path::PathBuf::from)
        .to_vec();
    let outcomes = statter.stat_all(paths, Instant::now() + Duration::from_secs(10));
    assert_eq!(outcomes.len(), 4);
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, StatOutcome::Err(e) if e.to_string() == "answered")),
        "{outcomes:?}"
    );
}
