//! /proc/PID/mounts: `device mountpoint fstype options dump pass`.

use std::borrow::Cow;

use super::{ParseError, Parsed};

/// One mount, borrowed from the table's text (fields are copied only when
/// they hold an escape to undo), so a scrape does not allocate per field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount<'a> {
    pub device: Cow<'a, str>,
    pub mount_point: Cow<'a, str>,
    pub fs_type: Cow<'a, str>,
    /// The comma-separated mount options and (mountinfo only) the
    /// superblock options, as written.
    option_lists: [Option<&'a str>; 2],
    /// `major:minor` of the device, known from mountinfo only.
    pub major_minor: Option<(&'a str, &'a str)>,
}

impl<'a> Mount<'a> {
    /// The mount options followed by the superblock options.
    pub fn options(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.option_lists
            .into_iter()
            .flatten()
            .flat_map(|l| l.split(','))
    }

    /// `ro` in the mount or superblock options, or the superblock's
    /// `emergency_ro` (a filesystem the kernel forced read-only), as
    /// node_exporter 1.12.
    pub fn read_only(&self) -> bool {
        self.options().any(|o| o == "ro" || o == "emergency_ro")
    }
}

pub fn parse(text: &str) -> Parsed<Vec<Mount<'_>>> {
    let mut value = Vec::new();
    let mut bad_lines = Vec::new();
    let mut f = Vec::with_capacity(8);
    for (i, line) in text.lines().enumerate() {
        fields(line, &mut f);
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
            option_lists: [Some(f[3]), None],
            major_minor: None,
        });
    }
    Parsed { value, bad_lines }
}

/// The fields of a mount table line into `out`. The kernel separates
/// them with single spaces and escapes whitespace inside them (`\040`), so
/// splitting at spaces (a memchr per field) is exact; `split_whitespace`
/// decodes and classifies every character and was most of the filesystem
/// collector's CPU on hosts with hundreds of mounts (container hosts).
/// A line with a raw tab (not the kernel's) is split as before.
fn fields<'a>(line: &'a str, out: &mut Vec<&'a str>) {
    out.clear();
    if line.contains('\t') {
        out.extend(line.split_whitespace());
    } else {
        out.extend(line.split(' ').filter(|f| !f.is_empty()));
    }
}

/// /proc/PID/mountinfo: `id parent major:minor root mountpoint options
/// [optional fields] - fstype source superoptions`. Options are the mount
/// options followed by the superblock options.
pub fn parse_mountinfo(text: &str) -> Parsed<Vec<Mount<'_>>> {
    let mut value = Vec::new();
    let mut bad_lines = Vec::new();
    let mut f = Vec::with_capacity(16);
    for (i, line) in text.lines().enumerate() {
        fields(line, &mut f);
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
        value.push(Mount {
            device: unescape(f[sep + 2]),
            mount_point: unescape(f[4]),
            fs_type: unescape(f[sep + 1]),
            option_lists: [Some(f[5]), f.get(sep + 3).copied()],
            major_minor: Some((major, minor)),
        });
    }
    Parsed { value, bad_lines }
}

/// Undoes the kernel's octal escapes (`\040` for a space); borrowed when
/// there is none.
pub fn unescape(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
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
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
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
            .map(|m| (m.mount_point.to_string(), m.read_only()))
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

    #[test]
    fn mountinfo_fields_escapes_and_optional_fields() {
        let text = "36 35 98:0 /mnt1 /mnt\\040two rw,noatime master:1 shared:2 - ext3 /dev/root rw,errors=continue\n\
                    \n\
                    37 35 0:5 / /dev  rw - devtmpfs udev\trw\n\
                    bad line\n";
        let parsed = parse_mountinfo(text);
        assert_eq!(parsed.bad_lines.len(), 1);
        let m = &parsed.value;
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].mount_point, "/mnt two");
        assert_eq!(m[0].fs_type, "ext3");
        assert_eq!(m[0].device, "/dev/root");
        assert_eq!(
            m[0].options().collect::<Vec<_>>(),
            ["rw", "noatime", "rw", "errors=continue"]
        );
        assert_eq!(m[0].major_minor, Some(("98", "0")));
        assert!(!m[0].read_only());
        assert_eq!(m[1].mount_point, "/dev");
        assert_eq!(m[1].device, "udev");
    }

    #[test]
    fn mounts_fields() {
        let parsed = parse("/dev/sda1 / ext4 ro,relatime 0 0\nshort line\n");
        assert_eq!(parsed.bad_lines.len(), 1);
        assert_eq!(parsed.value[0].mount_point, "/");
        assert!(parsed.value[0].read_only());
    }
}
