//! Pure parsers of kernel files: text in, typed values or a [`ParseError`]
//! naming the line out. No I/O here, so they are tested on fixtures and
//! never panic on odd input.

pub mod bcache;
pub mod buddyinfo;
pub mod ethtool;
pub mod hwmon;
pub mod interrupts;
pub mod ipvs;
pub mod kstat;
pub mod mdstat;
pub mod mountstats;
pub mod rpc;
pub mod rtnetlink;
pub mod sysfs_value;
pub mod tcp;
pub mod zoneinfo;

/// A line or field that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl ParseError {
    pub fn new(line: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            line,
            message: message.into(),
        }
    }
}

pub mod arp;
pub mod conntrack;
pub mod cpuinfo;
pub mod diskstats;
pub mod kv;
pub mod loadavg;
pub mod meminfo;
pub mod mounts;
pub mod netdev;
pub mod netstat;
pub mod os_release;
pub mod pressure;
pub mod schedstat;
pub mod sockstat;
pub mod softnet;
pub mod stat;
pub mod textfile;
pub mod udp_queues;

/// A parse result with the lines that were skipped as unreadable: an odd
/// line costs that line, not the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<T> {
    pub value: T,
    pub bad_lines: Vec<ParseError>,
}

impl<T> Parsed<T> {
    /// Logs the skipped lines at debug level and returns the value.
    pub fn logged(self, what: &str) -> T {
        log_skipped(&self.bad_lines, what);
        self.value
    }
}

/// Logs lines a parser skipped, at debug level (as [`Parsed::logged`]).
pub fn log_skipped(bad_lines: &[ParseError], what: &str) {
    for bad in bad_lines {
        tracing::debug!(file = what, error = %bad, "skipping unreadable line");
    }
}

/// A number as the kernel writes it (decimal, possibly negative or fractional).
pub(crate) fn num(line: usize, s: &str) -> Result<f64, ParseError> {
    s.parse::<f64>()
        .map_err(|_| ParseError::new(line, format!("not a number: {s:?}")))
}

/// An unsigned hexadecimal number (softnet_stat, nf_conntrack stat).
pub(crate) fn hex(line: usize, s: &str) -> Result<f64, ParseError> {
    u64::from_str_radix(s, 16)
        .map(|v| v as f64)
        .map_err(|_| ParseError::new(line, format!("not a hex number: {s:?}")))
}

/// Bytes written as `%XX` decoded (URL user info, D-Bus addresses); a `%`
/// not followed by two hex digits stays as it is.
pub fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}
