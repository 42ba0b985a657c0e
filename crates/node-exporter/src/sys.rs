//! The few system calls node_exporter makes besides reading files
//! (statfs, uname, adjtimex, perf_event_open), behind safe functions:
//! rustix's where it has them; the `unsafe` blocks left are single libc
//! calls rustix does not offer (adjtimex, localtime_r, getifaddrs,
//! perf_event_open), each on memory we own.
#![allow(unsafe_code)]

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::path::Path;

/// What statvfs(3) says about a mounted filesystem, in bytes and inodes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FsStats {
    pub size_bytes: f64,
    pub free_bytes: f64,
    pub avail_bytes: f64,
    pub files: f64,
    pub files_free: f64,
    pub readonly: bool,
}

pub fn statvfs(path: &Path) -> io::Result<FsStats> {
    let st = rustix::fs::statvfs(path)?;
    let frsize = if st.f_frsize > 0 {
        st.f_frsize as f64
    } else {
        st.f_bsize as f64
    };
    Ok(FsStats {
        size_bytes: st.f_blocks as f64 * frsize,
        free_bytes: st.f_bfree as f64 * frsize,
        avail_bytes: st.f_bavail as f64 * frsize,
        files: st.f_files as f64,
        files_free: st.f_ffree as f64,
        readonly: st.f_flag.contains(rustix::fs::StatVfsMountFlags::RDONLY),
    })
}

/// uname(2), as strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uname {
    pub sysname: String,
    pub nodename: String,
    pub release: String,
    pub version: String,
    pub machine: String,
    pub domainname: String,
}

fn field(chars: &CStr) -> String {
    chars.to_string_lossy().into_owned()
}

/// uname(2), which cannot fail on Linux.
pub fn uname() -> Uname {
    let u = rustix::system::uname();
    Uname {
        sysname: field(u.sysname()),
        nodename: field(u.nodename()),
        release: field(u.release()),
        version: field(u.version()),
        machine: field(u.machine()),
        domainname: field(u.domainname()),
    }
}

/// The kernel clock state from adjtimex(2) in read-only mode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timex {
    pub state: i32,
    pub status: i64,
    pub offset: i64,
    pub freq: i64,
    pub maxerror: i64,
    pub esterror: i64,
    pub constant: i64,
    pub precision: i64,
    pub tolerance: i64,
    pub tick: i64,
    pub ppsfreq: i64,
    pub jitter: i64,
    pub shift: i64,
    pub stabil: i64,
    pub jitcnt: i64,
    pub calcnt: i64,
    pub errcnt: i64,
    pub stbcnt: i64,
    pub tai: i64,
}

pub fn adjtimex() -> io::Result<Timex> {
    // SAFETY: zeroed is a valid timex; modes = 0 only reads.
    let mut t: libc::timex = unsafe { std::mem::zeroed() };
    // SAFETY: t is a valid in/out pointer with modes 0 (read only).
    let state = unsafe { libc::adjtimex(&mut t) };
    if state < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Timex {
        state,
        status: t.status as i64,
        offset: t.offset as i64,
        freq: t.freq as i64,
        maxerror: t.maxerror as i64,
        esterror: t.esterror as i64,
        constant: t.constant as i64,
        precision: t.precision as i64,
        tolerance: t.tolerance as i64,
        tick: t.tick as i64,
        ppsfreq: t.ppsfreq as i64,
        jitter: t.jitter as i64,
        shift: t.shift as i64,
        stabil: t.stabil as i64,
        jitcnt: t.jitcnt as i64,
        calcnt: t.calcnt as i64,
        errcnt: t.errcnt as i64,
        stbcnt: t.stbcnt as i64,
        tai: t.tai as i64,
    })
}

/// `struct perf_event_attr` up to `config1`: the first version of it
/// (`PERF_ATTR_SIZE_VER0`, 64 bytes), which every kernel with perf events
/// takes; the kernel reads the fields it has grown since as zero.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct PerfEventAttr {
    pub kind: u32,
    /// Set by [`perf_event_open`].
    pub size: u32,
    pub config: u64,
    pub sample_period: u64,
    pub sample_type: u64,
    pub read_format: u64,
    /// The bit fields (`disabled`, `inherit`, ..., `exclude_hv`, ...).
    pub flags: u64,
    pub wakeup_events: u32,
    pub bp_type: u32,
    pub config1: u64,
}

