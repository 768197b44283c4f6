//! The bytes behind each line of the `-v` tree: the one place that maps a layer and a field
//! name to a byte range of the frame, from the offsets and header lengths the decoder found
//! (`Packet::net_offset`, `transport_offset`, the header lengths), never by parsing again.

use std::ops::Range;

use crate::decode::{Net, Packet, Transport};

/// The layer a top-level line of the tree names, by its first words (as `render::verbose`
/// writes them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layer {
    Frame,
    Link,
    Network,
    Transport,
    Payload,
    Other,
}

impl Layer {
    pub fn of_heading(line: &str) -> Layer {
        const LINK: [&str; 4] = ["Ethernet", "Linux cooked", "BSD loopback", "Null/Loopback"];
        const NET: [&str; 3] = ["Internet Protocol", "Address Resolution", "IPv6"];
        const TRANSPORT: [&str; 4] = [
            "Transmission Control",
            "User Datagram",
            "Internet Control Message",
            "ICMPv6",
        ];
        if line.starts_with("Frame ") {
            Layer::Frame
        } else if LINK.iter().any(|p| line.starts_with(p)) {
            Layer::Link
        } else if NET.iter().any(|p| line.starts_with(p)) {
            Layer::Network
        } else if TRANSPORT.iter().any(|p| line.starts_with(p)) {
            Layer::Transport
        } else if line.starts_with("Payload") {
            Layer::Payload
        } else {
            Layer::Other
        }
    }
}

/// The bytes of a whole layer.
pub fn layer_range(p: &Packet<'_>, layer: Layer) -> Range<usize> {
    let len = p.data.len();
    let net = (p.net_offset as usize).min(len);
    let transport = (p.transport_offset as usize).min(len);
    let payload = len - p.payload.len();
    let has_net = !matches!(p.net, Net::None);
    let has_transport = !matches!(p.transport, Transport::None | Transport::Other { .. });
    match layer {
        Layer::Frame | Layer::Other => 0..len,
        Layer::Link if has_net => 0..net,
        Layer::Link => 0..len,
        Layer::Network if has_transport => net..transport,
        Layer::Network => net..payload.max(net),
        Layer::Transport => transport..payload.max(transport),
        Layer::Payload => payload..len,
    }
}

/// The bytes of the field `name` (the text before its colon) in `layer`; the whole layer for a
/// field it does not place. Offsets are those of the header layouts in RFC 791 §3.1 (IPv4),
/// RFC 8200 §3 (IPv6), RFC 9293 §3.1 (TCP), RFC 768 (UDP), RFC 792/4443 (ICMP) and
/// IEEE 802.3 (Ethernet II).
pub fn field_range(p: &Packet<'_>, layer: Layer, name: &str) -> Range<usize> {
    let whole = layer_range(p, layer);
    let at = |r: Range<usize>| {
        let s = (whole.start + r.start).min(whole.end);
        let e = (whole.start + r.end).min(whole.end);
        s..e
    };
    let rel: Option<Range<usize>> = match layer {
        Layer::Link if name == "type" => Some(whole.len().saturating_sub(2)..whole.len()),
        Layer::Link => match name {
            "destination" => Some(0..6),
            "source" => Some(6..12),
            _ => None,
        },
        Layer::Network => match &p.net {
            Net::Ipv4(h) => match name {
                "version" | "header length" => Some(0..1),
                "type of service" => Some(1..2),
                "total length" => Some(2..4),
                "identification" => Some(4..6),
                "flags" | "reserved bit" | "don't fragment" | "more fragments" => Some(6..7),
                "fragment offset" => Some(6..8),
                "time to live" => Some(8..9),
                "protocol" => Some(9..10),
                "header checksum" => Some(10..12),
                "source" => Some(12..16),
                "destination" => Some(16..20),
                "options" => Some(20..h.header_len as usize),
                _ => None,
            },
            Net::Ipv6(_) => match name {
                "version" => Some(0..1),
                "traffic class" => Some(0..2),
                "flow label" => Some(1..4),
                "payload length" => Some(4..6),
                "next header" => Some(6..7),
                "hop limit" => Some(7..8),
                "source" => Some(8..24),
                "destination" => Some(24..40),
                _ => None,
            },
            _ => None,
        },
        Layer::Transport => match &p.transport {
            Transport::Tcp(t) => match name {
                "source port" => Some(0..2),
                "destination port" => Some(2..4),
                "sequence number" => Some(4..8),
                "acknowledgment number" => Some(8..12),
                "header length" => Some(12..13),
                "window" => Some(14..16),
                "checksum" => Some(16..18),
                "urgent pointer" => Some(18..20),
                "options" => Some(20..t.header_len as usize),
                // The 12 flag bits share bytes 12 and 13 with the data offset.
                "flags" => Some(12..14),
                _ => None,
            },
            Transport::Udp(_) => match name {
                "source port" => Some(0..2),
                "destination port" => Some(2..4),
                "length" => Some(4..6),
                "checksum" => Some(6..8),
                _ => None,
            },
            Transport::Icmpv4(_) | Transport::Icmpv6(_) => match name {
                "type" => Some(0..1),
                "code" => Some(1..2),
                "checksum" => Some(2..4),
                "identifier" => Some(4..6),
                "sequence number" => Some(6..8),
                "rest of header" => Some(4..8),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    };
    match rel {
        Some(r) => at(r),
        None => whole,
    }
}
