//! /proc/PID/mounts: `device mountpoint fstype options dump pass`.

use super::{ParseError, Parsed};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub device: String,
    pub mount_point: String,
    pub fs_type: String,
    pub options: Vec<String>,
    /// `major:minor` of the device, known from mountinfo only.
    pub major_minor: Option<(String, String)>,
}

impl Mount {
    /// `ro` in the mount or superblock options, or the superblock's
    /// `emergency_ro` (a filesystem the kernel forced read-only), as
    /// node_exporter 1.12.
    pub fn read_only(&self) -> bool {
        self.options
            .iter()
            .any(|o| o == "ro" || o == "emergency_ro")
    }
}

pub fn parse(text: &str) -> Parsed<Vec<Mount>> {
    let mut value = Vec::new();
    let mut bad_lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.is_empty() {
            continue;
        }
        if f.len() < 4 {
            bad_lines.push(ParseError::new(i + 1, "fewer than 4 fields"));
            continue;
        }
        value.push(Mount {
            device: unescape(f[0]),
            mount_point: unescape(f[1]),
            fs_type: unescape(f[2]),
            options: f[3].split(',').map(str::to_string).collect(),
            major_minor: None,
        });
    }
    Parsed { value, bad_lines }
}

/// /proc/PID/mountinfo: `id parent major:minor root mountpoint options
/// [optional fields] - fstype source superoptions`. Options are the mount
/// options followed by the superblock options.
pub fn parse_mountinfo(text: &str) -> Parsed<Vec<Mount>> {
    let mut value = Vec::new();
    let mut bad_lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.is_empty() {
            continue;
        }
        let sep = f.iter().position(|x| *x == "-");
        let (Some(sep), true) = (sep, f.len() >= 6) else {
            bad_lines.push(ParseError::new(
                i + 1,
                "no ' - ' separator or too few fields",
            ));
            continue;
        };
        if sep < 6 || f.len() < sep + 3 {
            bad_lines.push(ParseError::new(i + 1, "too few fields around ' - '"));
            continue;
        }
        let Some((major, minor)) = f[2].split_once(':') else {
            bad_lines.push(ParseError::new(i + 1, "no major:minor"));
            continue;
        };
        let mut options: Vec<String> = f[5].split(',').map(str::to_string).collect();
        if let Some(sup) = f.get(sep + 3) {
            options.extend(sup.split(',').map(str::to_string));
        }
        value.push(Mount {
            device: unescape(f[sep + 2]),
            mount_point: unescape(f[4]),
            fs_type: unescape(f[sep + 1]),
            options,
            major_minor: Some((major.to_string(), minor.to_string())),
        });
    }
    Parsed { value, bad_lines }
}

/// Undoes the kernel's octal escapes (`\040` for a space).
pub fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') as u32 * 64
                + (b[i + 2] - b'0') as u32 * 8
                + (b[i + 3] - b'0') as u32;
            if let Ok(byte) = u8::try_from(v) {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_from_mount_or_superblock_options() {
        let text = "\
36 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro
37 1 8:2 / /data rw,relatime - ext4 /dev/sda2 rw,emergency_ro
38 1 8:3 / /ro ro,relatime - ext4 /dev/sda3 rw
39 1 0:40 / /odd rw - tmpfs tmpfs
";
        let parsed = parse_mountinfo(text);
        let ro: Vec<(String, bool)> = parsed
            .value
            .iter()
            .map(|m| (m.mount_point.clone(), m.read_only()))
            .collect();
        assert_eq!(
            ro,
            vec![
                ("/".to_string(), false),
                ("/data".to_string(), true),
                ("/ro".to_string(), true),
                ("/odd".to_string(), false),
            ]
        );
        assert!(parsed.bad_lines.is_empty());
    }
}
