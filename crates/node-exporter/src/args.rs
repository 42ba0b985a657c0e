//! node_exporter's flags. Each collector's own options live in its file as
//! a `#[derive(clap::Args)]` struct, flattened here.

use std::path::PathBuf;

#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// procfs mountpoint.
    #[arg(long = "path.procfs", value_name = "PATH", default_value = "/proc")]
    pub procfs: PathBuf,

    /// sysfs mountpoint.
    #[arg(long = "path.sysfs", value_name = "PATH", default_value = "/sys")]
    pub sysfs: PathBuf,

    /// rootfs mountpoint.
    #[arg(long = "path.rootfs", value_name = "PATH", default_value = "/")]
    pub rootfs: PathBuf,

    /// udev data path.
    #[arg(
        long = "path.udev.data",
        value_name = "PATH",
        default_value = "/run/udev/data"
    )]
    pub udev_data: PathBuf,

    /// The target number of CPUs the runtime serves HTTP on, as
    /// node_exporter's GOMAXPROCS (default 1; 0 or less: every CPU).
    /// Collectors that read files run on their own threads either way.
    #[arg(long = "runtime.gomaxprocs", value_name = "N", default_value_t = 1)]
    pub runtime_gomaxprocs: i64,

    #[command(flatten)]
    pub arp: crate::collectors::arp::ArpArgs,
    #[command(flatten)]
    pub cpu: crate::collectors::cpu::CpuArgs,
    #[command(flatten)]
    pub diskstats: crate::collectors::diskstats::DiskstatsArgs,
    #[command(flatten)]
    pub filesystem: crate::collectors::filesystem::FilesystemArgs,
    #[command(flatten)]
    pub netdev: crate::collectors::netdev::NetdevArgs,
    #[command(flatten)]
    pub netstat: crate::collectors::netstat::NetstatArgs,
    #[command(flatten)]
    pub stat: crate::collectors::stat::StatArgs,
    #[command(flatten)]
    pub textfile: crate::collectors::textfile::TextfileArgs,
    #[command(flatten)]
    pub vmstat: crate::collectors::vmstat::VmstatArgs,

    #[command(flatten)]
    pub infiniband: crate::collectors::infiniband::InfinibandArgs,

    #[command(flatten)]
    pub interrupts: crate::collectors::interrupts::InterruptsArgs,

    #[command(flatten)]
    pub ipvs: crate::collectors::ipvs::IpvsArgs,

    #[command(flatten)]
    pub netclass: crate::collectors::netclass::NetclassArgs,

    #[command(flatten)]
    pub bcache: crate::collectors::bcache::BcacheArgs,

    #[command(flatten)]
    pub ethtool: crate::collectors::ethtool::EthtoolArgs,

    #[command(flatten)]
    pub hwmon: crate::collectors::hwmon::HwmonArgs,

    #[command(flatten)]
    pub powersupply: crate::collectors::powersupplyclass::PowerSupplyArgs,

    #[command(flatten)]
    pub rapl: crate::collectors::rapl::RaplArgs,

    #[command(flatten)]
    pub sysctl: crate::collectors::sysctl::SysctlArgs,

    #[command(flatten)]
    pub ntp: crate::collectors::ntp::NtpArgs,

    #[command(flatten)]
    pub pcidevice: crate::collectors::pcidevice::PcideviceArgs,

    #[command(flatten)]
    pub perf: crate::collectors::perf::PerfArgs,

    #[command(flatten)]
    pub qdisc: crate::collectors::qdisc::QdiscArgs,

    #[command(flatten)]
    pub runit: crate::collectors::runit::RunitArgs,

    #[command(flatten)]
    pub slabinfo: crate::collectors::slabinfo::SlabinfoArgs,

    #[command(flatten)]
    pub wifi: crate::collectors::wifi::WifiArgs,

    #[command(flatten)]
    pub supervisord: crate::collectors::supervisord::SupervisordArgs,

    #[command(flatten)]
    pub systemd: crate::collectors::systemd::SystemdArgs,

    #[command(flatten)]
    pub tapestats: crate::collectors::tapestats::TapestatsArgs,
}

impl Args {
    /// A path under the procfs mount (`proc("meminfo")`).
    pub fn proc(&self, rel: &str) -> PathBuf {
        self.procfs.join(rel)
    }

    /// A path under the sysfs mount (`sys("class/net")`).
    pub fn sys(&self, rel: &str) -> PathBuf {
        self.sysfs.join(rel)
    }

    /// A host path as seen through `--path.rootfs` (for mount points).
    pub fn root(&self, abs: &str) -> PathBuf {
        self.rootfs.join(abs.trim_start_matches('/'))
    }
}

#[cfg(test)]
mod boolean_flags {
    /// Every boolean flag, including ones added later, takes upstream's
    /// spellings and sets the value they say.
    #[test]
    fn every_boolean_flag_takes_upstreams_spellings() {
        exporter_kit::testing::assert_boolean_flags(&crate::SPEC, crate::collectors::COLLECTORS);
    }
}
