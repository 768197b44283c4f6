//! Live capture from an AF_PACKET raw socket: frames with kernel timestamps, as they arrive.
//!
//! # How the socket is set up, and why the reads bypass pnet's receiver
//!
//! pnet lists the interfaces and sets the socket up: [`pnet_datalink::channel`] with
//! `Config::socket_fd` binds our descriptor to the interface with ETH_P_ALL, joins promiscuous
//! mode when asked and makes it non-blocking. We open the descriptor ourselves (protocol 0, so
//! nothing is queued before the bind) to set what pnet has no option for: SO_TIMESTAMPNS, a large
//! receive buffer, PACKET_IGNORE_OUTGOING on loopback and, when given, the BPF filter.
//!
//! pnet's `DataLinkReceiver::next` cannot be used for the reads. Measured with
//! `examples/pnet_probe.rs` on Linux 6.18 (and `tests/live.rs` checks our reader for each point):
//! - it calls `recvfrom` and drops the `sockaddr_ll`, so the packet direction (`sll_pkttype`)
//!   is lost: one datagram sent on `lo` came out of pnet twice;
//! - it returns no timestamp. With SO_TIMESTAMPNS set, the timestamp is a control message that
//!   `recvfrom` discards, and the SIOCGSTAMPNS ioctl then fails with ENOENT. Without
//!   SO_TIMESTAMPNS the ioctl works, but stamps the packets queued before its first call with the
//!   time of the ioctl, and costs a third syscall per packet (pnet makes two: `poll`, `recvfrom`);
//! - it reads without MSG_TRUNC, so a frame cut by the snap length loses its wire length.
//!
//! Speed alone would not rule it out: pnet's read plus the ioctl, doing nothing else, kept up
//! with a 430,000/s loopback flood on a quiet machine, and dropped 1.5% of a 355,000/s flood on
//! a busy one (`PNET=1 scripts/bench-live.sh`).
//!
//! So we do the minimum ourselves on the descriptor pnet configured. We read from a TPACKET_V3
//! memory-mapped ring (`sys::ring`), as libpcap does: the kernel writes packets with their
//! receive time and direction into blocks shared with us and hands a block over when it is
//! full or [`RING_TIMEOUT_MS`] after its first packet; there is no system call per packet or
//! batch, only a `poll` when the ring is empty. Where the ring cannot be set up, the fallback is
//! `recvmmsg(2)` with
//! MSG_TRUNC, reading up to [`BATCH`] queued packets per syscall, each with its `sll_pkttype`
//! and its SCM_TIMESTAMPNS control message (the kernel's receive time, in nanoseconds; the same
//! `skb->tstamp` tcpdump's ring reports, so the two agree to the nanosecond). Batching leaves
//! more of the CPU to decoding and printing. pnet's channel stays alive in [`LiveSource`]
//! because it owns (and finally closes) the descriptor.
//!
//! # Loopback
//! A packet sent on `lo` passes the packet taps twice, as PACKET_OUTGOING when it is sent and as
//! PACKET_HOST when it is looped back. Like libpcap we keep only the incoming copy:
//! PACKET_IGNORE_OUTGOING asks the kernel not to queue the outgoing one (Linux 4.20+), and the
//! reader also skips any PACKET_OUTGOING copy that still arrives (older kernels). The kernel's
//! "received by filter" count therefore counts each loopback packet once; tcpdump's counts it
//! twice, because libpcap drops the outgoing copy only after the kernel counted it.
//!
//! # All interfaces (`-i any`)
//! As libpcap's "any" device: one SOCK_DGRAM ("cooked") socket bound to no interface, so the
//! kernel strips each packet's link header (interfaces of different link types mix) and
//! describes it in the `sockaddr_ll` instead. Each frame is handed out as Linux cooked capture
//! v2 (LINKTYPE_LINUX_SLL2, 276): a 20-byte header built from that `sockaddr_ll` (protocol,
//! interface index, hardware type, direction, source address; libpcap's `pcap-linux.c`
//! `linux_check_direction` and `sll2_header` fill), then the packet from its network header.
//! Outgoing copies are kept, except `lo`'s (libpcap drops those: the looped-back copy is the
//! same packet). Filters run in user space: a BPF program for SLL2 would read the header the
//! kernel does not put in front of the packet.

