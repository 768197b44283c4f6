//! A private network namespace for a lesson (unshare(2) CLONE_NEWNET) and its loopback
//! interface brought up in it (netdevice(7): SIOCGIFFLAGS, SIOCSIFFLAGS, SIOCSIFMTU).

use std::io;

/// Moves the calling thread into a new, empty network namespace (network_namespaces(7)). Only
/// this thread moves; threads and processes it starts afterwards inherit the namespace. Needs
/// CAP_SYS_ADMIN.
pub fn unshare_net() -> io::Result<()> {
    // SAFETY: unshare takes only a flag word and touches no memory of ours.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// An ifreq naming `ifname` (at most IFNAMSIZ - 1 bytes), everything else zero.
fn ifreq(ifname: &str) -> io::Result<libc::ifreq> {
    // SAFETY: ifreq is plain old data (a name array and a union of integers and addresses):
    // all zero bytes is a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    if ifname.len() >= req.ifr_name.len() {
        return Err(io::Error::from_raw_os_error(libc::ENAMETOOLONG));
    }
    for (d, s) in req.ifr_name.iter_mut().zip(ifname.bytes()) {
        *d = s as libc::c_char;
    }
    Ok(req)
}

/// Runs one interface ioctl on a throwaway datagram socket.
fn ifioctl(request: libc::c_ulong, req: &mut libc::ifreq) -> io::Result<()> {
    // SAFETY: socket takes only integers; the descriptor is closed below.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the interface requests used here read and write one ifreq, which `req` is and
    // which outlives the call.
    let rc = unsafe { libc::ioctl(fd, request as _, req as *mut libc::ifreq) };
    let err = io::Error::last_os_error();
    // SAFETY: `fd` is ours and closed once.
    unsafe { libc::close(fd) };
    if rc != 0 {
        return Err(err);
    }
    Ok(())
}

/// Sets the MTU of `ifname` (when given) and brings it up (`ip link set IF mtu N up`).
pub fn link_up(ifname: &str, mtu: Option<u32>) -> io::Result<()> {
    if let Some(mtu) = mtu {
        let mut req = ifreq(ifname)?;
        req.ifr_ifru.ifru_mtu = mtu as libc::c_int;
        ifioctl(libc::SIOCSIFMTU, &mut req)?;
    }
    let mut req = ifreq(ifname)?;
    ifioctl(libc::SIOCGIFFLAGS, &mut req)?;
    // SAFETY: SIOCGIFFLAGS filled the flags member of the union, which is read here.
    let flags = unsafe { req.ifr_ifru.ifru_flags };
    req.ifr_ifru.ifru_flags = flags | libc::IFF_UP as libc::c_short;
    ifioctl(libc::SIOCSIFFLAGS, &mut req)
}
