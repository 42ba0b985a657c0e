//! /proc/net/udp and udp6: the `tx_queue:rx_queue` column (hex), summed.

use super::{ParseError, Parsed, hex};

/// (tx, rx) summed over all sockets.
pub fn parse(text: &str) -> Parsed<(f64, f64)> {
    let (mut tx, mut rx) = (0.0, 0.0);
    let mut bad_lines = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let n = i + 1;
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.is_empty() {
            continue;
        }
        let q = f.get(4).and_then(|q| q.split_once(':'));
        match q.map(|(t, r)| (hex(n, t), hex(n, r))) {
            Some((Ok(t), Ok(r))) => {
                tx += t;
                rx += r;
            }
            Some((Err(e), _)) | Some((_, Err(e))) => bad_lines.push(e),
            None => bad_lines.push(ParseError::new(n, "no tx_queue:rx_queue column")),
        }
    }
    Parsed {
        value: (tx, rx),
        bad_lines,
    }
}
