//! bcache's human-readable sysfs values (`1.1M`, `512k`) and its
//! `writeback_rate_debug` file.

/// bcache's bch_hprint() output as upstream (procfs) reads it: `1.1M` ->
/// 1150976; `12` -> 12; `-2.0k` -> -2048. The digits after the point are
/// bch_hprint's tenths of a 1024th step ("1.1" means 1 + 1/10.24), and the
/// result is truncated to a whole number, so the value is upstream's to the
/// last digit.
pub fn dehumanize(text: &str) -> Option<f64> {
    let t = text.trim();
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let last = *t.as_bytes().last()?;
    let value = if last > b'9' {
        let power = match last {
            b'k' => 1,
            b'M' => 2,
            b'G' => 3,
            b'T' => 4,
            b'P' => 5,
            b'E' => 6,
            b'Z' => 7,
            b'Y' => 8,
            _ => return None,
        };
        let digits = &t[..t.len() - 1];
        let mantissa = match digits.split_once('.') {
            None => digits.parse::<f64>().ok()?,
            Some((int, frac)) => int.parse::<f64>().ok()? + frac.parse::<f64>().ok()? / 10.24,
        };
        mantissa * 1024f64.powi(power)
    } else {
        t.parse::<f64>().ok()?
    };
    if value.is_nan() || value < 0.0 {
        return None;
    }
    // Go's uint64(float64): truncated toward zero.
    let whole = (value as u64) as f64;
    Some(if negative { -whole } else { whole })
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
        // 1 + 1/10.24 MiB, truncated: upstream's 1150976, not 1153433.6.
        assert_eq!(dehumanize("1.1M"), Some(1_150_976.0));
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
