//! kafka_exporter's flags (kingpin names, two dashes), plus the few that go
//! beyond upstream (marked so). Secrets also come from the environment or a
//! file, never only from argv.

use std::path::PathBuf;

use clap::ArgAction;

#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Address (host:port) of Kafka server; repeat for several.
    #[arg(long = "kafka.server", value_name = "HOST:PORT", action = ArgAction::Append, default_value = "kafka:9092")]
    pub servers: Vec<String>,

    /// Kafka broker version. librdkafka negotiates request versions with the
    /// broker; this only sets the fallback for brokers older than 0.10.
    #[arg(
        long = "kafka.version",
        value_name = "VERSION",
        default_value = "2.0.0"
    )]
    pub kafka_version: String,

    /// Kafka cluster labels, `k1=v1,k2=v2`: added to every kafka_* series.
    #[arg(long = "kafka.labels", value_name = "LABELS", default_value = "")]
    pub labels: String,

    /// Connect using SASL (PLAIN unless --sasl.mechanism says otherwise).
    #[arg(long = "sasl.enabled")]
    pub sasl_enabled: bool,

    /// Refused when false: librdkafka always performs the SASL handshake
    /// (upstream: only set this to false if using a non-Kafka SASL proxy).
    #[arg(long = "sasl.handshake", default_value_t = true)]
    pub sasl_handshake: bool,

    /// SASL user name.
    #[arg(long = "sasl.username", value_name = "USER", default_value = "")]
    pub sasl_username: String,

    /// SASL user password (also KAFKA_EXPORTER_SASL_PASSWORD, or --sasl.password-file).
    #[arg(
        long = "sasl.password",
        value_name = "PASSWORD",
        env = "KAFKA_EXPORTER_SASL_PASSWORD",
        hide_env_values = true,
        default_value = "",
        hide_default_value = true
    )]
    pub sasl_password: String,

    /// File holding the SASL password (beyond upstream).
    #[arg(long = "sasl.password-file", value_name = "FILE")]
    pub sasl_password_file: Option<PathBuf>,

    /// SASL mechanism: empty or plain (PLAIN), sha256 (SCRAM-SHA-256), sha512 (SCRAM-SHA-512).
    /// gssapi, awsiam and oauthbearer are not supported.
    #[arg(long = "sasl.mechanism", value_name = "MECHANISM", default_value = "")]
    pub sasl_mechanism: String,

    /// Connect to Kafka using TLS.
    #[arg(long = "tls.enabled")]
    pub tls_enabled: bool,

    /// Refused when set: librdkafka verifies each broker's certificate
    /// against that broker's host name and cannot take another name.
    #[arg(long = "tls.server-name", value_name = "NAME", default_value = "")]
    pub tls_server_name: String,

    /// Certificate authority file for Kafka TLS.
    #[arg(long = "tls.ca-file", value_name = "FILE", default_value = "")]
    pub tls_ca_file: String,

    /// Client certificate file for Kafka TLS client authentication.
    #[arg(long = "tls.cert-file", value_name = "FILE", default_value = "")]
    pub tls_cert_file: String,

    /// Client key file for Kafka TLS client authentication.
    #[arg(long = "tls.key-file", value_name = "FILE", default_value = "")]
    pub tls_key_file: String,

    /// Do not verify the broker's certificate (insecure).
    #[arg(long = "tls.insecure-skip-tls-verify")]
    pub tls_insecure_skip_verify: bool,

    /// Regex that determines which topics to collect (unanchored search).
    #[arg(long = "topic.filter", value_name = "REGEX", default_value = ".*")]
    pub topic_filter: String,

    /// Regex that determines which topics to exclude.
    #[arg(long = "topic.exclude", value_name = "REGEX", default_value = "^$")]
    pub topic_exclude: String,

    /// Regex that determines which consumer groups to collect.
    #[arg(long = "group.filter", value_name = "REGEX", default_value = ".*")]
    pub group_filter: String,

    /// Regex that determines which consumer groups to exclude.
    #[arg(long = "group.exclude", value_name = "REGEX", default_value = "^$")]
    pub group_exclude: String,

    /// Show offset/lag for every consumer group; false: only the partitions
    /// assigned to connected members.
    #[arg(long = "offset.show-all", default_value_t = true)]
    pub offset_show_all: bool,

    /// If true, every scrape asks the brokers; otherwise concurrent scrapes
    /// share one result (see --kafka.cache-ttl).
    #[arg(long = "concurrent.enable")]
    pub concurrent_enable: bool,

    /// Requests in flight at once (committed-offset fetches).
    #[arg(long = "topic.workers", value_name = "N", default_value_t = 100)]
    pub topic_workers: usize,

    /// Metadata refresh interval (Go duration): librdkafka refreshes the
    /// cluster's metadata this often between the exporter's own refreshes.
    #[arg(
        long = "refresh.metadata",
        value_name = "DURATION",
        default_value = "30s"
    )]
    pub refresh_metadata: String,

    /// If true, the broker may auto-create topics that we requested which do
    /// not already exist, default is false.
    #[arg(long = "kafka.allow-auto-topic-creation")]
    pub allow_auto_topic_creation: bool,

    /// Turn on the Kafka client's logging (librdkafka's broker, metadata,
    /// protocol and security debug contexts, logged at info).
    #[arg(long = "log.enable-sarama")]
    pub log_enable_sarama: bool,

    /// Seconds a result is shared between scrapes (beyond upstream).
    #[arg(
        long = "kafka.cache-ttl",
        value_name = "SECONDS",
        default_value_t = 1.0
    )]
    pub cache_ttl: f64,

    /// Most seconds a broker request may take (beyond upstream); the scrape
    /// deadline shortens it further.
    #[arg(long = "kafka.timeout", value_name = "SECONDS", default_value_t = 5.0)]
    pub timeout: f64,

    /// Export kafka_consumergroup_lag_seconds: age of the message at the
    /// committed offset (beyond upstream; fetches one message per lagging
    /// partition and offset).
    #[arg(long = "group.lag-seconds")]
    pub lag_seconds: bool,

    /// With --no-offset.show-all, still report offsets and lag of groups
    /// that have no active members (beyond upstream).
    #[arg(long = "group.lag-without-members")]
    pub lag_without_members: bool,
}

/// `k1=v1,k2=v2` -> pairs; empty -> none.
pub fn parse_labels(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((k, v)) = part.split_once('=') else {
            return Err(format!("label {part:?} is not key=value"));
        };
        let k = k.trim();
        if !exporter_kit::desc::is_valid_label_name(k) {
            return Err(format!("{k:?} is not a valid label name"));
        }
        out.push((k.to_string(), v.trim().to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_parse() {
        assert_eq!(
            parse_labels("cluster=a, env=prod").unwrap_or_default(),
            vec![
                ("cluster".to_string(), "a".to_string()),
                ("env".to_string(), "prod".to_string())
            ]
        );
        assert!(parse_labels("").unwrap_or_default().is_empty());
        assert!(parse_labels("nokey").is_err());
        assert!(parse_labels("1x=y").is_err());
    }
}

#[cfg(test)]
mod boolean_flags {
    /// Every boolean flag, including ones added later, takes upstream's
    /// spellings and sets the value they say.
    #[test]
    fn every_boolean_flag_takes_upstreams_spellings() {
        exporter_kit::testing::assert_boolean_flags(&crate::SPEC, crate::COLLECTORS);
    }
}
