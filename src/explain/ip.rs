//! `explain ip`: what kind of address this is (with its RFC), what it means for a socket, its
//! bits, the subnet a prefix or netmask makes, and whether this machine holds it right now.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde_json::{Value, json};

use super::wrap;

/// One address of an interface of this machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Iface {
    pub name: String,
    pub addr: IpAddr,
    pub prefix: u8,
}

/// What this machine says about addresses right now. Tests build their own.
#[derive(Clone, Debug, Default)]
pub struct IpFacts {
    /// `None` when the interfaces could not be read.
    pub interfaces: Option<Vec<Iface>>,
}

impl IpFacts {
    /// The addresses of this machine's interfaces, from `getifaddrs(3)`.
    pub fn of_this_machine() -> IpFacts {
        IpFacts {
            interfaces: interfaces(),
        }
    }
}

/// Every address on an interface of this machine (`getifaddrs`), or `None` when it fails.
pub fn interfaces() -> Option<Vec<Iface>> {
    let all = crate::sys::ifaddrs::all()?;
    Some(
        all.into_iter()
            .map(|a| Iface {
                name: a.name,
                addr: a.addr,
                prefix: a.prefix,
            })
            .collect(),
    )
}

/// A special-purpose range: (network, prefix length, name, RFC, what it is, what it means for a
/// socket). Tables are searched for every range that holds the address; the longest wins.
type Range4 = (
    u32,
    u8,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);
