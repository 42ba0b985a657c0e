//! node_drm_*{card}: AMD GPUs (the amdgpu driver) from /sys/class/drm/cardN/
//! device/: busy percentage and GTT / VRAM memory.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::sysfs::{list_dir, read_attr};

pub struct Drm {
    dir: PathBuf,
    info: Desc,
    /// (device attribute, descriptor)
    numbers: Vec<(&'static str, Desc)>,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let g = |n: &str, h: &str| Desc::gauge(&format!("node_drm_{n}"), h, &["card"]);
    Ok(AnyCollector::blocking(Drm {
        dir: args.sys("class/drm"),
        info: Desc::gauge(
            "node_drm_card_info",
            "Card information",
            &[
                "card",
                "memory_vendor",
                "power_performance_level",
                "unique_id",
                "vendor",
            ],
        ),
        numbers: vec![
            (
                "gpu_busy_percent",
                g("gpu_busy_percent", "How busy the GPU is as a percentage."),
            ),
            (
                "mem_info_gtt_total",
                g(
                    "memory_gtt_size_bytes",
                    "The size of the graphics translation table (GTT) block in bytes.",
                ),
            ),
            (
                "mem_info_gtt_used",
                g(
                    "memory_gtt_used_bytes",
                    "The used amount of the graphics translation table (GTT) block in bytes.",
                ),
            ),
            (
                "mem_info_vram_total",
                g(
                    "memory_vram_size_bytes",
                    "The size of the video RAM (VRAM) block in bytes.",
                ),
            ),
            (
                "mem_info_vram_used",
                g(
                    "memory_vram_used_bytes",
                    "The used amount of the video RAM (VRAM) block in bytes.",
                ),
            ),
            (
                "mem_info_vis_vram_total",
                g(
                    "memory_vis_vram_size_bytes",
                    "The size of the visible VRAM (VIS VRAM) block in bytes.",
                ),
            ),
            (
                "mem_info_vis_vram_used",
                g(
                    "memory_vis_vram_used_bytes",
                    "The used amount of the visible VRAM (VIS VRAM) block in bytes.",
                ),
            ),
        ],
    }))
}

/// `card0` .. `card9`, as upstream's glob `card[0-9]` matches.
fn is_card(name: &str) -> bool {
    name.strip_prefix("card")
        .is_some_and(|d| d.len() == 1 && d.as_bytes()[0].is_ascii_digit())
}

impl Collector for Drm {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let mut series = Emitter::new();
        for card in list_dir(&self.dir)?.into_iter().filter(|c| is_card(c)) {
            let device = self.dir.join(&card).join("device");
            let uevent = device.join("uevent");
            let text =
                crate::sysfs::read_string(&uevent).map_err(|e| CollectError::io(&uevent, e))?;
            if !text.contains("DRIVER=amdgpu") {
                continue;
            }
            // The device link must resolve, as upstream requires.
            std::fs::canonicalize(&device).map_err(|e| CollectError::io(&device, e))?;
            let attr = |f: &str| read_attr(&device.join(f)).unwrap_or_default();
            series.gauge(
                &self.info,
                &[
                    &card,
                    &attr("mem_info_vram_vendor"),
                    &attr("power_dpm_force_performance_level"),
                    &attr("unique_id"),
                    "amd",
                ],
                1.0,
            );
            for (file, desc) in &self.numbers {
                // Unreadable or not a number reads 0, as upstream's parser leaves it.
                let v = attr(file).parse::<u64>().unwrap_or(0);
                series.gauge(desc, &[&card], v as f64);
            }
        }
        for family in series.into_families() {
            out.family(family);
        }
        Ok(())
    }
}
