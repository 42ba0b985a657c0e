//! Hosts, from node-exporter: the questions of "Node Exporter Full"
//! (grafana.com 1860) over the families our node-exporter exposes.

use super::{Dashboard, LAYER_SELECTOR, layer_vars, open_row, row, stat, ts};

const FS: &str = r#"fstype!~"tmpfs|ramfs|overlay|squashfs""#;

/// The collectors ExporterCollectorFailing leaves out
/// (prometheus/rules/exporters.rules.yml): they fail where the hardware or
/// kernel feature is absent.
pub(super) const HARDWARE: &str = r#"collector!~"bcachefs|bonding|dmi|dmmultipath|fibrechannel|hwmon|infiniband|ipvs|mdadm|nfs|nfsd|nvme|powersupplyclass|rapl|schedstat|systemd|tapestats|thermal_zone|watchdog|zfs""#;

pub fn dashboard() -> Dashboard {
    let fs = |expr: &str| expr.replace("$FS", FS);
    Dashboard {
        uid: "ferroscope-node",
        title: "Node (hosts)",
        description: "Hosts from node-exporter: CPU, memory, disks, filesystems, network, \
                      system and the exporter itself. Raw metrics only (no recording \
                      rules needed); red lines are prometheus/rules/node.rules.yml's thresholds."
            .into(),
        vars: layer_vars("node_uname_info"),
        selector: LAYER_SELECTOR,
        rows: vec![
            open_row(
                "Quick CPU / memory / disk",
                vec![
                    stat("Uptime", "Time since the host booted; a small value means it restarted recently.")
                        .unit("s")
                        .q("time() - node_boot_time_seconds{$S}", "{{instance}}"),
                    stat("CPU cores", "Logical CPUs the host has (the ceiling for load and CPU seconds).")
                        .unit("none")
                        .q(r#"count by (instance) (node_cpu_seconds_total{$S,mode="idle"})"#, "{{instance}}"),
                    stat("CPU busy", "Share of CPU time not idle over the last 5 minutes; sustained high values slow everything on the host.")
                        .unit("percentunit")
                        .q(r#"1 - avg by (instance) (rate(node_cpu_seconds_total{$S,mode="idle"}[5m]))"#, "{{instance}}")
                        .alert_above(0.8, "HostHighCpu"),
                    stat("Memory used", "Share of memory not available to new work (1 - MemAvailable/MemTotal); near 100% the kernel reclaims hard and OOM-kills.")
                        .unit("percentunit")
                        .q("1 - node_memory_MemAvailable_bytes{$S} / node_memory_MemTotal_bytes{$S}", "{{instance}}")
                        .alert_above(0.9, "HostHighMemory"),
                    stat("Swap used", "Share of swap in use; growing swap use means memory pressure.")
                        .unit("percentunit")
                        .q("1 - node_memory_SwapFree_bytes{$S} / (node_memory_SwapTotal_bytes{$S} > 0) or (node_memory_SwapTotal_bytes{$S} * 0)", "{{instance}}")
                        .colors("green", &[(0.5, "orange"), (0.8, "red")]),
                    stat("Fullest filesystem", "Used share of the fullest real filesystem; the alert fires when less than 20% is free and it is still filling.")
                        .unit("percentunit")
                        .q(fs("max by (instance) (1 - node_filesystem_avail_bytes{$S,$FS} / node_filesystem_size_bytes{$S,$FS})"), "{{instance}}")
                        .alert_above(0.8, "HostDiskFillingUp"),
                ],
            ),
            open_row(
                "CPU",
                vec![
                    ts("CPU by mode", "CPU time per mode as a share of all CPUs; high iowait means waiting for disks, high steal a noisy neighbour, high system the kernel.")
                        .unit("percentunit")
                        .max(1.0)
                        .stacked()
                        .q(r#"sum by (instance, mode) (rate(node_cpu_seconds_total{$S,mode!="idle"}[$__rate_interval])) / on (instance) group_left count by (instance) (node_cpu_seconds_total{$S,mode="idle"})"#, "{{instance}} {{mode}}"),
                    ts("Load against cores", "Load averages beside the number of CPUs; load above the core count means runnable work is queuing.")
                        .unit("short")
                        .q("node_load1{$S}", "{{instance}} 1m")
                        .q("node_load5{$S}", "{{instance}} 5m")
                        .q("node_load15{$S}", "{{instance}} 15m")
                        .q(r#"count by (instance) (node_cpu_seconds_total{$S,mode="idle"})"#, "{{instance}} cores"),
                    ts("CPU busy per host", "Share of CPU time not idle (5-minute average, as the alert computes it); above the red line for 10 minutes fires HostHighCpu.")
                        .unit("percentunit")
                        .max(1.0)
                        .q(r#"1 - avg by (instance) (rate(node_cpu_seconds_total{$S,mode="idle"}[5m]))"#, "{{instance}}")
                        .alert_above(0.8, "HostHighCpu"),
                    ts("CPU pressure (PSI)", "Share of time some task waited for a CPU (pressure stall information); sustained values above ~20% mean CPU contention.")
                        .unit("percentunit")
                        .q("rate(node_pressure_cpu_waiting_seconds_total{$S}[$__rate_interval])", "{{instance}} some waiting")
                        .only_where("the kernel has pressure stall information (Linux 4.20+, /proc/pressure)"),
                    ts("Context switches and interrupts", "Context switches and interrupts per second; a sudden jump often explains a rise in system CPU.")
                        .unit("ops")
                        .q("rate(node_context_switches_total{$S}[$__rate_interval])", "{{instance}} context switches")
                        .q("rate(node_intr_total{$S}[$__rate_interval])", "{{instance}} interrupts"),
                    ts("Run queue wait", "Time per second tasks waited on a CPU's run queue (schedstat), per CPU; a rising wait means more runnable work than CPUs.")
                        .unit("s")
                        .q("sum by (instance) (rate(node_schedstat_waiting_seconds_total{$S}[$__rate_interval]))", "{{instance}} waiting")
                        .q("sum by (instance) (rate(node_schedstat_running_seconds_total{$S}[$__rate_interval]))", "{{instance}} running")
                        .only_where("the kernel exposes /proc/schedstat"),
                    ts("Threads and processes", "Threads and PIDs in use against the kernel's limits; at the limit fork() fails.")
                        .unit("short")
                        .q("node_processes_threads{$S}", "{{instance}} threads")
                        .q("node_processes_max_threads{$S}", "{{instance}} max threads")
                        .q("node_processes_pids{$S}", "{{instance}} PIDs")
                        .q("node_processes_max_processes{$S}", "{{instance}} max PIDs")
                        .only_where("node-exporter runs with --collector.processes"),
                    ts("Processes", "Runnable and blocked (usually on I/O) processes and new processes per second; many blocked processes point at a stuck disk or NFS.")
                        .unit("short")
                        .q("node_procs_running{$S}", "{{instance}} running")
                        .q("node_procs_blocked{$S}", "{{instance}} blocked")
                        .q("rate(node_forks_total{$S}[$__rate_interval])", "{{instance}} forks/s"),
                    ts("CPU frequency", "Current clock per CPU against its maximum; clocks stuck low under load mean thermal or power throttling.")
                        .unit("hertz")
                        .q("avg by (instance) (node_cpu_scaling_frequency_hertz{$S})", "{{instance}} average")
                        .q("max by (instance) (node_cpu_scaling_frequency_max_hertz{$S})", "{{instance}} max")
                        .only_where("the host exposes cpufreq (/sys/devices/system/cpu/cpu*/cpufreq; most VMs and containers do not)"),
                ],
            ),
            row(
                "Memory",
                vec![
                    ts("Memory breakdown", "Where memory goes: used by processes, page cache, buffers, reclaimable slab and free; only 'used' growing toward the total is a problem.")
                        .unit("bytes")
                        .stacked()
                        .q("node_memory_MemTotal_bytes{$S} - node_memory_MemFree_bytes{$S} - node_memory_Buffers_bytes{$S} - node_memory_Cached_bytes{$S} - node_memory_SReclaimable_bytes{$S}", "{{instance}} used")
                        .q("node_memory_Cached_bytes{$S}", "{{instance}} cached")
                        .q("node_memory_Buffers_bytes{$S}", "{{instance}} buffers")
                        .q("node_memory_SReclaimable_bytes{$S}", "{{instance}} slab reclaimable")
                        .q("node_memory_MemFree_bytes{$S}", "{{instance}} free"),
                    ts("Memory utilisation", "Share of memory not available (1 - MemAvailable/MemTotal, as the alert computes it); above the red line for 10 minutes fires HostHighMemory.")
                        .unit("percentunit")
                        .max(1.0)
                        .q("1 - node_memory_MemAvailable_bytes{$S} / node_memory_MemTotal_bytes{$S}", "{{instance}}")
                        .alert_above(0.9, "HostHighMemory"),
                    ts("Available, total and committed", "MemAvailable against MemTotal, and memory promised to processes (Committed_AS); committed far above total risks OOM kills under load.")
                        .unit("bytes")
                        .q("node_memory_MemTotal_bytes{$S}", "{{instance}} total")
                        .q("node_memory_MemAvailable_bytes{$S}", "{{instance}} available")
                        .q("node_memory_Committed_AS_bytes{$S}", "{{instance}} committed"),
                    ts("Swap", "Swap in use and the swap size; swap in use growing together with swap-ins means the host is short of memory.")
                        .unit("bytes")
                        .q("node_memory_SwapTotal_bytes{$S} - node_memory_SwapFree_bytes{$S}", "{{instance}} used")
                        .q("node_memory_SwapTotal_bytes{$S}", "{{instance}} total"),
                    ts("Swap and paging activity", "Pages swapped in/out and major page faults (reads from disk) per second; sustained swap-ins make everything slow.")
                        .unit("ops")
                        .q("rate(node_vmstat_pswpin{$S}[$__rate_interval])", "{{instance}} swap in")
                        .q("rate(node_vmstat_pswpout{$S}[$__rate_interval])", "{{instance}} swap out")
                        .q("rate(node_vmstat_pgmajfault{$S}[$__rate_interval])", "{{instance}} major faults"),
                    ts("Memory pressure (PSI)", "Share of time some / all tasks stalled waiting for memory; any sustained 'full' stall means thrashing.")
                        .unit("percentunit")
                        .q("rate(node_pressure_memory_waiting_seconds_total{$S}[$__rate_interval])", "{{instance}} some")
                        .q("rate(node_pressure_memory_stalled_seconds_total{$S}[$__rate_interval])", "{{instance}} full")
                        .only_where("the kernel has pressure stall information (Linux 4.20+, /proc/pressure)"),
                    ts("Active and inactive", "Anonymous and file-backed memory the kernel considers in active use or reclaimable; little inactive file memory means the page cache is squeezed.")
                        .unit("bytes")
                        .q("node_memory_Active_anon_bytes{$S}", "{{instance}} active anon")
                        .q("node_memory_Inactive_anon_bytes{$S}", "{{instance}} inactive anon")
                        .q("node_memory_Active_file_bytes{$S}", "{{instance}} active file")
                        .q("node_memory_Inactive_file_bytes{$S}", "{{instance}} inactive file"),
                    ts("Paging", "Kilobytes paged in from and out to disk and page faults per second; page-ins with high major faults mean the working set does not fit.")
                        .unit("ops")
                        .q("rate(node_vmstat_pgpgin{$S}[$__rate_interval])", "{{instance}} paged in")
                        .q("rate(node_vmstat_pgpgout{$S}[$__rate_interval])", "{{instance}} paged out")
                        .q("rate(node_vmstat_pgfault{$S}[$__rate_interval])", "{{instance}} faults"),
                    ts("Huge pages", "Huge pages reserved and free; reserved but unused huge pages are memory nobody else can have.")
                        .unit("short")
                        .q("node_memory_HugePages_Total{$S}", "{{instance}} total")
                        .q("node_memory_HugePages_Free{$S}", "{{instance}} free"),
                    ts("Kernel memory", "Memory the kernel itself uses: stacks, vmalloc, per-CPU areas, locked and unevictable pages; steady growth is a kernel or driver leak.")
                        .unit("bytes")
                        .q("node_memory_KernelStack_bytes{$S}", "{{instance}} kernel stacks")
                        .q("node_memory_VmallocUsed_bytes{$S}", "{{instance}} vmalloc")
                        .q("node_memory_Percpu_bytes{$S}", "{{instance}} per-CPU")
                        .q("node_memory_Mlocked_bytes{$S}", "{{instance}} locked")
                        .q("node_memory_Unevictable_bytes{$S}", "{{instance}} unevictable"),
                    ts("OOM kills", "Processes the kernel's OOM killer ended in the interval; any is bad: something ran out of memory.")
                        .unit("short")
                        .q("increase(node_vmstat_oom_kill{$S}[$__rate_interval])", "{{instance}}")
                        .colors("green", &[(1.0, "red")]),
                    ts("Dirty, writeback, slab, page tables", "Kernel memory: dirty pages waiting for disk, pages being written, unreclaimable slab and page tables; unreclaimable slab that only grows is a kernel leak.")
                        .unit("bytes")
                        .q("node_memory_Dirty_bytes{$S}", "{{instance}} dirty")
                        .q("node_memory_Writeback_bytes{$S}", "{{instance}} writeback")
                        .q("node_memory_SUnreclaim_bytes{$S}", "{{instance}} slab unreclaimable")
                        .q("node_memory_PageTables_bytes{$S}", "{{instance}} page tables")
                        .q("node_memory_Shmem_bytes{$S}", "{{instance}} shared"),
                ],
            ),
            row(
                "Disk",
                vec![
                    ts("IOPS", "Completed reads and writes per second per device; compare with what the device can do.")
                        .unit("iops")
                        .q("rate(node_disk_reads_completed_total{$S}[$__rate_interval])", "{{instance}} {{device}} reads")
                        .q("rate(node_disk_writes_completed_total{$S}[$__rate_interval])", "{{instance}} {{device}} writes"),
                    ts("Throughput", "Bytes read and written per second per device.")
                        .unit("Bps")
                        .q("rate(node_disk_read_bytes_total{$S}[$__rate_interval])", "{{instance}} {{device}} read")
                        .q("rate(node_disk_written_bytes_total{$S}[$__rate_interval])", "{{instance}} {{device}} written"),
                    ts("Latency", "Average time per completed read and write; tens of milliseconds on SSDs (hundreds on disks) mean an overloaded or failing device.")
                        .unit("s")
                        .q("rate(node_disk_read_time_seconds_total{$S}[$__rate_interval]) / rate(node_disk_reads_completed_total{$S}[$__rate_interval])", "{{instance}} {{device}} read")
                        .q("rate(node_disk_write_time_seconds_total{$S}[$__rate_interval]) / rate(node_disk_writes_completed_total{$S}[$__rate_interval])", "{{instance}} {{device}} write"),
                    ts("Utilisation", "Share of time the device had I/O in flight; near 100% a single-queue device is saturated (SSDs/NVMe can go on past it).")
                        .unit("percentunit")
                        .max(1.0)
                        .q("rate(node_disk_io_time_seconds_total{$S}[$__rate_interval])", "{{instance}} {{device}}"),
                    ts("Merged requests", "Adjacent reads and writes the kernel merged per second per device; sequential workloads merge a lot, random ones do not.")
                        .unit("ops")
                        .q("rate(node_disk_reads_merged_total{$S}[$__rate_interval])", "{{instance}} {{device}} reads")
                        .q("rate(node_disk_writes_merged_total{$S}[$__rate_interval])", "{{instance}} {{device}} writes"),
                    ts("I/O in progress", "Requests in flight on each device right now; stuck above zero with no throughput means a hung device.")
                        .unit("short")
                        .q("node_disk_io_now{$S}", "{{instance}} {{device}}"),
                    ts("Discards and flushes", "Discard (TRIM) and flush requests completed per second per device.")
                        .unit("ops")
                        .q("rate(node_disk_discards_completed_total{$S}[$__rate_interval])", "{{instance}} {{device}} discards")
                        .q("rate(node_disk_flush_requests_total{$S}[$__rate_interval])", "{{instance}} {{device}} flushes"),
                    ts("Queue depth", "Average requests in flight (weighted I/O time); a queue that keeps growing means the device cannot keep up.")
                        .unit("short")
                        .q("rate(node_disk_io_time_weighted_seconds_total{$S}[$__rate_interval])", "{{instance}} {{device}}"),
                    ts("I/O pressure (PSI)", "Share of time some / all tasks stalled on I/O; sustained 'full' stalls mean the disks hold the host back.")
                        .unit("percentunit")
                        .q("rate(node_pressure_io_waiting_seconds_total{$S}[$__rate_interval])", "{{instance}} some")
                        .q("rate(node_pressure_io_stalled_seconds_total{$S}[$__rate_interval])", "{{instance}} full")
                        .only_where("the kernel has pressure stall information (Linux 4.20+, /proc/pressure)"),
                ],
            ),
            row(
                "Filesystems",
                vec![
                    ts("Space free", "Share of each real filesystem still available to unprivileged users; the alert fires below the red line when the last 6 hours predict full within a day.")
                        .unit("percentunit")
                        .max(1.0)
                        .q(fs("node_filesystem_avail_bytes{$S,$FS} / node_filesystem_size_bytes{$S,$FS}"), "{{instance}} {{mountpoint}}")
                        .alert_below(0.2, "HostDiskFillingUp"),
                    ts("Space free in 24 hours (prediction)", "Free bytes a day from now at the rate of the last 6 hours (as HostDiskFillingUp predicts); below zero means the filesystem fills within a day.")
                        .unit("bytes")
                        .q(fs("predict_linear(node_filesystem_avail_bytes{$S,$FS}[6h], 24 * 3600)"), "{{instance}} {{mountpoint}}")
                        .alert_below(0.0, "HostDiskFillingUp"),
                    ts("Space used", "Bytes used against the size of each real filesystem.")
                        .unit("bytes")
                        .q(fs("node_filesystem_size_bytes{$S,$FS} - node_filesystem_avail_bytes{$S,$FS}"), "{{instance}} {{mountpoint}} used")
                        .q(fs("node_filesystem_size_bytes{$S,$FS}"), "{{instance}} {{mountpoint}} size"),
                    ts("Inodes free", "Share of inodes still free; at zero no file can be created even with space left (many small files).")
                        .unit("percentunit")
                        .max(1.0)
                        .q(fs("node_filesystem_files_free{$S,$FS} / node_filesystem_files{$S,$FS}"), "{{instance}} {{mountpoint}}")
                        .colors("red", &[(0.1, "orange"), (0.2, "green")]),
                    ts("Read-only and erroring filesystems", "Filesystems mounted read-only (1) or whose statfs failed (1); a filesystem flipping to read-only after errors is an emergency.")
                        .unit("short")
                        .q(fs("node_filesystem_readonly{$S,$FS}"), "{{instance}} {{mountpoint}} read-only")
                        .q(fs("node_filesystem_device_error{$S,$FS}"), "{{instance}} {{mountpoint}} error"),
                ],
            ),
            row(
                "Network",
                vec![
                    ts("Traffic", "Bytes received and sent per second per interface (loopback left out); compare with the link speed.")
                        .unit("Bps")
                        .q(r#"rate(node_network_receive_bytes_total{$S,device!="lo"}[$__rate_interval])"#, "{{instance}} {{device}} in")
                        .q(r#"rate(node_network_transmit_bytes_total{$S,device!="lo"}[$__rate_interval])"#, "{{instance}} {{device}} out"),
                    ts("Packets", "Packets received and sent per second per interface.")
                        .unit("pps")
                        .q(r#"rate(node_network_receive_packets_total{$S,device!="lo"}[$__rate_interval])"#, "{{instance}} {{device}} in")
                        .q(r#"rate(node_network_transmit_packets_total{$S,device!="lo"}[$__rate_interval])"#, "{{instance}} {{device}} out"),
                    ts("Errors and drops", "Packets with errors or dropped per second per interface; anything but zero points at a bad link, driver or full queues.")
                        .unit("pps")
                        .q("rate(node_network_receive_errs_total{$S}[$__rate_interval]) + rate(node_network_transmit_errs_total{$S}[$__rate_interval])", "{{instance}} {{device}} errors")
                        .q("rate(node_network_receive_drop_total{$S}[$__rate_interval]) + rate(node_network_transmit_drop_total{$S}[$__rate_interval])", "{{instance}} {{device}} drops"),
                    ts("TCP retransmits", "Share of sent TCP segments that were retransmissions; above ~1% means packet loss on the path.")
                        .unit("percentunit")
                        .q("rate(node_netstat_Tcp_RetransSegs{$S}[$__rate_interval]) / rate(node_netstat_Tcp_OutSegs{$S}[$__rate_interval])", "{{instance}}")
                        .colors("green", &[(0.01, "orange"), (0.05, "red")]),
                    ts("TCP listen overflows and drops", "Connections the kernel dropped because a listening socket's accept queue was full; any means a server cannot accept fast enough.")
                        .unit("ops")
                        .q("rate(node_netstat_TcpExt_ListenOverflows{$S}[$__rate_interval])", "{{instance}} overflows")
                        .q("rate(node_netstat_TcpExt_ListenDrops{$S}[$__rate_interval])", "{{instance}} drops")
                        .colors("green", &[(0.01, "red")]),
                    ts("Interfaces up and carrier changes", "Whether each interface is operationally up (1) and how often its link went down and up; a flapping link explains drops and retransmits.")
                        .unit("short")
                        .q(r#"node_network_up{$S,device!="lo"}"#, "{{instance}} {{device}} up")
                        .q(r#"increase(node_network_carrier_changes_total{$S,device!="lo"}[$__rate_interval])"#, "{{instance}} {{device}} carrier changes"),
                    ts("TCP segments, resets and timeouts", "TCP segments received and sent, resets sent and retransmission timeouts per second; many resets mean refused connections, timeouts a lossy path.")
                        .unit("ops")
                        .q("rate(node_netstat_Tcp_InSegs{$S}[$__rate_interval])", "{{instance}} in")
                        .q("rate(node_netstat_Tcp_OutSegs{$S}[$__rate_interval])", "{{instance}} out")
                        .q("rate(node_netstat_Tcp_OutRsts{$S}[$__rate_interval])", "{{instance}} resets sent")
                        .q("rate(node_netstat_TcpExt_TCPTimeouts{$S}[$__rate_interval])", "{{instance}} timeouts"),
                    ts("TCP opens and SYN cookies", "Connections opened actively (outgoing) and passively (incoming) per second, and SYN cookies sent; SYN cookies mean the SYN backlog overflowed (a flood or a slow server).")
                        .unit("ops")
                        .q("rate(node_netstat_Tcp_ActiveOpens{$S}[$__rate_interval])", "{{instance}} active opens")
                        .q("rate(node_netstat_Tcp_PassiveOpens{$S}[$__rate_interval])", "{{instance}} passive opens")
                        .q("rate(node_netstat_TcpExt_SyncookiesSent{$S}[$__rate_interval])", "{{instance}} SYN cookies sent"),
                    ts("Sockets by protocol", "TCP and UDP sockets in use and orphaned TCP sockets; many orphans mean peers that vanish without closing.")
                        .unit("short")
                        .q("node_sockstat_TCP_inuse{$S}", "{{instance}} TCP")
                        .q("node_sockstat_TCP_orphan{$S}", "{{instance}} TCP orphan")
                        .q("node_sockstat_UDP_inuse{$S}", "{{instance}} UDP"),
                    ts("Socket memory", "Memory TCP and UDP socket buffers use; near the kernel's tcp_mem limit the kernel starts dropping.")
                        .unit("bytes")
                        .q("node_sockstat_TCP_mem_bytes{$S}", "{{instance}} TCP")
                        .q("node_sockstat_UDP_mem_bytes{$S}", "{{instance}} UDP"),
                    ts("UDP and ICMP traffic", "UDP datagrams in and out, datagrams to closed ports, and ICMP messages per second; many no-port datagrams mean clients talk to a missing service.")
                        .unit("pps")
                        .q("rate(node_netstat_Udp_InDatagrams{$S}[$__rate_interval])", "{{instance}} UDP in")
                        .q("rate(node_netstat_Udp_OutDatagrams{$S}[$__rate_interval])", "{{instance}} UDP out")
                        .q("rate(node_netstat_Udp_NoPorts{$S}[$__rate_interval])", "{{instance}} UDP no port")
                        .q("rate(node_netstat_Icmp_InMsgs{$S}[$__rate_interval])", "{{instance}} ICMP in"),
                    ts("ARP entries", "Neighbour (ARP) table entries per interface; near the table's gc_thresh3 new neighbours are dropped.")
                        .unit("short")
                        .q("node_arp_entries{$S}", "{{instance}} {{device}}"),
                    ts("TCP connections and sockets", "Established TCP connections, sockets in TIME_WAIT and all sockets in use; a climbing count is a connection leak.")
                        .unit("short")
                        .q("node_netstat_Tcp_CurrEstab{$S}", "{{instance}} established")
                        .q("node_sockstat_TCP_tw{$S}", "{{instance}} time-wait")
                        .q("node_sockstat_sockets_used{$S}", "{{instance}} sockets"),
                    ts("Conntrack failures", "Connections conntrack failed to insert, dropped or dropped early per second (the kernel exposes these counts as gauges, hence deriv); nonzero means the table is full or under attack.")
                        .unit("ops")
                        .q("deriv(node_nf_conntrack_stat_insert_failed{$S}[$__rate_interval])", "{{instance}} insert failed")
                        .q("deriv(node_nf_conntrack_stat_drop{$S}[$__rate_interval])", "{{instance}} dropped")
                        .q("deriv(node_nf_conntrack_stat_early_drop{$S}[$__rate_interval])", "{{instance}} early dropped")
                        .only_where("the nf_conntrack module is loaded (a firewall or NAT is in use)"),
                    ts("Conntrack table", "Tracked connections against the table's limit; when full, new connections are dropped.")
                        .unit("short")
                        .q("node_nf_conntrack_entries{$S}", "{{instance}} entries")
                        .q("node_nf_conntrack_entries_limit{$S}", "{{instance}} limit")
                        .only_where("the nf_conntrack module is loaded (a firewall or NAT is in use)"),
                    ts("UDP errors", "UDP datagrams received with errors or dropped for a full receive buffer per second; nonzero loses data (DNS, metrics, logs).")
                        .unit("pps")
                        .q("rate(node_netstat_Udp_InErrors{$S}[$__rate_interval])", "{{instance}} in errors")
                        .q("rate(node_netstat_Udp_RcvbufErrors{$S}[$__rate_interval])", "{{instance}} receive buffer errors"),
                    ts("Softnet drops and squeezes", "Packets dropped by a full backlog and times packet processing ran out of budget; nonzero means the CPU cannot keep up with the network.")
                        .unit("ops")
                        .q("sum by (instance) (rate(node_softnet_dropped_total{$S}[$__rate_interval]))", "{{instance}} dropped")
                        .q("sum by (instance) (rate(node_softnet_times_squeezed_total{$S}[$__rate_interval]))", "{{instance}} squeezed"),
                ],
            ),
            row(
                "System",
                vec![
                    ts("File descriptors", "Open file handles system-wide against the kernel's maximum; at the maximum, opening files and sockets fails.")
                        .unit("short")
                        .q("node_filefd_allocated{$S}", "{{instance}} allocated")
                        .q("node_filefd_maximum{$S}", "{{instance}} maximum"),
                    ts("Clock offset", "The kernel's estimate of the clock's offset and maximum error; more than ~100 ms breaks TLS, logs ordering and distributed systems.")
                        .unit("s")
                        .q("node_timex_offset_seconds{$S}", "{{instance}} offset")
                        .q("node_timex_maxerror_seconds{$S}", "{{instance}} max error")
                        .colors("green", &[(0.1, "red")]),
                    ts("Textfile collector errors", "Whether the textfile collector failed to read a file (1); metrics of cron jobs and scripts are then missing.")
                        .unit("bool")
                        .q("node_textfile_scrape_error{$S}", "{{instance}}")
                        .colors("green", &[(1.0, "red")]),
                    ts("Clock synchronised", "1 when the kernel considers the clock synchronised (NTP/chrony running); 0 means the clock drifts freely.")
                        .unit("bool")
                        .min(0.0)
                        .max(1.0)
                        .q("node_timex_sync_status{$S}", "{{instance}}")
                        .colors("red", &[(1.0, "green")]),
                    ts("Temperatures", "Hardware sensor temperatures against the sensor's critical value; close to critical, hardware throttles or shuts down.")
                        .unit("celsius")
                        .q("node_hwmon_temp_celsius{$S}", "{{instance}} {{chip}} {{sensor}}")
                        .q("node_hwmon_temp_crit_celsius{$S}", "{{instance}} {{chip}} {{sensor}} critical")
                        .only_where("the host has hwmon sensors (/sys/class/hwmon; VMs and containers usually do not)"),
                    ts("Entropy", "Bits of entropy the kernel has; near zero on old kernels, reads of /dev/random block.")
                        .unit("short")
                        .q("node_entropy_available_bits{$S}", "{{instance}}"),
                ],
            ),
            row(
                "systemd units",
                vec![
                    stat("Failed units", "Units systemd reports in the failed state; any failed unit is a service that stopped and did not come back.")
                        .unit("none")
                        .q(r#"count by (instance) (node_systemd_unit_state{$S,state="failed"} == 1) or count by (instance) (node_systemd_units{$S}) * 0"#, "{{instance}}")
                        .colors("green", &[(1.0, "red")])
                        .only_where("node-exporter runs with --collector.systemd"),
                    ts("Units by state", "How many units are in each state; a rise in failed or activating units shows services crashing or restarting in a loop.")
                        .unit("short")
                        .q("node_systemd_units{$S}", "{{instance}} {{state}}")
                        .only_where("node-exporter runs with --collector.systemd"),
                    ts("System state", "1 while systemd says the system is running (systemctl is-system-running); 0 means degraded, starting or stopping.")
                        .unit("bool")
                        .min(0.0)
                        .max(1.0)
                        .q("node_systemd_system_running{$S}", "{{instance}}")
                        .colors("red", &[(1.0, "green")])
                        .only_where("node-exporter runs with --collector.systemd"),
                    ts("Service restarts", "Restarts systemd made of each service (Restart=); a climbing count is a crash loop.")
                        .unit("short")
                        .q("increase(node_systemd_service_restart_total{$S}[$__rate_interval]) > 0", "{{instance}} {{name}}")
                        .only_where("node-exporter runs with --collector.systemd --collector.systemd.enable-restarts-metrics"),
                ],
            ),
            row(
                "node-exporter",
                vec![
                    ts("Collector duration", "Time each collector took in the last scrape; a slow collector (a hung NFS mount, a slow sysfs) delays every scrape.")
                        .unit("s")
                        .q("node_scrape_collector_duration_seconds{$S}", "{{instance}} {{collector}}"),
                    ts("Failing collectors", "Collectors that failed the last scrape (success 0) among those ExporterCollectorFailing watches (collectors for hardware a host may lack fail by design and are left out, as in the alert); their metrics are missing.")
                        .unit("short")
                        .q(format!("count by (instance) (node_scrape_collector_success{{$S,{HARDWARE}}} == 0) or count by (instance) (node_scrape_collector_success{{$S}}) * 0"), "{{instance}}")
                        .alert_above(1.0, "ExporterCollectorFailing"),
                    ts("Scrape duration", "How long Prometheus took to scrape the exporter; near the scrape timeout, scrapes fail and the host looks down.")
                        .unit("s")
                        .q("scrape_duration_seconds{$S}", "{{instance}}"),
                    ts("Exporter memory", "Resident memory of the exporter process; steady growth is a leak.")
                        .unit("bytes")
                        .q("process_resident_memory_bytes{$S}", "{{instance}}"),
                ],
            ),
        ],
    }
}