pub mod iface;
pub use crate::sys::packet as socket;

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use pnet_datalink::{Channel, DataLinkReceiver, DataLinkSender, NetworkInterface};

pub use socket::{KernelStats, SockFilter};

/// The interface name that captures on every interface (tcpdump's `-i any`).
pub const ANY: &str = "any";
/// Length of the Linux cooked v2 header (tcpdump.org LINKTYPE_LINUX_SLL2).
pub const SLL2_HEADER_LEN: usize = 20;

/// The SLL2 header libpcap writes for a packet the kernel described in `a` (`sll2_header` of
/// libpcap's sll.h: protocol, zero, interface index, hardware type, packet type, address
/// length, eight bytes of address), all big-endian.
pub fn sll2_header(a: &socket::LinkAddr) -> [u8; SLL2_HEADER_LEN] {
    let mut h = [0u8; SLL2_HEADER_LEN];
    h[0..2].copy_from_slice(&a.protocol.to_be_bytes());
    h[4..8].copy_from_slice(&(a.ifindex as u32).to_be_bytes());
    h[8..10].copy_from_slice(&a.hatype.to_be_bytes());
    h[10] = a.pkttype;
    h[11] = a.halen;
    h[12..20].copy_from_slice(&a.addr);
    h
}

/// A compiled filter ([`crate::filter::bpf`]) in the form the socket takes.
pub fn sock_filter(prog: &[crate::filter::bpf::BpfInsn]) -> Vec<SockFilter> {
    prog.iter()
        .map(|i| SockFilter {
            code: i.code,
            jt: i.jt,
            jf: i.jf,
            k: i.k,
        })
        .collect()
}

use super::{Frame, LinkType, Source, SourceError, Timestamp};

/// Default snap length: whole frames, including 64 KiB+ GSO frames on loopback (tcpdump's too).
pub const DEFAULT_SNAPLEN: u32 = 262_144;
/// Default receive buffer in KiB (tcpdump's default is 2 MiB; a loopback flood needs more).
pub const DEFAULT_BUFFER_KIB: usize = 32 * 1024;
/// Packets read per recvmmsg call at most.
pub const BATCH: usize = 64;
/// How long one wait for packets lasts before the stop flag is looked at again.
pub const STOP_CHECK_MS: i32 = 100;
/// After the stop flag is set, packets already queued are delivered for at most this long.
pub const DRAIN_MS: u64 = 100;
/// The ring's block timeout: a block with even one packet is handed over this long after its
/// first packet, so a lone packet shows within milliseconds.
pub const RING_TIMEOUT_MS: u32 = 8;

/// How packets are read: the memory-mapped ring, or recvmmsg batches where the ring cannot be
/// set up.
enum Reader {
    Ring(crate::sys::ring::Ring),
    Batch { batch: socket::Batch, next: usize },
}

/// What to open.
#[derive(Clone, Debug)]
pub struct LiveConfig {
    pub interface: String,
    pub snaplen: u32,
    /// Receive buffer size in bytes.
    pub buffer_bytes: usize,
    /// Promiscuous mode; never on a loopback interface.
    pub promiscuous: bool,
    /// Classic BPF program attached before the socket is bound, so no other packet is queued.
    pub filter: Option<Vec<SockFilter>>,
}

impl LiveConfig {
    pub fn new(interface: &str) -> LiveConfig {
        LiveConfig {
            interface: interface.to_string(),
            snaplen: DEFAULT_SNAPLEN,
            buffer_bytes: DEFAULT_BUFFER_KIB * 1024,
            promiscuous: true,
            filter: None,
        }
    }
}

