//! /proc/net/netstat and /proc/net/snmp (a `Proto: names` line followed by a
//! `Proto: values` line) and /proc/net/snmp6 (`Ip6InReceives 12` lines).

use super::{ParseError, Parsed, num};

/// (protocol, field, value) in file order, borrowed from the text.
pub type Fields<'a> = Vec<(&'a str, &'a str, f64)>;

pub fn parse_pairs(text: &str) -> Parsed<Fields<'_>> {
    let mut value = Vec::new();
    let bad_lines = parse_pairs_into(text, &mut value);
    Parsed { value, bad_lines }
}

/// [`parse_pairs`] appending to `value` (a buffer reused across files):
/// returns the skipped lines.
pub fn parse_pairs_into<'a>(text: &'a str, value: &mut Fields<'a>) -> Vec<ParseError> {
    let mut bad_lines = Vec::new();
    let mut lines = text.lines();
    // A values line that turned out to start the next pair (resync).
    let mut pending = None;
    // 0-based index of the names line.
    let mut i = 0;
    while let Some(names_line) = pending.take().or_else(|| lines.next()) {
        let Some(values_line) = lines.next() else {
            break;
        };
        let n = i + 2;
        i += 2;
        let (Some((p1, names)), Some((p2, values))) =
            (names_line.split_once(':'), values_line.split_once(':'))
        else {
            bad_lines.push(ParseError::new(n, "line without 'Proto:'"));
            continue;
        };
        if p1 != p2 {
            bad_lines.push(ParseError::new(
                n,
                format!("protocol {p2:?} after header {p1:?}"),
            ));
            // resynchronise: the values line is the next names line
            pending = Some(values_line);
            i -= 1;
            continue;
        }
        let (names_len, values_len) = (
            names.split_whitespace().count(),
            values.split_whitespace().count(),
        );
        if names_len != values_len {
            bad_lines.push(ParseError::new(
                n,
                format!("{p1}: {names_len} names, {values_len} values"),
            ));
            continue;
        }
        for (k, v) in names.split_whitespace().zip(values.split_whitespace()) {
            match num(n, v) {
                Ok(v) => value.push((p1, k, v)),
                Err(e) => bad_lines.push(e),
            }
        }
    }
    bad_lines
}

pub fn parse_snmp6(text: &str) -> Parsed<Fields<'_>> {
    let mut value = Vec::new();
    let bad_lines = parse_snmp6_into(text, &mut value);
    Parsed { value, bad_lines }
}

/// [`parse_snmp6`] appending to `value`: returns the skipped lines.
pub fn parse_snmp6_into<'a>(text: &'a str, value: &mut Fields<'a>) -> Vec<ParseError> {
    let mut bad_lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let mut f = line.split_whitespace();
        let (key, v) = match (f.next(), f.next(), f.next()) {
            (None, _, _) => continue,
            (Some(key), Some(v), None) => (key, v),
            _ => {
                bad_lines.push(ParseError::new(n, "expected `Name value`"));
                continue;
            }
        };
        let Some(pos) = key.find('6') else {
            bad_lines.push(ParseError::new(n, format!("no protocol in {key:?}")));
            continue;
        };
        let (proto, name) = key.split_at(pos + 1);
        match num(n, v) {
            Ok(v) => value.push((proto, name, v)),
            Err(e) => bad_lines.push(e),
        }
    }
    bad_lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_resync_after_a_mismatched_header() {
        let text = "Tcp: A B\n\
                    Tcp: 1 2\n\
                    Udp: C\n\
                    Ip: X Y\n\
                    Ip: 3 4\n\
                    Icmp: D E\n\
                    Icmp: 5\n\
                    NoColon\n\
                    Odd: x\n\
                    Udp: F G\n\
                    Udp: 6 z\n\
                    Trailing: H\n";
        let parsed = parse_pairs(text);
        assert_eq!(
            parsed.value,
            vec![
                ("Tcp", "A", 1.0),
                ("Tcp", "B", 2.0),
                ("Ip", "X", 3.0),
                ("Ip", "Y", 4.0),
                ("Udp", "F", 6.0),
            ]
        );
        let bad: Vec<usize> = parsed.bad_lines.iter().map(|e| e.line).collect();
        assert_eq!(bad, vec![4, 7, 9, 11]);
    }

    #[test]
    fn snmp6_lines() {
        let text =
            "Ip6InReceives 12\n\n Udp6InErrors   3 \nNoProto 1\nIcmp6 x\nIp6Odd 1 2\nLonely\n";
        let parsed = parse_snmp6(text);
        assert_eq!(
            parsed.value,
            vec![("Ip6", "InReceives", 12.0), ("Udp6", "InErrors", 3.0)]
        );
        let bad: Vec<usize> = parsed.bad_lines.iter().map(|e| e.line).collect();
        assert_eq!(bad, vec![4, 5, 6, 7]);
    }
}
