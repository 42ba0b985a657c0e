//! Containers, from container-exporter (cAdvisor compatible): what the
//! usual cAdvisor dashboards ask, per container, with limits and throttling.

use super::{Dashboard, Var, layer_vars, open_row, row, stat, ts};

/// The host-level selector (machine_* families have no `name`).
const MACHINE: &str = r#"job=~"$job",host=~"$host",instance=~"$instance""#;

pub fn dashboard() -> Dashboard {
    let m = |expr: &str| expr.replace("$M", MACHINE);
    let mut vars = layer_vars("container_last_seen");
    vars.push(Var::query(
        "container",
        "container",
        r#"label_values(container_last_seen{job=~"$job",host=~"$host",instance=~"$instance",name!=""}, name)"#,
    ));
    Dashboard {
        uid: "ferroscope-containers",
        title: "Containers",
        description: "Containers from container-exporter (cAdvisor compatible): running count, \
                      CPU, memory, network and disk per container, throttling, OOM kills, \
                      restarts and limits. Raw metrics only; red lines are \
                      prometheus/rules/containers.rules.yml's thresholds."
            .into(),
        vars,
        selector: r#"job=~"$job",host=~"$host",instance=~"$instance",name=~"$container",name!="""#,
        rows: vec![
            open_row(
                "Overview",
                vec![
                    stat("Running containers", "Containers the exporter saw in its last scrape; a drop means containers stopped.")
                        .unit("short")
                        .q("count(container_last_seen{$S}) or vector(0)", "containers"),
                    stat("CPU in use", "CPU cores all selected containers use together.")
                        .unit("short")
                        .q("sum(rate(container_cpu_usage_seconds_total{$S}[5m])) or vector(0)", "cores"),
                    stat("Memory in use", "Working set of all selected containers together (what the kernel cannot reclaim).")
                        .unit("bytes")
                        .q("sum(container_memory_working_set_bytes{$S}) or vector(0)", "working set"),
                    stat("OOM kills (1h)", "Processes the kernel OOM-killed inside the containers in the last hour; any fires ContainerOomKilled.")
                        .unit("short")
                        .q("sum(increase(container_oom_events_total{$S}[1h])) or vector(0)", "OOM kills")
                        .alert_above(1.0, "ContainerOomKilled"),
                    stat("Restarts (15m)", "Container (re)starts in the last 15 minutes; two or more of one container fire ContainerRestarting.")
                        .unit("short")
                        .q("sum(changes(container_start_time_seconds{$S}[15m])) or vector(0)", "restarts")
                        .alert_above(2.0, "ContainerRestarting"),
                    stat("Host memory", "Memory of the machine the containers share.")
                        .unit("bytes")
                        .q(m("machine_memory_bytes{$M}"), "{{instance}}"),
                ],
            ),
            open_row(
                "CPU",
                vec![
                    ts("CPU per container", "CPU cores each container uses; compare with its limit below.")
                        .unit("short")
                        .q("sum by (instance, name) (rate(container_cpu_usage_seconds_total{$S}[$__rate_interval]))", "{{name}}"),
                    ts("CPU of limit", "CPU used as a share of the container's CPU limit (quota/period); near 100% the container is throttled.")
                        .unit("percentunit")
                        .q("sum by (instance, name) (rate(container_cpu_usage_seconds_total{$S}[$__rate_interval])) / on (instance, name) (container_spec_cpu_quota{$S} / container_spec_cpu_period{$S})", "{{name}}")
                        .colors("green", &[(0.9, "orange")])
                        .only_where("a container has a CPU limit (--cpus)"),
                    ts("Throttled periods", "Share of CFS periods in which the container was throttled; above a few percent its latency suffers from the CPU limit.")
                        .unit("percentunit")
                        .max(1.0)
                        .q("rate(container_cpu_cfs_throttled_periods_total{$S}[$__rate_interval]) / rate(container_cpu_cfs_periods_total{$S}[$__rate_interval])", "{{name}}")
                        .colors("green", &[(0.05, "orange"), (0.25, "red")])
                        .only_where("a container has a CPU limit (--cpus)"),
                    ts("Throttled time", "Seconds per second the container was stopped by its CPU limit.")
                        .unit("s")
                        .q("rate(container_cpu_cfs_throttled_seconds_total{$S}[$__rate_interval])", "{{name}}")
                        .only_where("a container has a CPU limit (--cpus)"),
                ],
            ),
            row(
                "Memory",
                vec![
                    ts("Memory working set", "Memory each container uses that the kernel cannot reclaim; what the OOM killer and the limit look at.")
                        .unit("bytes")
                        .q("sum by (instance, name) (container_memory_working_set_bytes{$S})", "{{name}}"),
                    ts("Memory of limit", "Working set as a share of the container's memory limit; above the red line for 5 minutes fires ContainerMemoryNearLimit, at 100% the kernel OOM-kills.")
                        .unit("percentunit")
                        .max(1.0)
                        .q("sum by (instance, name) (container_memory_working_set_bytes{$S}) / sum by (instance, name) (container_spec_memory_limit_bytes{$S} > 0)", "{{name}}")
                        .alert_above(0.9, "ContainerMemoryNearLimit")
                        .only_where("a container has a memory limit (--memory)"),
                    ts("RSS and page cache", "Anonymous memory (RSS) and page cache per container; cache is reclaimable, RSS is not.")
                        .unit("bytes")
                        .q("container_memory_rss{$S}", "{{name}} RSS")
                        .q("container_memory_cache{$S}", "{{name}} cache"),
                    ts("OOM kills", "Processes the kernel OOM-killed inside each container in the interval; any fires ContainerOomKilled.")
                        .unit("short")
                        .q("increase(container_oom_events_total{$S}[$__rate_interval])", "{{name}}")
                        .alert_above(1.0, "ContainerOomKilled"),
                    ts("Memory limit hits", "Times per second a container hit its memory limit (failcnt); hits before an OOM kill mean the limit is too tight.")
                        .unit("ops")
                        .q("rate(container_memory_failcnt{$S}[$__rate_interval])", "{{name}}"),
                    ts("Swap", "Swap each container uses; swap in a container makes it slow.")
                        .unit("bytes")
                        .q("container_memory_swap{$S}", "{{name}}"),
                ],
            ),
            row(
                "Network",
                vec![
                    ts("Traffic", "Bytes received and sent per second per container.")
                        .unit("Bps")
                        .q("sum by (instance, name) (rate(container_network_receive_bytes_total{$S}[$__rate_interval]))", "{{name}} in")
                        .q("sum by (instance, name) (rate(container_network_transmit_bytes_total{$S}[$__rate_interval]))", "{{name}} out"),
                    ts("Errors and drops", "Packets with errors or dropped per second per container; nonzero means a network problem inside the container's namespace.")
                        .unit("pps")
                        .q("sum by (instance, name) (rate(container_network_receive_errors_total{$S}[$__rate_interval]) + rate(container_network_transmit_errors_total{$S}[$__rate_interval]))", "{{name}} errors")
                        .q("sum by (instance, name) (rate(container_network_receive_packets_dropped_total{$S}[$__rate_interval]) + rate(container_network_transmit_packets_dropped_total{$S}[$__rate_interval]))", "{{name}} drops"),
                ],
            ),
            row(
                "Disk",
                vec![
                    ts("Block I/O", "Bytes each container read and wrote to block devices per second (0 for a container that has done no block I/O: the kernel lists a device only after its first I/O).")
                        .unit("Bps")
                        .q(r#"sum by (instance, name) (rate(container_blkio_device_usage_total{$S,operation="Read"}[$__rate_interval])) or sum by (instance, name) (container_last_seen{$S}) * 0"#, "{{name}} read")
                        .q(r#"sum by (instance, name) (rate(container_blkio_device_usage_total{$S,operation="Write"}[$__rate_interval])) or sum by (instance, name) (container_last_seen{$S}) * 0"#, "{{name}} write"),
                    ts("Filesystem usage", "Bytes each container's writable layer and volumes use on the filesystem against its limit.")
                        .unit("bytes")
                        .q("sum by (instance, name) (container_fs_usage_bytes{$S})", "{{name}}")
                        .only_where("the storage driver reports per-container usage"),
                ],
            ),
            row(
                "Lifecycle and limits",
                vec![
                    ts("Restarts", "Container (re)starts in the last 15 minutes; two or more fire ContainerRestarting (a crash loop).")
                        .unit("short")
                        .q("changes(container_start_time_seconds{$S}[15m])", "{{name}}")
                        .alert_above(2.0, "ContainerRestarting"),
                    ts("Uptime", "Time since each container started; a saw-tooth means restarts.")
                        .unit("s")
                        .q("time() - container_start_time_seconds{$S}", "{{name}}"),
                    ts("Memory limits", "The memory limit of each container (0: none); a container without a limit can take the host's memory.")
                        .unit("bytes")
                        .q("container_spec_memory_limit_bytes{$S}", "{{name}}"),
                    ts("CPU limits", "The CPU limit of each container in cores (quota/period); a container without a limit is absent here.")
                        .unit("short")
                        .q("container_spec_cpu_quota{$S} / container_spec_cpu_period{$S}", "{{name}}")
                        .only_where("a container has a CPU limit (--cpus)"),
                ],
            ),
        ],
    }
}
