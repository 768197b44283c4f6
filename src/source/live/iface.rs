//! Network interfaces as pnet lists them, and their text listing (`sockscope interfaces`,
//! and the error for an unknown `-i` name).

use std::fmt::Write as _;

use pnet_datalink::NetworkInterface;

/// Every interface the system has, in index order.
pub fn all() -> Vec<NetworkInterface> {
    let mut v = pnet_datalink::interfaces();
    v.sort_by_key(|i| i.index);
    v
}

/// The interface called `name`.
pub fn find(name: &str) -> Option<NetworkInterface> {
    all().into_iter().find(|i| i.name == name)
}

/// One block per interface, like `ip addr`: index, name, state, MAC, addresses with prefixes.
///
/// ```text
/// 1: lo  up, running, loopback
///     mac 00:00:00:00:00:00
///     inet 127.0.0.1/8
///     inet6 ::1/128
/// ```
pub fn listing(ifaces: &[NetworkInterface]) -> String {
    let mut s = String::new();
    for i in ifaces {
        let mut state = vec![if i.is_up() { "up" } else { "down" }];
        if i.is_running() {
            state.push("running");
        }
        if i.is_loopback() {
            state.push("loopback");
        }
        if i.is_point_to_point() {
            state.push("point-to-point");
        }
        let _ = writeln!(s, "{}: {}  {}", i.index, i.name, state.join(", "));
        if let Some(mac) = i.mac {
            let _ = writeln!(s, "    mac {mac}");
        }
        for ip in &i.ips {
            let kind = if ip.is_ipv4() { "inet" } else { "inet6" };
            let _ = writeln!(s, "    {kind} {}/{}", ip.ip(), ip.prefix());
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_listed_with_its_addresses() {
        let ifaces = all();
        let lo = ifaces.iter().find(|i| i.is_loopback());
        let Some(lo) = lo else {
            return; // a system without loopback: nothing to check
        };
        let text = listing(std::slice::from_ref(lo));
        assert!(
            text.starts_with(&format!("{}: {}  ", lo.index, lo.name)),
            "{text}"
        );
        assert!(text.contains("loopback"), "{text}");
        if lo.ips.iter().any(|ip| ip.is_ipv4()) {
            assert!(text.contains("    inet 127.0.0.1/8\n"), "{text}");
        }
    }
}
