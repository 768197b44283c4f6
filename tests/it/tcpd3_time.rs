//! A pcap record whose microseconds field holds a second or more (fuzzed files have them): the
//! tcpdump view prints it as tcpdump 4.99 does in every time stamp style (the field as written,
//! `00:01:40.1500000`; deltas from the fields as written), compared with tcpdump on a file
//! built here.

use crate::support;
use crate::tcpd3_signal::{pcap, udp_frame};
use crate::tcpd3_verbose::stdout;

#[test]
fn overflowing_microseconds_print_as_tcpdump_prints_them() {
    if !support::tool("tcpdump") {
        return;
    }
    let records: Vec<(u32, u32, Vec<u8>)> = [
        (100, 999_999),
        (100, 1_500_000),
        (101, 2_000_000),
        (102, u32::MAX),
        (103, 5),
    ]
    .into_iter()
    .map(|(s, us)| (s, us, udp_frame()))
    .collect();
    let file = pcap(&records);
    let path = std::env::temp_dir().join(format!("sockscope-us-{}.pcap", std::process::id()));
    std::fs::write(&path, file).unwrap();
    let p = path.to_str().unwrap();
    for style in ["-t", "-tt", "-ttt", "-tttt", "-ttttt", "-nn"] {
        let args = ["-nn", style, "-r", p];
        let ours = stdout(env!("CARGO_BIN_EXE_sockscope"), &args);
        assert_eq!(ours, stdout("tcpdump", &args), "{style}");
        assert_eq!(ours.lines().count(), records.len());
    }
    let _ = std::fs::remove_file(path);
}