/// Why a live capture could not start.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// No interface of that name; `available` is the listing of those there are.
    #[error(
        "no interface named {name:?}; -i takes one of these (from `sockscope interfaces`):\n{available}"
    )]
    UnknownInterface { name: String, available: String },
    /// The interface exists but is down.
    #[error(
        "interface {name} is down, so nothing can cross it; bring it up with `ip link set {name} up`"
    )]
    InterfaceDown { name: String },
    /// Opening an AF_PACKET socket was refused: CAP_NET_RAW is missing.
    #[error("cannot open a raw packet socket: {0}")]
    Permission(#[source] io::Error),
    /// The interface's link layer is one sockscope does not decode.
    #[error(
        "interface {name} has hardware type {hardware_type} (ARPHRD_); live capture supports \
         Ethernet, loopback and raw-IP (tun) interfaces"
    )]
    UnsupportedLink { name: String, hardware_type: u16 },
    #[error("{what}: {err}")]
    Io {
        what: &'static str,
        #[source]
        err: io::Error,
    },
}

/// A source of captured frames that also knows its link type and the kernel's counts; the live
/// command runs any of these, so tests can inject frames without a socket.
pub trait CaptureSource: Source {
    fn link_type(&self) -> LinkType;
    /// Counts since the capture started (cumulative).
    fn kernel_stats(&mut self) -> io::Result<KernelStats>;
    /// Called when no packet is waiting, before the source blocks: flush outputs here so every
    /// packet shows within milliseconds.
    fn set_idle_hook(&mut self, hook: Box<dyn FnMut()>);
}

/// A live capture on one interface.
pub struct LiveSource {
    fd: RawFd,
    /// Owns the descriptor (closes it on drop); never used for reading, see the module docs.
    /// `None` on `-i any`, where we bind and close the descriptor ourselves.
    _channel: Option<(Box<dyn DataLinkSender>, Box<dyn DataLinkReceiver>)>,
    link: LinkType,
    /// The copies the reader steps over (loopback's outgoing ones).
    skip: Option<socket::Skip>,
    /// On `-i any`: the frame being handed out, SLL2 header first.
    cooked: Option<Vec<u8>>,
    reader: Reader,
    snaplen: usize,
    stop: &'static AtomicBool,
    idle: Option<Box<dyn FnMut()>>,
    /// Set when the stop flag is first seen: the end of the drain.
    drain_until: Option<Instant>,
    stats: KernelStats,
    /// Granted receive buffer, in bytes.
    pub buffer_bytes: usize,
    /// Packets whose timestamp control message was missing (stamped with the clock instead).
    pub clock_stamped: u64,
}

impl LiveSource {
    /// Opens a capture. `stop` ends it: [`Source::next_frame`] returns `Ok(None)` once the
    /// packets already queued are delivered (for at most [`DRAIN_MS`]), or at most
    /// [`STOP_CHECK_MS`] after the flag is set when it was waiting (at once after a signal).
    pub fn open(cfg: &LiveConfig, stop: &'static AtomicBool) -> Result<LiveSource, OpenError> {
        if cfg.interface == ANY {
            return Self::open_any(cfg, stop);
        }
        let Some(ni) = iface::find(&cfg.interface) else {
            return Err(OpenError::UnknownInterface {
                name: cfg.interface.clone(),
                available: iface::listing(&iface::all()),
            });
        };
        if !ni.is_up() {
            return Err(OpenError::InterfaceDown {
                name: ni.name.clone(),
            });
        }
        let fd = socket::open_packet_socket().map_err(open_error)?;
        match Self::setup(fd, cfg, &ni) {
            Ok((link, buffer_bytes, reader)) => {
                let channel = Self::bind_with_pnet(fd, cfg, &ni)?;
                let skip = ni.is_loopback().then_some(socket::Skip {
                    pkttype: socket::PACKET_OUTGOING,
                    ifindex: None,
                });
                Ok(Self::new(
                    fd,
                    Some(channel),
                    link,
                    skip,
                    reader,
                    cfg,
                    stop,
                    buffer_bytes,
                ))
            }
            Err(e) => {
                socket::close(fd);
                Err(e)
            }
        }
    }

    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    fn new(
        fd: RawFd,
        channel: Option<(Box<dyn DataLinkSender>, Box<dyn DataLinkReceiver>)>,
        link: LinkType,
        skip: Option<socket::Skip>,
        reader: Reader,
        cfg: &LiveConfig,
        stop: &'static AtomicBool,
        buffer_bytes: usize,
    ) -> LiveSource {
        LiveSource {
            fd,
            cooked: channel.is_none().then(Vec::new),
            _channel: channel,
            link,
            skip,
            reader,
            snaplen: cfg.snaplen.max(1) as usize,
            stop,
            idle: None,
            drain_until: None,
            stats: KernelStats::default(),
            buffer_bytes,
            clock_stamped: 0,
        }
    }

