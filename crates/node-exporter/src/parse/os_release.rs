//! os-release(5): `KEY=value` with shell quoting.

use std::borrow::Cow;
use std::collections::HashMap;

/// KEY -> unquoted value, borrowed from the text unless unquoting changed it.
pub fn parse(text: &str) -> HashMap<&str, Cow<'_, str>> {
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
        out.insert(k, unquote(v));
    }
    out
}

fn unquote(v: &str) -> Cow<'_, str> {
    let v = v.trim();
    let inner = if v.len() >= 2
        && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')))
    {
        &v[1..v.len() - 1]
    } else {
        v
    };
    if !inner.contains('\\') {
        return Cow::Borrowed(inner);
    }
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
    Cow::Owned(out)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_and_odd_lines() {
        let text = "# comment\n\
                    NAME=\"Debian GNU/Linux\"\n\
                    ID=debian\n\
                    PRETTY_NAME='It\\'s \\\"quoted\\\"'\n\
                    VERSION_ID=\"12\"\n\
                    \n\
                    no equals sign\n\
                    BAD-KEY=x\n\
                    =empty\n\
                    EMPTY=\n\
                    LONE=\"\n";
        let kv = parse(text);
        let get = |k: &str| kv.get(k).map(|v| v.to_string());
        assert_eq!(get("NAME").as_deref(), Some("Debian GNU/Linux"));
        assert_eq!(get("ID").as_deref(), Some("debian"));
        assert_eq!(get("PRETTY_NAME").as_deref(), Some("It's \"quoted\""));
        assert_eq!(get("VERSION_ID").as_deref(), Some("12"));
        assert_eq!(get("EMPTY").as_deref(), Some(""));
        assert_eq!(get("LONE").as_deref(), Some("\""));
        assert_eq!(kv.len(), 6);
    }
}
