//! The collector table: one row per collector, named as upstream names it.
//! The name is the file, the `--collector.<name>` flag and the
//! `collector="<name>"` label.

use exporter_kit::Registration;

use crate::args::Args;

pub mod arp;
pub mod bcache;
pub mod bcachefs;
pub mod bonding;
pub mod btrfs;
pub mod buddyinfo;
pub mod cgroups;
pub mod conntrack;
pub mod cpu;
pub mod cpu_vulnerabilities;
pub mod cpufreq;
pub mod diskstats;
pub mod dmi;
pub mod dmmultipath;
pub mod drbd;
pub mod drm;
pub mod edac;
pub mod entropy;
pub mod ethtool;
pub mod fibrechannel;
pub mod filefd;
pub mod filesystem;
pub mod hwmon;
pub mod infiniband;
pub mod interrupts;
pub mod ipvs;
pub mod kernel_hung;
pub mod ksmd;
pub mod lnstat;
pub mod loadavg;
pub mod logind;
pub mod mdadm;
pub mod meminfo;
pub mod meminfo_numa;
pub mod mountstats;
pub mod netclass;
pub mod netdev;
pub mod netstat;
pub mod network_route;
pub mod nfs;
pub mod nfsd;
pub mod ntp;
pub mod nvme;
pub mod nvmesubsystem;
pub mod os;
pub mod pcidevice;
pub mod perf;
pub mod powersupplyclass;
pub mod pressure;
pub mod processes;
pub mod qdisc;
pub mod rapl;
pub mod runit;
pub mod schedstat;
pub mod selinux;
pub mod slabinfo;
pub mod sockstat;
pub mod softirqs;
pub mod softnet;
pub mod stat;
pub mod supervisord;
pub mod swap;
pub mod sysctl;
pub mod systemd;
pub mod tapestats;
pub mod tcpstat;
pub mod textfile;
pub mod thermal_zone;
pub mod time;
pub mod timex;
pub mod udp_queues;
pub mod uname;
pub mod vmstat;
pub mod watchdog;
pub mod wifi;
pub mod xfrm;
pub mod xfs;
pub mod zfs;
pub mod zoneinfo;