type Range6 = (
    u128,
    u8,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const fn v4(a: u8, b: u8, c: u8, d: u8) -> u32 {
    u32::from_be_bytes([a, b, c, d])
}

const MULTICAST_SOCKET: &str = "A group, not a host: send to it from a UDP socket; to receive, \
bind the port and join the group (IP_ADD_MEMBERSHIP, IPV6_JOIN_GROUP). TCP cannot use multicast.";

const RANGES4: &[Range4] = &[
    (
        v4(0, 0, 0, 0),
        32,
        "unspecified",
        "RFC 1122 §3.2.1.3",
        "INADDR_ANY: \"no particular address\".",
        "bind(0.0.0.0) means every interface: the socket accepts connections and datagrams \
         addressed to any address of this machine, including 127.0.0.1 and addresses added later. \
         It is not a destination: connect() to 0.0.0.0 only works on Linux, which treats it as \
         this machine.",
    ),
    (
        v4(0, 0, 0, 0),
        8,
        "this network",
        "RFC 791, RFC 1122 §3.2.1.3",
        "\"This host on this network\": only valid as a source address while a host does not \
         know its own address yet (DHCP).",
        "Neither bind() nor connect() should use it (except 0.0.0.0 itself).",
    ),
    (
        v4(10, 0, 0, 0),
        8,
        "private",
        "RFC 1918",
        "Private network 10.0.0.0/8: free for anyone to use inside a site, never routed on the \
         Internet.",
        PRIVATE_SOCKET,
    ),
    (
        v4(100, 64, 0, 0),
        10,
        "shared address space (carrier-grade NAT)",
        "RFC 6598",
        "Used between a provider's carrier-grade NAT and its customers (and by some VPNs such \
         as Tailscale); not routed on the Internet.",
        "A host with such an address reaches the Internet through its provider's NAT; nobody \
         outside can connect() to a server bound to it.",
    ),
    (
        v4(127, 0, 0, 0),
        8,
        "loopback",
        "RFC 1122 §3.2.1.3",
        "This machine itself: packets never leave it, they go through the `lo` interface.",
        "bind(127.0.0.1) means only this machine: programs here can connect, nobody on the \
         network can. connect() to 127.0.0.1 reaches a server on this machine bound to \
         127.0.0.1 or to 0.0.0.0, never another host. On Linux every 127.x.y.z address is on \
         `lo` and works the same.",
    ),
    (
        v4(169, 254, 0, 0),
        16,
        "link-local",
        "RFC 3927",
        "Self-assigned when no DHCP server answers (\"APIPA\"); valid on one link only, never \
         forwarded by a router. 169.254.169.254 is the cloud metadata service.",
        "Reachable only from hosts on the same link (cable, Wi-Fi, bridge).",
    ),
    (
        v4(192, 0, 0, 0),
        24,
        "IETF protocol assignments",
        "RFC 6890",
        "Reserved for protocol use (for example 192.0.0.8 for ICMP from unnumbered routers).",
        "Not for ordinary sockets.",
    ),
    (
        v4(192, 0, 2, 0),
        24,
        "documentation (TEST-NET-1)",
        "RFC 5737",
        DOC_MEANING,
        DOC_SOCKET,
    ),
    (
        v4(192, 88, 99, 0),
        24,
        "6to4 relay anycast (deprecated)",
        "RFC 7526",
        "Was the anycast address of 6to4 relays; deprecated.",
        "Not for ordinary sockets.",
    ),
    (
        v4(192, 168, 0, 0),
        16,
        "private",
        "RFC 1918",
        "Private network 192.168.0.0/16 (home and office LANs): free for anyone to use inside a \
         site, never routed on the Internet.",
        PRIVATE_SOCKET,
    ),
    (
        v4(172, 16, 0, 0),
        12,
        "private",
        "RFC 1918",
        "Private network 172.16.0.0/12 (also Docker's default bridges): free for anyone to use \
         inside a site, never routed on the Internet.",
        PRIVATE_SOCKET,
    ),
    (
        v4(198, 18, 0, 0),
        15,
        "benchmarking",
        "RFC 2544",
        "For testing network equipment in a lab; not routed on the Internet.",
        "Only inside a test network.",
    ),
    (
        v4(198, 51, 100, 0),
        24,
        "documentation (TEST-NET-2)",
        "RFC 5737",
        DOC_MEANING,
        DOC_SOCKET,
    ),
    (
        v4(203, 0, 113, 0),
        24,
        "documentation (TEST-NET-3)",
        "RFC 5737",
        DOC_MEANING,
        DOC_SOCKET,
    ),
    (
        v4(224, 0, 0, 0),
        4,
        "multicast",
        "RFC 5771",
        "IPv4 multicast (the old class D): one packet to every member of a group.",
        MULTICAST_SOCKET,
    ),
    (
        v4(224, 0, 0, 0),
        24,
        "multicast, local network control block",
        "RFC 5771 §4",
        // RFC 5771 §4: the block is "not forwarded off link", whatever the TTL. IGMP sends with
        // TTL 1 (RFC 3376 §4), OSPF too (RFC 2328 §A.1); mDNS sends with TTL 255 (RFC 6762 §11),
        // so TTL is not what keeps it on the link.
        "Link-local multicast: routers do not forward it, whatever its TTL (IGMP and OSPF send \
         it with TTL 1, mDNS with TTL 255), for protocols such as IGMP, OSPF, mDNS.",
        MULTICAST_SOCKET,
    ),
    (
        v4(224, 0, 1, 0),
        24,
        "multicast, internetwork control block",
        "RFC 5771 §5",
        "Multicast for control traffic that may be forwarded across the Internet (e.g. NTP \
         224.0.1.1).",
        MULTICAST_SOCKET,
    ),
    (
        v4(232, 0, 0, 0),
        8,
        "multicast, source-specific (SSM)",
        "RFC 4607",
        "Source-specific multicast: receivers join (source, group) pairs.",
        MULTICAST_SOCKET,
    ),
    (
        v4(233, 0, 0, 0),
        8,
        "multicast, GLOP",
        "RFC 3180",
        "Multicast addresses derived from an autonomous system number.",
        MULTICAST_SOCKET,
    ),
    (
        v4(239, 0, 0, 0),
        8,
        "multicast, administratively scoped",
        "RFC 2365",
        "Organisation-local multicast, the multicast twin of private addresses: kept inside a \
         site by its routers.",
        MULTICAST_SOCKET,
    ),
    (
        v4(240, 0, 0, 0),
        4,
        "reserved",
        "RFC 1112 §4",
        "Reserved for future use (the old class E); never assigned.",
        "Most systems refuse to send to it or from it.",
    ),
    (
        v4(255, 255, 255, 255),
        32,
        "limited broadcast",
        "RFC 919, RFC 922",
        "Every host on this link; routers never forward it.",
        "A UDP socket can send to it after setsockopt(SO_BROADCAST); every host on the link \
         receives it. TCP cannot use it.",
    ),
];

const PRIVATE_SOCKET: &str = "bind() to it only if it is an address of this machine; then hosts \
of the same private network can connect. From the Internet it is unreachable: outgoing \
connections are translated by NAT to a public address.";

const DOC_MEANING: &str = "Reserved for examples in books, manuals and RFCs: never used on a real \
network.";

const DOC_SOCKET: &str = "Use it in examples; on a real network nothing answers.";

const RANGES6: &[Range6] = &[
    (
        0,
        128,
        "unspecified",
        "RFC 4291 §2.5.2",
        "in6addr_any: \"no particular address\".",
        "bind(::) means every interface. On Linux it also accepts IPv4 (seen as \
         ::ffff:a.b.c.d) unless the socket sets IPV6_V6ONLY (net.ipv6.bindv6only=0 by default). \
         Never a destination.",
    ),
    (
        1,
        128,
        "loopback",
        "RFC 4291 §2.5.3",
        "This machine itself, over IPv6 (the `lo` interface). Only ::1, not a whole range as \
         in IPv4.",
        "bind(::1) means only this machine can connect; nobody on the network can. connect() \
         to ::1 reaches a server on this machine bound to ::1 or to ::, never another host.",
    ),
    (
        0xffff_0000_0000,
        96,
        "IPv4-mapped",
        "RFC 4291 §2.5.5.2",
        "An IPv4 address written as IPv6; never sent on the wire.",
        "How a dual-stack IPv6 socket (IPV6_V6ONLY off) shows an IPv4 peer: accept() on [::] \
         returns ::ffff:a.b.c.d for a client that connected over IPv4.",
    ),
    (
        0,
        96,
        "IPv4-compatible (deprecated)",
        "RFC 4291 §2.5.5.1",
        "An old transition form with the IPv4 address in the last 32 bits; deprecated, no longer \
         used.",
        "Do not use it.",
    ),
    (
        0x0064_ff9b << 96,
        96,
        "NAT64 well-known prefix",
        "RFC 6052",
        "An IPv4 address reached from an IPv6-only network through a NAT64 gateway; DNS64 \
         synthesises these addresses.",
        "connect() to it from an IPv6-only host reaches the embedded IPv4 address.",
    ),
    (
        0x0064_ff9b_0001 << 80,
        48,
        "NAT64 local-use prefix",
        "RFC 8215",
        "A NAT64 prefix for use inside one network.",
        "connect() to it goes through the local NAT64 gateway.",
    ),
    (
        0x0100 << 112,
        64,
        "discard-only",
        "RFC 6666",
        "Traffic to it is dropped on purpose (remote triggered black hole).",
        "Nothing answers.",
    ),
    (
        0x2001 << 112,
        32,
        "Teredo",
        "RFC 4380",
        "IPv6 tunnelled in UDP (port 3544) through IPv4 NATs; the address holds the Teredo \
         server and the client's public IPv4 address and port, obfuscated.",
        "Reachable while the Teredo tunnel is up.",
    ),
    (
        0x2001_0002 << 96,
        48,
        "benchmarking",
        "RFC 5180",
        "For testing network equipment; not routed on the Internet.",
        "Only inside a test network.",
    ),
    (
        0x2001_0db8 << 96,
        32,
        "documentation",
        "RFC 3849",
        "Reserved for examples in books, manuals and RFCs: never used on a real network.",
        DOC_SOCKET,
    ),
    (
        0x2002 << 112,
        16,
        "6to4",
        "RFC 3056",
        "IPv6 carried over IPv4: bits 16–47 are the IPv4 address of the site's 6to4 router \
         (little used today; relays deprecated by RFC 7526).",
        "Reachable while the site's 6to4 router and a relay work.",
    ),
    (
        0x3fff << 112,
        20,
        "documentation",
        "RFC 9637",
        "Reserved for examples that need big prefixes; never used on a real network.",
        DOC_SOCKET,
    ),
    (
        0xfc00 << 112,
        7,
        "unique local (ULA)",
        "RFC 4193",
        "Private IPv6, like RFC 1918 but with a random 40-bit global ID so that sites rarely \
         collide (fd00::/8 in practice); routed inside a site, never on the Internet.",
        "Hosts of the same site can connect to a server bound to it; the Internet cannot.",
    ),
    (
        0xfe80 << 112,
        10,
        "link-local",
        "RFC 4291 §2.5.6",
        "Every IPv6 interface has one (fe80::/64 plus an interface ID); valid on one link only, \
         never forwarded by a router. Neighbour discovery and routers use them.",
        "Every link has the same prefix, so a socket needs the interface as well: the scope id \
         (sin6_scope_id), written fe80::1%eth0. Without it connect() fails with EINVAL.",
    ),
    (
        0xfec0 << 112,
        10,
        "site-local (deprecated)",
        "RFC 3879",
        "The old private IPv6 range, deprecated in favour of unique local addresses.",
        "Do not use it.",
    ),
    (
        0xff00 << 112,
        8,
        "multicast",
        "RFC 4291 §2.7",
        "IPv6 multicast: one packet to every member of a group. IPv6 has no broadcast; \
         ff02::1 (all nodes) replaces it.",
        MULTICAST_SOCKET,
    ),
    (
        0xff02_0000_0000_0000_0000_0001_ff00_0000,
        104,
        "multicast, solicited-node",
        "RFC 4291 §2.7.1",
        "Neighbour discovery asks for an address's link-layer address here (the group is \
         ff02::1:ff plus the address's last 24 bits).",
        MULTICAST_SOCKET,
    ),
    (
        0x2000 << 112,
        3,
        "global unicast",
        "RFC 4291 §2.5.4",
        "A public IPv6 address, routed on the Internet.",
        GLOBAL_SOCKET,
    ),
];

const GLOBAL_SOCKET: &str = "A server bound to it can be reached from anywhere on the Internet \
that routing and firewalls allow; connect() to it leaves this machine through the default route.";

/// Well-known single addresses.
const NAMED: &[(&str, &str)] = &[
    ("224.0.0.1", "all hosts on this link"),
    ("224.0.0.2", "all routers on this link"),
    ("224.0.0.5", "OSPF routers"),
    ("224.0.0.9", "RIPv2 routers"),
    ("224.0.0.22", "IGMPv3 reports"),
    ("224.0.0.251", "multicast DNS (mDNS, RFC 6762)"),
    ("224.0.0.252", "LLMNR (RFC 4795)"),
    ("224.0.1.1", "NTP"),
    ("239.255.255.250", "SSDP (UPnP discovery)"),
    ("169.254.169.254", "cloud instance metadata service"),
    ("ff02::1", "all nodes on this link"),
    ("ff02::2", "all routers on this link"),
    ("ff02::16", "MLDv2 reports"),
    ("ff02::fb", "multicast DNS (mDNS, RFC 6762)"),
    ("ff02::1:2", "all DHCPv6 relay agents and servers"),
    ("ff05::1:3", "all DHCPv6 servers"),
];

/// The prefix given after the slash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prefix {
    pub len: u8,
    /// Given as a dotted netmask rather than /LEN.
    pub from_netmask: bool,
}

