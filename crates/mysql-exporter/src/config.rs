//! `.my.cnf`: the `[client]` section and `[client.<auth_module>]` sections
//! that inherit from it, as mysqld_exporter reads them. Values may name
//! environment variables (`${VAR}`); `MYSQLD_EXPORTER_PASSWORD` is the
//! default password of `[client]`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use exporter_kit::net::{AddrError, INVALID_PORT, split_host_port, unbracket};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("no configuration found: no section with a user ({0})")]
    NoConfig(String),
    /// Upstream's wording: "failed to load config from .my.cnf: open .my.cnf: ...".
    #[error("failed to load config from {path}: open {path}: no such file or directory (and --mysqld.username is not set)", path = .0.display())]
    Missing(PathBuf),
    #[error("bad DATA_SOURCE_NAME: {0}")]
    Dsn(String),
    #[error("--mysqld.address: failed to parse address: {0}")]
    Address(AddrError),
}

/// One usable section: where and how to connect.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Section {
    pub user: String,
    pub password: Option<String>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub socket: Option<String>,
    pub ssl_ca: Option<PathBuf>,
    pub ssl_cert: Option<PathBuf>,
    pub ssl_key: Option<PathBuf>,
    pub ssl_skip_verification: bool,
    /// go-mysql's `tls` value: true, false, skip-verify, preferred.
    pub tls: Option<String>,
    /// `tls-server-name`: the name the server certificate is verified
    /// against instead of the host connected to.
    pub tls_server_name: Option<String>,
    /// `tls-min-version` / `tls-max-version` as written (checked when the
    /// section is complete).
    pub tls_min_version: Option<String>,
    pub tls_max_version: Option<String>,
    pub enable_cleartext_plugin: bool,
    /// go-sql-driver's DSN `timeout`: how long establishing a connection
    /// may take (its dial timeout), within the scrape's own deadline.
    pub connect_timeout: Option<Duration>,
}

// Never print the password.
impl std::fmt::Debug for Section {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Section")
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<secret>"))
            .field("host", &self.host)
            .field("port", &self.port)
            .field("socket", &self.socket)
            .field("ssl_ca", &self.ssl_ca)
            .field("tls", &self.tls)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

impl Section {
    /// Whether TLS is wanted at all.
    pub fn wants_tls(&self) -> bool {
        self.ssl_ca.is_some()
            || self.ssl_cert.is_some()
            || matches!(
                self.tls.as_deref(),
                Some("true" | "skip-verify" | "preferred")
            )
    }
}

/// The sections of a my.cnf by name (`client`, `client.servers`).
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub sections: BTreeMap<String, Section>,
}

impl Config {
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.get(name)
    }
}

/// What the command line adds to the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--mysqld.address`: `host:port` or `unix:///path`.
    pub address: Option<String>,
    /// `--mysqld.username`.
    pub username: Option<String>,
    /// `MYSQLD_EXPORTER_PASSWORD`.
    pub password: Option<String>,
    /// `--tls.insecure-skip-verify`.
    pub insecure_skip_verify: bool,
}

fn expand_env(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                out.push_str(&std::env::var(&after[..end]).unwrap_or_default());
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn unquote(value: &str) -> String {
    let v = value.trim();
    if v.len() >= 2
        && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')))
    {
        v[1..v.len() - 1].replace("\\\"", "\"")
    } else {
        v.to_string()
    }
}

fn truthy(value: &str) -> bool {
    matches!(
        value.to_ascii_lowercase().as_str(),
        "" | "1" | "true" | "yes" | "on"
    )
}

/// A section's name and its keys as written.
pub type RawSection = (String, BTreeMap<String, String>);

/// Parses ini text into raw key/value maps per section, in file order.
pub fn parse_ini(path: &Path, text: &str) -> Result<Vec<RawSection>, ConfigError> {
    let mut sections: Vec<RawSection> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[') {
            let Some(name) = name.strip_suffix(']') else {
                return Err(ConfigError::Syntax {
                    path: path.to_path_buf(),
                    line: i + 1,
                    message: "unterminated section header".into(),
                });
            };
            sections.push((name.trim().to_string(), BTreeMap::new()));
            continue;
        }
        let (key, value) = match line.split_once('=') {
            Some((k, v)) => (k.trim(), unquote(v)),
            None => (line, String::new()),
        };
        let key = key.replace('_', "-").to_ascii_lowercase();
        match sections.last_mut() {
            Some((_, map)) => {
                map.insert(key, expand_env(&value));
            }
            None => {
                return Err(ConfigError::Syntax {
                    path: path.to_path_buf(),
                    line: i + 1,
                    message: "key outside of a section".into(),
                });
            }
        }
    }
    Ok(sections)
}

