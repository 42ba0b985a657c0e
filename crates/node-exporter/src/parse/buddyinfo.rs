//! /proc/buddyinfo: free blocks per order, per node and zone.

use super::ParseError;

#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    pub node: String,
    pub zone: String,
    pub sizes: Vec<f64>,
}

/// `Node 0, zone   Normal  40568  15583 ...`
pub fn parse(text: &str) -> (Vec<Zone>, Vec<ParseError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 5 || f[0] != "Node" || f[2] != "zone" {
            errors.push(ParseError::new(i + 1, format!("unexpected line {line:?}")));
            continue;
        }
        let sizes: Result<Vec<f64>, _> = f[4..].iter().map(|v| v.parse::<f64>()).collect();
        match sizes {
            Ok(sizes) => out.push(Zone {
                node: f[1].trim_end_matches(',').to_string(),
                zone: f[3].to_string(),
                sizes,
            }),
            Err(e) => errors.push(ParseError::new(i + 1, e.to_string())),
        }
    }
    (out, errors)
}

#[cfg(test)]
mod tests {
    #[test]
    fn zones() {
        let (z, e) = super::parse(
            "Node 0, zone      DMA      0      1\nNode 0, zone   Normal  40568  x\ngarbage\n",
        );
        assert_eq!(z.len(), 1);
        assert_eq!((z[0].node.as_str(), z[0].zone.as_str()), ("0", "DMA"));
        assert_eq!(z[0].sizes, vec![0.0, 1.0]);
        assert_eq!(e.len(), 2);
    }
}
