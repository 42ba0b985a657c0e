//! Pure parsers of bytes the brokers send.
pub mod assignment;
