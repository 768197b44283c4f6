//! The private network a lesson can run in: a network namespace of its own (so its loopback
//! carries nothing but the lesson, and a firewall rule there touches nothing else), its `lo`
//! up with the MTU the lesson wants, and, for the loss lesson, an nftables rule that drops
//! one chosen segment after the capture saw it (this kernel has no netem; a fixed drop is
//! repeatable where random loss is not, as `scripts/record-captures.sh --cases` does).

use std::io::Write;
use std::process::{Command, Stdio};

use super::table::{Lesson, Script};
use crate::sys::netns;

/// What a lesson needs of its network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lab {
    /// `lo`'s MTU (None: the kernel's 65536), with segmentation offloads off when set so
    /// that the capture shows the segments TCP really sent.
    pub mtu: Option<u32>,
    /// Drop the n-th (from 0) data segment sent to the server's port.
    pub drop_nth_data: Option<u32>,
    /// Capture ICMP as well as the port's TCP.
    pub icmp: bool,
}

/// The data segment the loss lesson drops: the third the client sends (counting from 0).
pub const LOSS_DROPPED: u32 = 2;

/// lo's MTU in the loss lesson.
pub const LOSS_MTU: u32 = 252;

/// The network `lesson` runs in, or None for the machine's own loopback.
pub fn lab(lesson: &Lesson) -> Option<Lab> {
    match lesson.script {
        // MTU 252: 252 - 20 (IPv4) - 20 (TCP) - 12 (timestamps) = 200-byte segments, so that one
        // send() of 1600 bytes leaves as eight segments in one burst.
        Script::Loss => Some(Lab {
            mtu: Some(LOSS_MTU),
            drop_nth_data: Some(LOSS_DROPPED),
            icmp: false,
        }),
        // A 1500-byte MTU, as on Ethernet: segments of 1448 bytes, so that a small receive
        // buffer holds only a few of them (lo's 65536 would make one segment fill it).
        Script::FlowControl => Some(Lab {
            mtu: Some(1500),
            drop_nth_data: None,
            icmp: false,
        }),
        Script::RawSocket => Some(Lab {
            mtu: None,
            drop_nth_data: None,
            icmp: true,
        }),
        _ => None,
    }
}

/// The capture filter of a live lesson on `port`.
pub fn capture_filter(lesson: &Lesson, port: u16) -> String {
    if lab(lesson).is_some_and(|l| l.icmp) {
        format!("icmp or port {port}")
    } else {
        format!("port {port}")
    }
}

/// Moves this thread (and every thread and process it starts from now on) into a new network
/// namespace set up as `lab` says. Needs root (CAP_SYS_ADMIN for the namespace, CAP_NET_ADMIN
/// for the interface and the rule).
pub fn enter(lab: Lab, port: u16) -> Result<(), String> {
    netns::unshare_net().map_err(|e| format!("cannot create a network namespace: {e}"))?;
    netns::link_up("lo", lab.mtu).map_err(|e| format!("cannot bring up lo: {e}"))?;
    if lab.mtu.is_some() {
        // Best effort, as in scripts/record-captures.sh: without it the capture shows
        // segments of several MSS that the kernel cuts later.
        let _ = Command::new("ethtool")
            .args(["-K", "lo", "tso", "off", "gso", "off", "gro", "off"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    if let Some(nth) = lab.drop_nth_data {
        drop_rule(port, nth)?;
    }
    Ok(())
}

/// Installs, in this namespace, an input-hook rule that drops the `nth` segment with data
/// (longer than 100 bytes: every pure ACK, SYN and FIN is shorter) sent to `port`. The input
/// hook runs after the capture has seen the packet on lo, so the recording shows the segment
/// that the server's TCP never receives. `numgen inc` counts only the packets that reached it.
fn drop_rule(port: u16, nth: u32) -> Result<(), String> {
    let rules = format!(
        "add table inet sockscope_lesson\n\
         add chain inet sockscope_lesson in {{ type filter hook input priority 0; }}\n\
         add rule inet sockscope_lesson in tcp dport {port} meta length > 100 \
         numgen inc mod 1000000 == {nth} drop\n"
    );
    let mut child = Command::new("nft")
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run nft (the loss lesson needs nftables): {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(rules.as_bytes())
            .map_err(|e| format!("cannot give nft its rule: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("nft failed: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "nft refused the drop rule: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(())
}
