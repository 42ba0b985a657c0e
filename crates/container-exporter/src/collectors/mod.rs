//! The collectors: `container` (every cgroup, cAdvisor's `container_*`
//! families) and `machine` (`machine_*`, `cadvisor_version_info`).

pub mod container;
pub mod machine;
