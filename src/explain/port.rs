//! `explain port` and `explain ports`: the range a port is in, who may bind it, its service,
//! the sockets of this machine on it right now and the processes that own them.
//!
//! The explanation is a pure function of the port and a [`MachineFacts`]; only
//! [`MachineFacts::of_this_machine`] reads `/proc` and `/etc`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

use serde_json::{Value, json};

use super::sockets::{self, Owner, OwnerMap, SocketEntry};
use super::wrap;
use crate::services::{self, Proto};

/// A port, and the protocol when the user named one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortSpec {
    pub port: u16,
    pub proto: Option<Proto>,
}

const PORT_ACCEPTED: &str = "A port is a number 0-65535, optionally followed by /tcp or /udp \
(e.g. 22, 53/udp, 54321/tcp).";

/// Parses `N[/tcp|/udp]`; the error is one line saying what is wrong and what is accepted.
pub fn parse_spec(s: &str) -> Result<PortSpec, String> {
    let t = s.trim();
    let (n, p) = match t.split_once('/') {
        Some((n, p)) => (n, Some(p)),
        None => (t, None),
    };
    let proto = match p.map(|p| p.to_ascii_lowercase()) {
        None => None,
        Some(p) if p == "tcp" => Some(Proto::Tcp),
        Some(p) if p == "udp" => Some(Proto::Udp),
        Some(p) => {
            return Err(format!(
                "`{s}`: `{p}` is not a protocol this explains (tcp or udp). {PORT_ACCEPTED}"
            ));
        }
    };
    if n.is_empty() || !n.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("`{s}` is not a port number. {PORT_ACCEPTED}"));
    }
    match n.parse::<u32>() {
        Ok(v) if v <= 65535 => Ok(PortSpec {
            port: v as u16,
            proto,
        }),
        _ => Err(format!(
            "port {n} is out of range: ports are 16-bit numbers, 0-65535. {PORT_ACCEPTED}"
        )),
    }
}

/// This machine's net.ipv4.ip_local_port_range: where its kernel picks ephemeral ports.
pub fn local_port_range() -> Option<(u16, u16)> {
    let s = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    let mut it = s.split_whitespace().map(|x| x.parse::<u16>().ok());
    Some((it.next()??, it.next()??))
}

/// What this machine says about ports right now. Tests build their own.
#[derive(Clone, Debug, Default)]
pub struct MachineFacts {
    /// net.ipv4.ip_local_port_range.
    pub ephemeral: Option<(u16, u16)>,
    /// net.ipv4.ip_unprivileged_port_start.
    pub unprivileged_start: Option<u32>,
    /// /etc/services entries, when the file exists.
    pub etc_services: Option<Vec<sockets::ServiceEntry>>,
    pub sockets: Vec<SocketEntry>,
    pub owners: OwnerMap,
    pub users: HashMap<u32, String>,
    /// Effective uid of this program: root sees every process.
    pub euid: u32,
}

impl MachineFacts {
    pub fn of_this_machine() -> MachineFacts {
        let read = |p: &str| std::fs::read_to_string(p).ok();
        MachineFacts {
            ephemeral: local_port_range(),
            unprivileged_start: read("/proc/sys/net/ipv4/ip_unprivileged_port_start")
                .and_then(|s| s.trim().parse().ok()),
            etc_services: read("/etc/services").map(|t| sockets::parse_etc_services(&t)),
            sockets: sockets::read_all(),
            owners: sockets::owners(),
            users: read("/etc/passwd")
                .map(|t| sockets::parse_passwd(&t))
                .unwrap_or_default(),
            euid: crate::sys::procfs::euid(),
        }
    }

    fn user(&self, uid: u32) -> String {
        match self.users.get(&uid) {
            Some(n) => format!("{n} (uid {uid})"),
            None => uid.to_string(),
        }
    }

    fn owner_text(&self, s: &SocketEntry) -> String {
        match self.owners.by_inode.get(&s.inode) {
            _ if s.inode == 0 => "kernel (no process holds it any more)".into(),
            Some(v) if !v.is_empty() => v
                .iter()
                .map(|Owner { pid, comm }| format!("pid {pid} ({comm})"))
                .collect::<Vec<_>>()
                .join(", "),
            _ if self.euid != 0 && self.owners.hidden_processes > 0 => format!(
                "hidden: user {} owns it; run as root to see the process",
                self.user(s.uid)
            ),
            _ => format!(
                "not found (user {}): its process is in another PID namespace or has exited",
                self.user(s.uid)
            ),
        }
    }

