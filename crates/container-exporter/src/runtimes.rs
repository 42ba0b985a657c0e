//! Where a cgroup's container metadata (name, image, labels) comes from:
//! the container runtimes' caches in `docker.rs` and `containerd.rs`,
//! behind one lookup the collector asks per cgroup.

use std::sync::Arc;
use std::time::Instant;

use crate::containerd::Containerd;
use crate::docker::{Check, Meta, Watcher};

/// What the runtimes know about a container, by its cgroup's container id.
pub trait Names: Send + Sync + 'static {
    fn get(&self, id: &str) -> Option<Arc<Meta>>;
    fn oom_events(&self, id: &str) -> u64;
    /// A check that the runtime answers by `deadline`, started for one
    /// scrape; None when there is nothing to check.
    fn check(&self, _deadline: Instant) -> Option<Check> {
        None
    }
}

impl Names for Watcher {
    fn get(&self, id: &str) -> Option<Arc<Meta>> {
        Watcher::get(self, id)
    }
    fn oom_events(&self, id: &str) -> u64 {
        Watcher::oom_events(self, id)
    }
    fn check(&self, deadline: Instant) -> Option<Check> {
        Watcher::check(self, deadline)
    }
}

/// Docker's containers first, then containerd's (Kubernetes nodes).
pub struct Runtimes {
    pub docker: Watcher,
    pub containerd: Containerd,
}

impl Names for Runtimes {
    fn get(&self, id: &str) -> Option<Arc<Meta>> {
        self.docker.get(id).or_else(|| self.containerd.get(id))
    }
    fn oom_events(&self, id: &str) -> u64 {
        // containerd's OOM events are the kernel's, which the cgroup's own
        // counter already gives.
        self.docker.oom_events(id)
    }
    fn check(&self, deadline: Instant) -> Option<Check> {
        self.docker.check(deadline)
    }
}

/// No runtime: raw cgroups only.
pub struct NoNames;

impl Names for NoNames {
    fn get(&self, _: &str) -> Option<Arc<Meta>> {
        None
    }
    fn oom_events(&self, _: &str) -> u64 {
        0
    }
}
