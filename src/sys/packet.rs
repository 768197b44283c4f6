//! The AF_PACKET socket calls pnet does not make: options, batched reads with kernel
//! timestamps and packet direction, PACKET_STATISTICS, and SO_ATTACH_FILTER.
//!
//! The live source (`source::live`) calls these safe wrappers; everything here works on a raw
//! descriptor number. The descriptor itself belongs to pnet's
//! channel (it closes it when dropped); see `live.rs` for why the reads happen here.
//! References: packet(7), socket(7), `include/uapi/linux/if_packet.h`, `net/packet/af_packet.c`.

use std::io;
use std::mem::{self, MaybeUninit};
use std::os::fd::RawFd;

use crate::source::Timestamp;

/// `SOL_PACKET` option numbers (include/uapi/linux/if_packet.h).
const PACKET_STATISTICS: libc::c_int = 6;
/// Linux 4.20+: the kernel does not hand this socket the copies of packets the host sends.
const PACKET_IGNORE_OUTGOING: libc::c_int = 23;
/// `sll_pkttype` of a packet the host sent (the looped-back copy on `lo` arrives as HOST).
pub const PACKET_OUTGOING: u8 = 4;
/// `SOL_SOCKET` options (include/uapi/asm-generic/socket.h).
const SO_ATTACH_FILTER: libc::c_int = 26;
const SO_RCVBUFFORCE: libc::c_int = 33;
/// `SO_TIMESTAMPNS_OLD`: a `struct timespec` with the native `time_t` (64-bit here).
const SO_TIMESTAMPNS: libc::c_int = 35;
const SCM_TIMESTAMPNS: libc::c_int = SO_TIMESTAMPNS;
/// Hardware types from include/uapi/linux/if_arp.h.
pub const ARPHRD_ETHER: u16 = 1;
pub const ARPHRD_LOOPBACK: u16 = 772;
/// No link-layer header: tun devices, WireGuard; frames are bare IP packets.
pub const ARPHRD_NONE: u16 = 65534;

/// What the kernel says about a received packet in its `sockaddr_ll` (packet(7)): the
/// fields a Linux cooked header (SLL2) carries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkAddr {
    /// `sll_protocol`, the ethertype, in host order.
    pub protocol: u16,
    /// `sll_ifindex`: the interface the packet crossed.
    pub ifindex: i32,
    /// `sll_hatype`: the ARPHRD_ type of that interface.
    pub hatype: u16,
    /// `sll_pkttype`: PACKET_HOST, PACKET_OUTGOING, ...
    pub pkttype: u8,
    /// `sll_halen` and `sll_addr`: the link-layer source address.
    pub halen: u8,
    pub addr: [u8; 8],
}

impl LinkAddr {
    pub(super) fn of(s: &libc::sockaddr_ll) -> LinkAddr {
        LinkAddr {
            protocol: u16::from_be(s.sll_protocol),
            ifindex: s.sll_ifindex,
            hatype: s.sll_hatype,
            pkttype: s.sll_pkttype,
            halen: s.sll_halen,
            addr: s.sll_addr,
        }
    }
}

/// Which packets a reader steps over: those of direction `pkttype`, on interface `ifindex`
/// when one is given (libpcap drops only `lo`'s outgoing copies on the "any" device).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Skip {
    pub pkttype: u8,
    pub ifindex: Option<i32>,
}

impl Skip {
    pub fn matches(&self, a: &LinkAddr) -> bool {
        a.pkttype == self.pkttype && self.ifindex.is_none_or(|i| i == a.ifindex)
    }
}

/// One classic BPF instruction, laid out as the kernel's `struct sock_filter`
/// (include/uapi/linux/filter.h): opcode, jump-if-true, jump-if-false, constant.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SockFilter {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

/// `BPF_RET | BPF_K`: accept `k` bytes of the packet (0 rejects it).
pub const BPF_RET_K: u16 = 0x06;

/// A program that rejects every packet; used while a new filter is swapped in.
pub const REJECT_ALL: [SockFilter; 1] = [SockFilter {
    code: BPF_RET_K,
    jt: 0,
    jf: 0,
    k: 0,
}];

