//! bcache's human-readable sysfs values (`1.1M`, `512k`) and its
//! `writeback_rate_debug` file.

/// `1.1M` -> 1153433.6; `12` -> 12; `-2.0k` -> -2048. Powers of 1024.
pub fn dehumanize(text: &str) -> Option<f64> {
    let t = text.trim();
    let (num, mult) = match t.chars().last()? {
        'k' => (&t[..t.len() - 1], 1024f64),
        'M' => (&t[..t.len() - 1], 1024f64.powi(2)),
        'G' => (&t[..t.len() - 1], 1024f64.powi(3)),
        'T' => (&t[..t.len() - 1], 1024f64.powi(4)),
        'P' => (&t[..t.len() - 1], 1024f64.powi(5)),
        'E' => (&t[..t.len() - 1], 1024f64.powi(6)),
        _ => (t, 1.0),
    };
    Some(num.parse::<f64>().ok()? * mult)
}

/// writeback_rate_debug lines (`rate:  1.1M/sec`, `proportional: -3.5k`)
/// -> (key, bytes).
pub fn writeback_rate_debug(text: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            let v = v.trim().trim_end_matches("/sec");
            Some((k.trim().to_string(), dehumanize(v)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(dehumanize("512k"), Some(524288.0));
        assert_eq!(dehumanize("12"), Some(12.0));
        assert_eq!(dehumanize("-2.0k"), Some(-2048.0));
        assert_eq!(dehumanize("x"), None);
        assert_eq!(dehumanize(""), None);
        let d =
            writeback_rate_debug("rate:\t\t1.1M/sec\ndirty:\t\t20.4G\ntarget: x\nnext io:\t-1ms\n");
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].0, "rate");
    }
}
