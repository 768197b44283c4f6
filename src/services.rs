//! Well-known service names for ports (a subset of IANA's Service Name and Transport Protocol
//! Port Number Registry): what a learner sees as `127.0.0.1:7 (echo)`.

/// Transport protocol of a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Proto {
    Tcp,
    Udp,
}

/// (port, tcp name, udp name, short description). `None` where IANA assigns nothing common.
const TABLE: &[(u16, Option<&str>, Option<&str>, &str)] = &[
    (
        7,
        Some("echo"),
        Some("echo"),
        "Echo: sends back what it receives (RFC 862)",
    ),
    (
        9,
        Some("discard"),
        Some("discard"),
        "Discard: throws away what it receives (RFC 863)",
    ),
    (
        13,
        Some("daytime"),
        Some("daytime"),
        "Daytime: replies with the date and time (RFC 867)",
    ),
    (
        19,
        Some("chargen"),
        Some("chargen"),
        "Character generator (RFC 864)",
    ),
    (20, Some("ftp-data"), None, "FTP data connection"),
    (21, Some("ftp"), None, "FTP control connection"),
    (22, Some("ssh"), None, "Secure Shell"),
    (23, Some("telnet"), None, "Telnet"),
    (25, Some("smtp"), None, "Simple Mail Transfer Protocol"),
    (37, Some("time"), Some("time"), "Time protocol (RFC 868)"),
    (43, Some("whois"), None, "WHOIS"),
    (
        53,
        Some("domain"),
        Some("domain"),
        "DNS, the Domain Name System",
    ),
    (67, None, Some("bootps"), "DHCP server"),
    (68, None, Some("bootpc"), "DHCP client"),
    (69, None, Some("tftp"), "Trivial File Transfer Protocol"),
    (79, Some("finger"), None, "Finger"),
    (80, Some("http"), None, "HTTP, the web"),
    (
        88,
        Some("kerberos"),
        Some("kerberos"),
        "Kerberos authentication",
    ),
    (110, Some("pop3"), None, "POP3 mail retrieval"),
    (111, Some("sunrpc"), Some("sunrpc"), "ONC RPC portmapper"),
    (119, Some("nntp"), None, "Network News Transfer Protocol"),
    (123, None, Some("ntp"), "Network Time Protocol"),
    (135, Some("epmap"), Some("epmap"), "DCE/RPC endpoint mapper"),
    (137, None, Some("netbios-ns"), "NetBIOS name service"),
    (138, None, Some("netbios-dgm"), "NetBIOS datagram service"),
    (139, Some("netbios-ssn"), None, "NetBIOS session service"),
    (143, Some("imap"), None, "IMAP mail access"),
    (161, None, Some("snmp"), "SNMP"),
    (162, None, Some("snmp-trap"), "SNMP traps"),
    (179, Some("bgp"), None, "Border Gateway Protocol"),
    (389, Some("ldap"), None, "LDAP directory"),
    (
        443,
        Some("https"),
        Some("https"),
        "HTTPS (HTTP over TLS; HTTP/3 over QUIC on UDP)",
    ),
    (445, Some("microsoft-ds"), None, "SMB file sharing"),
    (465, Some("submissions"), None, "Mail submission over TLS"),
    (500, None, Some("isakmp"), "IKE key exchange for IPsec"),
    (514, None, Some("syslog"), "syslog"),
    (520, None, Some("router"), "RIP routing"),
    (546, None, Some("dhcpv6-client"), "DHCPv6 client"),
    (547, None, Some("dhcpv6-server"), "DHCPv6 server"),
    (587, Some("submission"), None, "Mail submission"),
    (631, Some("ipp"), None, "Internet Printing Protocol"),
    (636, Some("ldaps"), None, "LDAP over TLS"),
    (
        853,
        Some("domain-s"),
        Some("domain-s"),
        "DNS over TLS / QUIC",
    ),
    (873, Some("rsync"), None, "rsync"),
    (993, Some("imaps"), None, "IMAP over TLS"),
    (995, Some("pop3s"), None, "POP3 over TLS"),
    (1080, Some("socks"), None, "SOCKS proxy"),
    (1194, Some("openvpn"), Some("openvpn"), "OpenVPN"),
    (1433, Some("ms-sql-s"), None, "Microsoft SQL Server"),
    (1812, None, Some("radius"), "RADIUS authentication"),
    (1883, Some("mqtt"), None, "MQTT messaging"),
    (2049, Some("nfs"), Some("nfs"), "Network File System"),
    (3306, Some("mysql"), None, "MySQL database"),
    (3389, Some("ms-wbt-server"), None, "Remote Desktop"),
    (4789, None, Some("vxlan"), "VXLAN overlay networks"),
    (5060, Some("sip"), Some("sip"), "SIP telephony signalling"),
    (5353, None, Some("mdns"), "Multicast DNS"),
    (5432, Some("postgresql"), None, "PostgreSQL database"),
    (5672, Some("amqp"), None, "AMQP messaging"),
    (6379, Some("redis"), None, "Redis key-value store"),
    (
        6443,
        Some("sun-sr-https"),
        None,
        "Kubernetes API server (commonly)",
    ),
    (8080, Some("http-alt"), None, "HTTP, alternate port"),
    (8443, Some("https-alt"), None, "HTTPS, alternate port"),
    (9418, Some("git"), None, "Git protocol"),
    (11211, Some("memcache"), Some("memcache"), "memcached"),
    (27017, Some("mongodb"), None, "MongoDB database"),
];