    fn owners_json(&self, s: &SocketEntry) -> Value {
        match self.owners.by_inode.get(&s.inode) {
            Some(v) => v
                .iter()
                .map(|o| json!({"pid": o.pid, "comm": o.comm}))
                .collect(),
            None => Value::Array(vec![]),
        }
    }
}

/// The IANA range of a port (RFC 6335 §6).
pub fn range_of(port: u16) -> (&'static str, &'static str) {
    match port {
        // RFC 6335 §6: port 0 is reserved. As a bind() argument it means "any port": Linux's
        // inet_bind picks a free one from ip_local_port_range (inet_csk_get_port).
        0 => (
            "reserved (0, RFC 6335 §6)",
            "Port 0 is reserved and assigned to no service. As a bind() argument it means \
             \"any port\": the kernel picks a free ephemeral port, and getsockname() tells which.",
        ),
        1..=1023 => (
            "well-known / system (0-1023, RFC 6335)",
            "Assigned by IANA to standard services (ssh 22, http 80, https 443).",
        ),
        1024..=49151 => (
            "registered / user (1024-49151, RFC 6335)",
            "Registered with IANA by applications (postgresql 5432, http-alt 8080); any user may \
             bind them.",
        ),
        _ => (
            "dynamic / private (49152-65535, RFC 6335)",
            "Never assigned by IANA: meant for ports chosen on the fly, such as a client's \
             ephemeral port.",
        ),
    }
}

/// A socket line shown as `ss` would: the address, with v4-mapped and dual-stack notes.
fn addr_text(a: &SocketAddr) -> String {
    match a.ip() {
        IpAddr::V4(v) if v.is_unspecified() && a.port() == 0 => "0.0.0.0:*".into(),
        IpAddr::V6(v) if v.is_unspecified() && a.port() == 0 => "[::]:*".into(),
        _ => a.to_string(),
    }
}

fn addr_note(s: &SocketEntry) -> Option<&'static str> {
    match s.local.ip() {
        IpAddr::V6(v) if v.to_ipv4_mapped().is_some() => {
            Some("IPv4-mapped: an IPv6 socket talking IPv4 (dual-stack, RFC 4291 §2.5.5.2)")
        }
        IpAddr::V6(v) if v.is_unspecified() && s.is_listening() => {
            Some("[::] also takes IPv4 unless the socket set IPV6_V6ONLY")
        }
        IpAddr::V4(v) if v.is_unspecified() && s.is_listening() => {
            Some("0.0.0.0: every IPv4 interface")
        }
        IpAddr::V4(v) if v.is_loopback() && s.is_listening() => {
            Some("127.x: only this machine can reach it")
        }
        IpAddr::V6(v) if v.is_loopback() && s.is_listening() => {
            Some("::1: only this machine can reach it")
        }
        _ => None,
    }
}

/// Which side of a connection a connected socket is.
fn role_note(facts: &MachineFacts, s: &SocketEntry) -> Option<String> {
    if s.is_listening() || s.remote.port() == 0 {
        return None;
    }
    let listener = facts.sockets.iter().any(|l| {
        l.proto == s.proto && l.state == sockets::TCP_LISTEN && l.local.port() == s.local.port()
    });
    if listener {
        return Some(format!(
            "server side: accept() made this socket for the client at {}; it keeps the \
             listening port",
            s.remote
        ));
    }
    match facts.ephemeral {
        Some((lo, hi)) if (lo..=hi).contains(&s.local.port()) => Some(format!(
            "client side: connect() to {} got this ephemeral port from the kernel",
            s.remote
        )),
        _ => None,
    }
}

/// Whether some socket in `list` could not be matched to a process for lack of privilege.
fn some_hidden(facts: &MachineFacts, list: &[&SocketEntry]) -> bool {
    facts.euid != 0
        && facts.owners.hidden_processes > 0
        && list
            .iter()
            .any(|s| s.inode != 0 && !facts.owners.by_inode.contains_key(&s.inode))
}

