//! /proc/cpuinfo (x86 layout): blocks of `key\t: value` separated by blank lines.

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CpuInfo {
    pub processor: String,
    pub vendor_id: String,
    pub cpu_family: String,
    pub model: String,
    pub model_name: String,
    pub stepping: String,
    pub microcode: String,
    pub cache_size: String,
    pub physical_id: String,
    pub core_id: String,
    pub cpu_mhz: Option<f64>,
    pub flags: Vec<String>,
    pub bugs: Vec<String>,
}

pub fn parse(text: &str) -> Vec<CpuInfo> {
    let mut out = Vec::new();
    let mut cur: Option<CpuInfo> = None;
    for line in text.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim());
        if k == "processor" {
            if let Some(c) = cur.take() {
                out.push(c);
            }
            cur = Some(CpuInfo {
                processor: v.to_string(),
                ..CpuInfo::default()
            });
            continue;
        }
        let Some(c) = cur.as_mut() else { continue };
        match k {
            "vendor_id" => c.vendor_id = v.to_string(),
            "cpu family" => c.cpu_family = v.to_string(),
            "model" => c.model = v.to_string(),
            "model name" => c.model_name = v.to_string(),
            "stepping" => c.stepping = v.to_string(),
            "microcode" => c.microcode = v.to_string(),
            "cache size" => c.cache_size = v.to_string(),
            "physical id" => c.physical_id = v.to_string(),
            "core id" => c.core_id = v.to_string(),
            "cpu MHz" => c.cpu_mhz = v.parse().ok(),
            "flags" => c.flags = v.split_whitespace().map(str::to_string).collect(),
            "bugs" => c.bugs = v.split_whitespace().map(str::to_string).collect(),
            _ => {}
        }
    }
    out.extend(cur);
    out
}