/// One range that holds the address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kind {
    pub range: String,
    pub name: &'static str,
    pub rfc: &'static str,
    pub meaning: &'static str,
    pub socket: &'static str,
}

/// Everything `explain ip` says, computed once and rendered as text or JSON.
#[derive(Clone, Debug)]
pub struct IpExplanation {
    pub input: String,
    pub addr: IpAddr,
    pub prefix: Option<Prefix>,
    /// Most specific first; never empty.
    pub kinds: Vec<Kind>,
    /// Well-known name of this exact address.
    pub named: Option<&'static str>,
    /// Facts read out of the address: embedded IPv4, multicast scope, Teredo fields.
    pub details: Vec<(String, String)>,
    pub class: Option<(char, &'static str)>,
    pub facts: IpFacts,
}

const ACCEPTED: &str = "Accepted: a.b.c.d, a.b.c.d/LEN (LEN 0-32), a.b.c.d/255.255.255.0, or \
IPv6 in any RFC 4291 form such as 2001:db8::1, ::ffff:192.0.2.1, fe80::1/64 (LEN 0-128).";

/// Parses `ADDR[/PREFIX]`; the error is one line saying what is wrong and what is accepted.
pub fn parse(input: &str) -> Result<(IpAddr, Option<Prefix>), String> {
    let s = input.trim();
    let (a, p) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    // A zone id (fe80::1%eth0) names the interface of a link-local address; the address is
    // what we explain.
    let a = a.split_once('%').map(|(a, _)| a).unwrap_or(a);
    let addr: IpAddr = a.parse().map_err(|_| not_an_address(input, a))?;
    let prefix = match p {
        None => None,
        Some(p) => Some(parse_prefix(input, addr, p)?),
    };
    Ok((addr, prefix))
}

fn not_an_address(input: &str, a: &str) -> String {
    let parts: Vec<&str> = a.split('.').collect();
    let why = if a.is_empty() {
        "the address is empty".to_string()
    } else if parts.len() == 4 && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit())) {
        match parts
            .iter()
            .find(|p| p.is_empty() || p.parse::<u32>().map(|n| n > 255).unwrap_or(true))
        {
            Some(&"") => "a part between the dots is empty".to_string(),
            Some(p) => format!("{p} is more than 255 (each of the four parts is 0-255)"),
            None => "leading zeros are not accepted (they meant octal once)".to_string(),
        }
    } else if a.contains(':') {
        "it is not a valid IPv6 address (eight groups of up to four hex digits, `::` once for \
         a run of zeros)"
            .to_string()
    } else if parts.len() != 4 && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit())) {
        format!(
            "an IPv4 address has four parts separated by dots, this has {}",
            parts.len()
        )
    } else {
        "it is neither a dotted IPv4 address nor a colon IPv6 address (names are not resolved)"
            .to_string()
    };
    format!("`{input}` is not an IP address: {why}. {ACCEPTED}")
}

