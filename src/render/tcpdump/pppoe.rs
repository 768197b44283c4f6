//! PPPoE as tcpdump prints it (print-pppoe.c `pppoe_print`): `PPPoE PADI [Service-Name]
//! [Host-Uniq 0x16372C16]` for the discovery stage; `PPPoE  [ses 0x17] ` before the PPP frame of
//! a session, whose IP packet follows as usual and whose control packets print as print-ppp.c's
//! `handle_ctrl_proto` does without `-v`: `LCP, Echo-Request (0x09), id 106, length 14`.

use crate::decode::pppoe::{self, PppoeSummary};
use crate::decode::{Packet, ppp};

/// tcpdump's names of discovery codes (`pppoecode_values`); session data has the empty name.
fn code_name(code: u8) -> String {
    match code {
        0 => String::new(),
        0x09 => "PADI".into(),
        0x07 => "PADO".into(),
        0x19 => "PADR".into(),
        0x65 => "PADS".into(),
        0xa7 => "PADT".into(),
        c => format!("PAD-{c:x}"),
    }
}

/// Tag names (`pppoetag2str`; RFC 2516 Appendix A, RFC 4638).
fn tag_name(t: u16) -> String {
    match t {
        0x0101 => "Service-Name".into(),
        0x0102 => "AC-Name".into(),
        0x0103 => "Host-Uniq".into(),
        0x0104 => "AC-Cookie".into(),
        0x0105 => "Vendor-Specific".into(),
        0x0110 => "Relay-Session-ID".into(),
        0x0120 => "PPP-Max-Payload".into(),
        0x0201 => "Service-Name-Error".into(),
        0x0202 => "AC-System-Error".into(),
        0x0203 => "Generic-Error".into(),
        t => format!("TAG-0x{t:x}"),
    }
}

/// PPP control protocol names (`ppptype2str`).
fn control_name(protocol: u16) -> Option<&'static str> {
    Some(match protocol {
        pppoe::LCP => "LCP",
        pppoe::IPCP => "IPCP",
        pppoe::IP6CP => "IP6CP",
        _ => return None,
    })
}

/// The names of the PPP protocols that carry a network layer (`ppptype2str`).
fn network_name(protocol: u16) -> Option<&'static str> {
    Some(match protocol {
        ppp::IPV4 => "IP",
        ppp::IPV6 => "IP6",
        ppp::MPLS_UNICAST | ppp::MPLS_MULTICAST => "MPLS",
        _ => return None,
    })
}

/// Control packet codes (`cpcodes`, RFC 1661 §5, RFC 1962 §2).
fn control_code(code: u8) -> &'static str {
    match code {
        1 => "Conf-Request",
        2 => "Conf-Ack",
        3 => "Conf-Nack",
        4 => "Conf-Reject",
        5 => "Term-Request",
        6 => "Term-Ack",
        7 => "Code-Reject",
        8 => "Prot-Reject",
        9 => "Echo-Request",
        10 => "Echo-Reply",
        11 => "Discard-Request",
        12 => "Ident",
        13 => "Time-Remain",
        14 => "Reset-Req",
        15 => "Reset-Ack",
        _ => "Unknown Opcode",
    }
}

/// Longest tag value printed as text (print-pppoe.c `MAXTAGPRINT` - 1).
const TAG_TEXT: usize = 79;

/// Writes the PPPoE part of the line; returns true when the line is complete (discovery, a
/// control packet, another PPP protocol), false when an IP packet follows. `link_header` is
/// `-e`, with which print-ppp.c names the PPP protocol first (`LCP (0xc021), length 14: `).
pub fn pppoe(line: &mut String, s: &PppoeSummary, p: &Packet<'_>, link_header: bool) -> bool {
    line.push_str("PPPoE ");
    line.push_str(&code_name(s.code));
    if s.version != 1 {
        line.push_str(&format!(" [ver {}]", s.version));
    }
    if s.kind != 1 {
        line.push_str(&format!(" [type {}]", s.kind));
    }
    if s.session != 0 {
        line.push_str(&format!(" [ses 0x{:x}]", s.session));
    }
    if s.code != 0 {
        for (t, v) in pppoe::tags(p.payload) {
            line.push_str(&format!(" [{}", tag_name(t)));
            if !v.is_empty() {
                let shown = &v[..v.len().min(TAG_TEXT)];
                let printable = shown.iter().filter(|b| (0x20..0x7f).contains(*b)).count();
                if printable > shown.len() - printable {
                    let text: String = shown
                        .iter()
                        .map(|&b| {
                            if (0x20..0x7f).contains(&b) {
                                b as char
                            } else {
                                '.'
                            }
                        })
                        .collect();
                    line.push_str(&format!(" \"{text}\""));
                    if shown.len() == TAG_TEXT {
                        line.push_str("...");
                    }
                } else {
                    line.push_str(" 0x");
                    for b in v {
                        line.push_str(&format!("{b:02X}"));
                    }
                }
            }
            line.push(']');
        }
        return true;
    }
    line.push(' ');
    let Some(protocol) = s.ppp_protocol else {
        line.push_str(&format!("[|ppp] length {}", s.length));
        return true;
    };
    let named = |line: &mut String, name: &str| {
        if link_header {
            line.push_str(&format!("{name} (0x{protocol:04x}), length {}: ", s.length));
        }
    };
    if let Some(name) = network_name(protocol) {
        named(line, name);
        return false;
    }
    match (control_name(protocol), pppoe::control(p.payload)) {
        (Some(name), Some((code, id, _))) => {
            named(line, name);
            // handle_ctrl_proto's length counts the PPP protocol field too.
            line.push_str(&format!(
                "{name}, {} (0x{code:02x}), id {id}, length {}",
                control_code(code),
                p.payload.len() + 2
            ));
            true
        }
        _ if link_header => {
            line.push_str(&format!("unknown (0x{protocol:04x}), length {}", s.length));
            true
        }
        _ => {
            line.push_str(&format!("unknown PPP protocol (0x{protocol:04x}) "));
            true
        }
    }
}
