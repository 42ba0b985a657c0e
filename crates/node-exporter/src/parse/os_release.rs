//! os-release(5): `KEY=value` with shell quoting.

use std::collections::HashMap;

pub fn parse(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        if k.is_empty() || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            continue;
        }
        out.insert(k.to_string(), unquote(v));
    }
    out
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    let inner = if v.len() >= 2
        && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')))
    {
        &v[1..v.len() - 1]
    } else {
        v
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The numeric part of VERSION_ID (`12`, `22.04`), as upstream reports it.
pub fn version_number(version_id: &str) -> Option<f64> {
    let end = version_id
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (c == '.' && i > 0)))
        .map_or(version_id.len(), |(i, _)| i);
    let mut s = &version_id[..end];
    // keep at most one dot: `1.2.3` -> `1.2`
    if let Some(first) = s.find('.')
        && let Some(second) = s[first + 1..].find('.')
    {
        s = &s[..first + 1 + second];
    }
    s.trim_end_matches('.').parse().ok()
}
