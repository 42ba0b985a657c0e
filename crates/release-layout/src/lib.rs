//! How release binaries are linked, for a smaller resident set.
//!
//! An exporter's RSS is mostly its own code: the kernel maps the 64 KiB
//! around every page a process runs (fault-around), and the functions that
//! start-up and scrapes run are spread over the whole `.text` among the
//! many that never run (error paths, flags nobody gives, TLS, unusual
//! formats). Each binary keeps a list of the functions it ran under
//! callgrind during start-up and scrapes (`cargo xtask hot-text`); a
//! release build places them together at the start of the code, so the
//! pages around them are pages that run too (redis-exporter: 3.6 of
//! 4.3 MB of `.text` resident before, 2.3 after).
//!
//! The list names functions by their symbols with the parts that change
//! from build to build left out (legacy hashes, v0 crate disambiguators),
//! so it stays useful as the code changes: a function that is new or
//! renamed is merely not placed early, and the list is regenerated now
//! and then. Dev and test builds are linked as before.
//!
//! Release builds for glibc also pack relative relocations (DT_RELR,
//! glibc 2.36): the loader reads a few KiB instead of a `.rela.dyn` of
//! 0.35 MB at every start.

use std::fmt::Write as _;
use std::path::Path;

/// For a binary crate's build script: links its release binaries with the
/// functions of `list` (a path relative to the crate) first.
pub fn link_binaries(list: &str) {
    println!("cargo:rerun-if-changed={list}");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("PROFILE") != "release" || var("CARGO_CFG_TARGET_OS") != "linux" {
        return;
    }
    let path = Path::new(&var("CARGO_MANIFEST_DIR")).join(list);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) => panic!("{}: {err}", path.display()),
    };
    let script = Path::new(&var("OUT_DIR")).join("hot-text.ld");
    if let Err(err) = std::fs::write(&script, linker_script(&text)) {
        panic!("{}: {err}", script.display());
    }
    println!("cargo:rustc-link-arg-bins=-Wl,-T,{}", script.display());
    if var("CARGO_CFG_TARGET_ENV") == "gnu" {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// A linker script (GNU ld and lld) that places the sections of the
/// list's functions, in its order, in an output section before `.text`.
/// Functions LLVM thinks cold are in `.text.unlikely.*`.
pub fn linker_script(list: &str) -> String {
    let mut script = String::from("SECTIONS {\n  .text.hot : {\n");
    for pattern in patterns(list) {
        let _ = writeln!(script, "    *(.text.{pattern} .text.unlikely.{pattern})");
    }
    script.push_str("  }\n} INSERT BEFORE .text;\n");
    script
}

/// The patterns of a list file: one per line, `#` starts a comment.
pub fn patterns(list: &str) -> impl Iterator<Item = &str> {
    list.lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|line| !line.is_empty())
}

/// The pattern for a symbol that matches it in later builds, or `None`
/// for what is not a symbol (callgrind's `(below main)`, addresses).
pub fn pattern(symbol: &str) -> Option<String> {
    let symbol_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '.');
    if symbol.is_empty() || !symbol.chars().all(symbol_char) || symbol.starts_with("0x") {
        return None;
    }
    // LTO's numbered copies of local functions: `name.123`.
    let symbol = match symbol.rsplit_once('.') {
        Some((name, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => symbol,
    };
    if let Some(path) = legacy_path(symbol) {
        return Some(format!("{path}17h*"));
    }
    if symbol.starts_with("_R") {
        return Some(without_disambiguators(symbol));
    }
    Some(symbol.to_string())
}

/// `_ZN...17h<16 hex digits>E` without its hash.
fn legacy_path(symbol: &str) -> Option<&str> {
    let body = symbol.strip_prefix("_ZN")?.strip_suffix('E')?;
    let (path, hash) = body.split_at_checked(body.len().checked_sub(19)?)?;
    let hex = hash.strip_prefix("17h")?;
    hex.bytes()
        .all(|b| b.is_ascii_hexdigit())
        .then(|| &symbol[..3 + path.len()])
}

/// A v0 symbol with every crate disambiguator (`Cs<base-62>_`) as `*`.
fn without_disambiguators(symbol: &str) -> String {
    let mut out = String::with_capacity(symbol.len());
    let mut rest = symbol;
    while let Some(at) = rest.find("Cs") {
        let after = &rest[at + 2..];
        let digits = after.bytes().take_while(u8::is_ascii_alphanumeric).count();
        if digits > 0 && after.as_bytes().get(digits) == Some(&b'_') {
            out.push_str(&rest[..at]);
            out.push_str("Cs*_");
            rest = &after[digits + 1..];
        } else {
            out.push_str(&rest[..at + 2]);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_symbols_lose_their_hash() {
        assert_eq!(
            pattern("_ZN12exporter_kit4http8metrics17h0123456789abcdefE").as_deref(),
            Some("_ZN12exporter_kit4http8metrics17h*")
        );
        // Not a hash: kept whole.
        assert_eq!(
            pattern("_ZN3foo3bar17hxyzE").as_deref(),
            Some("_ZN3foo3bar17hxyzE")
        );
    }

    #[test]
    fn v0_symbols_lose_their_crate_disambiguators() {
        assert_eq!(
            pattern("_RNvNtNtCsjrHSEGnQ3l9_3std6thread9functions21available_parallelism")
                .as_deref(),
            Some("_RNvNtNtCs*_3std6thread9functions21available_parallelism")
        );
        assert_eq!(
            pattern("_RINvNtCsgEmfK2I1SDS_4core3ptr13drop_in_placeNtNtCslNYArtu3iFV_5alloc6string6StringEB4_")
                .as_deref(),
            Some("_RINvNtCs*_4core3ptr13drop_in_placeNtNtCs*_5alloc6string6StringEB4_")
        );
    }

    #[test]
    fn numbered_local_copies_and_c_symbols() {
        assert_eq!(
            pattern("_RNvMs0_NtNtCsgEmfK2I1SDS_4core3fmt3num3fmt.260").as_deref(),
            Some("_RNvMs0_NtNtCs*_4core3fmt3num3fmt")
        );
        assert_eq!(
            pattern("ring_core_0_17_14__sha256_block_data_order_avx").as_deref(),
            Some("ring_core_0_17_14__sha256_block_data_order_avx")
        );
        assert_eq!(pattern("(below main)"), None);
        assert_eq!(pattern("0x0000000000401000"), None);
        assert_eq!(pattern(""), None);
    }

    #[test]
    fn the_script_places_each_pattern_in_list_order() {
        let script = linker_script("# generated\nb_fn\n\n  a_fn  # why\n");
        assert_eq!(
            script,
            "SECTIONS {\n  .text.hot : {\n    *(.text.b_fn .text.unlikely.b_fn)\n    \
             *(.text.a_fn .text.unlikely.a_fn)\n  }\n} INSERT BEFORE .text;\n"
        );
    }
}
