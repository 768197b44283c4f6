//! The sockets of this machine and their owners, as `explain port` shows them: the readers of
//! `/proc/net/{tcp,tcp6,udp,udp6}` and `/proc/*/fd` live in the system layer
//! ([`crate::sys::procfs`], re-exported here); this file adds the pure parsers of
//! `/etc/passwd` and `/etc/services` text.

use std::collections::HashMap;

use crate::services::Proto;

pub use crate::sys::procfs::{
    Owner, OwnerMap, STATE_NAMES, SocketEntry, TCP_CLOSE, TCP_ESTABLISHED, TCP_LISTEN, owners,
    parse_addr, parse_table, read_all,
};

/// User names from /etc/passwd text, by uid.
pub fn parse_passwd(text: &str) -> HashMap<u32, String> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some((f.get(2)?.parse().ok()?, f.first()?.to_string()))
        })
        .collect()
}

/// One /etc/services line: name, port, protocol, aliases.
pub type ServiceEntry = (String, u16, Proto, Vec<String>);

/// The entries of /etc/services text.
pub fn parse_etc_services(text: &str) -> Vec<ServiceEntry> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut f = line.split_whitespace();
        let (Some(name), Some(pp)) = (f.next(), f.next()) else {
            continue;
        };
        let Some((port, proto)) = pp.split_once('/') else {
            continue;
        };
        let Ok(port) = port.parse::<u16>() else {
            continue;
        };
        let proto = match proto {
            "tcp" => Proto::Tcp,
            "udp" => Proto::Udp,
            _ => continue,
        };
        out.push((name.to_string(), port, proto, f.map(String::from).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etc_services_lines() {
        let v = parse_etc_services(
            "# c\nssh\t\t22/tcp\t\t\t# SSH\nhttp 80/tcp www\nntp 123/udp\nx 1/ddp\n",
        );
        assert_eq!(v.len(), 3);
        assert_eq!(v[1], ("http".into(), 80, Proto::Tcp, vec!["www".into()]));
    }
}
