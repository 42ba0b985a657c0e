//! `host:port` addresses the way Go's `net` package reads and writes them,
//! so that every exporter accepts and rejects the same targets upstream's
//! Go code does (`[v6]:port` needs its brackets, `::1:80` is refused).

use std::fmt;

/// An address that is not `host:port`. Displays as Go's `*net.AddrError`
/// does (`address ::1: too many colons in address`), which upstream's logs
/// and probe errors show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrError {
    pub addr: String,
    pub reason: &'static str,
}

impl fmt::Display for AddrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "address {}: {}", self.addr, self.reason)
    }
}

impl std::error::Error for AddrError {}

pub const MISSING_PORT: &str = "missing port in address";
pub const TOO_MANY_COLONS: &str = "too many colons in address";
pub const INVALID_PORT: &str = "invalid port";

fn addr_err(addr: &str, reason: &'static str) -> AddrError {
    AddrError {
        addr: addr.to_string(),
        reason,
    }
}

/// Go's `net.SplitHostPort`: `host:port`, `[host]:port` or
/// `[host%zone]:port` into host (brackets removed) and port. The port may
/// be empty or a service name here, as in Go; callers that need a number
/// use [`split_host_port_number`].
pub fn split_host_port(hostport: &str) -> Result<(&str, &str), AddrError> {
    // The port starts after the last colon.
    let Some(colon) = hostport.rfind(':') else {
        return Err(addr_err(hostport, MISSING_PORT));
    };
    let (host, host_start, host_end) = if hostport.starts_with('[') {
        // The first ']' must stand just before the last ':'.
        let Some(end) = hostport.find(']') else {
            return Err(addr_err(hostport, "missing ']' in address"));
        };
        if end + 1 == hostport.len() {
            return Err(addr_err(hostport, MISSING_PORT));
        }
        if end + 1 != colon {
            return Err(if hostport.as_bytes()[end + 1] == b':' {
                addr_err(hostport, TOO_MANY_COLONS)
            } else {
                addr_err(hostport, MISSING_PORT)
            });
        }
        (&hostport[1..end], 1, end + 1)
    } else {
        let host = &hostport[..colon];
        if host.contains(':') {
            return Err(addr_err(hostport, TOO_MANY_COLONS));
        }
        (host, 0, 0)
    };
    if hostport[host_start..].contains('[') {
        return Err(addr_err(hostport, "unexpected '[' in address"));
    }
    if hostport[host_end..].contains(']') {
        return Err(addr_err(hostport, "unexpected ']' in address"));
    }
    Ok((host, &hostport[colon + 1..]))
}

/// [`split_host_port`] for callers that dial: the port must be a number
/// from 0 to 65535. An empty port (Go dials port 0) or a service name is
/// an error rather than a silently chosen default.
pub fn split_host_port_number(hostport: &str) -> Result<(&str, u16), AddrError> {
    let (host, port) = split_host_port(hostport)?;
    let port = port.parse().map_err(|_| addr_err(hostport, INVALID_PORT))?;
    Ok((host, port))
}

