//! The commonest line of all built in one go: a TCP segment over IPv4 or IPv6 (no extension
//! headers, tunnel, MPLS or PPPoE), with no option of the view's set, a time stamp whose second
//! was printed already, and no TCP options or Linux's usual layouts of them ([`super::tcp`]),
//! carrying nothing this view decodes; the text of its two endpoints comes from
//! [`super::pairs`].
//!
//! The text is exactly the general path's (the tests of this view and the comparisons with
//! tcpdump go through here): the same pieces in the same order, written with
//! [`crate::render::fmt::Room`] into a fixed array instead of appended to a `Vec` one by one.
//! Any other packet is left to the general path before anything but that table is changed.

use std::io::{self, Write};

use super::{Addrs, TcpdumpRenderer, pairs, segment_len, tcp};
use crate::decode::tcp::linux_syn_options;
use crate::decode::{Link, Net, Packet, Transport};
use crate::render::fmt::Room;
use crate::render::time::TimeStyle;

/// Room for the longest fast line (a date of 19 characters and its fraction, two IPv6 endpoints,
/// every flag, both numbers of the sequence, the SYN options: under 330 bytes) and the widest
/// piece written whole beyond its end.
pub const LINE_ROOM: usize = 512;

/// The longest time stamp text kept for the fast line (with its `.`); a longer one (a date
/// past the year 9999, say) leaves its lines to the general path.
const STAMP_ROOM: usize = 32;

/// The text of the current second with its `.`, and its length (0: none kept).
#[derive(Clone, Copy)]
pub struct Stamp {
    text: [u8; STAMP_ROOM],
    len: u8,
}

impl Default for Stamp {
    fn default() -> Self {
        Stamp {
            text: [0; STAMP_ROOM],
            len: 0,
        }
    }
}

/// Keeps `text` (the time stamp up to its fraction) and a `.` for the fast line, or nothing
/// when that would not fit.
pub fn keep_stamp(room: &mut Stamp, text: &[u8]) {
    room.len = 0;
    if let Some(dst) = room.text.get_mut(..text.len() + 1) {
        dst[..text.len()].copy_from_slice(text);
        dst[text.len()] = b'.';
        room.len = dst.len() as u8;
    }
}

impl TcpdumpRenderer {
    /// Writes the line of `p` when it is of the common kind described above; `None`, having
    /// changed nothing, for any other packet.
    #[inline]
    pub(super) fn fast_line(
        &mut self,
        out: &mut dyn Write,
        p: &Packet<'_>,
    ) -> Option<io::Result<()>> {
        let o = &self.options;
        if o.number || o.link_header || o.quick || o.verbose > 0 {
            return None;
        }
        let Transport::Tcp(t) = &p.transport else {
            return None;
        };
        if p.pppoe.is_some()
            || p.mpls.count != 0
            || matches!(&p.link, Link::Sll(s) if s.version == 2)
        {
            return None;
        }
        // The time stamp: a style of the packet's own time, the second's text kept, the
        // microseconds not written as a second or more (see `timestamp`).
        let nano = self.time.nano;
        let ts = p.ts;
        let frac = if nano { ts.nsec } else { ts.nsec / 1000 };
        if !matches!(
            self.time.style,
            TimeStyle::Clock | TimeStyle::Date | TimeStyle::Epoch
        ) || ts.written_us != 0
            || self.stamp_sec != Some(ts.sec)
            || self.stamp_room.len == 0
            || frac >= if nano { 1_000_000_000 } else { 1_000_000 }
        {
            return None;
        }
        // The network layer: no extension headers, and not cut short (`ip`).
        let claimed = match &p.net {
            Net::Ipv4(h) => h.total_len as usize,
            Net::Ipv6(h) if h.ext_count == 0 => {
                if h.payload_len > 0 {
                    h.payload_len as usize + 40
                } else {
                    0
                }
            }
            _ => return None,
        };
        if claimed > (p.orig_len as usize).saturating_sub(p.net_offset as usize) {
            return None;
        }
        // The TCP header: whole, no urgent pointer, no options or Linux's usual ones, and no
        // payload that `tcp_application` would print (HTTP, DNS).
        let hlen = t.header_len as u32;
        let seg = segment_len(p);
        if hlen > seg || t.flags.urg() {
            return None;
        }
        let length = seg - hlen;
        let is = |port: u16| t.src_port == port || t.dst_port == port;
        if length > 0
            && (is(crate::decode::http::PORT)
                || is(crate::decode::http::PORT_ALT)
                || is(crate::decode::dns::PORT))
        {
            return None;
        }
        let mut timestamps = None;
        let mut syn_options = None;
        if hlen > 20 {
            if t.options.len() != hlen as usize - 20 {
                return None;
            }
            timestamps = t.nop_nop_timestamps();
            if timestamps.is_none() {
                syn_options = Some(linux_syn_options(t.options)?);
            }
        }
        // From here on the line is this one. The pair's text, formatted into the table first
        // if it is not there (as the general path would), then copied out (a few vector
        // moves): the table is part of `self`, which the sequence numbers below update.
        let addrs = Addrs::of(p);
        let key = pairs::PairKey::new(addrs.src, addrs.dst, t.src_port, t.dst_port, addrs.v6);
        if self.pair_text.get(&key).is_none() {
            self.keep_pair(&addrs, t.src_port, t.dst_port);
        }
        let (pair, pair_len) = self.pair_text.get(&key).map(|(t, n)| (*t, n))?;
        let (seq, ack, _) = self.relative(t, &addrs);
        self.printed += 1;
        let mut line = Room::new(&mut self.fast_line);
        line.put_cut(&self.stamp_room.text, self.stamp_room.len as usize);
        if nano {
            line.put_nanos_space(frac);
        } else {
            line.put_micros_space(frac);
        }
        if addrs.v6 {
            line.put(b"IP6 ");
        } else {
            line.put(b"IP ");
        }
        line.put_cut(&pair, pair_len);
        line.put(b": ");
        let (flags, flags_len) = tcp::flags_text(t.flags);
        line.put_cut(&flags, flags_len as usize);
        if length > 0 || t.flags.syn() || t.flags.fin() || t.flags.rst() {
            line.put(b", seq ");
            line.put_u32(seq);
            if length > 0 {
                line.put(b":");
                line.put_u32(seq.wrapping_add(length));
            }
        }
        if t.flags.ack() {
            line.put(b", ack ");
            line.put_u32(ack);
        }
        line.put(b", win ");
        line.put_u32(u32::from(t.window));
        if let Some((val, ecr)) = timestamps {
            line.put(b", options [nop,nop,TS val ");
            line.put_u32(val);
            line.put(b" ecr ");
            line.put_u32(ecr);
            line.put(b"]");
        } else if let Some(o) = syn_options {
            line.put(b", options [mss ");
            line.put_u32(u32::from(o.mss));
            line.put(b",sackOK,TS val ");
            line.put_u32(o.ts_val);
            line.put(b" ecr ");
            line.put_u32(o.ts_ecr);
            line.put(b",nop,wscale ");
            line.put_u32(u32::from(o.wscale));
            line.put(b"]");
        }
        line.put(b", length ");
        line.put_u32(length);
        line.put(b"\n");
        Some(out.write_all(line.text()))
    }

    /// Puts the text of a pair in its table, through the line buffer of the general path.
    #[cold]
    #[inline(never)]
    fn keep_pair(&mut self, addrs: &Addrs, sport: u16, dport: u16) {
        self.line.clear();
        addrs.pair_ports(
            &mut self.line,
            &mut self.addr_text,
            &mut self.pair_text,
            sport,
            dport,
        );
    }
}
