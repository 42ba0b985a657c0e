//! node_pcidevice_*: PCI devices from /sys/bus/pci/devices/ (ABI:
//! sysfs-bus-pci): identity, parent bridge, PCIe link speed and width, power
//! state, SR-IOV and NUMA node; with --collector.pcidevice.names, vendor,
//! device and class names from a pci.ids file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::sysfs::{list_dir, read_string};

#[derive(clap::Args, Debug, Clone)]
pub struct PcideviceArgs {
    /// Path to pci.ids file to use for PCI device identification.
    #[arg(long = "collector.pcidevice.idsfile", value_name = "PATH")]
    pub pcidevice_idsfile: Option<PathBuf>,
    /// Enable PCI device name resolution (requires pci.ids file).
    #[arg(long = "collector.pcidevice.names")]
    pub pcidevice_names: bool,
}

/// Where pci.ids usually is, tried in order without --collector.pcidevice.idsfile.
const PCI_IDS_PATHS: [&str; 2] = ["/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids"];

const POWER_STATES: [&str; 7] = ["D0", "D1", "D2", "D3hot", "D3cold", "unknown", "error"];

/// The names of pci.ids, keyed by lower-case hex ids without `0x`.
#[derive(Debug, Default)]
pub struct PciIds {
    vendors: HashMap<String, String>,
    /// "vendor:device"
    devices: HashMap<String, String>,
    /// "vendor:device" -> "subvendor:subdevice" -> name
    subsystems: HashMap<String, HashMap<String, String>>,
    /// "cc", "ccss", "ccsspp"
    classes: HashMap<String, String>,
}

impl PciIds {
    /// pci.ids: vendors at column 0, their devices after one tab and the
    /// devices' subsystems after two; `C cc  name` class blocks with
    /// subclasses and programming interfaces indented the same way. Id and
    /// name are separated by two spaces.
    pub fn parse(text: &str) -> PciIds {
        let mut ids = PciIds::default();
        let (mut vendor, mut device, mut class, mut subclass) =
            (String::new(), String::new(), String::new(), String::new());
        let mut in_class = false;
        for line in text.lines() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let depth = line.bytes().take_while(|b| *b == b'\t').count();
            let rest = &line[depth..];
            let Some((id, name)) = rest.split_once("  ") else {
                continue;
            };
            let (id, name) = (id.trim(), name.trim().to_string());
            match (depth, in_class) {
                (0, _) if id.starts_with("C ") => {
                    class = id[2..].trim().to_string();
                    ids.classes.insert(class.clone(), name);
                    in_class = true;
                }
                (0, _) => {
                    vendor = id.to_string();
                    device.clear();
                    ids.vendors.insert(vendor.clone(), name);
                    in_class = false;
                }
                (1, true) => {
                    subclass = format!("{class}{id}");
                    ids.classes.insert(subclass.clone(), name);
                }
                (2, true) => {
                    ids.classes.insert(format!("{subclass}{id}"), name);
                }
                (1, false) if !vendor.is_empty() => {
                    device = id.to_string();
                    ids.devices.insert(format!("{vendor}:{device}"), name);
                }
                (2, false) if !vendor.is_empty() && !device.is_empty() => {
                    let f: Vec<&str> = id.split_whitespace().collect();
                    if let [sv, sd] = f[..] {
                        ids.subsystems
                            .entry(format!("{vendor}:{device}"))
                            .or_default()
                            .insert(format!("{sv}:{sd}"), name);
                    }
                }
                _ => {}
            }
        }
        ids
    }

    fn vendor(&self, id: &str) -> String {
        let id = bare(id);
        self.vendors.get(&id).cloned().unwrap_or(id)
    }

    fn device(&self, vendor: &str, device: &str) -> String {
        let device = bare(device);
        let key = format!("{}:{device}", bare(vendor));
        self.devices.get(&key).cloned().unwrap_or(device)
    }

    fn subsystem(&self, vendor: &str, device: &str, sv: &str, sd: &str) -> String {
        let key = format!("{}:{}", bare(vendor), bare(device));
        let sub = format!("{}:{}", bare(sv), bare(sd));
        self.subsystems
            .get(&key)
            .and_then(|m| m.get(&sub))
            .cloned()
            .unwrap_or_else(|| bare(sd))
    }

    /// The most specific of programming interface, subclass and class.
    fn class(&self, class_id: &str) -> String {
        let id = bare(class_id);
        for len in [6, 4, 2] {
            if let Some(name) = id.get(..len).and_then(|k| self.classes.get(k)) {
                return name.clone();
            }
        }
        format!("Unknown class ({id})")
    }
}