fn apply(section: &mut Section, key: &str, value: &str) -> Result<(), String> {
    match key {
        "user" => section.user = value.to_string(),
        "password" => section.password = Some(value.to_string()),
        "host" => section.host = Some(value.to_string()),
        "port" => {
            section.port = Some(
                value
                    .parse()
                    .map_err(|_| format!("port {value:?} is not a number"))?,
            )
        }
        "socket" => section.socket = Some(value.to_string()),
        "ssl-ca" => section.ssl_ca = Some(PathBuf::from(value)),
        "ssl-cert" => section.ssl_cert = Some(PathBuf::from(value)),
        "ssl-key" => section.ssl_key = Some(PathBuf::from(value)),
        // Upstream's spelling, and the right one.
        "ssl-skip-verfication" | "ssl-skip-verification" => {
            section.ssl_skip_verification = truthy(value)
        }
        "tls" => section.tls = Some(value.to_ascii_lowercase()),
        "enable-cleartext-plugin" => section.enable_cleartext_plugin = truthy(value),
        "tls-server-name" => section.tls_server_name = Some(value.to_string()),
        "tls-min-version" => section.tls_min_version = Some(value.to_string()),
        "tls-max-version" => section.tls_max_version = Some(value.to_string()),
        other => return Err(format!("unknown key {other:?}")),
    }
    Ok(())
}

