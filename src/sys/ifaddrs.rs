//! The addresses of this machine's interfaces, from getifaddrs(3).

use std::ffi::CStr;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One address of one interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IfAddr {
    /// The interface's name, e.g. `lo`.
    pub name: String,
    pub addr: IpAddr,
    /// The prefix length of the netmask (32 or 128 when there is none).
    pub prefix: u8,
}

/// Every IPv4 and IPv6 address on an interface of this machine, or `None` when getifaddrs fails.
pub fn all() -> Option<Vec<IfAddr>> {
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `head` with a list we free below with freeifaddrs.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return None;
    }
    let mut out = Vec::new();
    let mut cur = head;
    while !cur.is_null() {
        // SAFETY: `cur` is a node of the list returned by getifaddrs, valid until freeifaddrs.
        let ifa = unsafe { &*cur };
        cur = ifa.ifa_next;
        if ifa.ifa_addr.is_null() {
            continue;
        }
        // SAFETY: the address is not null and points into the list; the family says which
        // sockaddr type it (and the netmask, when not null) holds.
        let Some((addr, prefix)) = (unsafe { address_of(ifa) }) else {
            continue;
        };
        // SAFETY: ifa_name is a NUL-terminated string owned by the list.
        let name = unsafe { CStr::from_ptr(ifa.ifa_name) }
            .to_string_lossy()
            .into_owned();
        out.push(IfAddr { name, addr, prefix });
    }
    // SAFETY: `head` came from getifaddrs and is freed once; no reference into it remains.
    unsafe { libc::freeifaddrs(head) };
    Some(out)
}

/// The name of the interface with index `index` on this machine (if_indextoname(3)), or `None`
/// when there is none.
pub fn name_of(index: u32) -> Option<String> {
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: `buf` has IF_NAMESIZE bytes, as if_indextoname requires; on success it holds a
    // NUL-terminated name.
    let p = unsafe { libc::if_indextoname(index, buf.as_mut_ptr()) };
    if p.is_null() {
        return None;
    }
    // SAFETY: if_indextoname succeeded, so `buf` is NUL-terminated.
    let name = unsafe { CStr::from_ptr(buf.as_ptr()) };
    Some(name.to_string_lossy().into_owned())
}

/// The address and prefix length of one node, for AF_INET and AF_INET6.
///
/// # Safety
/// `ifa.ifa_addr` is not null, and it and `ifa.ifa_netmask` (when not null) point to valid
/// sockaddrs of the family `ifa_addr` names, as getifaddrs hands them out.
unsafe fn address_of(ifa: &libc::ifaddrs) -> Option<(IpAddr, u8)> {
    // SAFETY: the caller guarantees ifa_addr is valid; the casts follow sa_family, and the
    // netmask has the same family as the address when it is not null.
    unsafe {
        match i32::from((*ifa.ifa_addr).sa_family) {
            libc::AF_INET => {
                let a = &*(ifa.ifa_addr as *const libc::sockaddr_in);
                let ip = Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr));
                let p = if ifa.ifa_netmask.is_null() {
                    32
                } else {
                    let m = &*(ifa.ifa_netmask as *const libc::sockaddr_in);
                    u32::from_be(m.sin_addr.s_addr).count_ones() as u8
                };
                Some((IpAddr::V4(ip), p))
            }
            libc::AF_INET6 => {
                let a = &*(ifa.ifa_addr as *const libc::sockaddr_in6);
                let ip = Ipv6Addr::from(a.sin6_addr.s6_addr);
                let p = if ifa.ifa_netmask.is_null() {
                    128
                } else {
                    let m = &*(ifa.ifa_netmask as *const libc::sockaddr_in6);
                    u128::from_be_bytes(m.sin6_addr.s6_addr).count_ones() as u8
                };
                Some((IpAddr::V6(ip), p))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_is_listed() {
        let all = super::all().unwrap();
        assert!(
            all.iter().any(|a| a.name == "lo" && a.addr.is_loopback()),
            "{all:?}"
        );
    }
}