fn parse_prefix(input: &str, addr: IpAddr, p: &str) -> Result<Prefix, String> {
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if p.contains('.') {
        let IpAddr::V4(_) = addr else {
            return Err(format!(
                "`{input}`: an IPv6 prefix is written /LEN (0-128), not as a netmask. {ACCEPTED}"
            ));
        };
        let m: Ipv4Addr = p.parse().map_err(|_| {
            format!("`{input}`: `{p}` is not a netmask (four parts 0-255). {ACCEPTED}")
        })?;
        let m = u32::from(m);
        if m.leading_ones() + m.trailing_zeros() != 32 {
            return Err(format!(
                "`{input}`: netmask {p} is not contiguous (in binary {}): a netmask is ones \
                 followed by zeros, like 255.255.255.0 (/24). {ACCEPTED}",
                dotted_bits4(m)
            ));
        }
        return Ok(Prefix {
            len: m.leading_ones() as u8,
            from_netmask: true,
        });
    }
    match p.parse::<u32>() {
        Ok(n) if n <= max && p.chars().all(|c| c.is_ascii_digit()) => Ok(Prefix {
            len: n as u8,
            from_netmask: false,
        }),
        Ok(n) if p.chars().all(|c| c.is_ascii_digit()) => Err(format!(
            "`{input}`: prefix /{n} is too long: an {} address has {max} bits, so the prefix is \
             0-{max}. {ACCEPTED}",
            if max == 32 { "IPv4" } else { "IPv6" }
        )),
        _ => Err(format!(
            "`{input}`: `{p}` after the slash is neither a prefix length nor a netmask. {ACCEPTED}"
        )),
    }
}

/// Explains `input` with the facts given.
pub fn explain(input: &str, facts: &IpFacts) -> Result<IpExplanation, String> {
    let (addr, prefix) = parse(input)?;
    let mut kinds = Vec::new();
    let mut details = Vec::new();
    let zone = input
        .split('/')
        .next()
        .and_then(|a| a.split_once('%'))
        .map(|(_, z)| z.trim());
    if let Some(z) = zone {
        details.push((
            "zone".into(),
            format!(
                "{z}: the interface this address is used on (sin6_scope_id = if_nametoindex(\"{z}\"), \
                 RFC 4007 §11)"
            ),
        ));
    }
    let mut class = None;
    match addr {
        IpAddr::V4(a) => {
            let n = u32::from(a);
            for r in RANGES4 {
                if contains(n as u128, r.0 as u128, r.1, 32) {
                    kinds.push(kind(format!("{}/{}", Ipv4Addr::from(r.0), r.1), r));
                }
            }
            if kinds.is_empty() {
                kinds.push(Kind {
                    range: "-".into(),
                    name: "global unicast (public)",
                    rfc: "RFC 791, IANA IPv4 address space",
                    meaning: "A public IPv4 address, routed on the Internet.",
                    socket: GLOBAL_SOCKET,
                });
            }
            class = Some(class_of(a.octets()[0]));
            details.push((
                "as IPv6".into(),
                format!(
                    "{} (IPv4-mapped: how a dual-stack IPv6 socket shows it)",
                    a.to_ipv6_mapped()
                ),
            ));
        }
        IpAddr::V6(a) => {
            let n = u128::from(a);
            for r in RANGES6 {
                // ::/96 (IPv4-compatible) excludes :: and ::1, which have their own meaning.
                if r.1 == 96 && r.0 == 0 && n <= 1 {
                    continue;
                }
                if contains(n, r.0, r.1, 128) {
                    kinds.push(kind(format!("{}/{}", Ipv6Addr::from(r.0), r.1), r));
                }
            }
            if kinds.is_empty() {
                kinds.push(Kind {
                    range: "-".into(),
                    name: "reserved by IETF",
                    rfc: "RFC 4291 §2.4, IANA IPv6 address space",
                    meaning: "Outside 2000::/3 and every special range: not assigned for use.",
                    socket: "Nothing should use it.",
                });
            }
            v6_details(a, &mut details);
        }
    }
    kinds.sort_by_key(|k| std::cmp::Reverse(prefix_len(&k.range)));
    let text = addr.to_string();
    let named = NAMED.iter().find(|(a, _)| *a == text).map(|(_, n)| *n);
    if let IpAddr::V4(a) = addr
        && a.is_multicast()
    {
        details.push((
            "multicast MAC".into(),
            format!(
                "01:00:5e:{:02x}:{:02x}:{:02x} (the low 23 bits of the group, RFC 1112 §6.4)",
                a.octets()[1] & 0x7f,
                a.octets()[2],
                a.octets()[3]
            ),
        ));
    }
    Ok(IpExplanation {
        input: input.trim().to_string(),
        addr,
        prefix,
        kinds,
        named,
        details,
        class,
        facts: facts.clone(),
    })
}

