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
