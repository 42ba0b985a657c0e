//! The connection to the cluster (one librdkafka client, reused by every
//! refresh) and one refresh: metadata, watermarks, groups, committed offsets.
//! Everything here blocks; the collector runs it on the blocking pool.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::client::ClientContext;
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use regex::Regex;

use crate::args::Args;
use crate::ffi;
use crate::parse::assignment::parse_assignment;
use crate::snapshot::{Broker, Group, Partition, Snapshot, Topic};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("invalid flag {flag}: {message}")]
    Flag { flag: &'static str, message: String },
    #[error("creating the Kafka client: {0}")]
    Create(#[from] KafkaError),
    #[error("reading {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("fetching metadata from {servers}: {source}")]
    Metadata { servers: String, source: KafkaError },
}

/// The options of a refresh that come from flags.
#[derive(Debug, Clone)]
pub struct Filters {
    pub topic_filter: Regex,
    pub topic_exclude: Regex,
    pub group_filter: Regex,
    pub group_exclude: Regex,
    /// Which groups need committed offsets: all (show-all, or groups without
    /// members when asked) or only those with members.
    pub offsets_for_empty_groups: bool,
    pub lag_seconds: bool,
    pub workers: usize,
    pub timeout: Duration,
}

impl Filters {
    pub fn from_args(args: &Args) -> Result<Filters, ClientError> {
        let re = |flag: &'static str, text: &str| {
            Regex::new(text).map_err(|e| ClientError::Flag {
                flag,
                message: e.to_string(),
            })
        };
        Ok(Filters {
            topic_filter: re("--topic.filter", &args.topic_filter)?,
            topic_exclude: re("--topic.exclude", &args.topic_exclude)?,
            group_filter: re("--group.filter", &args.group_filter)?,
            group_exclude: re("--group.exclude", &args.group_exclude)?,
            offsets_for_empty_groups: args.offset_show_all || args.lag_without_members,
            lag_seconds: args.lag_seconds,
            workers: args.topic_workers.max(1),
            timeout: Duration::from_secs_f64(args.timeout.clamp(0.1, 3600.0)),
        })
    }

    fn topic(&self, name: &str) -> bool {
        self.topic_filter.is_match(name) && !self.topic_exclude.is_match(name)
    }

    fn group(&self, name: &str) -> bool {
        self.group_filter.is_match(name) && !self.group_exclude.is_match(name)
    }
}

