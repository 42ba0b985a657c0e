//! What one refresh learns from the cluster: brokers, topics with their
//! partitions and watermarks, consumer groups with members and committed
//! offsets. Plain data, so the rendering rules are tested without a broker.

use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broker {
    pub id: i32,
    /// `host:port`
    pub address: String,
}

#[derive(Debug, Clone, Default)]
pub struct Partition {
    pub id: i32,
    /// Broker id of the leader; None when the broker reported an error.
    pub leader: Option<i32>,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    /// High watermark (offset of the next message); None if not fetched.
    pub newest: Option<i64>,
    /// Log start offset; None if not fetched.
    pub oldest: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct Topic {
    pub name: String,
    pub partitions: Vec<Partition>,
}

#[derive(Debug, Clone, Default)]
pub struct Group {
    pub name: String,
    pub members: usize,
    /// Partitions assigned to the members, by topic.
    pub assigned: HashMap<String, Vec<i32>>,
    /// Committed offsets; None when not fetched (not wanted, or failed).
    pub committed: Option<HashMap<(String, i32), i64>>,
}

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub brokers: Vec<Broker>,
    /// Topics passing the filters, sorted by name.
    pub topics: Vec<Topic>,
    /// Groups passing the filters, sorted by name; None when listing failed.
    pub groups: Option<Vec<Group>>,
    /// Timestamp (ms since the epoch) of the message at (topic, partition,
    /// offset), for lag in seconds.
    pub timestamps: HashMap<(String, i32, i64), i64>,
    /// Milliseconds since the epoch when the snapshot was taken.
    pub taken_ms: i64,
    /// Broker requests made for this snapshot (for the benchmark).
    pub requests: u64,
}

impl Snapshot {
    pub fn topic(&self, name: &str) -> Option<&Topic> {
        self.topics
            .binary_search_by(|t| t.name.as_str().cmp(name))
            .ok()
            .and_then(|i| self.topics.get(i))
    }
}
