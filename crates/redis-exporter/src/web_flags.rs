//! redis_exporter's own web-server flags (`--basic-auth-*`,
//! `--tls-server-*`), which upstream serves every endpoint with, mapped
//! onto the kit's web configuration so they are enforced by the same code
//! as `--web.config.file`.

use std::collections::BTreeMap;

use exporter_kit::BuildError;
use exporter_kit::webconfig::{TlsServerConfig, WebConfigFile};

use crate::Args;

/// The flags named in errors and in the kit's conflict message.
pub const FLAGS: &str = "--basic-auth-*/--tls-server-*";

/// bcrypt cost for hashing a plain `--basic-auth-password` at start
/// (Go's `bcrypt.DefaultCost`): one hash at startup, then the kit's
/// cache answers repeated credentials.
const PLAIN_PASSWORD_COST: u32 = 10;

/// The web configuration the flags ask for, or `None` when none is set.
/// Half a configuration is an error rather than an open endpoint: a user
/// name without a password (upstream then serves without auth), a password
/// without a user, a key without a certificate.
pub fn web_config(args: &Args) -> Result<Option<WebConfigFile>, BuildError> {
    let error = |message: &str| BuildError::new(message.to_string());
    let mut file = WebConfigFile::default();
    let user = &args.basic_auth_username;
    let (password, hash) = (&args.basic_auth_password, &args.basic_auth_hash_password);
    if !password.is_empty() && !hash.is_empty() {
        return Err(error(
            "--basic-auth-password and --basic-auth-hash-password: give one, not both",
        ));
    }
    match (user.is_empty(), password.is_empty() && hash.is_empty()) {
        (true, true) => {}
        (false, true) => {
            return Err(error(
                "--basic-auth-username needs --basic-auth-password or --basic-auth-hash-password",
            ));
        }
        (true, false) => {
            return Err(error(
                "--basic-auth-password/--basic-auth-hash-password need --basic-auth-username",
            ));
        }
        (false, false) => {
            let hash = if hash.is_empty() {
                bcrypt::hash(password, PLAIN_PASSWORD_COST)
                    .map_err(|e| BuildError::new(format!("--basic-auth-password: {e}")))?
            } else {
                hash.clone()
            };
            file.basic_auth_users = BTreeMap::from([(user.clone(), hash)]);
        }
    }
    let (cert, key) = (&args.tls_server_cert_file, &args.tls_server_key_file);
    match (cert.is_empty(), key.is_empty()) {
        (true, true) => {
            if !args.tls_server_ca_cert_file.is_empty() {
                return Err(error(
                    "--tls-server-ca-cert-file needs --tls-server-cert-file and --tls-server-key-file",
                ));
            }
        }
        (false, false) => {
            let min_version = min_version(&args.tls_server_min_version).ok_or_else(|| {
                BuildError::new(format!(
                    "--tls-server-min-version: unknown TLS version {:?} (TLS1.0, TLS1.1, TLS1.2 or TLS1.3)",
                    args.tls_server_min_version
                ))
            })?;
            let client_ca = &args.tls_server_ca_cert_file;
            file.tls_server_config = Some(TlsServerConfig {
                cert_file: cert.clone(),
                key_file: key.clone(),
                min_version: min_version.to_string(),
                // Upstream: a CA file means clients must present a
                // certificate it signed.
                client_auth_type: if client_ca.is_empty() {
                    String::new()
                } else {
                    "RequireAndVerifyClientCert".to_string()
                },
                client_ca_file: client_ca.clone(),
                ..TlsServerConfig::default()
            });
        }
        _ => {
            return Err(error(
                "--tls-server-cert-file and --tls-server-key-file go together: give both",
            ));
        }
    }
    let set = !file.basic_auth_users.is_empty() || file.tls_server_config.is_some();
    Ok(set.then_some(file))
}

/// Upstream's version names in the kit's (exporter-toolkit's) spelling.
fn min_version(upstream: &str) -> Option<&'static str> {
    Some(match upstream {
        "TLS1.0" => "TLS10",
        "TLS1.1" => "TLS11",
        "TLS1.2" => "TLS12",
        "TLS1.3" => "TLS13",
        _ => return None,
    })
}