/// librdkafka settings from kafka_exporter's flags.
pub fn client_config(args: &Args) -> Result<ClientConfig, ClientError> {
    let flag = |flag: &'static str, message: String| ClientError::Flag { flag, message };
    let servers: Vec<&str> = args
        .servers
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if servers.is_empty() {
        return Err(flag("--kafka.server", "no server given".into()));
    }
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", servers.join(","))
        .set("client.id", "kafka_exporter")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false")
        // Sarama's Metadata.AllowAutoTopicCreation, as upstream sets it.
        .set(
            "allow.auto.create.topics",
            if args.allow_auto_topic_creation {
                "true"
            } else {
                "false"
            },
        )
        .set("socket.timeout.ms", "10000")
        .set("socket.connection.setup.timeout.ms", "5000")
        .set("reconnect.backoff.ms", "100")
        .set("reconnect.backoff.max.ms", "2000")
        .set("log.connection.close", "false")
        .set_log_level(RDKafkaLogLevel::Error);
    // Sarama's Metadata.RefreshFrequency: librdkafka's periodic refresh of
    // the cluster's metadata between the exporter's own refreshes.
    let refresh = exporter_kit::duration::parse_go(&args.refresh_metadata)
        .map_err(|e| flag("--refresh.metadata", e.to_string()))?;
    // 0 turns the periodic refresh off in both (librdkafka spells it -1);
    // librdkafka takes at most an hour.
    let refresh_ms = match refresh.as_millis() {
        0 => "-1".to_string(),
        ms => ms.min(3_600_000).to_string(),
    };
    c.set("topic.metadata.refresh.interval.ms", refresh_ms);
    if args.log_enable_sarama {
        // Upstream's sarama logger: the client's own account of connections
        // and requests, logged through the exporter's log (ClientLog).
        c.set("debug", "broker,metadata,protocol,security")
            .set_log_level(RDKafkaLogLevel::Debug);
    }
    if !args.sasl_handshake {
        return Err(flag(
            "--sasl.handshake",
            "false is not supported: librdkafka always sends SaslHandshake (a non-Kafka SASL proxy that needs it off cannot be used)".into(),
        ));
    }
    if !args.tls_server_name.is_empty() {
        return Err(flag(
            "--tls.server-name",
            "not supported: librdkafka verifies each broker's certificate against that broker's own host name and takes no other name".into(),
        ));
    }
    if !args.kafka_version.is_empty() {
        c.set("broker.version.fallback", &args.kafka_version);
    }
    let tls = args.tls_enabled;
    let sasl = args.sasl_enabled;
    c.set(
        "security.protocol",
        match (tls, sasl) {
            (false, false) => "plaintext",
            (true, false) => "ssl",
            (false, true) => "sasl_plaintext",
            (true, true) => "sasl_ssl",
        },
    );
    if sasl {
        let mechanism = match args.sasl_mechanism.to_ascii_lowercase().as_str() {
            "" | "plain" => "PLAIN",
            "sha256" | "scram-sha-256" => "SCRAM-SHA-256",
            "sha512" | "scram-sha-512" => "SCRAM-SHA-512",
            other => {
                return Err(flag(
                    "--sasl.mechanism",
                    format!("{other:?} is not supported (plain, sha256, sha512)"),
                ));
            }
        };
        let mut password = args.sasl_password.clone();
        if let Some(path) = &args.sasl_password_file {
            password = std::fs::read_to_string(path)
                .map_err(|source| ClientError::File {
                    path: path.display().to_string(),
                    source,
                })?
                .trim_end_matches(['\r', '\n'])
                .to_string();
        }
        c.set("sasl.mechanism", mechanism)
            .set("sasl.username", &args.sasl_username)
            .set("sasl.password", password);
    }
    if tls {
        if !args.tls_ca_file.is_empty() {
            c.set("ssl.ca.location", &args.tls_ca_file);
        }
        if !args.tls_cert_file.is_empty() {
            c.set("ssl.certificate.location", &args.tls_cert_file);
        }
        if !args.tls_key_file.is_empty() {
            c.set("ssl.key.location", &args.tls_key_file);
        }
        if args.tls_insecure_skip_verify {
            c.set("enable.ssl.certificate.verification", "false")
                .set("ssl.endpoint.identification.algorithm", "none");
        } else {
            c.set("ssl.endpoint.identification.algorithm", "https");
        }
    }
    Ok(c)
}

/// Most cached message timestamps kept for lag in seconds.
const TIMESTAMP_CACHE: usize = 100_000;

/// Sends librdkafka's log lines to the exporter's log instead of the `log`
/// crate (which nothing reads here): at info with `--log.enable-sarama`
/// (upstream prints sarama's log unconditionally then), else at debug.
pub struct ClientLog {
    verbose: bool,
}

impl ClientContext for ClientLog {
    fn log(&self, _level: RDKafkaLogLevel, facility: &str, message: &str) {
        if self.verbose {
            tracing::info!(target: "librdkafka", client = "librdkafka", facility, "{message}");
        } else {
            tracing::debug!(target: "librdkafka", client = "librdkafka", facility, "{message}");
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::debug!(target: "librdkafka", %error, reason);
    }
}

impl ConsumerContext for ClientLog {}

type Client = BaseConsumer<ClientLog>;

pub struct Kafka {
    consumer: Client,
    /// For lag in seconds: reads single messages at committed offsets.
    reader: Option<Client>,
    servers: String,
    filters: Filters,
    timestamps: Mutex<HashMap<(String, i32, i64), i64>>,
}

impl Kafka {
    /// Creates the client. Never connects here: a broker that is down only
    /// makes refreshes fail until it is back.
    pub fn new(args: &Args) -> Result<Kafka, ClientError> {
        let config = client_config(args)?;
        let filters = Filters::from_args(args)?;
        let context = || ClientLog {
            verbose: args.log_enable_sarama,
        };
        let consumer: Client = config.create_with_context(context())?;
        let reader = if filters.lag_seconds {
            let mut c = config.clone();
            c.set("group.id", "kafka_exporter_lag_seconds")
                .set("fetch.wait.max.ms", "100")
                .set("fetch.max.bytes", "1048576")
                .set("max.partition.fetch.bytes", "65536");
            Some(c.create_with_context::<_, Client>(context())?)
        } else {
            None
        };
        Ok(Kafka {
            consumer,
            reader,
            servers: args.servers.join(","),
            filters,
            timestamps: Mutex::new(HashMap::new()),
        })
    }

