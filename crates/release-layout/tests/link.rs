//! The linker script really links, and places the listed functions first.
//! CI builds the dev profile, where build scripts add no script: this is
//! where a list that the linker would refuse shows up.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

const PROGRAM: &str = r#"
#[unsafe(no_mangle)]
#[inline(never)]
pub extern "C" fn layout_cold_one(x: u64) -> u64 { x.wrapping_mul(31).rotate_left(7) }
#[unsafe(no_mangle)]
#[inline(never)]
pub extern "C" fn layout_hot_one(x: u64) -> u64 { x.wrapping_mul(17).rotate_left(3) }
fn main() {
    let x = std::env::args().count() as u64;
    println!("{}", layout_cold_one(x) ^ layout_hot_one(x));
}
"#;

/// Links PROGRAM with the script of `list`; returns the binary.
fn link(dir: &Path, list: &str) -> std::path::PathBuf {
    let source = dir.join("program.rs");
    std::fs::write(&source, PROGRAM).unwrap();
    let script = dir.join("hot-text.ld");
    std::fs::write(&script, release_layout::linker_script(list)).unwrap();
    let binary = dir.join("program");
    let out = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .args(["--edition=2024", "-C", "opt-level=1"])
        .arg(format!("-Clink-arg=-Wl,-T,{}", script.display()))
        .arg("-o")
        .arg(&binary)
        .arg(&source)
        .output()
        .expect("rustc runs");
    assert!(
        out.status.success(),
        "linking with the script of {list:.80} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    binary
}

/// (start, end) of a section.
fn section(binary: &Path, name: &str) -> (u64, u64) {
    let out = Command::new("readelf")
        .args(["-SW"])
        .arg(binary)
        .output()
        .expect("readelf (Debian package binutils) runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.split_whitespace().any(|w| w == name))
        .unwrap_or_else(|| panic!("no section {name}:\n{text}"));
    let fields: Vec<&str> = line.split(']').nth(1).unwrap().split_whitespace().collect();
    let start = u64::from_str_radix(fields[2], 16).unwrap();
    let size = u64::from_str_radix(fields[4], 16).unwrap();
    (start, start + size)
}

fn address(binary: &Path, symbol: &str) -> u64 {
    let out = Command::new("nm").arg(binary).output().expect("nm runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.ends_with(&format!(" {symbol}")))
        .unwrap_or_else(|| panic!("no symbol {symbol}"));
    u64::from_str_radix(line.split_whitespace().next().unwrap(), 16).unwrap()
}

#[test]
fn listed_functions_are_placed_before_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let binary = link(dir.path(), "# test\nlayout_hot_one\n");
    let hot = section(&binary, ".text.hot");
    let text = section(&binary, ".text");
    let inside = |a: u64, (s, e): (u64, u64)| s <= a && a < e;
    assert!(inside(address(&binary, "layout_hot_one"), hot));
    assert!(inside(address(&binary, "layout_cold_one"), text));
    assert!(hot.1 <= text.0, "{hot:x?} is not before {text:x?}");
    let run = Command::new(&binary).output().unwrap();
    assert!(run.status.success());
}

#[test]
fn every_exporters_list_links() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut lists = 0;
    for entry in std::fs::read_dir(&crates).unwrap() {
        let list = entry.unwrap().path().join("hot-functions.txt");
        let Ok(text) = std::fs::read_to_string(&list) else {
            continue;
        };
        lists += 1;
        let dir = tempfile::tempdir().unwrap();
        let binary = link(dir.path(), &text);
        assert!(Command::new(&binary).output().unwrap().status.success());
    }
    assert!(lists >= 6, "{lists} lists under {}", crates.display());
}