    /// `-i any`: a cooked socket on every interface (see the module docs).
    fn open_any(cfg: &LiveConfig, stop: &'static AtomicBool) -> Result<LiveSource, OpenError> {
        let fd = socket::open_cooked_socket().map_err(open_error)?;
        let setup = Self::setup_reader(fd, cfg).and_then(|(granted, reader)| {
            if let Some(prog) = &cfg.filter {
                socket::attach_filter(fd, prog).map_err(|err| OpenError::Io {
                    what: "the kernel refused the BPF filter (SO_ATTACH_FILTER)",
                    err,
                })?;
            }
            socket::bind_all(fd).map_err(|err| OpenError::Io {
                what: "cannot bind the socket to all interfaces",
                err,
            })?;
            Ok((granted, reader))
        });
        let (granted, reader) = match setup {
            Ok(r) => r,
            Err(e) => {
                socket::close(fd);
                return Err(e);
            }
        };
        // libpcap drops the outgoing copy of a packet on the loopback interface only.
        let skip = iface::all()
            .iter()
            .find(|i| i.is_loopback())
            .map(|lo| socket::Skip {
                pkttype: socket::PACKET_OUTGOING,
                ifindex: Some(lo.index as i32),
            });
        Ok(Self::new(
            fd,
            None,
            LinkType::LINUX_SLL2,
            skip,
            reader,
            cfg,
            stop,
            granted,
        ))
    }

    /// Whether this capture reads every interface through a cooked socket (`-i any`), where
    /// filters run in user space.
    pub fn is_cooked(&self) -> bool {
        self.cooked.is_some()
    }

    /// Options set before the bind, while we still own the descriptor.
    fn setup(
        fd: RawFd,
        cfg: &LiveConfig,
        ni: &NetworkInterface,
    ) -> Result<(LinkType, usize, Reader), OpenError> {
        let io = |what| move |err| OpenError::Io { what, err };
        let hw =
            socket::hardware_type(fd, &ni.name).map_err(io("cannot read the hardware type"))?;
        let link = match hw {
            socket::ARPHRD_ETHER | socket::ARPHRD_LOOPBACK => LinkType::ETHERNET,
            socket::ARPHRD_NONE => LinkType::RAW,
            _ => {
                return Err(OpenError::UnsupportedLink {
                    name: ni.name.clone(),
                    hardware_type: hw,
                });
            }
        };
        let (granted, reader) = Self::setup_reader(fd, cfg)?;
        if ni.is_loopback() {
            // Failure (kernel < 4.20) is fine: the reader skips outgoing copies itself.
            let _ = socket::ignore_outgoing(fd);
        }
        if let Some(prog) = &cfg.filter {
            socket::attach_filter(fd, prog)
                .map_err(io("the kernel refused the BPF filter (SO_ATTACH_FILTER)"))?;
        }
        Ok((link, granted, reader))
    }

    /// The ring, or recvmmsg batches where it cannot be set up; and the buffer granted.
    fn setup_reader(fd: RawFd, cfg: &LiveConfig) -> Result<(usize, Reader), OpenError> {
        let io = |what| move |err| OpenError::Io { what, err };
        let snaplen = cfg.snaplen.max(1) as usize;
        let ring = crate::sys::ring::Ring::new(fd, cfg.buffer_bytes, snaplen, RING_TIMEOUT_MS);
        Ok(match ring {
            Ok(ring) => {
                let (size, n) = ring.geometry();
                (size * n, Reader::Ring(ring))
            }
            Err(_) => {
                let granted = socket::set_receive_buffer(fd, cfg.buffer_bytes)
                    .map_err(io("cannot set the receive buffer (SO_RCVBUF)"))?;
                socket::enable_timestamps(fd)
                    .map_err(io("cannot enable kernel timestamps (SO_TIMESTAMPNS)"))?;
                let batch = socket::Batch::new(BATCH, snaplen);
                (granted, Reader::Batch { batch, next: 0 })
            }
        })
    }