/// Counts from PACKET_STATISTICS. `received` counts every packet that passed the socket
/// filter, including those dropped because the receive buffer was full (as libpcap's ps_recv).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelStats {
    pub received: u64,
    pub dropped: u64,
}

fn check(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

/// setsockopt(2) with a value of any plain type (for the ring's options).
pub(super) fn set_option<T>(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    val: &T,
) -> io::Result<()> {
    setsockopt(fd, level, name, val)
}

fn setsockopt<T>(fd: RawFd, level: libc::c_int, name: libc::c_int, val: &T) -> io::Result<()> {
    // SAFETY: `val` points to a live T of the size we pass.
    check(unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (val as *const T).cast(),
            mem::size_of::<T>() as libc::socklen_t,
        )
    })
    .map(|_| ())
}

fn getsockopt_int(fd: RawFd, level: libc::c_int, name: libc::c_int) -> io::Result<libc::c_int> {
    let mut v: libc::c_int = 0;
    let mut len = mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: v and len are valid for the kernel to write.
    check(unsafe {
        libc::getsockopt(
            fd,
            level,
            name,
            (&mut v as *mut libc::c_int).cast(),
            &mut len,
        )
    })?;
    Ok(v)
}

/// An AF_PACKET SOCK_RAW socket with protocol 0: it receives nothing until it is bound with a
/// real protocol, so no packet of another interface slips in before the bind (as libpcap does).
pub fn open_packet_socket() -> io::Result<RawFd> {
    // SAFETY: plain syscall.
    check(unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) })
}

/// An AF_PACKET SOCK_DGRAM socket with protocol 0 (nothing queued before [`bind_all`]): the
/// kernel removes each packet's link header and describes it in the `sockaddr_ll` instead, so
/// interfaces of different link types can be read together (libpcap's "any" device).
pub fn open_cooked_socket() -> io::Result<RawFd> {
    // SAFETY: plain syscall.
    check(unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) })
}

/// Binds a packet socket to every interface (`sll_ifindex` 0) and every protocol (ETH_P_ALL),
/// (Reads never block: the ring is polled, recvmmsg is called with MSG_DONTWAIT.)
pub fn bind_all(fd: RawFd) -> io::Result<()> {
    // SAFETY: all-zero is a valid sockaddr_ll.
    let mut sa: libc::sockaddr_ll = unsafe { mem::zeroed() };
    sa.sll_family = libc::AF_PACKET as u16;
    sa.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
    sa.sll_ifindex = 0;
    // SAFETY: `sa` is a valid sockaddr_ll of the size we pass.
    check(unsafe {
        libc::bind(
            fd,
            (&sa as *const libc::sockaddr_ll).cast(),
            mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    })
    .map(|_| ())
}

/// Closes a descriptor we still own (before pnet took it over).
pub fn close(fd: RawFd) {
    // SAFETY: the caller owns fd and never uses it again.
    unsafe { libc::close(fd) };
}

/// Asks for a receive buffer of `bytes`. SO_RCVBUFFORCE (root or CAP_NET_ADMIN) may exceed
/// net.core.rmem_max; with only CAP_NET_RAW the kernel caps SO_RCVBUF at rmem_max. Returns the
/// size the kernel granted (it reports twice the request, for its bookkeeping overhead).
pub fn set_receive_buffer(fd: RawFd, bytes: usize) -> io::Result<usize> {
    let want = bytes.min(i32::MAX as usize / 2) as libc::c_int;
    if setsockopt(fd, libc::SOL_SOCKET, SO_RCVBUFFORCE, &want).is_err() {
        setsockopt(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, &want)?;
    }
    Ok(getsockopt_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUF)? as usize / 2)
}

/// Kernel receive timestamps in nanoseconds, delivered as SCM_TIMESTAMPNS control messages.
pub fn enable_timestamps(fd: RawFd) -> io::Result<()> {
    setsockopt(fd, libc::SOL_SOCKET, SO_TIMESTAMPNS, &1 as &libc::c_int)
}

