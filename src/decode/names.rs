//! Names of ICMP and ICMPv6 types and codes (RFC 792, RFC 4443, RFC 4861), for every view.

/// ICMPv6 (`v6`) or ICMP type and code by name.
pub fn icmp(v6: bool, kind: u8, code: u8) -> &'static str {
    if v6 {
        icmpv6(kind, code)
    } else {
        icmpv4(kind, code)
    }
}

/// ICMP type and code by name, as tcpdump words them.
pub fn icmpv4(kind: u8, code: u8) -> &'static str {
    match (kind, code) {
        (0, _) => "echo reply",
        (3, 0) => "net unreachable",
        (3, 1) => "host unreachable",
        (3, 2) => "protocol unreachable",
        (3, 3) => "port unreachable",
        (3, 4) => "need to frag",
        (3, 5) => "source route failed",
        (3, 6) => "net unknown",
        (3, 7) => "host unknown",
        (3, 9) => "net prohibited",
        (3, 10) => "host prohibited",
        (3, 13) => "communication administratively prohibited",
        (3, _) => "destination unreachable",
        (4, _) => "source quench",
        (5, _) => "redirect",
        (8, _) => "echo request",
        (9, _) => "router advertisement",
        (10, _) => "router solicitation",
        (11, 0) => "time exceeded in-transit",
        (11, 1) => "ip reassembly time exceeded",
        (11, _) => "time exceeded",
        (12, _) => "parameter problem",
        (13, _) => "time stamp request",
        (14, _) => "time stamp reply",
        (15, _) => "information request",
        (16, _) => "information reply",
        (17, _) => "address mask request",
        (18, _) => "address mask reply",
        _ => "type unknown",
    }
}

/// ICMPv6 type and code by name.
pub fn icmpv6(kind: u8, code: u8) -> &'static str {
    match (kind, code) {
        (1, 0) => "destination unreachable, no route",
        (1, 1) => "destination unreachable, administratively prohibited",
        (1, 3) => "destination unreachable, address unreachable",
        (1, 4) => "destination unreachable, port unreachable",
        (1, _) => "destination unreachable",
        (2, _) => "packet too big",
        (3, 0) => "time exceeded in-transit",
        (3, _) => "time exceeded",
        (4, _) => "parameter problem",
        (128, _) => "echo request",
        (129, _) => "echo reply",
        (130, _) => "multicast listener query",
        (131, _) => "multicast listener report",
        (132, _) => "multicast listener done",
        (133, _) => "router solicitation",
        (134, _) => "router advertisement",
        (135, _) => "neighbor solicitation",
        (136, _) => "neighbor advertisement",
        (137, _) => "redirect",
        (143, _) => "multicast listener report v2",
        _ => "type unknown",
    }
}
