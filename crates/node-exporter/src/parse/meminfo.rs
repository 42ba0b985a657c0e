//! /proc/meminfo: `Key:   value [kB]` lines.

use super::{ParseError, Parsed, num};

/// One line, borrowed from the text: no allocation per field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Field<'a> {
    /// The key as written, without the ':' (`Active(anon)`).
    pub key: &'a str,
    /// Whether the line had a `kB` unit (the value is then in bytes).
    pub bytes: bool,
    /// The value, scaled to bytes when `bytes`.
    pub value: f64,
}

impl Field<'_> {
    /// The metric suffix: `Active(anon)` becomes `Active_anon`, and fields
    /// with a `kB` unit get `_bytes`.
    pub fn name(&self) -> String {
        let mut name = self.key.replace('(', "_").replace(')', "");
        if self.bytes {
            name.push_str("_bytes");
        }
        name
    }
}

/// The fields in file order. A key must be letters, digits, '_' and
/// parentheses (which [`Field::name`] turns into a valid name suffix).
pub fn parse(text: &str) -> Result<Parsed<Vec<Field<'_>>>, ParseError> {
    let mut value = Vec::with_capacity(64);
    let mut bad_lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let mut fields = line.split_whitespace();
        let Some(first) = fields.next() else {
            continue;
        };
        let Some(key) = first.strip_suffix(':') else {
            bad_lines.push(ParseError::new(n, "key without ':'"));
            continue;
        };
        // Valid when the name made of it is non-empty and all [A-Za-z0-9_].
        let valid = key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'(' | b')'))
            && key.bytes().any(|b| b != b')');
        if !valid {
            bad_lines.push(ParseError::new(n, format!("odd key {key:?}")));
            continue;
        }
        let parsed = match (fields.next(), fields.next(), fields.next()) {
            (Some(v), None, None) => num(n, v).map(|value| Field {
                key,
                bytes: false,
                value,
            }),
            (Some(v), Some("kB"), None) => num(n, v).map(|v| Field {
                key,
                bytes: true,
                value: v * 1024.0,
            }),
            _ => Err(ParseError::new(n, "expected `Key: value [kB]`")),
        };
        match parsed {
            Ok(field) => value.push(field),
            Err(e) => bad_lines.push(e),
        }
    }
    if value.is_empty() {
        return Err(ParseError::new(0, "no fields"));
    }
    Ok(Parsed { value, bad_lines })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> (Vec<(String, f64)>, Vec<usize>) {
        let parsed = parse(text).expect("some fields");
        (
            parsed.value.iter().map(|f| (f.name(), f.value)).collect(),
            parsed.bad_lines.iter().map(|e| e.line).collect(),
        )
    }

    #[test]
    fn names_units_and_odd_lines() {
        let text = "MemTotal:       16 kB\n\
                    Active(anon):    2 kB\n\
                    HugePages_Total:       3\n\
                    \n\
                    NoColon 5 kB\n\
                    Odd-Key:   1 kB\n\
                    ):   1\n\
                    ():   4\n\
                    TooMany:   1 kB x\n\
                    WrongUnit:   1 MB\n\
                    NoValue:\n\
                    NotNumber:   x kB\n\
                    Hugepagesize:    2048 kB\n";
        let (fields, bad) = names(text);
        assert_eq!(
            fields,
            vec![
                ("MemTotal_bytes".to_string(), 16384.0),
                ("Active_anon_bytes".to_string(), 2048.0),
                ("HugePages_Total".to_string(), 3.0),
                ("_".to_string(), 4.0),
                ("Hugepagesize_bytes".to_string(), 2048.0 * 1024.0),
            ]
        );
        assert_eq!(bad, vec![5, 6, 7, 9, 10, 11, 12]);
    }

    #[test]
    fn no_fields_is_an_error() {
        assert!(parse("").is_err());
        assert!(parse("junk\n").is_err());
    }
}