/// Stops the kernel from queueing the outgoing copy of each packet (Linux 4.20+).
pub fn ignore_outgoing(fd: RawFd) -> io::Result<()> {
    setsockopt(
        fd,
        libc::SOL_PACKET,
        PACKET_IGNORE_OUTGOING,
        &1 as &libc::c_int,
    )
}

/// Attaches a classic BPF program with SO_ATTACH_FILTER; it replaces any earlier one.
pub fn attach_filter(fd: RawFd, prog: &[SockFilter]) -> io::Result<()> {
    if prog.is_empty() || prog.len() > u16::MAX as usize {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a BPF program has between 1 and 65535 instructions",
        ));
    }
    let fprog = libc::sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_ptr() as *mut libc::sock_filter,
    };
    setsockopt(fd, libc::SOL_SOCKET, SO_ATTACH_FILTER, &fprog)
}

/// Reads and resets the kernel's counters (PACKET_STATISTICS zeroes them on every read).
pub fn take_stats(fd: RawFd) -> io::Result<KernelStats> {
    // `tpacket_stats_v3` with a TPACKET_V3 ring; the kernel writes only the first two fields
    // (`tpacket_stats`) otherwise.
    let mut st = libc::tpacket_stats_v3 {
        tp_packets: 0,
        tp_drops: 0,
        tp_freeze_q_cnt: 0,
    };
    let mut len = mem::size_of::<libc::tpacket_stats_v3>() as libc::socklen_t;
    // SAFETY: st and len are valid for the kernel to write.
    check(unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_PACKET,
            PACKET_STATISTICS,
            (&mut st as *mut libc::tpacket_stats_v3).cast(),
            &mut len,
        )
    })?;
    Ok(KernelStats {
        received: st.tp_packets as u64,
        dropped: st.tp_drops as u64,
    })
}

/// The ARPHRD_ hardware type of interface `name` (SIOCGIFHWADDR).
pub fn hardware_type(fd: RawFd, name: &str) -> io::Result<u16> {
    // SAFETY: a zeroed ifreq is valid.
    let mut ifr: libc::ifreq = unsafe { mem::zeroed() };
    if name.len() >= ifr.ifr_name.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "interface name too long",
        ));
    }
    for (d, s) in ifr.ifr_name.iter_mut().zip(name.bytes()) {
        *d = s as libc::c_char;
    }
    // SAFETY: SIOCGIFHWADDR reads the name and writes ifr_hwaddr inside ifr.
    check(unsafe { libc::ioctl(fd, libc::SIOCGIFHWADDR, &mut ifr) })?;
    // SAFETY: the kernel filled the hwaddr member of the union.
    Ok(unsafe { ifr.ifr_ifru.ifru_hwaddr.sa_family })
}

/// Waits up to `timeout_ms` for a packet. `Ok(false)` on timeout; `EINTR` is an error the caller
/// treats as "look at the stop flag".
pub fn wait_readable(fd: RawFd, timeout_ms: i32) -> io::Result<bool> {
    super::fd::poll_readable(fd, timeout_ms)
}

/// Room for one SCM_TIMESTAMPNS control message, 8-byte aligned: CMSG_SPACE(16) is 32.
const CONTROL_WORDS: usize = 8;

/// What one read returned for one packet.
#[derive(Clone, Copy, Debug, Default)]
pub struct Received {
    /// Length of the packet on the wire (MSG_TRUNC makes the kernel report it when cut).
    pub wire_len: u32,
    /// Bytes stored in the slot: `min(wire_len, snaplen)`.
    pub captured: u32,
    /// The kernel's `sockaddr_ll` for it: direction, interface, protocol.
    pub addr: LinkAddr,
    /// Kernel receive time, or `None` if the control message was missing.
    pub ts: Option<Timestamp>,
}

