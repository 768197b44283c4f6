//! A pcap record whose microseconds field holds a second or more (fuzzed files have them): the
//! tcpdump view prints it as tcpdump 4.99 does in every time stamp style (the field as written,
//! `00:01:40.1500000`; deltas from the fields as written), compared with tcpdump on a file
//! built here.

use crate::support;
use crate::tcpd3_verbose::stdout;

#[test]
fn overflowing_microseconds_print_as_tcpdump_prints_them() {
    if !support::tool("tcpdump") {
        return;
    }
    let mut file = Vec::new();
    for w in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65535, 1] {
        file.extend_from_slice(&w.to_le_bytes());
    }
    let mut f = vec![0u8; 12];
    f.extend_from_slice(&[0x08, 0x00, 0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0]);
    f.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2, 0x03, 0xe8, 0x07, 0xd0, 0, 8, 0, 0]);
    let records = [
        (100, 999_999),
        (100, 1_500_000),
        (101, 2_000_000),
        (102, u32::MAX),
        (103, 5),
    ];
    for (sec, us) in records {
        for w in [sec, us, f.len() as u32, f.len() as u32] {
            file.extend_from_slice(&w.to_le_bytes());
        }
        file.extend_from_slice(&f);
    }
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