    /// pnet binds the socket to the interface (ETH_P_ALL), sets promiscuous mode, non-blocking.
    #[allow(clippy::type_complexity)]
    fn bind_with_pnet(
        fd: RawFd,
        cfg: &LiveConfig,
        ni: &NetworkInterface,
    ) -> Result<(Box<dyn DataLinkSender>, Box<dyn DataLinkReceiver>), OpenError> {
        let pcfg = pnet_datalink::Config {
            socket_fd: Some(fd),
            promiscuous: cfg.promiscuous && !ni.is_loopback(),
            // pnet's own buffers are never used: we read with recvmmsg, and never send.
            read_buffer_size: 1,
            write_buffer_size: 1,
            ..Default::default()
        };
        // On error pnet has already closed the descriptor.
        match pnet_datalink::channel(ni, pcfg) {
            Ok(Channel::Ethernet(tx, rx)) => Ok((tx, rx)),
            Ok(_) => Err(OpenError::Io {
                what: "pnet returned an unexpected channel type",
                err: io::Error::other("not an Ethernet channel"),
            }),
            Err(err) => Err(OpenError::Io {
                what: "cannot bind the socket to the interface",
                err,
            }),
        }
    }

    /// Attaches (or replaces) a classic BPF filter on the open socket. Packets queued before
    /// it took effect are discarded, as libpcap does: a reject-all program goes first, the
    /// queue is drained, then `prog` replaces it, so no unfiltered packet is ever delivered.
    pub fn attach_filter(&mut self, prog: &[SockFilter]) -> io::Result<()> {
        socket::attach_filter(self.fd, &socket::REJECT_ALL)?;
        match &mut self.reader {
            Reader::Ring(ring) => {
                // A block the kernel is still filling is handed over by its timeout: wait for
                // it (no packet enters while the reject-all program is attached).
                let until = Instant::now() + Duration::from_millis(3 * u64::from(RING_TIMEOUT_MS));
                ring.discard_all();
                while Instant::now() < until {
                    let _ = socket::wait_readable(self.fd, RING_TIMEOUT_MS as i32);
                    ring.discard_all();
                }
            }
            Reader::Batch { batch, next } => {
                *next = 0;
                while batch.fill(self.fd)? > 0 {}
                *next = batch.len();
            }
        }
        // Whatever the drained packets counted is not part of this capture.
        socket::take_stats(self.fd)?;
        self.stats = KernelStats::default();
        socket::attach_filter(self.fd, prog)
    }

    /// The descriptor, for callers that want to set more options.
    pub fn raw_fd(&self) -> RawFd {
        self.fd
    }

    /// The frame the reader found ready.
    fn take(&mut self) -> Frame<'_> {
        if self.cooked.is_some() {
            return self.take_cooked();
        }
        match &mut self.reader {
            Reader::Ring(ring) => {
                let f = ring.take().expect("a ready ring has a frame");
                Frame {
                    ts: f.ts,
                    link: self.link,
                    orig_len: f.wire_len,
                    data: &f.data[..f.data.len().min(self.snaplen)],
                }
            }
            Reader::Batch { batch, next } => {
                let (r, data) = batch.get(*next);
                *next += 1;
                let ts = r.ts.unwrap_or_else(|| {
                    self.clock_stamped += 1;
                    Self::clock_now()
                });
                Frame {
                    ts,
                    link: self.link,
                    orig_len: r.wire_len,
                    data,
                }
            }
        }
    }

    /// The frame the reader found ready, behind the SLL2 header built from its `sockaddr_ll`,
    /// cut to the snap length as a whole (as libpcap counts it).
    fn take_cooked(&mut self) -> Frame<'_> {
        let (ts, wire_len, addr, data): (Timestamp, u32, socket::LinkAddr, &[u8]) =
            match &mut self.reader {
                Reader::Ring(ring) => {
                    let f = ring.take().expect("a ready ring has a frame");
                    (f.ts, f.wire_len, f.addr, f.data)
                }
                Reader::Batch { batch, next } => {
                    let (r, data) = batch.get(*next);
                    *next += 1;
                    let ts = r.ts.unwrap_or_else(|| {
                        self.clock_stamped += 1;
                        Self::clock_now()
                    });
                    (ts, r.wire_len, r.addr, data)
                }
            };
        let buf = self.cooked.get_or_insert_with(Vec::new);
        buf.clear();
        buf.extend_from_slice(&sll2_header(&addr));
        buf.extend_from_slice(data);
        buf.truncate(self.snaplen);
        Frame {
            ts,
            link: self.link,
            orig_len: wire_len + SLL2_HEADER_LEN as u32,
            data: &buf[..],
        }
    }

    fn clock_now() -> Timestamp {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp::new(d.as_secs() as i64, d.subsec_nanos())
    }
}