/// A batch of receive slots for recvmmsg(2): one syscall returns as many queued packets as are
/// waiting (up to the batch size). Allocated once; nothing is allocated per packet.
pub struct Batch {
    snaplen: usize,
    data: Vec<u8>,
    names: Vec<libc::sockaddr_ll>,
    control: Vec<[u64; CONTROL_WORDS]>,
    iovecs: Vec<libc::iovec>,
    headers: Vec<libc::mmsghdr>,
    received: Vec<Received>,
    filled: usize,
}

impl Batch {
    pub fn new(slots: usize, snaplen: usize) -> Batch {
        let slots = slots.max(1);
        // calloc'd: pages are only touched when a packet is written into them.
        let data = vec![0u8; slots * snaplen];
        // SAFETY: all-zero is a valid sockaddr_ll / iovec / mmsghdr.
        let zeroed_name: libc::sockaddr_ll = unsafe { mem::zeroed() };
        Batch {
            snaplen,
            data,
            names: vec![zeroed_name; slots],
            control: vec![[0; CONTROL_WORDS]; slots],
            iovecs: (0..slots)
                .map(|_| libc::iovec {
                    iov_base: std::ptr::null_mut(),
                    iov_len: 0,
                })
                .collect(),
            headers: (0..slots)
                // SAFETY: all-zero is a valid mmsghdr (null pointers, zero lengths).
                .map(|_| unsafe { MaybeUninit::<libc::mmsghdr>::zeroed().assume_init() })
                .collect(),
            received: vec![Received::default(); slots],
            filled: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.filled
    }

    pub fn is_empty(&self) -> bool {
        self.filled == 0
    }

    /// Reads whatever is queued without blocking. `Ok(0)` when nothing is.
    pub fn fill(&mut self, fd: RawFd) -> io::Result<usize> {
        self.filled = 0;
        let base = self.data.as_mut_ptr();
        for i in 0..self.headers.len() {
            self.iovecs[i] = libc::iovec {
                // SAFETY: slot i lies inside `data`.
                iov_base: unsafe { base.add(i * self.snaplen) }.cast(),
                iov_len: self.snaplen,
            };
            let h = &mut self.headers[i].msg_hdr;
            h.msg_name = (&mut self.names[i] as *mut libc::sockaddr_ll).cast();
            h.msg_namelen = mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
            h.msg_iov = &mut self.iovecs[i];
            h.msg_iovlen = 1;
            h.msg_control = self.control[i].as_mut_ptr().cast();
            h.msg_controllen = mem::size_of::<[u64; CONTROL_WORDS]>();
            h.msg_flags = 0;
            self.headers[i].msg_len = 0;
        }
        // SAFETY: every header points into buffers owned by self that outlive the call.
        let n = unsafe {
            libc::recvmmsg(
                fd,
                self.headers.as_mut_ptr(),
                self.headers.len() as libc::c_uint,
                libc::MSG_TRUNC | libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            return match e.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(0),
                _ => Err(e),
            };
        }
        let n = n as usize;
        for i in 0..n {
            let wire_len = self.headers[i].msg_len;
            self.received[i] = Received {
                wire_len,
                captured: wire_len.min(self.snaplen as u32),
                addr: LinkAddr::of(&self.names[i]),
                ts: timestamp_of(&self.headers[i].msg_hdr),
            };
        }
        self.filled = n;
        Ok(n)
    }

    /// Packet `i` of the last fill: what the kernel said about it, and its captured bytes.
    pub fn get(&self, i: usize) -> (Received, &[u8]) {
        let r = self.received[i];
        let start = i * self.snaplen;
        (r, &self.data[start..start + r.captured as usize])
    }
}

/// The SCM_TIMESTAMPNS control message of a received message, if there is one.
fn timestamp_of(h: &libc::msghdr) -> Option<Timestamp> {
    // SAFETY: `h` was filled by recvmmsg; CMSG_* walk only within msg_control/msg_controllen.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(h);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == SCM_TIMESTAMPNS {
                let ts: libc::timespec = std::ptr::read_unaligned(libc::CMSG_DATA(c).cast());
                return Some(Timestamp::new(ts.tv_sec, ts.tv_nsec as u32));
            }
            c = libc::CMSG_NXTHDR(h, c);
        }
    }
    None
}
