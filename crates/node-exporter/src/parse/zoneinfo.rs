//! /proc/zoneinfo: per node and zone watermarks, sizes and counters.

/// One `Node N, zone Z` section: the values node_exporter exposes, by the
/// kernel's field name (`min`, `nr_dirtied`, ...), and the protection list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Zone {
    pub node: String,
    pub zone: String,
    pub values: Vec<(String, f64)>,
    pub protection: Vec<f64>,
}

/// Kernel fields read; others (pagesets, workingset, ...) are ignored.
pub const FIELDS: &[&str] = &[
    "nr_free_pages",
    "min",
    "low",
    "high",
    "scanned",
    "spanned",
    "present",
    "managed",
    "nr_active_anon",
    "nr_inactive_anon",
    "nr_isolated_anon",
    "nr_anon_pages",
    "nr_anon_transparent_hugepages",
    "nr_active_file",
    "nr_inactive_file",
    "nr_isolated_file",
    "nr_file_pages",
    "nr_slab_reclaimable",
    "nr_slab_unreclaimable",
    "nr_mlock_stack",
    "nr_kernel_stack",
    "nr_mapped",
    "nr_dirty",
    "nr_writeback",
    "nr_unevictable",
    "nr_shmem",
    "nr_dirtied",
    "nr_written",
    "numa_hit",
    "numa_miss",
    "numa_foreign",
    "numa_interleave",
    "numa_local",
    "numa_other",
];

/// Never fails: unreadable values are skipped.
pub fn parse(text: &str) -> Vec<Zone> {
    let mut out: Vec<Zone> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("Node ") {
            let (node, zone) = match rest.split_once(", zone") {
                Some((n, z)) => (n.trim().to_string(), z.trim().to_string()),
                None => continue,
            };
            out.push(Zone {
                node,
                zone,
                ..Zone::default()
            });
            continue;
        }
        let Some(cur) = out.last_mut() else { continue };
        let t = line.trim();
        if let Some(list) = t.strip_prefix("protection:") {
            cur.protection = list
                .trim()
                .trim_start_matches('(')
                .trim_end_matches(')')
                .split(',')
                .filter_map(|v| v.trim().parse::<f64>().ok())
                .collect();
            continue;
        }
        let f: Vec<&str> = t.split_whitespace().collect();
        if f.len() != 2 || !FIELDS.contains(&f[0]) {
            continue;
        }
        if let Ok(v) = f[1].parse::<f64>() {
            cur.values.push((f[0].to_string(), v));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn sections() {
        let z = super::parse(
            "Node 0, zone      DMA\n  per-node stats\n      nr_dirtied   7\n  pages free     3840\n        min      14\n        high:     0\n        protection: (0, 3018, 17226)\n      nr_free_pages 3840\n      numa_hit x\nNode 0, zone    DMA32\n        low 5\n",
        );
        assert_eq!(z.len(), 2);
        assert_eq!(z[0].zone, "DMA");
        assert_eq!(z[0].protection, vec![0.0, 3018.0, 17226.0]);
        assert_eq!(
            z[0].values,
            vec![
                ("nr_dirtied".to_string(), 7.0),
                ("min".to_string(), 14.0),
                ("nr_free_pages".to_string(), 3840.0)
            ]
        );
        assert_eq!(z[1].values, vec![("low".to_string(), 5.0)]);
    }
}