fn bare(id: &str) -> String {
    id.trim_start_matches("0x").to_lowercase()
}

pub struct Pcidevice {
    dir: PathBuf,
    names: Option<PciIds>,
    info: Desc,
    max_speed: Desc,
    max_width: Desc,
    cur_speed: Desc,
    cur_width: Desc,
    d3cold: Desc,
    autoprobe: Desc,
    numvfs: Desc,
    totalvfs: Desc,
    vf_msix: Desc,
    power: Desc,
    numa: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let a = &args.pcidevice;
    let loc = ["segment", "bus", "device", "function"];
    let g = |n: &str, h: &str| Desc::gauge(&format!("node_pcidevice_{n}"), h, &loc);
    let mut info_labels = loc.to_vec();
    info_labels.extend([
        "parent_segment",
        "parent_bus",
        "parent_device",
        "parent_function",
        "class_id",
        "vendor_id",
        "device_id",
        "subsystem_vendor_id",
        "subsystem_device_id",
        "revision",
    ]);
    let names =
        a.pcidevice_names.then(|| {
            let candidates: Vec<PathBuf> = match &a.pcidevice_idsfile {
                Some(p) => vec![p.clone()],
                None => PCI_IDS_PATHS.iter().map(PathBuf::from).collect(),
            };
            // Without a readable file every name falls back to its id, as upstream.
            let text = candidates.iter().find_map(|p| match std::fs::read_to_string(p) {
            Ok(t) => Some(t),
            Err(e) => {
                tracing::debug!(file = %p.display(), error = %e, "cannot read PCI IDs file");
                None
            }
        });
            PciIds::parse(&text.unwrap_or_default())
        });
    if names.is_some() {
        info_labels.extend([
            "vendor_name",
            "device_name",
            "subsystem_vendor_name",
            "subsystem_device_name",
            "class_name",
        ]);
    }
    let mut power_labels = loc.to_vec();
    power_labels.push("state");
    Ok(AnyCollector::blocking(Pcidevice {
        dir: args.sys("bus/pci/devices"),
        names,
        info: Desc::gauge(
            "node_pcidevice_info",
            "Non-numeric data from /sys/bus/pci/devices/<location>, value is always 1.",
            &info_labels,
        ),
        max_speed: g(
            "max_link_transfers_per_second",
            "Value of maximum link's transfers per second (T/s)",
        ),
        max_width: g(
            "max_link_width",
            "Value of maximum link's width (number of lanes)",
        ),
        cur_speed: g(
            "current_link_transfers_per_second",
            "Value of current link's transfers per second (T/s)",
        ),
        cur_width: g(
            "current_link_width",
            "Value of current link's width (number of lanes)",
        ),
        d3cold: g(
            "d3cold_allowed",
            "Whether the PCIe device supports D3cold power state (0/1).",
        ),
        autoprobe: g(
            "sriov_drivers_autoprobe",
            "Whether SR-IOV drivers autoprobe is enabled for the device (0/1).",
        ),
        numvfs: g(
            "sriov_numvfs",
            "Number of Virtual Functions (VFs) currently enabled for SR-IOV.",
        ),
        totalvfs: g(
            "sriov_totalvfs",
            "Total number of Virtual Functions (VFs) supported by the device.",
        ),
        vf_msix: g(
            "sriov_vf_total_msix",
            "Total number of MSI-X vectors for Virtual Functions.",
        ),
        power: Desc::gauge(
            "node_pcidevice_power_state",
            "PCIe device power state, one of: D0, D1, D2, D3hot, D3cold, unknown or error.",
            &power_labels,
        ),
        numa: g(
            "numa_node",
            "NUMA node number for the PCI device. -1 indicates unknown or not available.",
        ),
    }))
}

