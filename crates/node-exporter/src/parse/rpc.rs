//! /proc/net/rpc/nfs and /proc/net/rpc/nfsd: lines of a keyword followed
//! by numbers (`net 18628 0 18628 6`, `proc3 22 0 1 ...`).

use std::collections::HashMap;

use super::ParseError;

/// Keyword -> its numbers. A line with a non-numeric field is reported and
/// left out (the `th` line's histogram floats are kept as floats).
pub fn parse(text: &str) -> (HashMap<String, Vec<f64>>, Vec<ParseError>) {
    let mut out = HashMap::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut fields = line.split_whitespace();
        let Some(key) = fields.next() else {
            continue;
        };
        let values: Result<Vec<f64>, _> = fields.map(str::parse::<f64>).collect();
        match values {
            Ok(v) => {
                out.insert(key.to_string(), v);
            }
            Err(e) => errors.push(ParseError::new(i + 1, format!("{key}: {e}"))),
        }
    }
    (out, errors)
}

/// The per-procedure counts of a `procN` line: the first number is how
/// many follow.
pub fn procedures(values: &[f64]) -> &[f64] {
    match values.split_first() {
        Some((_, rest)) => rest,
        None => &[],
    }
}

pub const V2_PROCS: &[&str] = &[
    "Null", "GetAttr", "SetAttr", "Root", "Lookup", "ReadLink", "Read", "WrCache", "Write",
    "Create", "Remove", "Rename", "Link", "SymLink", "MkDir", "RmDir", "ReadDir", "FsStat",
];

pub const V3_PROCS: &[&str] = &[
    "Null",
    "GetAttr",
    "SetAttr",
    "Lookup",
    "Access",
    "ReadLink",
    "Read",
    "Write",
    "Create",
    "MkDir",
    "SymLink",
    "MkNod",
    "Remove",
    "RmDir",
    "Rename",
    "Link",
    "ReadDir",
    "ReadDirPlus",
    "FsStat",
    "FsInfo",
    "PathConf",
    "Commit",
];

/// NFSv4 client operations in the order of /proc/net/rpc/nfs's proc4 line.
pub const V4_CLIENT_PROCS: &[&str] = &[
    "Null",
    "Read",
    "Write",
    "Commit",
    "Open",
    "OpenConfirm",
    "OpenNoattr",
    "OpenDowngrade",
    "Close",
    "Setattr",
    "FsInfo",
    "Renew",
    "SetClientID",
    "SetClientIDConfirm",
    "Lock",
    "Lockt",
    "Locku",
    "Access",
    "Getattr",
    "Lookup",
    "LookupRoot",
    "Remove",
    "Rename",
    "Link",
    "Symlink",
    "Create",
    "Pathconf",
    "StatFs",
    "ReadLink",
    "ReadDir",
    "ServerCaps",
    "DelegReturn",
    "GetACL",
    "SetACL",
    "FsLocations",
    "ReleaseLockowner",
    "Secinfo",
    "FsidPresent",
    "ExchangeID",
    "CreateSession",
    "DestroySession",
    "Sequence",
    "GetLeaseTime",
    "ReclaimComplete",
    // Upstream (procfs) reads these two columns in this order; so do we,
    // for the same series.
    "GetDeviceInfo",
    "LayoutGet",
    "LayoutCommit",
    "LayoutReturn",
    "SecinfoNoName",
    "TestStateID",
    "FreeStateID",
    "GetDeviceList",
    "BindConnToSession",
    "DestroyClientID",
    "Seek",
    "Allocate",
    "DeAllocate",
    "LayoutStats",
    "Clone",
];

/// NFSv4 server operations: (index in proc4ops, name).
pub const V4_SERVER_OPS: &[(usize, &str)] = &[
    (3, "Access"),
    (4, "Close"),
    (5, "Commit"),
    (6, "Create"),
    (7, "DelegPurge"),
    (8, "DelegReturn"),
    (9, "GetAttr"),
    (10, "GetFH"),
    (11, "Link"),
    (12, "Lock"),
    (13, "Lockt"),
    (14, "Locku"),
    (15, "Lookup"),
    (16, "LookupRoot"),
    (17, "Nverify"),
    (18, "Open"),
    (19, "OpenAttr"),
    (20, "OpenConfirm"),
    (21, "OpenDgrd"),
    (22, "PutFH"),
    (23, "PutPubFH"),
    (24, "PutRootFH"),
    (25, "Read"),
    (26, "ReadDir"),
    (27, "ReadLink"),
    (28, "Remove"),
    (29, "Rename"),
    (30, "Renew"),
    (31, "RestoreFH"),
    (32, "SaveFH"),
    (33, "SecInfo"),
    (34, "SetAttr"),
    (35, "SetClientID"),
    (36, "SetClientIDConfirm"),
    (37, "Verify"),
    (38, "Write"),
    (39, "RelLockOwner"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_bad_lines() {
        let (m, errs) = parse("net 18628 0 18628 6\nrpc 1 2 x\n\nproc4 2 2 10853\n");
        assert_eq!(m["net"], vec![18628.0, 0.0, 18628.0, 6.0]);
        assert_eq!(procedures(&m["proc4"]), &[2.0, 10853.0]);
        assert!(!m.contains_key("rpc"));
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].line, 2);
        assert_eq!(V2_PROCS.len(), 18);
        assert_eq!(V3_PROCS.len(), 22);
    }
}
