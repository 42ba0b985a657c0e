//! /proc/net/stat/nf_conntrack: a header of column names, then one row of
//! hex counters per CPU. Returns the per-column sums.

use super::{ParseError, Parsed, hex};

/// (column name, sum over the rows), the names borrowed from the header.
pub fn parse(text: &str) -> Result<Parsed<Vec<(&str, f64)>>, ParseError> {
    let mut lines = text.lines().enumerate();
    let Some((_, header)) = lines.next() else {
        return Err(ParseError::new(1, "empty file"));
    };
    let mut sums: Vec<(&str, f64)> = header.split_whitespace().map(|k| (k, 0.0)).collect();
    let mut bad_lines = Vec::new();
    // One row's values, reused: a row counts only when all of it reads.
    let mut row = Vec::with_capacity(sums.len());
    for (i, line) in lines {
        let n = i + 1;
        let columns = line.split_whitespace().count();
        if columns == 0 {
            continue;
        }
        if columns != sums.len() {
            bad_lines.push(ParseError::new(n, "column count differs from the header"));
            continue;
        }
        row.clear();
        match line
            .split_whitespace()
            .try_for_each(|v| hex(n, v).map(|x| row.push(x)))
        {
            Ok(()) => sums.iter_mut().zip(&row).for_each(|((_, s), v)| *s += v),
            Err(e) => bad_lines.push(e),
        }
    }
    Ok(Parsed {
        value: sums,
        bad_lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_rows_and_skips_odd_ones() {
        let text = "entries found invalid\n\
                    0000000a 00000001 00000002\n\
                    \n\
                    0000000a 00000010 00000020\n\
                    0000000a 00000001\n\
                    0000000a 0000000z 00000001\n";
        let parsed = parse(text).expect("header");
        assert_eq!(
            parsed.value,
            vec![("entries", 20.0), ("found", 17.0), ("invalid", 34.0)]
        );
        let bad: Vec<usize> = parsed.bad_lines.iter().map(|e| e.line).collect();
        assert_eq!(bad, vec![5, 6]);
        assert!(parse("").is_err());
    }
}