    /// `--kafka.timeout`: the most a refresh may take.
    pub fn timeout(&self) -> Duration {
        self.filters.timeout
    }

    fn budget(&self, deadline: Instant) -> Duration {
        deadline
            .saturating_duration_since(Instant::now())
            .min(self.filters.timeout)
            .max(Duration::from_millis(50))
    }

    /// One refresh of everything, done by `deadline` (what is not done by
    /// then is left out and logged).
    pub fn refresh(&self, deadline: Instant) -> Result<Snapshot, RefreshError> {
        self.serve_client_events();
        let metadata = self
            .consumer
            .fetch_metadata(None, self.budget(deadline))
            .map_err(|source| RefreshError::Metadata {
                servers: self.servers.clone(),
                source,
            })?;
        let mut snap = Snapshot {
            requests: 1,
            taken_ms: now_ms(),
            ..Snapshot::default()
        };
        snap.brokers = metadata
            .brokers()
            .iter()
            .map(|b| Broker {
                id: b.id(),
                address: format!("{}:{}", b.host(), b.port()),
            })
            .collect();
        for t in metadata.topics() {
            if t.error().is_some() || !self.filters.topic(t.name()) {
                continue;
            }
            let mut partitions: Vec<Partition> = t
                .partitions()
                .iter()
                .map(|p| Partition {
                    id: p.id(),
                    leader: (p.error().is_none() && p.leader() >= 0).then_some(p.leader()),
                    replicas: p.replicas().to_vec(),
                    isr: p.isr().to_vec(),
                    newest: None,
                    oldest: None,
                })
                .collect();
            partitions.sort_by_key(|p| p.id);
            snap.topics.push(Topic {
                name: t.name().to_string(),
                partitions,
            });
        }
        snap.topics.sort_by(|a, b| a.name.cmp(&b.name));
        drop(metadata);

        // Watermarks and groups at once: they do not depend on each other.
        let (watermarks, groups) = std::thread::scope(|s| {
            let brokers = snap.brokers.len() as u64;
            let groups = s.spawn(move || self.groups(deadline, brokers));
            let newest = self.list_offsets(&snap.topics, Offset::End, deadline);
            let oldest = self.list_offsets(&snap.topics, Offset::Beginning, deadline);
            let groups = groups.join().unwrap_or((None, 0));
            ((newest, oldest), groups)
        });
        let (newest, oldest) = watermarks;
        snap.requests += 2;
        for topic in &mut snap.topics {
            for p in &mut topic.partitions {
                let key = (topic.name.clone(), p.id);
                p.newest = newest.get(&key).copied();
                p.oldest = oldest.get(&key).copied();
            }
        }
        snap.groups = groups.0;
        snap.requests += groups.1;
        if self.filters.lag_seconds {
            self.message_timestamps(&mut snap, deadline);
        }
        self.serve_client_events();
        Ok(snap)
    }

    /// Hands the client's queued log lines and errors to [`ClientLog`]:
    /// rdkafka queues them on the consumer's queue, which only a poll
    /// serves (and which would otherwise grow). The consumer subscribes to
    /// nothing, so a poll returns no message. A poll serves one event, and
    /// rdkafka does not say whether it served one: the queue's length
    /// bounds the polls.
    fn serve_client_events(&self) {
        let pending = ffi::main_queue_length(self.consumer.client().native_ptr());
        for _ in 0..pending {
            let _ = self.consumer.poll(Duration::ZERO);
        }
    }

    /// ListOffsets for every partition in one call (librdkafka batches it per
    /// leader): `End` gives high watermarks, `Beginning` log start offsets.
    fn list_offsets(
        &self,
        topics: &[Topic],
        which: Offset,
        deadline: Instant,
    ) -> HashMap<(String, i32), i64> {
        let mut out = HashMap::new();
        let mut tpl = TopicPartitionList::new();
        for t in topics {
            for p in &t.partitions {
                if tpl.add_partition_offset(&t.name, p.id, which).is_err() {
                    tracing::debug!(topic = %t.name, partition = p.id, "cannot add partition");
                }
            }
        }
        if tpl.count() == 0 {
            return out;
        }
        match self.consumer.offsets_for_times(tpl, self.budget(deadline)) {
            Ok(list) => {
                for e in list.elements() {
                    if let (Offset::Offset(o), None) = (e.offset(), e.error().err()) {
                        out.insert((e.topic().to_string(), e.partition()), o);
                    } else {
                        tracing::debug!(topic = e.topic(), partition = e.partition(), offset = ?e.offset(), "no offset");
                    }
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, which = ?which, "cannot list partition offsets")
            }
        }
        out
    }