fn kind<T: Copy>(
    range: String,
    r: &(
        T,
        u8,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    ),
) -> Kind {
    Kind {
        range,
        name: r.2,
        rfc: r.3,
        meaning: r.4,
        socket: r.5,
    }
}

fn prefix_len(range: &str) -> u8 {
    range
        .rsplit_once('/')
        .and_then(|(_, l)| l.parse().ok())
        .unwrap_or(0)
}

fn mask(len: u8, bits: u8) -> u128 {
    let all = if bits == 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    };
    if len == 0 {
        0
    } else {
        (all << (bits - len)) & all
    }
}

fn contains(a: u128, net: u128, len: u8, bits: u8) -> bool {
    a & mask(len, bits) == net & mask(len, bits)
}

fn class_of(first: u8) -> (char, &'static str) {
    match first {
        0..=127 => ('A', "0.0.0.0-127.255.255.255, default mask /8 (255.0.0.0)"),
        128..=191 => (
            'B',
            "128.0.0.0-191.255.255.255, default mask /16 (255.255.0.0)",
        ),
        192..=223 => (
            'C',
            "192.0.0.0-223.255.255.255, default mask /24 (255.255.255.0)",
        ),
        224..=239 => ('D', "224.0.0.0-239.255.255.255, multicast"),
        _ => ('E', "240.0.0.0-255.255.255.255, reserved"),
    }
}

fn v4_at(n: u128, shift: u32) -> Ipv4Addr {
    Ipv4Addr::from((n >> shift) as u32)
}

/// The IPv4 address inside an IPv4-mapped, IPv4-compatible, NAT64 or 6to4 address.
pub fn embedded_ipv4(addr: IpAddr) -> Option<Ipv4Addr> {
    let IpAddr::V6(a) = addr else { return None };
    let n = u128::from(a);
    let in_range = |net: u128, len: u8| contains(n, net, len, 128);
    if in_range(0xffff_0000_0000, 96)
        || (in_range(0, 96) && n > 1)
        || in_range(0x0064_ff9b << 96, 96)
    {
        Some(v4_at(n, 0))
    } else if in_range(0x2002 << 112, 16) {
        Some(v4_at(n, 80))
    } else {
        None
    }
}

/// Teredo's (server, client, client port, flags) (RFC 4380 §4).
pub fn teredo(addr: IpAddr) -> Option<(Ipv4Addr, Ipv4Addr, u16, u16)> {
    let IpAddr::V6(a) = addr else { return None };
    let n = u128::from(a);
    contains(n, 0x2001 << 112, 32, 128).then(|| {
        (
            v4_at(n, 64),
            Ipv4Addr::from(!(n as u32)),
            !((n >> 32) as u16),
            (n >> 48) as u16,
        )
    })
}

fn v6_details(a: Ipv6Addr, d: &mut Vec<(String, String)>) {
    let n = u128::from(a);
    let in_range = |net: u128, len: u8| contains(n, net, len, 128);
    let embedded = embedded_ipv4(IpAddr::V6(a));
    if in_range(0x2002 << 112, 16) {
        if let Some(v4a) = embedded {
            d.push((
                "embedded IPv4".into(),
                format!("{v4a} (bits 16-47: the site's 6to4 router)"),
            ));
        }
        d.push((
            "site prefix".into(),
            format!("{}/48", Ipv6Addr::from(n & mask(48, 128))),
        ));
    } else if in_range(0x0064_ff9b << 96, 96) {
        if let Some(v4a) = embedded {
            d.push((
                "embedded IPv4".into(),
                format!("{v4a} (the last 32 bits, RFC 6052 §2.2)"),
            ));
        }
    } else if let Some(v4a) = embedded {
        d.push(("embedded IPv4".into(), v4a.to_string()));
    }
    if let Some((server, client, port, flags)) = teredo(IpAddr::V6(a)) {
        d.push(("Teredo server".into(), format!("{server} (bits 32-63)")));
        d.push((
            "Teredo flags".into(),
            format!(
                "0x{flags:04x}{}",
                if flags & 0x8000 != 0 {
                    " (cone NAT)"
                } else {
                    ""
                }
            ),
        ));
        d.push((
            "Teredo client".into(),
            format!(
                "{client}:{port} (its public IPv4 address and UDP port, stored inverted so that \
                 NATs do not rewrite them; bits 96-127 and 80-95 with every bit flipped)"
            ),
        ));
    }
    if a.segments()[0] >> 8 == 0xff {
        let flags = (a.segments()[0] >> 4) & 0xf;
        let scope = a.segments()[0] & 0xf;
        let scope_name = match scope {
            0x1 => "interface-local (never leaves this machine; loopback multicast)",
            0x2 => "link-local (stays on this link)",
            0x3 => "realm-local (RFC 7346)",
            0x4 => "admin-local (the smallest scope set by configuration)",
            0x5 => "site-local (one site)",
            0x8 => "organization-local (several sites of one organisation)",
            0xe => "global (the whole Internet)",
            0x0 | 0xf => "reserved",
            _ => "unassigned",
        };
        d.push((
            "multicast scope".into(),
            format!("{scope:x}: {scope_name} (RFC 4291 §2.7, the low nibble of the 2nd byte)"),
        ));
        let mut f = Vec::new();
        if flags & 0x1 != 0 {
            f.push("T=1 transient (not permanently assigned by IANA)");
        } else {
            f.push("T=0 permanently assigned by IANA");
        }
        if flags & 0x2 != 0 {
            f.push("P=1 based on a unicast prefix (RFC 3306)");
        }
        if flags & 0x4 != 0 {
            f.push("R=1 embeds the rendezvous point (RFC 3956)");
        }
        d.push((
            "multicast flags".into(),
            format!("{flags:x}: {}", f.join(", ")),
        ));
    }
    if in_range(0xfe80 << 112, 10) || in_range(0x2000 << 112, 3) || in_range(0xfc00 << 112, 7) {
        let iid = n as u64;
        let mut s = format!(
            "{:04x}:{:04x}:{:04x}:{:04x}",
            iid >> 48,
            (iid >> 32) & 0xffff,
            (iid >> 16) & 0xffff,
            iid & 0xffff
        );
        if (iid >> 24) & 0xffff == 0xfffe {
            let b = iid.to_be_bytes();
            s.push_str(&format!(
                " (modified EUI-64 from MAC {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x})",
                b[0] ^ 0x02,
                b[1],
                b[2],
                b[5],
                b[6],
                b[7]
            ));
        }
        d.push(("interface ID".into(), format!("{s} (the last 64 bits)")));
    }
}

