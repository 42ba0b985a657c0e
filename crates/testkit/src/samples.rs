//! Reading samples back from a text exposition in tests, whatever the order of their labels.
//!
//! Exporters write a series' labels sorted by name (as client_golang does),
//! while tests name a series the way its collector declares it; a lookup
//! that ignores label order keeps assertions about values, not layout.

/// The value of the series `series` (`name` or `name{a="x",b="y"}`, labels
/// in any order) in the text exposition `text`.
pub fn sample_value(text: &str, series: &str) -> Option<f64> {
    let want = canonical(series)?;
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let (key, value) = split_sample(l)?;
            (canonical(key)? == want).then_some(value)
        })
        .and_then(|v| v.parse().ok())
}

/// Whether `text` has the sample `line` (`series value`, optionally ending
/// in a newline), its labels in any order and its value compared as a
/// number (`1e+06` is `1000000`).
pub fn has_sample(text: &str, line: &str) -> bool {
    let Some((series, value)) = split_sample(line.trim_end_matches('\n')) else {
        return false;
    };
    match (sample_value(text, series), value.parse::<f64>()) {
        (Some(have), Ok(want)) => have == want || (have.is_nan() && want.is_nan()),
        _ => false,
    }
}

/// Splits a sample line into its series and its value (a timestamp, if
/// any, is dropped).
fn split_sample(line: &str) -> Option<(&str, &str)> {
    let end = match line.rfind('}') {
        Some(close) => close + 1,
        None => line.find(' ')?,
    };
    let rest = line.get(end..)?.trim_start();
    Some((&line[..end], rest.split(' ').next()?))
}

/// The series' name and its `name="value"` pairs sorted.
fn canonical(series: &str) -> Option<(String, Vec<String>)> {
    let Some((name, labels)) = series.split_once('{') else {
        return Some((series.to_string(), Vec::new()));
    };
    let labels = labels.strip_suffix('}')?;
    let mut pairs = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    let mut escaped = false;
    for c in labels.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => {
                pairs.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.is_empty() {
        pairs.push(current);
    }
    pairs.sort();
    Some((name.to_string(), pairs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_series_whatever_their_label_order() {
        let text = "# HELP m M.\n# TYPE m gauge\nm{a=\"1,\\\"x\",b=\"2\"} 1.5e+06\nm{a=\"3\",b=\"4\"} 7\nplain 2\n";
        assert_eq!(sample_value(text, "m{b=\"2\",a=\"1,\\\"x\"}"), Some(1.5e6));
        assert_eq!(sample_value(text, "m{a=\"3\",b=\"4\"}"), Some(7.0));
        assert_eq!(sample_value(text, "m{a=\"3\"}"), None);
        assert_eq!(sample_value(text, "plain"), Some(2.0));
        assert_eq!(sample_value(text, "m"), None);
        assert!(has_sample(text, "m{b=\"2\",a=\"1,\\\"x\"} 1500000\n"));
        assert!(!has_sample(text, "m{b=\"2\",a=\"1,\\\"x\"} 1500001"));
    }
}