/// The TLS versions upstream takes, in the mysql client's spelling, in
/// order.
const TLS_VERSIONS: [&str; 4] = ["TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

/// Upstream's checks of `tls-min-version` / `tls-max-version`, then what
/// the TLS stack can honour. The client is rustls, which speaks TLS 1.2
/// and 1.3 and offers both: a minimum of 1.0-1.2 and a maximum of 1.3 hold
/// (1.2 is the floor anyway); a bound that would need 1.3 only or 1.2 at
/// most cannot be enforced through mysql_async, so it is an error rather
/// than a silent weaker connection.
fn check_tls_versions(section: &Section) -> Result<(), String> {
    let rank = |key: &str, value: &Option<String>| -> Result<Option<usize>, String> {
        value
            .as_deref()
            .map(|v| {
                TLS_VERSIONS
                    .iter()
                    .position(|known| *known == v)
                    .ok_or_else(|| {
                        format!(
                            "{key}={v} is not allowed, use one of: {}",
                            TLS_VERSIONS.join(", ")
                        )
                    })
            })
            .transpose()
    };
    let min = rank("tls-min-version", &section.tls_min_version)?;
    let max = rank("tls-max-version", &section.tls_max_version)?;
    if let (Some(min), Some(max)) = (min, max)
        && min > max
    {
        return Err(format!(
            "tls-min-version must not be higher than tls-max-version: {} > {}",
            TLS_VERSIONS[min], TLS_VERSIONS[max]
        ));
    }
    if min == Some(3) {
        return Err("tls-min-version=TLSv1.3 cannot be enforced: the TLS client (rustls through mysql_async) always offers TLS 1.2 and 1.3".into());
    }
    if let Some(max) = max.filter(|max| *max < 3) {
        return Err(format!(
            "tls-max-version={} cannot be enforced: the TLS client (rustls through mysql_async) always offers TLS 1.3",
            TLS_VERSIONS[max]
        ));
    }
    Ok(())
}

/// Builds the usable sections from the file's text (None: no file) and
/// the command line. A section without a user, or with an unknown key, is
/// skipped with a log line, as upstream does.
pub fn build(
    path: &Path,
    text: Option<&str>,
    overrides: &Overrides,
) -> Result<Config, ConfigError> {
    let raw = match text {
        Some(text) => parse_ini(path, text)?,
        None => Vec::new(),
    };
    let mut client = Section {
        password: overrides.password.clone(),
        ..Section::default()
    };
    let mut client_raw: BTreeMap<String, String> = BTreeMap::new();
    for (name, map) in &raw {
        if name == "client" {
            client_raw.extend(map.clone());
        }
    }
    let mut config = Config::default();
    let mut client_ok = true;
    for (k, v) in &client_raw {
        if let Err(e) = apply(&mut client, k, v) {
            tracing::error!(section = "client", error = %e, "skipping my.cnf section");
            client_ok = false;
        }
    }
    if client.user.is_empty()
        && let Some(user) = &overrides.username
    {
        client.user = user.clone();
    }
    if client.host.is_none() && client.socket.is_none() && client.port.is_none() {
        let addr = overrides.address.as_deref().unwrap_or("localhost:3306");
        if let Some(path) = addr.strip_prefix("unix://") {
            client.socket = Some(path.to_string());
        } else {
            // As upstream: the address must split; an empty port leaves the
            // default, any other must be a number.
            let (host, port) = split_host_port(addr).map_err(ConfigError::Address)?;
            client.host = Some(host.to_string());
            if !port.is_empty() {
                client.port = Some(port.parse().map_err(|_| {
                    ConfigError::Address(AddrError {
                        addr: addr.to_string(),
                        reason: INVALID_PORT,
                    })
                })?);
            }
        }
    }
    if overrides.insecure_skip_verify {
        client.ssl_skip_verification = true;
    }
    if client_ok && let Err(e) = check_tls_versions(&client) {
        tracing::error!(section = "client", error = %e, "skipping my.cnf section");
        client_ok = false;
    }
    for (name, map) in &raw {
        if name == "client" || !name.starts_with("client.") {
            continue;
        }
        let mut section = client.clone();
        let mut ok = true;
        for (k, v) in map {
            if let Err(e) = apply(&mut section, k, v) {
                tracing::error!(section = %name, error = %e, "skipping my.cnf section");
                ok = false;
            }
        }
        if let Err(e) = check_tls_versions(&section) {
            tracing::error!(section = %name, error = %e, "skipping my.cnf section");
            ok = false;
        }
        if !ok {
            continue;
        }
        if section.user.is_empty() {
            tracing::error!(section = %name, "no user specified in section or parent; skipping it");
            continue;
        }
        config.sections.insert(name.clone(), section);
    }
    if client_ok && !client.user.is_empty() {
        config.sections.insert("client".to_string(), client);
    } else if text.is_none() {
        return Err(ConfigError::Missing(path.to_path_buf()));
    } else if client_ok && config.sections.is_empty() {
        return Err(ConfigError::NoConfig(format!(
            "{} has no [client] user and --mysqld.username is not set",
            path.display()
        )));
    }
    if config.sections.is_empty() {
        return Err(ConfigError::NoConfig(path.display().to_string()));
    }
    Ok(config)
}

/// `DATA_SOURCE_NAME` parameters that only shape how Go's database/sql
/// decodes results or sets up a session the exporter does not use: they
/// change nothing about what is monitored, so they are taken and unused.
const DSN_RESULT_PARAMS: &[&str] = &[
    "charset",
    "collation",
    "parseTime",
    "loc",
    "interpolateParams",
    "columnsWithAlias",
    "clientFoundRows",
    "multiStatements",
    "maxAllowedPacket",
    "rejectReadOnly",
    "checkConnLiveness",
    "allowNativePasswords",
    "allowOldPasswords",
    "allowAllFiles",
];

/// mysqld_exporter 0.14's `DATA_SOURCE_NAME`, in every form
/// go-sql-driver/mysql's `ParseDSN` accepts:
/// `[user[:password]@][net[(addr)]]/dbname[?param=value&...]`, so
/// `user:pw@tcp(host:port)/`, `user:pw@(host:port)/` (net defaults to tcp),
/// `user@unix(/path)/`, `user:pw@/` (127.0.0.1:3306), `tcp(host)/` (port
/// 3306). Kept so existing deployments keep working.
pub fn from_dsn(dsn: &str) -> Result<Section, ConfigError> {
    let bad = |message: String| ConfigError::Dsn(message);
    // The driver's rule: the last '/' separates the database name.
    let slash = dsn
        .rfind('/')
        .ok_or_else(|| bad("missing the slash separating the database name".into()))?;
    // A '/' inside the address (a socket path) comes before its ')'.
    let slash = match dsn[slash..].find(')') {
        Some(_) => dsn[..slash]
            .rfind(')')
            .and_then(|close| dsn[close..].find('/').map(|i| close + i))
            .ok_or_else(|| bad("missing the slash separating the database name".into()))?,
        None => slash,
    };
    let (head, tail) = (&dsn[..slash], &dsn[slash + 1..]);
    // user[:password]@ ends at the last '@' (a password may hold '@').
    let (creds, net_addr) = match head.rfind('@') {
        Some(at) => (Some(&head[..at]), &head[at + 1..]),
        None => (None, head),
    };
    let (user, password) = match creds {
        None => (String::new(), None),
        Some(creds) => match creds.split_once(':') {
            Some((u, p)) => (u.to_string(), Some(p.to_string())),
            None => (creds.to_string(), None),
        },
    };
    let (net, addr) = match net_addr.find('(') {
        Some(open) => {
            let addr = net_addr[open + 1..].strip_suffix(')').ok_or_else(|| {
                bad("invalid DSN: did you forget to escape a param value?".into())
            })?;
            (&net_addr[..open], addr)
        }
        None => (net_addr, ""),
    };
    let mut section = Section {
        user,
        password,
        ..Section::default()
    };
    match net {
        "" | "tcp" => {
            // go-sql-driver: no address is 127.0.0.1:3306; an address
            // without a port is a host on 3306.
            if addr.is_empty() {
                section.host = Some("127.0.0.1".into());
                section.port = Some(3306);
            } else {
                match split_host_port(addr) {
                    Ok((h, p)) => {
                        section.host = Some(h.to_string());
                        section.port = Some(p.parse().map_err(|_| bad(format!("bad port {p:?}")))?);
                    }
                    Err(_) => {
                        section.host = Some(unbracket(addr).to_string());
                        section.port = Some(3306);
                    }
                }
            }
        }
        "unix" => {
            section.socket = Some(if addr.is_empty() {
                "/tmp/mysql.sock".to_string()
            } else {
                addr.to_string()
            });
        }
        other => return Err(bad(format!("unsupported network {other:?} (tcp or unix)"))),
    }
    let params = tail.split_once('?').map_or("", |(_, params)| params);
    for pair in params.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "tls" => section.tls = Some(value.to_ascii_lowercase()),
            "allowCleartextPasswords" => {
                section.enable_cleartext_plugin = exporter_kit::bool_flags::parse_go_bool(value)
                    .map_err(|e| bad(format!("allowCleartextPasswords: {e}")))?
            }
            "timeout" => {
                let timeout = exporter_kit::duration::parse_go(value)
                    .map_err(|e| bad(format!("timeout: {e}")))?;
                // Go's net.Dialer reads a zero timeout as "none".
                section.connect_timeout = (!timeout.is_zero()).then_some(timeout);
            }
            k if DSN_RESULT_PARAMS.contains(&k) => {}
            other => {
                return Err(bad(format!(
                    "parameter {other:?} is not supported (tls, allowCleartextPasswords, timeout)"
                )));
            }
        }
    }
    Ok(section)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(text: &str, o: &Overrides) -> Result<Config, ConfigError> {
        build(Path::new("my.cnf"), Some(text), o)
    }

    #[test]
    fn client_and_children_inherit() {
        let c = cfg(
            "[client]\nuser = exporter\npassword=\"s3cret\"\nhost=db1\nport=3307\n\n[client.other]\nuser=second\n[client.nouser_ok]\nport=4000\n",
            &Overrides::default(),
        )
        .unwrap();
        let client = c.section("client").unwrap();
        assert_eq!(client.user, "exporter");
        assert_eq!(client.password.as_deref(), Some("s3cret"));
        assert_eq!(client.port, Some(3307));
        let other = c.section("client.other").unwrap();
        assert_eq!(other.user, "second");
        assert_eq!(other.host.as_deref(), Some("db1"));
        assert_eq!(other.password.as_deref(), Some("s3cret"));
        assert_eq!(c.section("client.nouser_ok").unwrap().port, Some(4000));
        assert!(!format!("{client:?}").contains("s3cret"));
    }

    #[test]
    fn flags_fill_what_the_file_lacks() {
        let o = Overrides {
            address: Some("10.0.0.1:3310".into()),
            username: Some("flaguser".into()),
            password: Some("envpw".into()),
            insecure_skip_verify: false,
        };
        let c = build(Path::new("missing"), None, &o).unwrap();
        let s = c.section("client").unwrap();
        assert_eq!(s.user, "flaguser");
        assert_eq!(s.host.as_deref(), Some("10.0.0.1"));
        assert_eq!(s.port, Some(3310));
        assert_eq!(s.password.as_deref(), Some("envpw"));
        let o = Overrides {
            address: Some("unix:///run/mysqld.sock".into()),
            ..o
        };
        let c = build(Path::new("missing"), None, &o).unwrap();
        assert_eq!(
            c.section("client").unwrap().socket.as_deref(),
            Some("/run/mysqld.sock")
        );
        // The file wins over the environment's password.
        let c = cfg("[client]\nuser=u\npassword=file\n", &o).unwrap();
        assert_eq!(
            c.section("client").unwrap().password.as_deref(),
            Some("file")
        );
    }

    /// `--mysqld.address` splits as Go's net.SplitHostPort: an IPv6 host
    /// needs brackets, an empty port keeps the default, anything else
    /// that is not host:port fails instead of being half used.
    #[test]
    fn mysqld_address_splits_as_upstream() {
        let with = |address: &str| {
            let o = Overrides {
                address: Some(address.into()),
                username: Some("u".into()),
                ..Overrides::default()
            };
            build(Path::new("missing"), None, &o)
        };
        let c = with("[::1]:3310").unwrap();
        let s = c.section("client").unwrap();
        assert_eq!((s.host.as_deref(), s.port), (Some("::1"), Some(3310)));
        let c = with("db:").unwrap();
        let s = c.section("client").unwrap();
        assert_eq!((s.host.as_deref(), s.port), (Some("db"), None));
        for bad in ["db", "::1:3306", "db:mysql"] {
            let err = with(bad).unwrap_err().to_string();
            assert!(
                err.starts_with("--mysqld.address: failed to parse address"),
                "{bad}: {err}"
            );
        }
        // A DSN address without a port is a host on the default port.
        assert_eq!(
            from_dsn("u@tcp(::1)/").unwrap().host.as_deref(),
            Some("::1")
        );
        assert_eq!(
            from_dsn("u@tcp([::1]:3307)/").unwrap().host.as_deref(),
            Some("::1")
        );
    }

    #[test]
    fn bad_sections_are_skipped_and_nothing_usable_is_an_error() {
        let c = cfg(
            "[client]\nuser=u\n[client.bad]\nuser=x\nbogus=1\n",
            &Overrides::default(),
        )
        .unwrap();
        assert!(c.section("client.bad").is_none());
        assert!(cfg("[client]\nhost=x\n", &Overrides::default()).is_err());
        assert!(cfg("[client\n", &Overrides::default()).is_err());
    }

    #[test]
    fn a_missing_file_is_reported_missing() {
        let err = build(
            Path::new("/etc/nowhere/.my.cnf"),
            None,
            &Overrides::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("open /etc/nowhere/.my.cnf: no such file"),
            "{err}"
        );
        let overrides = Overrides {
            username: Some("exporter".into()),
            ..Overrides::default()
        };
        assert!(build(Path::new("/etc/nowhere/.my.cnf"), None, &overrides).is_ok());
    }

    #[test]
    fn tls_keys_are_honoured_or_refused_naming_them() {
        let s = cfg(
            "[client]\nuser=u\ntls-server-name=db.internal\ntls-min-version=TLSv1.2\ntls-max-version=TLSv1.3\n",
            &Overrides::default(),
        )
        .unwrap();
        let s = s.section("client").unwrap();
        assert_eq!(s.tls_server_name.as_deref(), Some("db.internal"));
        for bad in [
            "tls-min-version=TLSv9",
            "tls-min-version=TLSv1.3",
            "tls-max-version=TLSv1.2",
            "tls-min-version=TLSv1.2\ntls-max-version=TLSv1.1",
        ] {
            assert!(
                cfg(&format!("[client]\nuser=u\n{bad}\n"), &Overrides::default()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn dsn_forms() {
        let s = from_dsn("exp:pw@tcp(127.0.0.1:3307)/").unwrap();
        assert_eq!(
            (s.user.as_str(), s.password.as_deref(), s.port),
            ("exp", Some("pw"), Some(3307))
        );
        let s = from_dsn("root@unix(/tmp/x.sock)/").unwrap();
        assert_eq!(s.socket.as_deref(), Some("/tmp/x.sock"));
        assert!(from_dsn("nope").is_err());
    }

    /// Every form go-sql-driver/mysql's ParseDSN takes, the one
    /// mysqld_exporter's README showed for years among them.
    #[test]
    fn every_go_sql_driver_dsn_form() {
        let tcp = |dsn: &str| {
            let s = from_dsn(dsn).unwrap_or_else(|e| panic!("{dsn}: {e}"));
            (s.user, s.password, s.host, s.port, s.tls)
        };
        let pw = Some("p@ss:w/rd".to_string());
        let host = |h: &str| Some(h.to_string());
        assert_eq!(
            tcp("exp:p@ss:w/rd@(db.example:3307)/"),
            (
                "exp".into(),
                pw.clone(),
                host("db.example"),
                Some(3307),
                None
            )
        );
        assert_eq!(
            tcp("exp:pw@tcp(db:3307)/mysql?tls=skip-verify&parseTime=true"),
            (
                "exp".into(),
                Some("pw".into()),
                host("db"),
                Some(3307),
                Some("skip-verify".into())
            )
        );
        assert_eq!(
            tcp("exp@tcp(db)/"),
            ("exp".into(), None, host("db"), Some(3306), None)
        );
        assert_eq!(
            tcp("exp:pw@/"),
            (
                "exp".into(),
                Some("pw".into()),
                host("127.0.0.1"),
                Some(3306),
                None
            )
        );
        assert_eq!(
            tcp("/"),
            (String::new(), None, host("127.0.0.1"), Some(3306), None)
        );
        assert_eq!(tcp("u@tcp([::1]:3307)/db").2, host("::1"));
        let s = from_dsn("exp:pw@unix(/run/mysqld/mysqld.sock)/performance_schema").unwrap();
        assert_eq!(s.socket.as_deref(), Some("/run/mysqld/mysqld.sock"));
        assert_eq!(
            from_dsn("u@unix/").unwrap().socket.as_deref(),
            Some("/tmp/mysql.sock")
        );
        assert!(
            from_dsn("u@tcp(db:3306)/?allowCleartextPasswords=1")
                .unwrap()
                .enable_cleartext_plugin
        );
        assert_eq!(
            from_dsn("u@tcp(db:3306)/?timeout=1.5s&parseTime=true")
                .unwrap()
                .connect_timeout,
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            from_dsn("u@tcp(db:3306)/?timeout=0s")
                .unwrap()
                .connect_timeout,
            None
        );
        for bad in [
            "u:pw@tcp(db:3306)",
            "u@udp(db:3306)/",
            "u@tcp(db:3306/",
            "u@tcp(db:3306)/?readTimeout=1s",
            "u@tcp(db:3306)/?timeout=1",
            "u@tcp(db:port)/",
        ] {
            assert!(from_dsn(bad).is_err(), "{bad}");
        }
    }
}
