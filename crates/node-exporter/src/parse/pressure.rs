//! /proc/pressure/{cpu,io,memory,irq}: `some|full avg10=.. avg60=.. avg300=.. total=US`.

use super::{ParseError, num};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pressure {
    /// total= of the `some` line, in microseconds.
    pub some_total: Option<f64>,
    pub full_total: Option<f64>,
}

pub fn parse(text: &str) -> Result<Pressure, ParseError> {
    let mut p = Pressure::default();
    for (i, line) in text.lines().enumerate() {
        let mut f = line.split_whitespace();
        let kind = f.next();
        let total = f
            .find_map(|kv| kv.strip_prefix("total="))
            .ok_or_else(|| ParseError::new(i + 1, "no total="))
            .and_then(|v| num(i + 1, v))?;
        match kind {
            Some("some") => p.some_total = Some(total),
            Some("full") => p.full_total = Some(total),
            _ => return Err(ParseError::new(i + 1, "neither some nor full")),
        }
    }
    Ok(p)
}