    /// Groups (ListGroups + DescribeGroups on every broker) and their
    /// committed offsets; the number of requests made.
    fn groups(&self, deadline: Instant, brokers: u64) -> (Option<Vec<Group>>, u64) {
        let list = match self.consumer.fetch_group_list(None, self.budget(deadline)) {
            Ok(list) => list,
            Err(err) => {
                tracing::warn!(error = %err, "cannot list consumer groups");
                return (None, brokers);
            }
        };
        let mut groups: Vec<Group> = Vec::new();
        for g in list.groups() {
            if !self.filters.group(g.name()) {
                continue;
            }
            let mut assigned: HashMap<String, Vec<i32>> = HashMap::new();
            for m in g.members() {
                match parse_assignment(m.assignment().unwrap_or_default()) {
                    Ok(topics) => {
                        for (t, ps) in topics {
                            assigned.entry(t).or_default().extend(ps);
                        }
                    }
                    Err(err) => {
                        tracing::debug!(group = g.name(), error = %err, "cannot read a member's assignment")
                    }
                }
            }
            groups.push(Group {
                name: g.name().to_string(),
                members: g.members().len(),
                assigned,
                committed: None,
            });
        }
        drop(list);
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        groups.dedup_by(|a, b| a.name == b.name);
        let wanted: Vec<usize> = (0..groups.len())
            .filter(|&i| self.filters.offsets_for_empty_groups || groups[i].members > 0)
            .collect();
        let names: Vec<String> = wanted.iter().map(|&i| groups[i].name.clone()).collect();
        let fetch_deadline = Instant::now() + self.budget(deadline);
        let results = ffi::list_group_offsets(
            self.consumer.client().native_ptr(),
            &names,
            self.filters.workers,
            fetch_deadline,
        );
        let mut failed = 0;
        for (i, result) in wanted.into_iter().zip(results) {
            match result {
                Ok(committed) => groups[i].committed = Some(committed),
                Err(err) => {
                    failed += 1;
                    tracing::debug!(group = %groups[i].name, error = %err, "cannot fetch committed offsets");
                }
            }
        }
        if failed > 0 {
            tracing::warn!(
                groups = failed,
                "committed offsets of some groups could not be fetched"
            );
        }
        // ListGroups and DescribeGroups per broker, one OffsetFetch per group.
        (Some(groups), 2 * brokers + names.len() as u64)
    }

