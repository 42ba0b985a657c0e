//! /proc/mdstat: one entry per md device.

use super::ParseError;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct MdStat {
    pub name: String,
    /// active, inactive, recovering, resyncing, checking (or whatever the
    /// kernel wrote, such as `active(auto-read-only)`).
    pub state: String,
    pub disks_active: i64,
    pub disks_failed: i64,
    pub disks_spare: i64,
    pub disks_down: i64,
    pub disks_total: i64,
    pub blocks_total: i64,
    pub blocks_synced: i64,
}

/// Parses the whole file. A device whose lines cannot be read is left out
/// and reported in the error list; the others are returned.
pub fn parse(text: &str) -> (Vec<MdStat>, Vec<ParseError>) {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty()
            || line.starts_with(' ')
            || line.starts_with('\t')
            || line.starts_with("Personalities")
            || line.starts_with("unused")
        {
            continue;
        }
        match parse_device(&lines, i) {
            Ok(md) => out.push(md),
            Err(msg) => errors.push(ParseError::new(i + 1, msg)),
        }
    }
    (out, errors)
}

fn parse_device(lines: &[&str], i: usize) -> Result<MdStat, String> {
    let line = lines[i];
    let fields: Vec<&str> = line.split_whitespace().collect();
    if fields.len() < 3 {
        return Err(format!("not enough fields in md line: {line:?}"));
    }
    let name = fields[0].to_string();
    let mut state = fields[2].to_string();
    if lines.len() <= i + 3 {
        return Err(format!("too few lines for md device {name}"));
    }
    let status = lines[i + 1];
    let (active, total, down, size) = status_line(line, status)?;
    let mut sync_idx = i + 2;
    if lines[sync_idx].contains("bitmap") {
        sync_idx += 1;
    }
    let sync = lines.get(sync_idx).copied().unwrap_or("");
    let mut synced = size;
    let recovering = sync.contains("recovery");
    let resyncing = sync.contains("resync");
    let checking = sync.contains("check");
    if recovering || resyncing || checking {
        state = if recovering {
            "recovering"
        } else if checking {
            "checking"
        } else {
            "resyncing"
        }
        .to_string();
        if sync.contains("PENDING") || sync.contains("DELAYED") {
            synced = 0;
        } else {
            synced = recovery_blocks(sync)
                .ok_or_else(|| format!("cannot read the sync line of {name}: {sync:?}"))?;
        }
    }
    Ok(MdStat {
        name,
        state,
        disks_active: active,
        disks_failed: line.matches("(F)").count() as i64,
        disks_spare: line.matches("(S)").count() as i64,
        disks_down: down,
        disks_total: total,
        blocks_total: size,
        blocks_synced: synced,
    })
}

/// (active, total, down, size) from the device line and the status line
/// (`1234 blocks super 1.2 [2/1] [U_]`).
fn status_line(device: &str, status: &str) -> Result<(i64, i64, i64, i64), String> {
    let size = status
        .split_whitespace()
        .next()
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(|| format!("no block count in status line {status:?}"))?;
    if device.contains("raid0") || device.contains("linear") {
        let total = device.matches('[').count() as i64;
        return Ok((total, total, 0, size));
    }
    if device.contains("inactive") {
        return Ok((0, 0, 0, size));
    }
    if !status.contains(" blocks ") {
        return Err(format!("no blocks in status line {status:?}"));
    }
    // The last "[N/M]" then "[UU_]".
    let mut counts = None;
    let mut health = None;
    let mut rest = status;
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find(']') else {
            break;
        };
        let inner = &rest[open + 1..open + close];
        if let Some((t, a)) = inner.split_once('/') {
            if let (Ok(t), Ok(a)) = (t.parse::<i64>(), a.parse::<i64>()) {
                counts = Some((t, a));
            }
        } else if !inner.is_empty()
            && inner.chars().all(|c| c == 'U' || c == '_')
            && counts.is_some()
        {
            health = Some(inner.matches('_').count() as i64);
        }
        rest = &rest[open + close + 1..];
    }
    match (counts, health) {
        (Some((total, active)), Some(down)) => Ok((active, total, down, size)),
        _ => Err(format!("no [n/m] [U_] in status line {status:?}")),
    }
}

/// Blocks synced from `(12345/67890)` in a recovery/resync line.
fn recovery_blocks(line: &str) -> Option<i64> {
    let open = line.find('(')?;
    let close = line[open..].find(')')? + open;
    let (done, _) = line[open + 1..close].split_once('/')?;
    done.trim().parse::<i64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "Personalities : [raid1] [raid6] [raid5] [raid4] [linear] [raid0]
md3 : active raid6 sda1[8] sdh1[7] sdg1[6] sdf1[5] sde1[11] sdd1[3] sdc1[10] sdb1[9] sdi1[1](S) sdj1[2](F)
      5853468288 blocks super 1.2 level 6, 64k chunk, algorithm 2 [8/8] [UUUUUUUU]

md127 : active raid1 sdi2[0] sdj2[1]
      312319552 blocks [2/2] [UU]

md6 : active raid1 sdb2[2] sda2[0]
      195310144 blocks [2/1] [U_]
      [=>...................]  recovery =  8.5% (16775552/195310144) finish=17.0min speed=259783K/sec

md8 : active raid1 sdb1[1] sda1[0]
      195310144 blocks [2/2] [UU]
      [=>...................]  resync =  8.5% (16775552/195310144) finish=17.0min speed=259783K/sec

md7 : active raid6 sdb1[0] sde1[3] sdd1[2] sdc1[1](F)
      7813735424 blocks super 1.2 level 6, 512k chunk, algorithm 2 [4/3] [U_UU]
      bitmap: 0/30 pages [0KB], 65536KB chunk

md9 : active raid1 sdc2[2] sdd2[3] sdb2[1] sda2[0]
      523968 blocks super 1.2 [4/4] [UUUU]
      resync=DELAYED

md10 : active raid0 sda1[0] sdb1[1]
      314159265 blocks 64k chunks

md11 : inactive sdb[2](S)
      195310144 blocks

md12 : active raid1 sdc2[0] sdd2[1]
      garbage here
      
unused devices: <none>
";

    #[test]
    fn parses_devices_and_skips_bad_ones() {
        let (mds, errors) = parse(SAMPLE);
        let names: Vec<&str> = mds.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            ["md3", "md127", "md6", "md8", "md7", "md9", "md10", "md11"]
        );
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].line, 30);
        let md3 = &mds[0];
        assert_eq!(
            (
                md3.disks_active,
                md3.disks_total,
                md3.disks_failed,
                md3.disks_spare
            ),
            (8, 8, 1, 1)
        );
        assert_eq!(md3.blocks_total, 5853468288);
        let md6 = &mds[2];
        assert_eq!(
            (md6.state.as_str(), md6.blocks_synced, md6.disks_down),
            ("recovering", 16775552, 1)
        );
        assert_eq!(mds[3].state, "resyncing");
        assert_eq!((mds[4].state.as_str(), mds[4].disks_down), ("active", 1));
        assert_eq!(
            (mds[5].state.as_str(), mds[5].blocks_synced),
            ("resyncing", 0)
        );
        assert_eq!((mds[6].disks_active, mds[6].disks_total), (2, 2));
        assert_eq!((mds[7].state.as_str(), mds[7].disks_total), ("inactive", 0));
    }

    #[test]
    fn never_panics_on_truncation() {
        for cut in 0..SAMPLE.len() {
            if SAMPLE.is_char_boundary(cut) {
                let _ = parse(&SAMPLE[..cut]);
            }
        }
    }
}