pub const COLLECTORS: &[Registration<Args>] = &[
    Registration::new(
        "arp",
        true,
        "ARP statistics from /proc/net/arp.",
        arp::build,
    ),
    Registration::new(
        "bcache",
        true,
        "Exposes bcache statistics from /sys/fs/bcache/.",
        bcache::build,
    ),
    Registration::new(
        "bcachefs",
        true,
        "Exposes bcachefs filesystem statistics from /sys/fs/bcachefs/.",
        bcachefs::build,
    ),
    Registration::new(
        "bonding",
        true,
        "Exposes the number of configured and active slaves of Linux bonding interfaces.",
        bonding::build,
    ),
    Registration::new("btrfs", true, "Exposes btrfs statistics.", btrfs::build),
    Registration::new(
        "buddyinfo",
        false,
        "Exposes statistics of memory fragments as reported by /proc/buddyinfo.",
        buddyinfo::build,
    ),
    Registration::new(
        "cgroups",
        false,
        "Exposes the number of cgroups and whether each controller is enabled, from /proc/cgroups.",
        cgroups::build,
    ),
    Registration::new("conntrack", true, "conntrack statistics.", conntrack::build),
    Registration::new("cpu", true, "CPU time from /proc/stat.", cpu::build),
    Registration::new(
        "cpu_vulnerabilities",
        false,
        "Exposes CPU vulnerability states from /sys/devices/system/cpu/vulnerabilities/.",
        cpu_vulnerabilities::build,
    ),
    Registration::new(
        "cpufreq",
        true,
        "Exposes CPU frequency statistics.",
        cpufreq::build,
    ),
    Registration::new("diskstats", true, "Disk I/O statistics.", diskstats::build),
    Registration::new(
        "dmi",
        true,
        "Expose Desktop Management Interface (DMI) info from /sys/class/dmi/id/.",
        dmi::build,
    ),
    Registration::new(
        "dmmultipath",
        true,
        "Exposes DM-multipath device and path states from /sys/block/.",
        dmmultipath::build,
    ),
    Registration::new(
        "drbd",
        false,
        "Exposes Distributed Replicated Block Device statistics (to version 8.4) from /proc/drbd.",
        drbd::build,
    ),
    Registration::new(
        "drm",
        false,
        "Exposes GPU card info from /sys/class/drm/card?/device/ (amdgpu).",
        drm::build,
    ),
    Registration::new(
        "edac",
        true,
        "Exposes error detection and correction statistics.",
        edac::build,
    ),
    Registration::new("entropy", true, "Available entropy.", entropy::build),
    Registration::new(
        "ethtool",
        false,
        "Exposes network interface information and network driver statistics equivalent to `ethtool`, `ethtool -S`, and `ethtool -i`.",
        ethtool::build,
    ),
    Registration::new(
        "fibrechannel",
        true,
        "Exposes fibre channel information and statistics from /sys/class/fc_host/.",
        fibrechannel::build,
    ),
    Registration::new("filefd", true, "File descriptor statistics.", filefd::build),
    Registration::new(
        "filesystem",
        true,
        "Filesystem statistics (statfs).",
        filesystem::build,
    ),
    Registration::new(
        "hwmon",
        true,
        "Expose hardware monitoring and sensor data from /sys/class/hwmon/.",
        hwmon::build,
    ),
    Registration::new(
        "infiniband",
        true,
        "Exposes network statistics specific to InfiniBand and Intel OmniPath configurations.",
        infiniband::build,
    ),
    Registration::new(
        "interrupts",
        false,
        "Exposes detailed interrupts statistics.",
        interrupts::build,
    ),
    Registration::new(
        "ipvs",
        true,
        "Exposes IPVS status from /proc/net/ip_vs and stats from /proc/net/ip_vs_stats.",
        ipvs::build,
    ),
    Registration::new(
        "kernel_hung",
        true,
        "Exposes the number of tasks detected as hung, from /proc/sys/kernel/hung_task_detect_count.",
        kernel_hung::build,
    ),
    Registration::new(
        "ksmd",
        false,
        "Exposes kernel samepage merging statistics from /sys/kernel/mm/ksm/.",
        ksmd::build,
    ),
    Registration::new(
        "lnstat",
        false,
        "Exposes per-CPU network cache statistics from /proc/net/stat/.",
        lnstat::build,
    ),
    Registration::new("loadavg", true, "Load average.", loadavg::build),
    Registration::new(
        "logind",
        false,
        "Exposes session counts from logind.",
        logind::build,
    ),
    Registration::new(
        "mdadm",
        true,
        "Exposes statistics about devices in /proc/mdstat (does nothing if no /proc/mdstat present).",
        mdadm::build,
    ),
    Registration::new(
        "meminfo",
        true,
        "Memory statistics from /proc/meminfo.",
        meminfo::build,
    ),
    Registration::new(
        "meminfo_numa",
        false,
        "Exposes memory statistics from /sys/devices/system/node/node[0-9]*/meminfo, /proc/meminfo_numa.",
        meminfo_numa::build,
    ),
    Registration::new(
        "mountstats",
        false,
        "Exposes filesystem statistics from /proc/self/mountstats. Exposes detailed NFS client statistics.",
        mountstats::build,
    ),
    Registration::new(
        "netclass",
        true,
        "Exposes network interface info from /sys/class/net/.",
        netclass::build,
    ),
    Registration::new("netdev", true, "Network device statistics.", netdev::build),
    Registration::new(
        "netstat",
        true,
        "Network statistics from /proc/net/{netstat,snmp,snmp6}.",
        netstat::build,
    ),
    Registration::new(
        "network_route",
        false,
        "Exposes the routing table as metrics.",
        network_route::build,
    ),
    Registration::new(
        "nfs",
        true,
        "Exposes NFS client statistics from /proc/net/rpc/nfs.",
        nfs::build,
    ),
    Registration::new(
        "nfsd",
        true,
        "Exposes NFSd kernel server statistics from /proc/net/rpc/nfsd.",
        nfsd::build,
    ),
    Registration::new(
        "ntp",
        false,
        "Local NTP daemon health to check time.",
        ntp::build,
    ),
    Registration::new(
        "nvme",
        true,
        "Exposes NVMe info from /sys/class/nvme/.",
        nvme::build,
    ),
    Registration::new(
        "nvmesubsystem",
        false,
        "Exposes NVMe subsystem and path information from /sys/class/nvme-subsystem/.",
        nvmesubsystem::build,
    ),
    Registration::new("os", true, "OS release information.", os::build),
    Registration::new(
        "pcidevice",
        false,
        "Exposes PCI device information and link, power and SR-IOV state from /sys/bus/pci/devices/.",
        pcidevice::build,
    ),
    Registration::new(
        "perf",
        false,
        "Exposes perf based metrics (hardware, software and cache events, tracepoints per CPU).",
        perf::build,
    ),
    Registration::new(
        "powersupplyclass",
        true,
        "Exposes Power Supply statistics from /sys/class/power_supply.",
        powersupplyclass::build,
    ),
    Registration::new(
        "pressure",
        true,
        "Pressure stall information.",
        pressure::build,
    ),
    Registration::new(
        "processes",
        false,
        "Exposes aggregate process statistics from /proc.",
        processes::build,
    ),
    Registration::new(
        "qdisc",
        false,
        "Exposes queueing discipline statistics.",
        qdisc::build,
    ),
    Registration::new(
        "rapl",
        true,
        "Exposes various statistics from /sys/class/powercap.",
        rapl::build,
    ),
    Registration::new(
        "runit",
        false,
        "Exposes service status from runit.",
        runit::build,
    ),
    Registration::new("schedstat", true, "Scheduler statistics.", schedstat::build),
    Registration::new(
        "selinux",
        true,
        "Exposes SELinux statistics.",
        selinux::build,
    ),
    Registration::new(
        "slabinfo",
        false,
        "Exposes slab allocator statistics from /proc/slabinfo.",
        slabinfo::build,
    ),
    Registration::new("sockstat", true, "Socket statistics.", sockstat::build),
    Registration::new(
        "softirqs",
        false,
        "Exposes detailed softirq statistics from /proc/softirqs.",
        softirqs::build,
    ),
    Registration::new("softnet", true, "Softnet statistics.", softnet::build),
    Registration::new(
        "stat",
        true,
        "Kernel statistics from /proc/stat.",
        stat::build,
    ),
    Registration::new(
        "supervisord",
        false,
        "Exposes service status from supervisord.",
        supervisord::build,
    ),
    Registration::new(
        "swap",
        false,
        "Expose swap information from /proc/swaps.",
        swap::build,
    ),
    Registration::new(
        "sysctl",
        false,
        "Expose sysctl values from /proc/sys.",
        sysctl::build,
    ),
    Registration::new(
        "systemd",
        false,
        "Exposes service and system status from systemd.",
        systemd::build,
    ),
    Registration::new(
        "tapestats",
        true,
        "Exposes statistics from /sys/class/scsi_tape.",
        tapestats::build,
    ),
    Registration::new(
        "tcpstat",
        false,
        "Exposes TCP connection status information from /proc/net/tcp and /proc/net/tcp6.",
        tcpstat::build,
    ),
    Registration::new(
        "textfile",
        true,
        "Metrics from *.prom text files.",
        textfile::build,
    ),
    Registration::new(
        "thermal_zone",
        true,
        "Exposes thermal zone & cooling device statistics from /sys/class/thermal.",
        thermal_zone::build,
    ),
    Registration::new("time", true, "The current system time.", time::build),
    Registration::new(
        "timex",
        true,
        "Kernel clock state (adjtimex).",
        timex::build,
    ),
    Registration::new("udp_queues", true, "UDP queue lengths.", udp_queues::build),
    Registration::new(
        "uname",
        true,
        "uname system call information.",
        uname::build,
    ),
    Registration::new(
        "vmstat",
        true,
        "Statistics from /proc/vmstat.",
        vmstat::build,
    ),
    Registration::new(
        "watchdog",
        true,
        "Exposes watchdog device information from /sys/class/watchdog/.",
        watchdog::build,
    ),
    Registration::new(
        "wifi",
        false,
        "Exposes WiFi device and station statistics.",
        wifi::build,
    ),
    Registration::new(
        "xfrm",
        false,
        "Exposes IPsec transformation statistics from /proc/net/xfrm_stat.",
        xfrm::build,
    ),
    Registration::new("xfs", true, "Exposes XFS runtime statistics.", xfs::build),
    Registration::new(
        "zfs",
        true,
        "Exposes ZFS performance statistics.",
        zfs::build,
    ),
    Registration::new(
        "zoneinfo",
        false,
        "Exposes NUMA memory zone metrics.",
        zoneinfo::build,
    ),
];
