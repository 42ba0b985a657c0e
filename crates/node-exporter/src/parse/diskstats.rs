//! /proc/diskstats: `major minor name` then 11, 15 or 17 counters.

use super::{ParseError, Parsed, num};

/// The counters a current kernel writes; later ones are checked, not kept.
pub const MAX_STATS: usize = 17;

/// One device, borrowed from the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Disk<'a> {
    pub major: &'a str,
    pub minor: &'a str,
    pub name: &'a str,
    stats: [f64; MAX_STATS],
    count: usize,
}

impl Disk<'_> {
    /// The counters in kernel order (11, 15 or 17 of them).
    pub fn stats(&self) -> &[f64] {
        &self.stats[..self.count]
    }
}

pub fn parse(text: &str) -> Parsed<Vec<Disk<'_>>> {
    let mut value = Vec::new();
    let mut bad_lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let fields = line.split_whitespace().count();
        if fields == 0 {
            continue;
        }
        if fields < 14 {
            bad_lines.push(ParseError::new(
                n,
                format!("{fields} fields, want at least 14"),
            ));
            continue;
        }
        let mut f = line.split_whitespace();
        let (Some(major), Some(minor), Some(name)) = (f.next(), f.next(), f.next()) else {
            continue; // counted above: at least 14
        };
        let mut stats = [0.0; MAX_STATS];
        let mut count = 0;
        let parsed = f.enumerate().try_for_each(|(k, v)| {
            let v = num(n, v)?;
            if let Some(slot) = stats.get_mut(k) {
                *slot = v;
                count = k + 1;
            }
            Ok(())
        });
        match parsed {
            Ok(()) => value.push(Disk {
                major,
                minor,
                name,
                stats,
                count,
            }),
            Err(e) => bad_lines.push(e),
        }
    }
    Parsed { value, bad_lines }
}

/// udev's `E:KEY=value` properties for one device (/run/udev/data/bM:m),
/// borrowed from the text.
pub fn parse_udev(text: &str) -> Vec<(&str, &str)> {
    text.lines()
        .filter_map(|l| l.strip_prefix("E:"))
        .filter_map(|kv| kv.split_once('='))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_odd_lines() {
        let text = "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11\n\
                    \n\
                    8 1 sda1 1 2 3 4 5 6 7 8 9 10\n\
                    8 2 sda2 1 2 3 4 5 6 7 8 9 10 x\n\
                    259 0 nvme0n1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19\n";
        let parsed = parse(text);
        let bad: Vec<usize> = parsed.bad_lines.iter().map(|e| e.line).collect();
        assert_eq!(bad, vec![3, 4]);
        let disks = &parsed.value;
        assert_eq!(disks.len(), 2);
        assert_eq!(
            (disks[0].major, disks[0].minor, disks[0].name),
            ("8", "0", "sda")
        );
        assert_eq!(disks[0].stats().len(), 11);
        assert_eq!(disks[0].stats()[10], 11.0);
        assert_eq!(disks[1].name, "nvme0n1");
        assert_eq!(disks[1].stats().len(), MAX_STATS);
        assert_eq!(disks[1].stats()[16], 17.0);
    }

    #[test]
    fn udev_properties() {
        let text = "S:disk/by-id/x\nE:ID_MODEL=Disk 1\nE:ID_FS_TYPE=\nE:NOVALUE\nI:123\n";
        assert_eq!(
            parse_udev(text),
            vec![("ID_MODEL", "Disk 1"), ("ID_FS_TYPE", "")]
        );
    }
}