/// The subnet that a prefix makes, as printable values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subnet {
    pub len: u8,
    pub bits: u8,
    pub network: IpAddr,
    pub broadcast: Option<IpAddr>,
    pub netmask: IpAddr,
    pub wildcard: IpAddr,
    pub first: IpAddr,
    pub last: IpAddr,
    /// Addresses in the prefix: 2^(bits-len).
    pub addresses: String,
    /// Usable host addresses, as a number or 2^n.
    pub hosts: String,
    pub note: &'static str,
}

fn to_ip(n: u128, bits: u8) -> IpAddr {
    if bits == 32 {
        IpAddr::V4(Ipv4Addr::from(n as u32))
    } else {
        IpAddr::V6(Ipv6Addr::from(n))
    }
}

fn pow2(h: u8) -> String {
    if h < 64 {
        format!("{} (2^{h})", 1u128 << h)
    } else if h == 64 {
        format!("{} (2^64)", u64::MAX as u128 + 1)
    } else {
        format!("2^{h}")
    }
}

/// Network, broadcast, hosts... of `addr` within a prefix of `len` bits.
pub fn subnet(addr: IpAddr, len: u8) -> Subnet {
    let (n, bits) = match addr {
        IpAddr::V4(a) => (u32::from(a) as u128, 32u8),
        IpAddr::V6(a) => (u128::from(a), 128u8),
    };
    let m = mask(len, bits);
    let all = mask(bits, bits);
    let net = n & m;
    let last = net | (!m & all);
    let h = bits - len;
    let (first_host, last_host, hosts, note) = if bits == 32 {
        match h {
            0 => (
                net,
                net,
                "1".to_string(),
                "A /32 is one address: a host route.",
            ),
            1 => (
                net,
                last,
                "2".to_string(),
                "A /31 has no network or broadcast address: both are hosts of a point-to-point \
                 link (RFC 3021).",
            ),
            _ => (
                net + 1,
                last - 1,
                if h < 64 {
                    ((1u128 << h) - 2).to_string()
                } else {
                    String::new()
                },
                "The first address names the network and the last is its broadcast: \
                 neither can be a host.",
            ),
        }
    } else {
        match h {
            0 => (
                net,
                net,
                "1".to_string(),
                "A /128 is one address: a host route.",
            ),
            1 => (
                net,
                last,
                "2".to_string(),
                "A /127 is a point-to-point link of two hosts (RFC 6164).",
            ),
            _ => (
                net + 1,
                last,
                if h <= 64 {
                    format!("{}", (1u128 << h) - 1)
                } else {
                    format!("2^{h} - 1")
                },
                "IPv6 has no broadcast: every address is usable except the first, the \
                 Subnet-Router anycast address (RFC 4291 §2.6.1). A LAN is normally a /64.",
            ),
        }
    };
    Subnet {
        len,
        bits,
        network: to_ip(net, bits),
        broadcast: (bits == 32 && h >= 2).then(|| to_ip(last, bits)),
        netmask: to_ip(m, bits),
        wildcard: to_ip(!m & all, bits),
        first: to_ip(first_host, bits),
        last: to_ip(last_host, bits),
        addresses: pow2(h),
        hosts,
        note,
    }
}

fn dotted_bits4(n: u32) -> String {
    n.to_be_bytes()
        .iter()
        .map(|b| format!("{b:08b}"))
        .collect::<Vec<_>>()
        .join(".")
}

/// The bits of an address, grouped by byte (IPv4) or by 16-bit group (IPv6), with `|` after
/// the first `split` bits when given. IPv6 is drawn on two lines of 64 bits.
pub fn bit_lines(addr: IpAddr, split: Option<u8>, marks: bool) -> Vec<String> {
    let (n, bits, group, per_line) = match addr {
        IpAddr::V4(a) => (u32::from(a) as u128, 32u32, 8u32, 32u32),
        IpAddr::V6(a) => (u128::from(a), 128, 16, 64),
    };
    let sep = if bits == 32 { '.' } else { ':' };
    let mut lines = Vec::new();
    let mut line = String::new();
    for i in 0..bits {
        if i > 0 && i % per_line == 0 {
            lines.push(std::mem::take(&mut line));
        } else if i > 0 && i % group == 0 {
            line.push(sep);
        }
        if split == Some(i as u8) && i > 0 {
            line.push('|');
        }
        let bit = (n >> (bits - 1 - i)) & 1;
        line.push(if marks {
            if split.is_some_and(|s| i < s as u32) {
                'n'
            } else {
                'h'
            }
        } else if bit == 1 {
            '1'
        } else {
            '0'
        });
    }
    lines.push(line);
    lines
}

