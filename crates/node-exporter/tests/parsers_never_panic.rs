//! Every parser takes arbitrary text without panicking: the fixture files
//! cut, shuffled and sprinkled with odd bytes (a cheap, deterministic
//! stand-in for property testing).

use std::path::Path;

use node_exporter::collectors;
use node_exporter::parse;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const ODD: &[&str] = &[
    "",
    " ",
    ":",
    "\t",
    "-",
    "=",
    "{",
    "}",
    "\"",
    "\\",
    "#",
    "0x",
    "NaN",
    "-1",
    "18446744073709551616",
    "é",
    "\u{0}",
    "cpu",
    "cpu9999999999999999999",
    "le=",
    "# TYPE",
    "# HELP",
    "a{b=\"",
    "1e400",
    "total=",
    "some",
    "full",
    "--",
];

fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for _ in 0..1 + rng.below(6) {
        if lines.is_empty() {
            lines.push(String::new());
        }
        let i = rng.below(lines.len());
        match rng.below(6) {
            0 => {
                let cut = rng.below(lines[i].len() + 1);
                let mut cut_at = cut;
                while !lines[i].is_char_boundary(cut_at) {
                    cut_at -= 1;
                }
                lines[i].truncate(cut_at);
            }
            1 => {
                let odd = ODD[rng.below(ODD.len())];
                lines[i].push_str(odd);
            }
            2 => {
                let odd = ODD[rng.below(ODD.len())].to_string();
                lines.insert(i, odd);
            }
            3 => {
                let j = rng.below(lines.len());
                lines.swap(i, j);
            }
            4 => {
                let fields: Vec<String> = lines[i]
                    .split(' ')
                    .map(|f| {
                        if rng.below(3) == 0 {
                            ODD[rng.below(ODD.len())].to_string()
                        } else {
                            f.to_string()
                        }
                    })
                    .collect();
                lines[i] = fields.join(" ");
            }
            _ => {
                lines.remove(i);
            }
        }
    }
    lines.join("\n")
}

fn fixture(rel: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(rel),
    )
    .unwrap_or_else(|e| panic!("fixture {rel}: {e}"))
}

#[test]
fn parsers_survive_mangled_input() {
    let inputs: Vec<(&str, String)> = [
        "latest/proc/slabinfo",
        "latest/proc/net/stat/arp_cache",
        "latest/proc/drbd",
        "latest/pci.ids",
        "latest/sys/devices/system/cpu/vulnerabilities/spectre_v2",
        "proc/stat",
        "proc/meminfo",
        "proc/loadavg",
        "proc/diskstats",
        "proc/1/mounts",
        "proc/1/mountinfo",
        "proc/net/dev",
        "proc/net/netstat",
        "proc/net/snmp",
        "proc/net/snmp6",
        "proc/vmstat",
        "proc/net/sockstat",
        "proc/net/softnet_stat",
        "proc/net/stat/nf_conntrack",
        "proc/net/arp",
        "proc/pressure/io",
        "proc/schedstat",
        "proc/net/udp",
        "proc/cpuinfo",
        "rootfs/etc/os-release",
        "udev/b254:0",
        "textfile/good.prom",
    ]
    .iter()
    .map(|p| (*p, fixture(p)))
    .collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..400 {
        for (name, text) in &inputs {
            let t = mutate(&mut rng, text);
            let result = std::panic::catch_unwind(|| {
                let _ = parse::stat::parse(&t);
                let _ = parse::meminfo::parse(&t);
                let _ = parse::loadavg::parse(&t);
                let _ = parse::diskstats::parse(&t);
                let _ = parse::diskstats::parse_udev(&t);
                let _ = parse::mounts::parse(&t);
                let _ = parse::mounts::parse_mountinfo(&t);
                let _ = parse::netdev::parse(&t);
                // The parsers of the collectors added after 1.5.
                let _ = collectors::lnstat::parse(&t);
                let _ = t.lines().map(collectors::slabinfo::parse_line).count();
                let _ = collectors::cpu_vulnerabilities::parse(&t);
                let _ = collectors::bcachefs::human_bytes(&t);
                let _ = parse::bcache::dehumanize(&t);
                let _ = collectors::pcidevice::location(&t);
                let _ = collectors::pcidevice::PciIds::parse(&t);
                // Netlink payloads are bytes from the kernel: the same
                // mangled text read as one.
                let b = t.as_bytes();
                let _ = collectors::qdisc::parse_message(b);
                let _ = collectors::wifi::parse_interface(b);
                let _ = collectors::wifi::parse_station(b);
                let _ = collectors::wifi::parse_bss(b);
                let _ = collectors::wifi::decode_base64(&t);
                let _ = collectors::arp::neighbour_ifindex(b);
                let _ = parse::rtnetlink::parse_link_stats(b);
                let _ = parse::netstat::parse_pairs(&t);
                let _ = parse::netstat::parse_snmp6(&t);
                let _ = parse::kv::parse_pairs(&t);
                let _ = parse::kv::parse_numbers(&t);
                let _ = parse::sockstat::parse(&t);
                let _ = parse::softnet::parse(&t);
                let _ = parse::conntrack::parse(&t);
                let _ = parse::arp::parse(&t);
                let _ = parse::pressure::parse(&t);
                let _ = parse::schedstat::parse(&t);
                let _ = parse::udp_queues::parse(&t);
                let _ = parse::cpuinfo::parse(&t);
                let _ = parse::os_release::parse(&t);
                let _ = parse::os_release::version_number(&t);
                let _ = parse::textfile::parse(&t);
                let _ = parse::mounts::unescape(&t);
            });
            assert!(
                result.is_ok(),
                "round {round}, mangled {name} panicked a parser:\n{t}"
            );
        }
    }
}