/// perf_event_open(2) with `PERF_FLAG_FD_CLOEXEC`: a counter of `attr`'s
/// event for `pid` (-1: every task) on `cpu` (-1: every CPU), in the group
/// led by `group` if given.
pub fn perf_event_open(
    mut attr: PerfEventAttr,
    pid: i32,
    cpu: i32,
    group: Option<BorrowedFd<'_>>,
) -> io::Result<OwnedFd> {
    const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 8;
    attr.size = std::mem::size_of::<PerfEventAttr>() as u32;
    let group_fd = group.map_or(-1, |fd| fd.as_raw_fd());
    // SAFETY: attr is a live perf_event_attr of the size its `size` field
    // says; the kernel only reads it. The other arguments are plain values.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            &attr as *const PerfEventAttr,
            pid,
            cpu,
            group_fd,
            PERF_FLAG_FD_CLOEXEC,
        )
    };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    let fd =
        i32::try_from(ret).map_err(|_| io::Error::other("perf_event_open: fd out of range"))?;
    // SAFETY: the kernel just returned this descriptor to us; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The local time zone's abbreviation and offset from UTC at `unix_secs`.
pub fn local_zone(unix_secs: i64) -> Option<(String, i64)> {
    let t: libc::time_t = unix_secs as libc::time_t;
    // SAFETY: zeroed is a valid tm.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: localtime_r reads t and writes into our tm.
    let ok = unsafe { !libc::localtime_r(&t, &mut tm).is_null() };
    if !ok {
        return None;
    }
    let name = if tm.tm_zone.is_null() {
        String::new()
    } else {
        // SAFETY: tm_zone points at a static NUL-terminated string from libc.
        unsafe { CStr::from_ptr(tm.tm_zone) }
            .to_string_lossy()
            .into_owned()
    };
    Some((name, tm.tm_gmtoff))
}

/// The memory page size in bytes.
pub fn page_size() -> u64 {
    rustix::param::page_size() as u64
}

/// One address of a network interface, as getifaddrs(3) lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceAddress {
    /// The interface's name (an IPv4 alias label `eth0:1` is cut to `eth0`).
    pub device: String,
    pub address: std::net::IpAddr,
    /// The prefix length of the netmask.
    pub prefix_len: u32,
}

/// The IPv4 and IPv6 addresses of every interface in the exporter's
/// network namespace (what Go's net.Interfaces + Addrs return).
pub fn interface_addresses() -> io::Result<Vec<InterfaceAddress>> {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    /// The address in a sockaddr of family AF_INET or AF_INET6.
    ///
    /// # Safety
    /// `sa` is null or points to a sockaddr of at least its family's size.
    unsafe fn ip_of(sa: *const libc::sockaddr) -> Option<IpAddr> {
        if sa.is_null() {
            return None;
        }
        // SAFETY: sa is non-null and points to a sockaddr (caller's contract).
        match i32::from(unsafe { (*sa).sa_family }) {
            libc::AF_INET => {
                // SAFETY: the family says this is a sockaddr_in.
                let sin = unsafe { &*(sa as *const libc::sockaddr_in) };
                Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(
                    sin.sin_addr.s_addr,
                ))))
            }
            libc::AF_INET6 => {
                // SAFETY: the family says this is a sockaddr_in6.
                let sin6 = unsafe { &*(sa as *const libc::sockaddr_in6) };
                Some(IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)))
            }
            _ => None,
        }
    }

    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: head is a valid out pointer; freed below with freeifaddrs.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let mut out = Vec::new();
    let mut cur = head;
    while !cur.is_null() {
        // SAFETY: cur is a node of the list getifaddrs returned, not yet freed.
        let ifa = unsafe { &*cur };
        cur = ifa.ifa_next;
        // SAFETY: the kernel's sockaddrs are sized for their family.
        let (Some(address), Some(mask)) = (unsafe { ip_of(ifa.ifa_addr) }, unsafe {
            ip_of(ifa.ifa_netmask)
        }) else {
            continue;
        };
        if ifa.ifa_name.is_null() {
            continue;
        }
        // SAFETY: ifa_name is a NUL-terminated string owned by the list.
        let name = unsafe { CStr::from_ptr(ifa.ifa_name) }.to_string_lossy();
        let device = name.split(':').next().unwrap_or_default().to_string();
        let prefix_len = match mask {
            IpAddr::V4(m) => u32::from(m).count_ones(),
            IpAddr::V6(m) => u128::from(m).count_ones(),
        };
        out.push(InterfaceAddress {
            device,
            address,
            prefix_len,
        });
    }
    // SAFETY: head came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(head) };
    Ok(out)
}