/// `0000:00:02.1` -> ["0000", "00", "02", "1"], each re-spelled as upstream
/// prints it (4, 2, 2 and 1+ lower-case hex digits).
pub fn location(text: &str) -> Option<[String; 4]> {
    let mut parts = text.split(':');
    let (seg, bus, rest) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let (dev, func) = rest.split_once('.')?;
    let n = |s: &str| i64::from_str_radix(s, 16).ok();
    Some([
        format!("{:04x}", n(seg)?),
        format!("{:02x}", n(bus)?),
        format!("{:02x}", n(dev)?),
        format!("{:x}", n(func)?),
    ])
}

/// An attribute's trimmed text, `None` when absent or empty.
fn optional(path: &Path) -> Result<Option<String>, CollectError> {
    match read_string(path) {
        Ok(t) => {
            let t = t.trim().to_string();
            Ok((!t.is_empty()).then_some(t))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CollectError::io(path, e)),
    }
}

fn bad(path: &Path, text: &str) -> CollectError {
    CollectError::parse(path.display().to_string(), format!("bad value {text:?}"))
}

/// An integer attribute as Go's ParseInt(s, 0, _) reads it (0x hex too).
fn int(path: &Path, text: &str) -> Result<i64, CollectError> {
    crate::parse::sysfs_value::parse_int(text).ok_or_else(|| bad(path, text))
}

impl Pcidevice {
    fn device(&self, name: &str, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.dir.join(name);
        let target = std::fs::read_link(&path).map_err(|e| CollectError::io(&path, e))?;
        let base = |p: &Path| p.file_name().map(|s| s.to_string_lossy().into_owned());
        let own = base(&target).unwrap_or_default();
        let loc = location(&own).ok_or_else(|| bad(&path, &own))?;
        let parent_name = target.parent().and_then(base).unwrap_or_default();
        let parent = if parent_name.starts_with("pci") {
            ["*", "*", "*", "*"].map(String::from)
        } else {
            location(&parent_name).ok_or_else(|| bad(&path, &parent_name))?
        };
        let mut ids = Vec::with_capacity(6);
        for f in [
            "class",
            "vendor",
            "device",
            "subsystem_vendor",
            "subsystem_device",
            "revision",
        ] {
            let p = path.join(f);
            let text = optional(&p)?.ok_or_else(|| bad(&p, ""))?;
            ids.push(int(&p, &text)?);
        }
        let class_id = format!("0x{:06x}", ids[0]);
        let vendor = format!("0x{:04x}", ids[1]);
        let device = format!("0x{:04x}", ids[2]);
        let sub_vendor = format!("0x{:04x}", ids[3]);
        let sub_device = format!("0x{:04x}", ids[4]);
        let revision = format!("0x{:02x}", ids[5]);
        let mut info: Vec<String> = loc.iter().chain(&parent).cloned().collect();
        info.extend([
            class_id.clone(),
            vendor.clone(),
            device.clone(),
            sub_vendor.clone(),
            sub_device.clone(),
            revision,
        ]);
        if let Some(n) = &self.names {
            info.extend([
                n.vendor(&vendor),
                n.device(&vendor, &device),
                n.vendor(&sub_vendor),
                n.subsystem(&vendor, &device, &sub_vendor, &sub_device),
                n.class(&class_id),
            ]);
        }
        let info: Vec<&str> = info.iter().map(String::as_str).collect();

        // Link speed "8.0 GT/s PCIe" in transfers per second; absent or
        // "Unknown" reads -1, as upstream.
        let speed = |f: &str| -> Result<f64, CollectError> {
            let p = path.join(f);
            match optional(&p)? {
                Some(t) if !t.starts_with("Unknown") => {
                    let (num, unit) = t.split_once(' ').ok_or_else(|| bad(&p, &t))?;
                    if unit != "GT/s PCIe" {
                        return Err(bad(&p, &t));
                    }
                    let gt: f64 = num.trim().parse().map_err(|_| bad(&p, &t))?;
                    Ok(gt * 1e9)
                }
                _ => Ok(-1.0),
            }
        };
        let number = |f: &str| -> Result<Option<f64>, CollectError> {
            let p = path.join(f);
            match optional(&p)? {
                Some(t) if !t.starts_with("Unknown") => {
                    let v: i64 = t.parse().map_err(|_| bad(&p, &t))?;
                    Ok(Some(v as f64))
                }
                _ => Ok(None),
            }
        };
        let flag = |f: &str| -> Result<f64, CollectError> {
            let p = path.join(f);
            match optional(&p)? {
                Some(t) => Ok(if int(&p, &t)? != 0 { 1.0 } else { 0.0 }),
                None => Ok(0.0),
            }
        };
        let max_speed = speed("max_link_speed")?;
        let max_width = number("max_link_width")?.unwrap_or(-1.0);
        let cur_speed = speed("current_link_speed")?;
        let cur_width = number("current_link_width")?.unwrap_or(-1.0);
        let numa = number("numa_node")?;
        let autoprobe = flag("sriov_drivers_autoprobe")?;
        let numvfs = number("sriov_numvfs")?.unwrap_or(0.0);
        let totalvfs = number("sriov_totalvfs")?.unwrap_or(0.0);
        let vf_msix = number("sriov_vf_total_msix")?.unwrap_or(0.0);
        let d3cold = flag("d3cold_allowed")?;
        let power = optional(&path.join("power_state"))?;

        let l: Vec<&str> = loc.iter().map(String::as_str).collect();
        out.gauge(&self.info, &info, 1.0);
        out.gauge(&self.max_speed, &l, max_speed);
        out.gauge(&self.max_width, &l, max_width);
        out.gauge(&self.cur_speed, &l, cur_speed);
        out.gauge(&self.cur_width, &l, cur_width);
        out.gauge(&self.d3cold, &l, d3cold);
        out.gauge(&self.autoprobe, &l, autoprobe);
        out.gauge(&self.numvfs, &l, numvfs);
        out.gauge(&self.totalvfs, &l, totalvfs);
        out.gauge(&self.vf_msix, &l, vf_msix);
        if let Some(state) = power {
            for s in POWER_STATES {
                let v = if s == state { 1.0 } else { 0.0 };
                out.gauge(&self.power, &[l[0], l[1], l[2], l[3], s], v);
            }
        }
        // -1 (no NUMA affinity) is not exported, as upstream.
        if let Some(node) = numa.filter(|n| *n != -1.0) {
            out.gauge(&self.numa, &l, node);
        }
        Ok(())
    }
}

