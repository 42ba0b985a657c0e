//! /proc/loadavg.

use super::{ParseError, num};

pub fn parse(text: &str) -> Result<[f64; 3], ParseError> {
    let f: Vec<&str> = text.split_whitespace().collect();
    if f.len() < 3 {
        return Err(ParseError::new(1, "fewer than 3 fields"));
    }
    Ok([num(1, f[0])?, num(1, f[1])?, num(1, f[2])?])
}
