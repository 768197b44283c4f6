//! `-q`: no line per packet, only a summary at the end: packets and bytes, the time span, counts
//! by protocol, and the conversations with what each side sent.

use std::io::{self, Write};
use std::net::IpAddr;

use super::learner::{Endpoint, proto_name};
use super::time::local_time;
use super::{PacketContext, Renderer};
use crate::decode::{Net, Packet, Transport, proto};
use crate::services::{self, Proto};
use crate::source::Timestamp;
use crate::track::Dir;

/// At most this many conversations are listed; the rest are counted.
const MAX_LISTED: usize = 20;

/// Rows of the protocol table, in the order they are printed.
const KINDS: [&str; 7] = ["TCP", "UDP", "ICMP", "ICMP6", "other IP", "ARP", "other"];

#[derive(Clone, Copy, Debug)]
struct Conv {
    /// The tracker's conversation number.
    flow: u32,
    protocol: u8,
    client: (IpAddr, u16),
    server: (IpAddr, u16),
    /// [client → server, server → client]: packets and payload bytes.
    packets: [u64; 2],
    bytes: [u64; 2],
    /// Of those bytes, the retransmitted ones (counted as `flows` counts them).
    retransmitted: [u64; 2],
}

/// Counts everything and prints it in `finish`.
#[derive(Debug, Default)]
pub struct QuietRenderer {
    packets: u64,
    wire_bytes: u64,
    captured_bytes: u64,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    kinds: [u64; KINDS.len()],
    /// Packets whose decoding stopped early (cut short or malformed).
    stopped: u64,
    /// The first [`MAX_LISTED`] conversations shown, in order.
    convs: Vec<Conv>,
    /// One bit per conversation number: which were shown (so memory stays a bit per
    /// conversation, whatever the capture).
    seen: Vec<u64>,
    conversations: u64,
}

impl QuietRenderer {
    pub fn new() -> Self {
        QuietRenderer::default()
    }
}

impl Renderer for QuietRenderer {
    fn packet(
        &mut self,
        _out: &mut dyn Write,
        p: &Packet<'_>,
        ctx: &PacketContext,
    ) -> io::Result<()> {
        self.packets += 1;
        self.wire_bytes += p.orig_len as u64;
        self.captured_bytes += p.data.len() as u64;
        self.first.get_or_insert(p.ts);
        self.last = Some(self.last.map_or(p.ts, |l| l.max(p.ts)));
        let kind = match (&p.net, &p.transport) {
            (_, Transport::Tcp(_)) => 0,
            (_, Transport::Udp(_)) => 1,
            (_, Transport::Icmpv4(_)) => 2,
            (_, Transport::Icmpv6(_)) => 3,
            (_, Transport::Partial { protocol, .. }) if *protocol == proto::TCP => 0,
            (_, Transport::Partial { .. }) => 1,
            (Net::Ipv4(_) | Net::Ipv6(_), _) => 4,
            (Net::Arp(_), _) => 5,
            _ => 6,
        };
        self.kinds[kind] += 1;
        if p.stop.is_some() {
            self.stopped += 1;
        }
        if let (Some(t), Some(src), Some(dst), Some((sp, dp)), Some(pr)) = (
            ctx.track,
            p.src_ip(),
            p.dst_ip(),
            p.ports(),
            p.ip_protocol(),
        ) {
            let (word, bit) = ((t.flow / 64) as usize, t.flow % 64);
            if word >= self.seen.len() {
                self.seen.resize(word + 1, 0);
            }
            if self.seen[word] & (1 << bit) == 0 {
                self.seen[word] |= 1 << bit;
                self.conversations += 1;
                if self.convs.len() < MAX_LISTED {
                    let (client, server) = match t.dir {
                        Dir::ToServer => ((src, sp), (dst, dp)),
                        Dir::ToClient => ((dst, dp), (src, sp)),
                    };
                    self.convs.push(Conv {
                        flow: t.flow,
                        protocol: pr,
                        client,
                        server,
                        packets: [0; 2],
                        bytes: [0; 2],
                        retransmitted: [0; 2],
                    });
                }
            }
            if let Some(c) = self.convs.iter_mut().find(|c| c.flow == t.flow) {
                let d = (t.dir == Dir::ToClient) as usize;
                c.packets[d] += 1;
                c.bytes[d] += p.payload_wire_len as u64;
                // The tracker's rule for a side's retransmitted bytes (tcp.analysis.retransmission).
                if t.analysis.has(crate::track::Analysis::RETRANSMISSION) {
                    c.retransmitted[d] += p.payload_wire_len as u64;
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        let s = |n: u64| if n == 1 { "" } else { "s" };
        write!(
            out,
            "{} packet{}, {} byte{} on the wire",
            self.packets,
            s(self.packets),
            self.wire_bytes,
            s(self.wire_bytes)
        )?;
        if self.captured_bytes != self.wire_bytes {
            write!(out, " ({} captured)", self.captured_bytes)?;
        }
        out.write_all(b"\n")?;
        if let (Some(a), Some(b)) = (self.first, self.last) {
            let n = b.nanos_since(a);
            write!(out, "from {} to {} (", Clock(a), Clock(b))?;
            writeln!(
                out,
                "{}.{:06} s)",
                n / 1_000_000_000,
                (n % 1_000_000_000) / 1000
            )?;
        }
        if self.packets > 0 {
            out.write_all(b"by protocol:")?;
            let mut sep = " ";
            for (name, n) in KINDS.iter().zip(self.kinds) {
                if n > 0 {
                    write!(out, "{sep}{name} {n}")?;
                    sep = ", ";
                }
            }
            out.write_all(b"\n")?;
        }
        if self.stopped > 0 {
            writeln!(
                out,
                "cut short or malformed: {} packet{} (decoded as far as they go)",
                self.stopped,
                s(self.stopped)
            )?;
        }
        write!(
            out,
            "{} conversation{}",
            self.conversations,
            s(self.conversations)
        )?;
        out.write_all(if self.convs.is_empty() { b"\n" } else { b":\n" })?;
        for c in self.convs.iter().take(MAX_LISTED) {
            let pr = if c.protocol == proto::UDP {
                Proto::Udp
            } else {
                Proto::Tcp
            };
            let svc = services::name(c.server.1, pr);
            write!(
                out,
                "  #{} {} {} → {}",
                c.flow,
                proto_name(c.protocol),
                Endpoint(c.client.0, c.client.1),
                Endpoint(c.server.0, c.server.1)
            )?;
            if let Some(n) = svc {
                write!(out, " ({n})")?;
            }
            let side = |d: usize| {
                let mut t = format!(
                    "{} packet{}, {} payload byte{}",
                    c.packets[d],
                    s(c.packets[d]),
                    c.bytes[d],
                    s(c.bytes[d])
                );
                if c.retransmitted[d] > 0 {
                    t.push_str(&format!(" (incl. {} retransmitted)", c.retransmitted[d]));
                }
                t
            };
            writeln!(
                out,
                ": client→server {}; server→client {}",
                side(0),
                side(1)
            )?;
        }
        if self.conversations > MAX_LISTED as u64 {
            writeln!(
                out,
                "  … and {} more",
                self.conversations - MAX_LISTED as u64
            )?;
        }
        Ok(())
    }
}

/// A timestamp as `YYYY-MM-DD HH:MM:SS.ffffff` in the local time zone.
struct Clock(Timestamp);

impl std::fmt::Display for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (y, mo, d, h, mi, s) = local_time(self.0.sec);
        write!(
            f,
            "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{:06}",
            self.0.nsec / 1000
        )
    }
}