impl Source for LiveSource {
    fn next_frame(&mut self) -> Result<Option<Frame<'_>>, SourceError> {
        loop {
            // After the stop flag, what is already queued is still delivered (it crossed the
            // interface before the stop), for at most DRAIN_MS, then the source ends.
            let stopping = self.stop.load(Ordering::Relaxed);
            if stopping {
                let until = *self
                    .drain_until
                    .get_or_insert_with(|| Instant::now() + Duration::from_millis(DRAIN_MS));
                if Instant::now() >= until {
                    return Ok(None);
                }
            }
            let skip = self.skip;
            let ready = match &mut self.reader {
                Reader::Ring(ring) => ring.ready(skip),
                Reader::Batch { batch, next } => {
                    while *next < batch.len()
                        && skip.is_some_and(|s| s.matches(&batch.get(*next).0.addr))
                    {
                        *next += 1;
                    }
                    if *next == batch.len() {
                        *next = 0;
                        if batch.fill(self.fd).map_err(SourceError::Io)? > 0 {
                            continue;
                        }
                    }
                    *next < batch.len()
                }
            };
            if ready {
                return Ok(Some(self.take()));
            }
            if stopping {
                // The ring hands a block over at most RING_TIMEOUT_MS after its first packet:
                // wait that long (twice, for the timer's slack) for the packets already in it.
                let grace = Duration::from_millis(2 * u64::from(RING_TIMEOUT_MS));
                let started = self
                    .drain_until
                    .map(|u| u - Duration::from_millis(DRAIN_MS));
                if matches!(self.reader, Reader::Ring(_))
                    && started.is_some_and(|t| t.elapsed() < grace)
                {
                    let _ = socket::wait_readable(self.fd, RING_TIMEOUT_MS as i32);
                    continue;
                }
                return Ok(None);
            }
            // Nothing queued: let the outputs catch up, then wait.
            if let Some(hook) = self.idle.as_mut() {
                hook();
            }
            match socket::wait_readable(self.fd, STOP_CHECK_MS) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(SourceError::Io(e)),
            }
        }
    }
}

impl Drop for LiveSource {
    fn drop(&mut self) {
        // With pnet's channel, the channel closes the descriptor; without it (`-i any`), we do.
        if self._channel.is_none() {
            socket::close(self.fd);
        }
    }
}

/// Why opening a packet socket failed: EPERM and EACCES (std maps both to PermissionDenied)
/// mean CAP_NET_RAW is missing.
fn open_error(e: io::Error) -> OpenError {
    match e.kind() {
        io::ErrorKind::PermissionDenied => OpenError::Permission(e),
        _ => OpenError::Io {
            what: "cannot open a raw packet socket",
            err: e,
        },
    }
}

impl CaptureSource for LiveSource {
    fn link_type(&self) -> LinkType {
        self.link
    }

    fn kernel_stats(&mut self) -> io::Result<KernelStats> {
        let s = socket::take_stats(self.fd)?;
        self.stats.received += s.received;
        self.stats.dropped += s.dropped;
        Ok(self.stats)
    }

    fn set_idle_hook(&mut self, hook: Box<dyn FnMut()>) {
        self.idle = Some(hook);
    }
}