fn socket_rows(facts: &MachineFacts, list: &[&SocketEntry]) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "  {:<5} {:<10} {:<40} {:<40} Process",
        "Netid", "State", "Local Address:Port", "Peer Address:Port"
    );
    for s in list {
        let _ = writeln!(
            o,
            "  {:<5} {:<10} {:<40} {:<40} {}",
            s.proto_name(),
            s.state_name(),
            addr_text(&s.local),
            addr_text(&s.remote),
            facts.owner_text(s)
        );
        if let Some(n) = addr_note(s) {
            let _ = writeln!(o, "  {:<5} {:<10} ({n})", "", "");
        }
        if let Some(n) = role_note(facts, s) {
            let _ = writeln!(o, "  {:<5} {:<10} ({n})", "", "");
        }
    }
    o
}

fn socket_json(facts: &MachineFacts, s: &SocketEntry) -> Value {
    json!({
        "proto": s.proto_name(),
        "family": if s.local.is_ipv4() { "ipv4" } else { "ipv6" },
        "state": s.state_name(),
        "local": s.local.to_string(),
        "local_address": s.local.ip().to_string(),
        "local_port": s.local.port(),
        "peer": s.remote.to_string(),
        "uid": s.uid,
        "user": facts.users.get(&s.uid),
        "inode": s.inode,
        "processes": facts.owners_json(s),
        "owner": facts.owner_text(s),
        "note": addr_note(s),
        "role": role_note(facts, s),
    })
}

/// Everything `explain port` says.
#[derive(Clone, Debug)]
pub struct PortExplanation<'f> {
    pub spec: PortSpec,
    pub facts: &'f MachineFacts,
}

pub fn explain(spec: PortSpec, facts: &MachineFacts) -> PortExplanation<'_> {
    PortExplanation { spec, facts }
}

const HOW_A_PORT_IS_CHOSEN: &str = "A server calls bind(address, port) with a fixed port so that \
clients know where to find it, then listen() (TCP) or recvfrom() (UDP). A client usually does not \
bind: connect() (TCP), or the first sendto() (UDP), makes the kernel pick a free ephemeral port \
from ip_local_port_range, and bind() with port 0 does the same; getsockname() tells which port was \
chosen. Two sockets cannot bind the same address and port unless SO_REUSEADDR (to rebind over \
TIME-WAIT leftovers) or SO_REUSEPORT (to share the load between processes) allow it: otherwise \
bind() fails with EADDRINUSE.";

