//! `key value` files (/proc/vmstat) and one-number files.

use super::{ParseError, Parsed, num};

/// Parses `key value` lines in file order; keys borrow from the text.
pub fn parse_pairs(text: &str) -> Parsed<Vec<(&str, f64)>> {
    let (pairs, mut bad_lines) = pairs(text);
    let mut value = Vec::with_capacity(pairs.len());
    for (k, v, line) in pairs {
        match num(line, v) {
            Ok(v) => value.push((k, v)),
            Err(e) => bad_lines.push(e),
        }
    }
    bad_lines.sort_by_key(|e| e.line);
    Parsed { value, bad_lines }
}

/// `key value` lines with the value's text not yet parsed, and its
/// 1-based line number, for collectors that export a few of many keys
/// (vmstat); and the lines skipped.
pub fn pairs(text: &str) -> (Vec<(&str, &str, usize)>, Vec<ParseError>) {
    let mut pairs = Vec::with_capacity(256);
    let mut bad_lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut it = line.split_ascii_whitespace();
        let (Some(k), Some(v), None) = (it.next(), it.next(), it.next()) else {
            if !line.trim().is_empty() {
                bad_lines.push(ParseError::new(i + 1, "expected `key value`"));
            }
            continue;
        };
        pairs.push((k, v, i + 1));
    }
    (pairs, bad_lines)
}

/// The whitespace-separated numbers of a one-line file (file-nr, entropy_avail).
pub fn parse_numbers(text: &str) -> Result<Vec<f64>, ParseError> {
    text.split_whitespace()
        .map(|f| num(1, f))
        .collect::<Result<Vec<_>, _>>()
        .and_then(|v| {
            if v.is_empty() {
                Err(ParseError::new(1, "empty file"))
            } else {
                Ok(v)
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_skip_odd_lines() {
        let p = parse_pairs("nr_free_pages 12\nbogus\npgfault x\noom_kill 3\n");
        assert_eq!(p.value, vec![("nr_free_pages", 12.0), ("oom_kill", 3.0)]);
        assert_eq!(p.bad_lines.len(), 2);
    }

    #[test]
    fn numbers() {
        assert_eq!(
            parse_numbers("1024\t0\t9223372036854775807\n").map(|v| v.len()),
            Ok(3)
        );
        assert!(parse_numbers("").is_err());
        assert!(parse_numbers("12 x").is_err());
    }
}
