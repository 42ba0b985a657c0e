//! ZFS-on-Linux kstat files under /proc/spl/kstat/zfs/.

use super::ParseError;

/// A "named" kstat (`arcstats`, `objset-0x36`): a header line, a
/// `name type data` line, then one `name type value` line each. Numeric
/// values come back in `values`, text ones (`dataset_name`) in `texts`.
#[derive(Debug, Default, PartialEq)]
pub struct Named {
    pub values: Vec<(String, f64)>,
    pub texts: Vec<(String, String)>,
}

pub fn parse_named(text: &str) -> (Named, Vec<ParseError>) {
    let mut out = Named::default();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate().skip(2) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.is_empty() {
            continue;
        }
        if f.len() < 3 {
            errors.push(ParseError::new(
                i + 1,
                format!("expected 3 fields: {line:?}"),
            ));
            continue;
        }
        // Type 7 is a string (dataset_name); the rest are numbers.
        // The string keeps its own spacing: the rest of the line after the
        // type column (a dataset may be named "a  b").
        if f[1] == "7" {
            let rest = line.trim_start()[f[0].len()..].trim_start()[f[1].len()..].trim_start();
            out.texts
                .push((f[0].to_string(), rest.trim_end().to_string()));
            continue;
        }
        match f[2].parse::<f64>() {
            Ok(v) => out.values.push((f[0].to_string(), v)),
            Err(e) => errors.push(ParseError::new(i + 1, format!("{}: {e}", f[0]))),
        }
    }
    (out, errors)
}

/// An "io" kstat: a header line, a line of names, a line of values.
pub fn parse_io(text: &str) -> Result<Vec<(String, f64)>, ParseError> {
    let mut lines = text.lines().skip(1);
    let names = lines
        .next()
        .ok_or_else(|| ParseError::new(2, "missing names line"))?;
    let values = lines
        .next()
        .ok_or_else(|| ParseError::new(3, "missing values line"))?;
    let names: Vec<&str> = names.split_whitespace().collect();
    let values: Result<Vec<f64>, _> = values.split_whitespace().map(str::parse::<f64>).collect();
    let values = values.map_err(|e| ParseError::new(3, e.to_string()))?;
    if names.len() != values.len() {
        return Err(ParseError::new(3, "names and values differ in number"));
    }
    Ok(names.into_iter().map(String::from).zip(values).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named() {
        let (n, e) = parse_named(
            "6 1 0x01 91 4368 5266997922 97951858082072\nname                            type data\nhits                            4    8772612\nbad 4\nsize 4 x\ndataset_name 7 pool/data set\n",
        );
        assert_eq!(n.values, vec![("hits".to_string(), 8772612.0)]);
        assert_eq!(
            n.texts,
            vec![("dataset_name".to_string(), "pool/data set".to_string())]
        );
        assert_eq!(e.len(), 2);
    }

    #[test]
    fn io() {
        let v = parse_io("12 3 0x00 1 80 2225326830828 32953476980628\nnread    nwritten reads\n1884160  3206144  22\n").unwrap();
        assert_eq!(v[1], ("nwritten".to_string(), 3206144.0));
        assert!(parse_io("x\na b\n1\n").is_err());
    }
}