/// The service name registered for `port` over `proto`, if it is a common one.
pub fn name(port: u16, proto: Proto) -> Option<&'static str> {
    if !known(port) {
        return None;
    }
    // The port's row: the rows of the words before its own, and those below it in its word.
    let (word, bit) = (usize::from(port / 64), port % 64);
    let below = KNOWN[word] & ((1 << bit) - 1);
    let r = &TABLE[usize::from(RANK[word]) + below.count_ones() as usize];
    match proto {
        Proto::Tcp => r.1,
        Proto::Udp => r.2,
    }
}

/// One bit per port that has an entry in [`TABLE`], built at compile time: most ports seen
/// (ephemeral ones) have none, and a bit test is cheaper than the binary search.
static KNOWN: [u64; 1024] = {
    let mut bits = [0u64; 1024];
    let mut i = 0;
    while i < TABLE.len() {
        let p = TABLE[i].0 as usize;
        bits[p / 64] |= 1 << (p % 64);
        i += 1;
    }
    bits
};

/// How many rows of [`TABLE`] have their port in the words of [`KNOWN`] before each: with the
/// bits of a known port's own word below it, its row, found without a search.
static RANK: [u8; 1024] = {
    let mut rank = [0u8; 1024];
    let mut i = 1;
    while i < 1024 {
        rank[i] = rank[i - 1] + KNOWN[i - 1].count_ones() as u8;
        i += 1;
    }
    rank
};

fn known(port: u16) -> bool {
    KNOWN[port as usize / 64] & (1 << (port % 64)) != 0
}

/// A one-line description of the service on `port`, whichever protocol.
pub fn description(port: u16) -> Option<&'static str> {
    let i = TABLE.binary_search_by_key(&port, |r| r.0).ok()?;
    Some(TABLE[i].3)
}

/// Every entry: (port, tcp name, udp name, description), sorted by port.
pub fn all() -> &'static [(
    u16,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
)] {
    TABLE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(TABLE.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn lookups() {
        assert_eq!(name(7, Proto::Tcp), Some("echo"));
        assert_eq!(name(53, Proto::Udp), Some("domain"));
        assert_eq!(name(123, Proto::Tcp), None);
        assert_eq!(name(54321, Proto::Tcp), None);
    }

    #[test]
    fn names_are_those_the_table_gives() {
        assert!(TABLE.len() < 256, "RANK holds bytes");
        for port in 0..=u16::MAX {
            let row = TABLE.binary_search_by_key(&port, |r| r.0).ok();
            assert_eq!(
                name(port, Proto::Tcp),
                row.and_then(|i| TABLE[i].1),
                "{port}"
            );
            assert_eq!(
                name(port, Proto::Udp),
                row.and_then(|i| TABLE[i].2),
                "{port}"
            );
        }
    }

    /// The learner view counts an endpoint cell's characters by its bytes.
    #[test]
    fn service_names_are_ascii() {
        for r in TABLE {
            assert!(r.1.is_none_or(|n| n.is_ascii()), "{}", r.0);
            assert!(r.2.is_none_or(|n| n.is_ascii()), "{}", r.0);
        }
    }

    #[test]
    fn the_known_bits_are_the_table_ports() {
        for port in 0..=u16::MAX {
            let listed = TABLE.binary_search_by_key(&port, |r| r.0).is_ok();
            assert_eq!(known(port), listed, "{port}");
        }
    }
}
