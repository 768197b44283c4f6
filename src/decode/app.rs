//! Which application message a packet starts, for the views that summarise one: DNS on its
//! ports (53 over UDP or TCP, 5353 over UDP; RFC 1035 §4.2, RFC 6762), HTTP/1.x on any TCP port
//! when the segment starts with a request or status line (RFC 9112 §2.1).

use super::{Packet, Transport, dns, http};

#[derive(Clone, Copy, Debug)]
pub enum App<'a> {
    Dns(dns::Summary<'a>),
    Http(http::Summary<'a>),
}

/// The application message at the start of this packet's payload, if recognised.
pub fn of<'a>(p: &Packet<'a>) -> Option<App<'a>> {
    let data = p.payload;
    if data.is_empty() {
        return None;
    }
    match &p.transport {
        Transport::Udp(u) => {
            let is = |port| u.src_port == port || u.dst_port == port;
            if is(dns::PORT) || is(dns::MDNS_PORT) {
                return dns::Summary::parse(data, false).map(App::Dns);
            }
            None
        }
        Transport::Tcp(t) => {
            if t.src_port == dns::PORT || t.dst_port == dns::PORT {
                let len = dns::be16(data, 0)? as usize;
                if len + 2 == p.payload_wire_len as usize {
                    return dns::Summary::parse(&data[2..], true).map(App::Dns);
                }
                return None;
            }
            http::parse(data).map(App::Http)
        }
        _ => None,
    }
}