impl Collector for Pcidevice {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let mut series = Emitter::new();
        for name in list_dir(&self.dir)? {
            self.device(&name, &mut series)?;
        }
        // One unreadable device fails the scan, as upstream's PciDevices().
        for family in series.into_families() {
            out.family(family);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_respelled_as_upstream() {
        assert_eq!(
            location("0000:00:1f.3"),
            Some(["0000", "00", "1f", "3"].map(String::from))
        );
        assert_eq!(location("pci0000:00"), None);
        assert_eq!(location("0000:00:1f"), None);
    }

    #[test]
    fn names_from_pci_ids() {
        let ids = PciIds::parse(
            "# comment\n8086  Intel Corporation\n\t1521  I350 Gigabit\n\t\t8086 00a3  Ethernet Server Adapter\n\
             C 02  Network controller\n\t00  Ethernet controller\nC 01  Mass storage\n\t08  NVM\n\t\t02  NVM Express\n",
        );
        assert_eq!(ids.vendor("0x8086"), "Intel Corporation");
        assert_eq!(ids.vendor("0x1234"), "1234");
        assert_eq!(ids.device("0x8086", "0x1521"), "I350 Gigabit");
        assert_eq!(
            ids.subsystem("0x8086", "0x1521", "0x8086", "0x00a3"),
            "Ethernet Server Adapter"
        );
        assert_eq!(ids.class("0x020000"), "Ethernet controller");
        assert_eq!(ids.class("0x010802"), "NVM Express");
        assert_eq!(ids.class("0x0c0330"), "Unknown class (0c0330)");
    }
}