impl PortExplanation<'_> {
    fn protos(&self) -> Vec<Proto> {
        match self.spec.proto {
            Some(p) => vec![p],
            None => vec![Proto::Tcp, Proto::Udp],
        }
    }

    fn label(&self) -> String {
        match self.spec.proto {
            Some(Proto::Tcp) => format!("{}/tcp", self.spec.port),
            Some(Proto::Udp) => format!("{}/udp", self.spec.port),
            None => self.spec.port.to_string(),
        }
    }

    fn privilege(&self) -> String {
        let p = self.spec.port as u32;
        match self.facts.unprivileged_start {
            // Linux checks CAP_NET_BIND_SERVICE only for a nonzero port below the start
            // (`if (snum && inet_port_requires_bind_service(...))` in net/ipv4/af_inet.c).
            _ if p == 0 => "Binding port 0 needs no privilege: the kernel picks a free \
                            ephemeral port, never a privileged one."
                .into(),
            Some(start) if p < start => format!(
                "Binding it needs privilege: ports below {start} (net.ipv4.ip_unprivileged_port_start \
                 on this machine) need root or CAP_NET_BIND_SERVICE."
            ),
            Some(start) => format!(
                "Any user may bind it: it is not below {start} (net.ipv4.ip_unprivileged_port_start \
                 on this machine)."
            ),
            None if p < 1024 => {
                "Binding it needs root or CAP_NET_BIND_SERVICE (ports below 1024).".into()
            }
            None => "Any user may bind it (it is not below 1024).".into(),
        }
    }

    fn ephemeral(&self) -> String {
        let p = self.spec.port;
        match self.facts.ephemeral {
            Some((lo, hi)) if p == 0 => format!(
                "This machine picks ephemeral ports from {lo}-{hi} \
                 (net.ipv4.ip_local_port_range): bind() to port 0 gets one of those."
            ),
            Some((lo, hi)) if (lo..=hi).contains(&p) => format!(
                "This machine picks ephemeral ports from {lo}-{hi} (net.ipv4.ip_local_port_range): \
                 {p} is inside, so the kernel may give it to any connect() or bind(port 0). A \
                 server on it can find it taken (EADDRINUSE)."
            ),
            Some((lo, hi)) => format!(
                "This machine picks ephemeral ports from {lo}-{hi} (net.ipv4.ip_local_port_range): \
                 {p} is outside, so the kernel never picks it on its own."
            ),
            None => "The ephemeral range of this machine could not be read \
                     (/proc/sys/net/ipv4/ip_local_port_range)."
                .into(),
        }
    }

    fn services(&self) -> Vec<(Proto, Option<&'static str>, Vec<String>)> {
        self.protos()
            .into_iter()
            .map(|pr| {
                let builtin = services::name(self.spec.port, pr);
                let etc = self
                    .facts
                    .etc_services
                    .iter()
                    .flatten()
                    .filter(|e| e.1 == self.spec.port && e.2 == pr)
                    .map(|e| {
                        if e.3.is_empty() {
                            e.0.clone()
                        } else {
                            format!("{} (also {})", e.0, e.3.join(", "))
                        }
                    })
                    .collect();
                (pr, builtin, etc)
            })
            .collect()
    }

    fn sockets(&self) -> Vec<&SocketEntry> {
        let protos = self.protos();
        let mut v: Vec<&SocketEntry> = self
            .facts
            .sockets
            .iter()
            .filter(|s| s.local.port() == self.spec.port && protos.contains(&s.proto))
            .collect();
        v.sort_by_key(|s| (s.proto_name(), !s.is_listening(), s.local, s.remote));
        v
    }

    /// Text for people.
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        let (range, range_meaning) = range_of(self.spec.port);
        let _ = writeln!(o, "port {}", self.label());
        let _ = writeln!(o, "\nRange\n  {range}");
        o.push_str(&wrap(range_meaning, "  ", 96));
        o.push_str(&wrap(&self.privilege(), "  ", 96));
        o.push_str(&wrap(&self.ephemeral(), "  ", 96));
        o.push_str("\nService\n");
        for (pr, builtin, etc) in self.services() {
            let pn = if pr == Proto::Tcp { "tcp" } else { "udp" };
            let mut line = match builtin {
                Some(n) => format!(
                    "{pn}: {n} - {}",
                    services::description(self.spec.port).unwrap_or("")
                ),
                None => format!("{pn}: none in sockscope's table of common services"),
            };
            match &self.facts.etc_services {
                None => line.push_str("; /etc/services is not present"),
                Some(_) if etc.is_empty() => line.push_str("; not in /etc/services"),
                Some(_) => {
                    let _ = write!(line, "; /etc/services: {}", etc.join(", "));
                }
            }
            o.push_str(&wrap(&line, "  ", 96));
        }
        o.push_str(&wrap(
            "A service name is only a convention: any program may bind any port it is allowed to.",
            "  ",
            96,
        ));
        let list = self.sockets();
        let _ = writeln!(o, "\nOn this machine now");
        if list.is_empty() && self.spec.port == 0 {
            o.push_str(&wrap(
                "No socket is bound to port 0: bind() replaces it with the port the kernel picks.",
                "  ",
                96,
            ));
        } else if list.is_empty() {
            let _ = writeln!(
                o,
                "  No socket uses port {} right now: bind() to it would succeed (given the privilege \
                 above).",
                self.label()
            );
        } else {
            o.push_str(&socket_rows(self.facts, &list));
        }
        if some_hidden(self.facts, &list) {
            o.push_str(&wrap(
                &format!(
                    "Not running as root: the sockets of {} processes of other users cannot be \
                     matched to their process (their /proc/PID/fd is private).",
                    self.facts.owners.hidden_processes
                ),
                "  ",
                96,
            ));
        }
        o.push_str("\nHow a socket gets a port\n");
        o.push_str(&wrap(HOW_A_PORT_IS_CHOSEN, "  ", 96));
        o
    }

    /// The same facts as JSON.
    pub fn to_json(&self) -> Value {
        let (range, range_meaning) = range_of(self.spec.port);
        let services: Vec<Value> = self
            .services()
            .into_iter()
            .map(|(pr, builtin, etc)| {
                json!({
                    "proto": if pr == Proto::Tcp { "tcp" } else { "udp" },
                    "name": builtin,
                    "description": builtin.and(services::description(self.spec.port)),
                    "etc_services": self.facts.etc_services.as_ref().map(|_| etc),
                })
            })
            .collect();
        json!({
            "port": self.spec.port,
            "proto": self.spec.proto.map(|p| if p == Proto::Tcp { "tcp" } else { "udp" }),
            "range": range,
            "range_meaning": range_meaning,
            "privileged": self.spec.port != 0
                && self.facts.unprivileged_start.map(|s| (self.spec.port as u32) < s)
                    .unwrap_or(self.spec.port < 1024),
            "privilege": self.privilege(),
            "unprivileged_port_start": self.facts.unprivileged_start,
            "ephemeral_range": self.facts.ephemeral.map(|(a, b)| json!([a, b])),
            "in_ephemeral_range": self.facts.ephemeral.map(|(a, b)| (a..=b).contains(&self.spec.port)),
            "services": services,
            "sockets": self.sockets().iter().map(|s| socket_json(self.facts, s)).collect::<Vec<_>>(),
            "hidden_processes": self.facts.owners.hidden_processes,
            "how_a_port_is_chosen": HOW_A_PORT_IS_CHOSEN,
        })
    }
}