    /// Timestamps of the messages at the groups' committed offsets (for lag
    /// in seconds). Each (topic, partition, offset) is read once and cached:
    /// the message at an offset never changes.
    fn message_timestamps(&self, snap: &mut Snapshot, deadline: Instant) {
        let Some(reader) = &self.reader else { return };
        let mut cache = match self.timestamps.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        // Offsets wanted, by partition: lagging committed offsets only.
        let mut wanted: HashMap<(String, i32), Vec<i64>> = HashMap::new();
        for g in snap.groups.iter().flatten() {
            for ((t, p), &o) in g.committed.iter().flatten() {
                let newest = snap
                    .topic(t)
                    .and_then(|t| t.partitions.iter().find(|x| x.id == *p))
                    .and_then(|x| x.newest);
                if o >= 0
                    && newest.is_some_and(|n| o < n)
                    && !cache.contains_key(&(t.clone(), *p, o))
                {
                    wanted.entry((t.clone(), *p)).or_default().push(o);
                }
            }
        }
        for v in wanted.values_mut() {
            v.sort_unstable();
            v.dedup();
        }
        // Round k reads the k-th wanted offset of every partition at once.
        let mut round = 0;
        loop {
            let mut tpl = TopicPartitionList::new();
            for ((t, p), offsets) in &wanted {
                if let Some(&o) = offsets.get(round) {
                    let _ = tpl.add_partition_offset(t, *p, Offset::Offset(o));
                }
            }
            if tpl.count() == 0 || Instant::now() >= deadline {
                break;
            }
            let mut pending: HashMap<(String, i32), i64> = tpl
                .elements()
                .iter()
                .filter_map(|e| match e.offset() {
                    Offset::Offset(o) => Some(((e.topic().to_string(), e.partition()), o)),
                    _ => None,
                })
                .collect();
            if let Err(err) = reader.assign(&tpl) {
                tracing::warn!(error = %err, "cannot read messages for lag in seconds");
                break;
            }
            snap.requests += 1;
            while !pending.is_empty() && Instant::now() < deadline {
                let Some(result) = reader.poll(Duration::from_millis(100)) else {
                    continue;
                };
                let Ok(m) = result else { continue };
                let key = (m.topic().to_string(), m.partition());
                if let Some(&o) = pending.get(&key)
                    && m.offset() >= o
                {
                    if let Some(ts) = m.timestamp().to_millis() {
                        cache.insert((key.0.clone(), key.1, o), ts);
                    }
                    pending.remove(&key);
                }
            }
            round += 1;
        }
        let _ = reader.unassign();
        if cache.len() > TIMESTAMP_CACHE {
            cache.clear();
        }
        for g in snap.groups.iter().flatten() {
            for ((t, p), &o) in g.committed.iter().flatten() {
                if let Some(&ts) = cache.get(&(t.clone(), *p, o)) {
                    snap.timestamps.insert((t.clone(), *p, o), ts);
                }
            }
        }
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(argv: &[&str]) -> Args {
        let mut full = vec!["kafka-exporter"];
        full.extend_from_slice(argv);
        match exporter_kit::args::parse_from(&crate::SPEC, crate::COLLECTORS, full) {
            Ok(cli) => cli.args,
            Err(e) => panic!("flags: {e}"),
        }
    }

    /// Upstream's sarama settings become librdkafka's.
    #[test]
    fn metadata_refresh_auto_creation_and_client_logging_follow_flags() {
        let c = client_config(&args(&[])).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.get("topic.metadata.refresh.interval.ms"), Some("30000"));
        assert_eq!(c.get("allow.auto.create.topics"), Some("false"));
        assert_eq!(c.get("debug"), None);
        let c = client_config(&args(&[
            "--refresh.metadata=1m30s",
            "--kafka.allow-auto-topic-creation",
            "--log.enable-sarama",
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.get("topic.metadata.refresh.interval.ms"), Some("90000"));
        assert_eq!(c.get("allow.auto.create.topics"), Some("true"));
        assert!(c.get("debug").is_some_and(|d| d.contains("broker")));
        for (flag, named) in [
            ("--refresh.metadata=soon", "--refresh.metadata"),
            ("--no-sasl.handshake", "--sasl.handshake"),
            ("--tls.server-name=kafka.internal", "--tls.server-name"),
        ] {
            let err = client_config(&args(&[flag])).err().map(|e| e.to_string());
            assert!(
                err.as_deref().is_some_and(|e| e.contains(named)),
                "{flag}: {err:?}"
            );
        }
    }

    #[test]
    fn servers_repeat_and_security_follows_flags() {
        let a = args(&["--kafka.server", "a:9092", "--kafka.server=b:9093"]);
        let c = client_config(&a).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.get("bootstrap.servers"), Some("a:9092,b:9093"));
        assert_eq!(c.get("security.protocol"), Some("plaintext"));

        let dir = std::env::temp_dir().join(format!("kafka-exporter-test-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let file = dir.join("password");
        let _ = std::fs::write(&file, "s3cret\n");
        let a = args(&[
            "--sasl.enabled",
            "--sasl.mechanism=sha512",
            "--sasl.username=u",
            "--sasl.password-file",
            &file.to_string_lossy(),
            "--tls.enabled",
            "--tls.insecure-skip-tls-verify",
        ]);
        let c = client_config(&a).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.get("security.protocol"), Some("sasl_ssl"));
        assert_eq!(c.get("sasl.mechanism"), Some("SCRAM-SHA-512"));
        assert_eq!(c.get("sasl.password"), Some("s3cret"));
        assert_eq!(c.get("enable.ssl.certificate.verification"), Some("false"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn bad_flags_are_startup_errors_not_panics() {
        let a = args(&["--sasl.enabled", "--sasl.mechanism", "gssapi"]);
        assert!(matches!(client_config(&a), Err(ClientError::Flag { .. })));
        let a = args(&["--topic.filter", "("]);
        assert!(Filters::from_args(&a).is_err());
        let a = args(&["--no-offset.show-all"]);
        assert!(!a.offset_show_all);
        let a = args(&["--offset.show-all=false"]);
        assert!(!a.offset_show_all);
        let a = args(&[]);
        assert!(a.offset_show_all);
        assert_eq!(a.servers, vec!["kafka:9092".to_string()]);
    }
}