fn hex_of(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(a) => format!("0x{:08x}", u32::from(a)),
        IpAddr::V6(a) => format!("0x{:032x}", u128::from(a)),
    }
}

fn expanded(addr: IpAddr) -> Option<String> {
    match addr {
        IpAddr::V4(_) => None,
        IpAddr::V6(a) => Some(
            a.segments()
                .iter()
                .map(|s| format!("{s:04x}"))
                .collect::<Vec<_>>()
                .join(":"),
        ),
    }
}

/// Where this address is on this machine: exact interface addresses, then subnets holding it.
fn on_machine(addr: IpAddr, facts: &IpFacts) -> Option<(Vec<String>, Vec<String>)> {
    let ifs = facts.interfaces.as_ref()?;
    let mut exact = Vec::new();
    let mut subnet_of = Vec::new();
    let n = |a: IpAddr| match a {
        IpAddr::V4(a) => (u32::from(a) as u128, 32u8),
        IpAddr::V6(a) => (u128::from(a), 128u8),
    };
    let (an, ab) = n(addr);
    for i in ifs {
        let (inn, ib) = n(i.addr);
        if ib != ab {
            continue;
        }
        if inn == an {
            exact.push(format!("{} ({}/{})", i.name, i.addr, i.prefix));
        } else if contains(an, inn, i.prefix, ib) {
            subnet_of.push(format!("{} ({}/{})", i.name, i.addr, i.prefix));
        }
    }
    Some((exact, subnet_of))
}

/// `  label          value`, the value wrapped under itself.
fn kv(label: &str, value: &str) -> String {
    let w = wrap(value, &" ".repeat(17), 96);
    format!("  {label:<14} {}", w.trim_start())
}

impl IpExplanation {
    pub fn subnet(&self) -> Option<Subnet> {
        self.prefix.map(|p| subnet(self.addr, p.len))
    }

    fn machine_sentence(&self) -> String {
        let unspecified = self.addr.is_unspecified();
        let group = self.addr.is_multicast() || self.addr == IpAddr::V4(Ipv4Addr::BROADCAST);
        match on_machine(self.addr, &self.facts) {
            None => "cannot tell: the interfaces of this machine could not be read".into(),
            Some(_) if unspecified => {
                "not an interface address: it stands for all of them when a socket binds".into()
            }
            Some(_) if group => "no interface has a group address: a socket receives it by \
                binding the port (to the group or to the unspecified address) and, for \
                multicast, joining the group"
                .into(),
            Some((exact, _)) if !exact.is_empty() => format!(
                "yes, on {}: a socket can bind() to it here",
                exact.join(", ")
            ),
            Some((_, sub)) if !sub.is_empty() => {
                let lo = matches!(self.addr, IpAddr::V4(a) if a.is_loopback());
                format!(
                    "no, but it is in the subnet of {}{}",
                    sub.join(", "),
                    if lo {
                        ": Linux answers every 127.x.y.z on lo, so bind() works"
                    } else {
                        ": hosts with it would be on the same link"
                    }
                )
            }
            Some(_) => "no: no interface of this machine has it, so bind() to it fails with \
                        EADDRNOTAVAIL (unless IP_FREEBIND is set)"
                .into(),
        }
    }