/// Go's `net.JoinHostPort`: brackets around a host with a colon (an IPv6
/// literal).
pub fn join_host_port(host: &str, port: impl fmt::Display) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// A host as a URL or `Host` header writes it, without the brackets of an
/// IPv6 literal (`[::1]` -> `::1`), as Go's `url.URL.Hostname` returns it.
/// Anything else, including an unbalanced bracket, is returned unchanged.
pub fn unbracket(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// The host of `host[:port]`: the host part when it splits as
/// `host:port`, else the whole (unbracketed) string, as Go's
/// `url.URL.Hostname` treats an authority.
pub fn host_of(authority: &str) -> &str {
    match split_host_port(authority) {
        Ok((host, _)) => host,
        Err(_) => unbracket(authority),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go's `TestSplitHostPort` (src/net/ip_test.go), successes.
    #[test]
    fn splits_what_go_splits() {
        for (hostport, host, port) in [
            ("localhost:http", "localhost", "http"),
            ("localhost:80", "localhost", "80"),
            ("localhost%lo0:http", "localhost%lo0", "http"),
            ("localhost%lo0:80", "localhost%lo0", "80"),
            ("[localhost%lo0]:http", "localhost%lo0", "http"),
            ("[localhost%lo0]:80", "localhost%lo0", "80"),
            ("127.0.0.1:http", "127.0.0.1", "http"),
            ("127.0.0.1:80", "127.0.0.1", "80"),
            ("[::1]:http", "::1", "http"),
            ("[::1]:80", "::1", "80"),
            ("[::1%lo0]:http", "::1%lo0", "http"),
            ("[::1%lo0]:80", "::1%lo0", "80"),
            (":http", "", "http"),
            (":80", "", "80"),
            ("golang.org:", "golang.org", ""),
            ("127.0.0.1:", "127.0.0.1", ""),
            ("[::1]:", "::1", ""),
            ("golang.org:https%foo", "golang.org", "https%foo"),
        ] {
            assert_eq!(split_host_port(hostport), Ok((host, port)), "{hostport}");
        }
    }

    /// Go's `TestSplitHostPort`, failures, with Go's reasons.
    #[test]
    fn rejects_what_go_rejects() {
        for (hostport, reason) in [
            ("golang.org", MISSING_PORT),
            ("127.0.0.1", MISSING_PORT),
            ("[::1]", MISSING_PORT),
            ("[fe80::1%lo0]", MISSING_PORT),
            ("[localhost%lo0]", MISSING_PORT),
            ("localhost%lo0", MISSING_PORT),
            ("::1", TOO_MANY_COLONS),
            ("fe80::1%lo0", TOO_MANY_COLONS),
            ("fe80::1%lo0:80", TOO_MANY_COLONS),
            ("::1:80", TOO_MANY_COLONS),
            ("[foo:bar]", MISSING_PORT),
            ("[foo:bar]baz", MISSING_PORT),
            ("[foo]bar:baz", MISSING_PORT),
            ("[foo]:[bar]:baz", TOO_MANY_COLONS),
            ("[foo]:[bar]baz", "unexpected '[' in address"),
            ("foo[bar]:baz", "unexpected '[' in address"),
            ("foo]bar:baz", "unexpected ']' in address"),
            ("[::1", "missing ']' in address"),
            ("", MISSING_PORT),
        ] {
            assert_eq!(
                split_host_port(hostport),
                Err(AddrError {
                    addr: hostport.to_string(),
                    reason
                }),
                "{hostport}"
            );
        }
    }

    #[test]
    fn errors_read_like_go() {
        assert_eq!(
            split_host_port("::1").unwrap_err().to_string(),
            "address ::1: too many colons in address"
        );
    }

    #[test]
    fn a_dialled_port_is_a_number() {
        assert_eq!(split_host_port_number("[::1]:9104"), Ok(("::1", 9104)));
        assert_eq!(split_host_port_number("db:0"), Ok(("db", 0)));
        for bad in ["db:", "db:mysql", "db:65536", "db:-1", "db"] {
            assert!(split_host_port_number(bad).is_err(), "{bad}");
        }
        assert_eq!(
            split_host_port_number("db:x").unwrap_err().to_string(),
            "address db:x: invalid port"
        );
    }

    /// Go's `TestJoinHostPort`.
    #[test]
    fn joins_like_go() {
        for (host, port, hostport) in [
            ("localhost", "http", "localhost:http"),
            ("localhost", "80", "localhost:80"),
            ("localhost%lo0", "http", "localhost%lo0:http"),
            ("localhost%lo0", "80", "localhost%lo0:80"),
            ("127.0.0.1", "http", "127.0.0.1:http"),
            ("127.0.0.1", "80", "127.0.0.1:80"),
            ("::1", "http", "[::1]:http"),
            ("::1", "80", "[::1]:80"),
            ("::1%lo0", "http", "[::1%lo0]:http"),
            ("::1%lo0", "80", "[::1%lo0]:80"),
            ("", "http", ":http"),
            ("", "80", ":80"),
            ("golang.org", "", "golang.org:"),
            ("127.0.0.1", "", "127.0.0.1:"),
            ("::1", "", "[::1]:"),
            ("golang.org", "https%foo", "golang.org:https%foo"),
        ] {
            assert_eq!(join_host_port(host, port), hostport);
            if !port.is_empty() || !host.is_empty() {
                assert_eq!(split_host_port(hostport), Ok((host, port)));
            }
        }
    }

    #[test]
    fn unbrackets_only_a_whole_literal() {
        assert_eq!(unbracket("[::1]"), "::1");
        assert_eq!(unbracket("::1"), "::1");
        assert_eq!(unbracket("[::1"), "[::1");
        assert_eq!(unbracket("example.com"), "example.com");
        assert_eq!(host_of("[::1]:443"), "::1");
        assert_eq!(host_of("[::1]"), "::1");
        assert_eq!(host_of("example.com:8443"), "example.com");
        assert_eq!(host_of("example.com"), "example.com");
    }
}
