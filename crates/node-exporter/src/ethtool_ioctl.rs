//! The SIOCETHTOOL ioctls the ethtool collector needs: driver info, the
//! names and values of the driver's statistics, and legacy link settings.
//! The only unsafe code is the ioctl call itself, on buffers sized here.

use std::io;
use std::os::fd::AsRawFd;

const SIOCETHTOOL: libc::c_ulong = 0x8946;
const ETHTOOL_GSET: u32 = 0x1;
const ETHTOOL_GDRVINFO: u32 = 0x3;
const ETHTOOL_GSTRINGS: u32 = 0x1b;
const ETHTOOL_GSTATS: u32 = 0x1d;
const ETH_SS_STATS: u32 = 1;
const ETH_GSTRING_LEN: usize = 32;

#[repr(C)]
struct Ifreq {
    name: [u8; 16],
    data: *mut libc::c_void,
    _pad: [u8; 16],
}

/// Any socket takes the ethtool ioctls; closed on drop.
pub struct Socket(rustix::fd::OwnedFd);

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DriverInfo {
    pub driver: String,
    pub version: String,
    pub firmware_version: String,
    pub bus_info: String,
    pub expansion_rom_version: String,
    pub n_stats: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LinkSettings {
    pub supported: u32,
    pub advertising: u32,
    pub autoneg: u8,
}

fn cstr(b: &[u8]) -> String {
    let end = b.iter().position(|c| *c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

impl Socket {
    pub fn open() -> io::Result<Socket> {
        use rustix::net::{AddressFamily, SocketFlags, SocketType};
        let fd = rustix::net::socket_with(
            AddressFamily::INET,
            SocketType::DGRAM,
            SocketFlags::CLOEXEC,
            None,
        )?;
        Ok(Socket(fd))
    }

    /// Runs one ethtool command whose request and reply is `buf`.
    fn call(&self, dev: &str, buf: &mut [u8]) -> io::Result<()> {
        let mut req = Ifreq {
            name: [0; 16],
            data: buf.as_mut_ptr().cast(),
            _pad: [0; 16],
        };
        let name = dev.as_bytes();
        if name.len() >= req.name.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "interface name too long",
            ));
        }
        req.name[..name.len()].copy_from_slice(name);
        #[allow(unsafe_code)]
        // SAFETY: req points at `buf`, which is as large as the command's
        // structure (the callers size it), and both outlive the call.
        let ret =
            unsafe { libc::ioctl(self.0.as_raw_fd(), SIOCETHTOOL as _, &mut req as *mut Ifreq) };
        if ret < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    pub fn driver_info(&self, dev: &str) -> io::Result<DriverInfo> {
        // struct ethtool_drvinfo: 196 bytes
        let mut buf = vec![0u8; 196];
        buf[..4].copy_from_slice(&ETHTOOL_GDRVINFO.to_ne_bytes());
        self.call(dev, &mut buf)?;
        Ok(DriverInfo {
            driver: cstr(&buf[4..36]),
            version: cstr(&buf[36..68]),
            firmware_version: cstr(&buf[68..100]),
            bus_info: cstr(&buf[100..132]),
            expansion_rom_version: cstr(&buf[132..164]),
            n_stats: u32::from_ne_bytes([buf[180], buf[181], buf[182], buf[183]]),
        })
    }

    /// The driver's statistics: (name, value), `n` of them.
    pub fn stats(&self, dev: &str, n: u32) -> io::Result<Vec<(String, u64)>> {
        let n = n.min(1 << 16) as usize;
        let mut names = vec![0u8; 12 + n * ETH_GSTRING_LEN];
        names[..4].copy_from_slice(&ETHTOOL_GSTRINGS.to_ne_bytes());
        names[4..8].copy_from_slice(&ETH_SS_STATS.to_ne_bytes());
        names[8..12].copy_from_slice(&(n as u32).to_ne_bytes());
        self.call(dev, &mut names)?;
        let mut values = vec![0u8; 8 + n * 8];
        values[..4].copy_from_slice(&ETHTOOL_GSTATS.to_ne_bytes());
        values[4..8].copy_from_slice(&(n as u32).to_ne_bytes());
        self.call(dev, &mut values)?;
        let got =
            (u32::from_ne_bytes([values[4], values[5], values[6], values[7]]) as usize).min(n);
        Ok((0..got)
            .map(|i| {
                let name = cstr(&names[12 + i * ETH_GSTRING_LEN..12 + (i + 1) * ETH_GSTRING_LEN]);
                let off = 8 + i * 8;
                let mut v = [0u8; 8];
                v.copy_from_slice(&values[off..off + 8]);
                (name, u64::from_ne_bytes(v))
            })
            .collect())
    }

    pub fn link_settings(&self, dev: &str) -> io::Result<LinkSettings> {
        // struct ethtool_cmd: 44 bytes
        let mut buf = vec![0u8; 44];
        buf[..4].copy_from_slice(&ETHTOOL_GSET.to_ne_bytes());
        self.call(dev, &mut buf)?;
        Ok(LinkSettings {
            supported: u32::from_ne_bytes([buf[4], buf[5], buf[6], buf[7]]),
            advertising: u32::from_ne_bytes([buf[8], buf[9], buf[10], buf[11]]),
            autoneg: buf[18],
        })
    }
}