    /// Text for people.
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        let fam = if self.addr.is_ipv4() { "IPv4" } else { "IPv6" };
        let _ = writeln!(o, "{}  ({fam})", self.addr);
        let primary = &self.kinds[0];
        o.push_str(&kv(
            "kind",
            &format!("{}  [{}, {}]", primary.name, primary.range, primary.rfc),
        ));
        for k in &self.kinds[1..] {
            o.push_str(&kv(
                "also",
                &format!("{}  [{}, {}]", k.name, k.range, k.rfc),
            ));
        }
        if let Some(n) = self.named {
            o.push_str(&kv("known as", n));
        }
        for (k, v) in &self.details {
            o.push_str(&kv(k, v));
        }
        if let Some((c, range)) = self.class {
            o.push_str(&kv(
                "class",
                &format!(
                    "{c}  ({range}; historical: classes were replaced by CIDR prefixes in 1993, \
                     RFC 4632)"
                ),
            ));
        }
        o.push_str("\nWhat it is\n");
        o.push_str(&wrap(primary.meaning, "  ", 96));
        o.push_str("\nFor a socket\n");
        o.push_str(&wrap(primary.socket, "  ", 96));
        o.push_str("\nOn this machine now\n");
        o.push_str(&wrap(&self.machine_sentence(), "  ", 96));
        o.push_str("\nBits\n");
        if let Some(e) = expanded(self.addr) {
            let _ = writeln!(o, "  expanded       {e}");
        }
        let _ = writeln!(o, "  hex            {}", hex_of(self.addr));
        match self.subnet() {
            None => {
                for (i, l) in bit_lines(self.addr, None, false).iter().enumerate() {
                    let _ = writeln!(o, "  {:<14} {l}", if i == 0 { "binary" } else { "" });
                }
            }
            Some(s) => {
                let split = Some(s.len);
                let rows = [
                    ("address", bit_lines(self.addr, split, false)),
                    ("netmask", bit_lines(s.netmask, split, false)),
                    ("", bit_lines(self.addr, split, true)),
                ];
                let nlines = rows[0].1.len();
                for line in 0..nlines {
                    for (label, ls) in &rows {
                        let _ = writeln!(o, "  {label:<14} {}", ls[line]);
                    }
                }
                let _ = writeln!(
                    o,
                    "                 n = network bits ({}), h = host bits ({})",
                    s.len,
                    s.bits - s.len
                );
                let _ = writeln!(
                    o,
                    "\nSubnet /{}{}",
                    s.len,
                    if self.prefix.is_some_and(|p| p.from_netmask) {
                        " (from the netmask)"
                    } else {
                        ""
                    }
                );
                let _ = writeln!(o, "  network        {}/{}", s.network, s.len);
                if let Some(b) = s.broadcast {
                    let _ = writeln!(o, "  broadcast      {b}");
                }
                let _ = writeln!(o, "  netmask        {}", s.netmask);
                let _ = writeln!(
                    o,
                    "  wildcard       {}  (the host bits; ACLs use it)",
                    s.wildcard
                );
                let _ = writeln!(o, "  first host     {}", s.first);
                let _ = writeln!(o, "  last host      {}", s.last);
                let _ = writeln!(o, "  addresses      {}", s.addresses);
                let _ = writeln!(o, "  hosts          {}", s.hosts);
                o.push_str(&wrap(s.note, "  ", 96));
                if s.network != self.addr {
                    let _ = writeln!(
                        o,
                        "  {} is a host inside {}/{}, not the network address itself.",
                        self.addr, s.network, s.len
                    );
                }
            }
        }
        o
    }

    /// The same facts as JSON.
    pub fn to_json(&self) -> Value {
        let kinds: Vec<Value> = self
            .kinds
            .iter()
            .map(|k| {
                json!({"name": k.name, "range": (k.range != "-").then_some(&k.range), "rfc": k.rfc,
                       "meaning": k.meaning, "socket": k.socket})
            })
            .collect();
        let details: serde_json::Map<String, Value> = self
            .details
            .iter()
            .map(|(k, v)| (k.to_lowercase().replace(' ', "_"), Value::String(v.clone())))
            .collect();
        let machine = match on_machine(self.addr, &self.facts) {
            None => Value::Null,
            Some((exact, sub)) => json!({"on_interfaces": exact, "in_subnet_of": sub}),
        };
        let subnet = self.subnet().map(|s| {
            json!({
                "prefix_len": s.len,
                "from_netmask": self.prefix.is_some_and(|p| p.from_netmask),
                "network": s.network.to_string(),
                "broadcast": s.broadcast.map(|b| b.to_string()),
                "netmask": s.netmask.to_string(),
                "wildcard": s.wildcard.to_string(),
                "first_host": s.first.to_string(),
                "last_host": s.last.to_string(),
                "addresses": s.addresses,
                "hosts": s.hosts,
                "network_bits": s.len,
                "host_bits": s.bits - s.len,
                "note": s.note,
            })
        });
        json!({
            "input": self.input,
            "address": self.addr.to_string(),
            "family": if self.addr.is_ipv4() { "ipv4" } else { "ipv6" },
            "kind": self.kinds[0].name,
            "kinds": kinds,
            "known_as": self.named,
            "details": details,
            "class": self.class.map(|(c, r)| json!({"class": c.to_string(), "range": r})),
            "hex": hex_of(self.addr),
            "binary": match self.addr {
                IpAddr::V4(a) => format!("{:032b}", u32::from(a)),
                IpAddr::V6(a) => format!("{:0128b}", u128::from(a)),
            },
            "embedded_ipv4": embedded_ipv4(self.addr).map(|a| a.to_string()),
            "teredo": teredo(self.addr).map(|(server, client, port, flags)| json!({
                "server": server.to_string(),
                "client": client.to_string(),
                "client_port": port,
                "flags": flags,
            })),
            "machine": machine,
            "machine_summary": self.machine_sentence(),
            "subnet": subnet,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netmask_must_be_contiguous() {
        assert_eq!(
            parse("10.0.0.1/255.255.0.0").unwrap().1,
            Some(Prefix {
                len: 16,
                from_netmask: true
            })
        );
        let e = parse("10.0.0.1/255.0.255.0").unwrap_err();
        assert!(e.contains("not contiguous"), "{e}");
    }

    #[test]
    fn bad_inputs_say_why() {
        assert!(
            parse("999.1.1.1")
                .unwrap_err()
                .contains("999 is more than 255")
        );
        assert!(parse("1.2.3.4/33").unwrap_err().contains("0-32"));
        assert!(parse("::1/129").unwrap_err().contains("0-128"));
        assert!(parse("1.2.3").unwrap_err().contains("four parts"));
        assert!(parse("example.com").unwrap_err().contains("not resolved"));
    }

    #[test]
    fn subnet_edges() {
        let s = subnet("192.168.1.10".parse().unwrap(), 24);
        assert_eq!(s.network.to_string(), "192.168.1.0");
        assert_eq!(s.broadcast.unwrap().to_string(), "192.168.1.255");
        assert_eq!(s.hosts, "254");
        let s = subnet("10.0.0.1".parse().unwrap(), 31);
        assert_eq!(
            (s.first.to_string(), s.last.to_string()),
            ("10.0.0.0".into(), "10.0.0.1".into())
        );
        assert_eq!(s.broadcast, None);
        let s = subnet("10.0.0.1".parse().unwrap(), 0);
        assert_eq!(s.netmask.to_string(), "0.0.0.0");
        assert_eq!(s.hosts, "4294967294");
        let s = subnet("2001:db8::1".parse().unwrap(), 64);
        assert_eq!(s.addresses, "18446744073709551616 (2^64)");
        let s = subnet("2001:db8::1".parse().unwrap(), 0);
        assert_eq!(s.addresses, "2^128");
        assert_eq!(
            s.last.to_string(),
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        );
    }

    #[test]
    fn teredo_fields() {
        // RFC 4380 §4 example: server 65.54.227.120, client 192.0.2.45:40000.
        let e = explain("2001:0:4136:e378:8000:63bf:3fff:fdd2", &IpFacts::default()).unwrap();
        let d: Vec<_> = e.details.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert!(d[0].contains("65.54.227.120"), "{d:?}");
        assert!(d[2].contains("192.0.2.45:40000"), "{d:?}");
    }
}