fn listening(facts: &MachineFacts) -> Vec<&SocketEntry> {
    let mut v: Vec<&SocketEntry> = facts.sockets.iter().filter(|s| s.is_listening()).collect();
    v.sort_by_key(|s| (s.proto_name(), s.local.port(), s.local));
    v
}

/// `explain ports`: every listening TCP and bound UDP socket, like `ss -tulpn`.
pub fn ports_text(facts: &MachineFacts) -> String {
    let list = listening(facts);
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Listening TCP sockets and bound UDP sockets of this machine ({}), like `ss -tulpn`:\n",
        list.len()
    );
    o.push_str(&socket_rows(facts, &list));
    if some_hidden(facts, &list) {
        o.push('\n');
        o.push_str(&wrap(
            &format!(
                "Not running as root: {} processes of other users could not be looked into, so \
                 their sockets show the owning user only.",
                facts.owners.hidden_processes
            ),
            "",
            96,
        ));
    }
    o.push('\n');
    o.push_str(&wrap(
        "0.0.0.0 and [::] accept connections on every interface; 127.0.0.1 and ::1 only from this \
         machine. `sockscope explain port N` says more about one port.",
        "",
        96,
    ));
    o
}

pub fn ports_json(facts: &MachineFacts) -> Value {
    json!({
        "sockets": listening(facts).iter().map(|s| socket_json(facts, s)).collect::<Vec<_>>(),
        "hidden_processes": facts.owners.hidden_processes,
        "root": facts.euid == 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs() {
        assert_eq!(
            parse_spec("53/udp").unwrap(),
            PortSpec {
                port: 53,
                proto: Some(Proto::Udp)
            }
        );
        assert_eq!(parse_spec("65535").unwrap().port, 65535);
        assert!(parse_spec("70000").unwrap_err().contains("0-65535"));
        assert!(parse_spec("abc").unwrap_err().contains("not a port number"));
        assert!(parse_spec("-1").unwrap_err().contains("not a port number"));
        assert!(parse_spec("80/sctp").unwrap_err().contains("tcp or udp"));
    }

    #[test]
    fn ranges() {
        assert!(range_of(22).0.starts_with("well-known"));
        assert!(range_of(1024).0.starts_with("registered"));
        assert!(range_of(49152).0.starts_with("dynamic"));
    }

    /// bind() to port 0 asks for any free ephemeral port: no privilege needed (audit item 8).
    #[test]
    fn port_zero_needs_no_privilege() {
        let facts = MachineFacts {
            ephemeral: Some((32768, 60999)),
            unprivileged_start: Some(1024),
            ..MachineFacts::default()
        };
        let e = explain(parse_spec("0").unwrap(), &facts);
        let text = e.to_text();
        assert!(text.contains("needs no privilege"), "{text}");
        assert!(!text.contains("needs privilege"), "{text}");
        assert!(
            text.contains("the kernel picks a free ephemeral port"),
            "{text}"
        );
        assert!(text.contains("gets one of those"), "{text}");
        assert_eq!(e.to_json()["privileged"], false);
        let e80 = explain(parse_spec("80").unwrap(), &facts);
        assert_eq!(e80.to_json()["privileged"], true);
    }
}
