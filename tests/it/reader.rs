//! The capture reader on files built byte by byte here: pcap in µs and ns, both byte orders;
//! pcapng with two interfaces of different link types and if_tsresol 6 and 9; snap lengths
//! shorter than packets; a truncated last record; garbage; empty input; and every truncation
//! and many corruptions of a valid file, which must end (never loop) without a panic.

use std::io::Cursor;

use sockscope::source::{FileSource, LinkType, OwnedFrame, Source, SourceError, Timestamp};

#[derive(Clone, Copy)]
enum Order {
    Little,
    Big,
}

fn u16b(o: Order, v: u16) -> [u8; 2] {
    match o {
        Order::Little => v.to_le_bytes(),
        Order::Big => v.to_be_bytes(),
    }
}
fn u32b(o: Order, v: u32) -> [u8; 4] {
    match o {
        Order::Little => v.to_le_bytes(),
        Order::Big => v.to_be_bytes(),
    }
}

/// A pcap file: header (magic for µs or ns), then records (sec, frac, orig_len, data).
fn pcap(o: Order, nano: bool, link: u32, snaplen: u32, recs: &[(u32, u32, u32, &[u8])]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend(u32b(o, if nano { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }));
    f.extend(u16b(o, 2));
    f.extend(u16b(o, 4));
    f.extend(u32b(o, 0));
    f.extend(u32b(o, 0));
    f.extend(u32b(o, snaplen));
    f.extend(u32b(o, link));
    for (sec, frac, orig, data) in recs {
        f.extend(u32b(o, *sec));
        f.extend(u32b(o, *frac));
        f.extend(u32b(o, data.len() as u32));
        f.extend(u32b(o, *orig));
        f.extend_from_slice(data);
    }
    f
}

fn pad4(v: &mut Vec<u8>) {
    while !v.len().is_multiple_of(4) {
        v.push(0);
    }
}

/// One pcapng block: type, total length, body (padded), total length again.
fn block(o: Order, kind: u32, body: &[u8]) -> Vec<u8> {
    let mut b = body.to_vec();
    pad4(&mut b);
    let total = (b.len() + 12) as u32;
    let mut v = Vec::new();
    v.extend(u32b(o, kind));
    v.extend(u32b(o, total));
    v.extend(b);
    v.extend(u32b(o, total));
    v
}

fn shb(o: Order) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(u32b(o, 0x1a2b_3c4d));
    body.extend(u16b(o, 1));
    body.extend(u16b(o, 0));
    body.extend(u64::MAX.to_le_bytes()); // section length unknown (-1 either way)
    block(o, 0x0a0d_0d0a, &body)
}

/// An interface description block; `tsresol` adds the if_tsresol option (code 9).
fn idb(o: Order, link: u16, snaplen: u32, tsresol: Option<u8>) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(u16b(o, link));
    body.extend(u16b(o, 0));
    body.extend(u32b(o, snaplen));
    if let Some(r) = tsresol {
        body.extend(u16b(o, 9));
        body.extend(u16b(o, 1));
        body.extend([r, 0, 0, 0]);
        body.extend(u16b(o, 0)); // opt_endofopt
        body.extend(u16b(o, 0));
    }
    block(o, 1, &body)
}

/// An enhanced packet block with a 64-bit timestamp in interface units.
fn epb(o: Order, iface: u32, ts: u64, orig: u32, data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(u32b(o, iface));
    body.extend(u32b(o, (ts >> 32) as u32));
    body.extend(u32b(o, ts as u32));
    body.extend(u32b(o, data.len() as u32));
    body.extend(u32b(o, orig));
    body.extend_from_slice(data);
    block(o, 6, &body)
}

fn open(bytes: Vec<u8>) -> Result<FileSource, SourceError> {
    FileSource::from_reader("test.pcap", Box::new(Cursor::new(bytes)))
}

/// Reads everything: the frames and how it ended (`None` for a clean end).
fn read_all(src: &mut FileSource) -> (Vec<OwnedFrame>, Option<SourceError>) {
    let mut v = Vec::new();
    loop {
        match src.next_frame() {
            Ok(Some(f)) => v.push(OwnedFrame {
                ts: f.ts,
                link: f.link,
                orig_len: f.orig_len,
                data: f.data.to_vec(),
            }),
            Ok(None) => return (v, None),
            Err(e) => return (v, Some(e)),
        }
        assert!(v.len() < 10_000, "the reader does not end");
    }
}

const A: &[u8] = &[0x45, 1, 2, 3, 4, 5];
const B: &[u8] = &[0x60, 9, 8, 7];

#[test]
fn pcap_micro_and_nano_both_byte_orders() {
    for o in [Order::Little, Order::Big] {
        for nano in [false, true] {
            let frac = if nano { 123_456_789 } else { 123_456 };
            let f = pcap(
                o,
                nano,
                101,
                65535,
                &[(1_700_000_000, frac, 6, A), (1_700_000_001, 0, 4, B)],
            );
            let mut s = open(f).expect("opens");
            assert_eq!(s.link_type(), Some(LinkType::RAW));
            let (frames, err) = read_all(&mut s);
            assert!(err.is_none(), "{err:?}");
            assert_eq!(frames.len(), 2);
            let nsec = if nano { 123_456_789 } else { 123_456_000 };
            assert_eq!(frames[0].ts, Timestamp::new(1_700_000_000, nsec));
            assert_eq!(frames[0].data, A);
            assert_eq!(frames[0].link, LinkType::RAW);
            assert_eq!(frames[1].ts, Timestamp::new(1_700_000_001, 0));
            assert_eq!(frames[1].data, B);
        }
    }
}

#[test]
fn pcap_link_type_upper_bits_are_masked() {
    // libpcap keeps an FCS length in the upper bits of the link-type field.
    let f = pcap(Order::Little, false, 0x3000_0001, 65535, &[(1, 0, 6, A)]);
    let mut s = open(f).unwrap();
    assert_eq!(s.link_type(), Some(LinkType::ETHERNET));
    let (frames, _) = read_all(&mut s);
    assert_eq!(frames[0].link, LinkType::ETHERNET);
}

#[test]
fn snaplen_shorter_than_packet_keeps_orig_len() {
    let f = pcap(Order::Little, false, 1, 4, &[(1, 0, 1500, &A[..4])]);
    let mut s = open(f).unwrap();
    assert_eq!(s.snaplen(), Some(4));
    let (frames, err) = read_all(&mut s);
    assert!(err.is_none());
    assert_eq!(frames[0].orig_len, 1500);
    assert_eq!(frames[0].data.len(), 4);
}

#[test]
fn truncated_last_record_delivers_the_rest_then_says_so() {
    let mut f = pcap(
        Order::Little,
        false,
        101,
        65535,
        &[(1, 0, 6, A), (2, 0, 4, B)],
    );
    f.truncate(f.len() - 2);
    let mut s = open(f).unwrap();
    let (frames, err) = read_all(&mut s);
    assert_eq!(frames.len(), 1);
    match err {
        Some(SourceError::Truncated { path, reason }) => {
            assert_eq!(path, "test.pcap");
            assert!(reason.contains("cut short"), "{reason}");
        }
        other => panic!("want Truncated, got {other:?}"),
    }
    // And the stream stays ended.
    assert!(matches!(s.next_frame(), Ok(None)));
}

#[test]
fn pcapng_two_interfaces_with_their_own_resolution_and_link() {
    for o in [Order::Little, Order::Big] {
        let mut f = shb(o);
        f.extend(idb(o, 1, 65535, Some(6)));
        f.extend(idb(o, 101, 65535, Some(9)));
        f.extend(epb(o, 0, 1_700_000_000_123_456, 6, A));
        f.extend(epb(o, 1, 1_700_000_001_987_654_321, 4, B));
        // a block type the reader does not know is skipped
        f.extend(block(o, 0x0bad, &[1, 2, 3, 4]));
        f.extend(epb(o, 0, 1_700_000_002_000_001, 100, &A[..2]));
        let mut s = open(f).expect("opens");
        let (frames, err) = read_all(&mut s);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[0].link, LinkType::ETHERNET);
        assert_eq!(frames[0].ts, Timestamp::new(1_700_000_000, 123_456_000));
        assert_eq!(frames[1].link, LinkType::RAW);
        assert_eq!(frames[1].ts, Timestamp::new(1_700_000_001, 987_654_321));
        assert_eq!(frames[1].data, B);
        assert_eq!(frames[2].ts, Timestamp::new(1_700_000_002, 1_000));
        assert_eq!(frames[2].orig_len, 100);
        assert_eq!(frames[2].data, &A[..2]);
    }
}

#[test]
fn pcapng_without_tsresol_is_microseconds() {
    let o = Order::Little;
    let mut f = shb(o);
    f.extend(idb(o, 1, 65535, None));
    f.extend(epb(o, 0, 5_000_007, 6, A));
    let (frames, err) = read_all(&mut open(f).unwrap());
    assert!(err.is_none());
    assert_eq!(frames[0].ts, Timestamp::new(5, 7_000));
}

#[test]
fn garbage_empty_and_short_inputs_are_clear_open_errors() {
    for (bytes, want) in [
        (b"".to_vec(), "empty"),
        (
            b"GET / HTTP/1.1\r\n\r\n".to_vec(),
            "not a pcap or pcapng file",
        ),
        (vec![0xd4, 0xc3], "too short"),
        (vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0], "cut short"),
    ] {
        match open(bytes) {
            Err(SourceError::Open { path, reason }) => {
                assert_eq!(path, "test.pcap");
                assert!(reason.contains(want), "{reason:?} should say {want:?}");
            }
            Err(e) => panic!("want an open error, got {e}"),
            Ok(_) => panic!("garbage must not open"),
        }
    }
}

#[test]
fn huge_record_length_is_damage_not_an_allocation() {
    let mut f = pcap(Order::Little, false, 1, 65535, &[(1, 0, 6, A)]);
    // a second record header claiming 3 GB
    f.extend(1u32.to_le_bytes());
    f.extend(0u32.to_le_bytes());
    f.extend(3_000_000_000u32.to_le_bytes());
    f.extend(3_000_000_000u32.to_le_bytes());
    let (frames, err) = read_all(&mut open(f).unwrap());
    assert_eq!(frames.len(), 1);
    assert!(
        matches!(err, Some(SourceError::Truncated { .. })),
        "{err:?}"
    );
}

/// Every prefix and many single-byte corruptions of valid pcap and pcapng files: the reader
/// must end every time (no loop, no panic), and a prefix never yields more than the whole.
#[test]
fn every_truncation_and_corruption_ends() {
    let o = Order::Little;
    let mut ng = shb(o);
    ng.extend(idb(o, 1, 65535, Some(9)));
    ng.extend(epb(o, 0, 10_000_000_005, 6, A));
    ng.extend(idb(o, 101, 65535, None));
    ng.extend(epb(o, 1, 7, 4, B));
    let pc = pcap(Order::Big, true, 1, 65535, &[(1, 2, 6, A), (3, 4, 4, B)]);
    for whole in [ng, pc] {
        let full = read_all(&mut open(whole.clone()).unwrap()).0.len();
        for cut in 0..whole.len() {
            if let Ok(mut s) = open(whole[..cut].to_vec()) {
                let (frames, _) = read_all(&mut s);
                assert!(frames.len() <= full);
            }
        }
        for i in 0..whole.len() {
            for v in [0x00, 0xff, 0x7f, 0x01] {
                let mut bad = whole.clone();
                bad[i] = v;
                if let Ok(mut s) = open(bad) {
                    read_all(&mut s);
                }
            }
        }
    }
}

/// Runs the binary on `bytes` written to a temporary file (or on `path` as given).
fn run_binary(name: &str, bytes: Option<&[u8]>) -> (i32, String, String) {
    let dir = std::env::temp_dir().join(format!("sockscope-reader-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    if let Some(b) = bytes {
        std::fs::write(&path, b).unwrap();
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .args(["replay", "--format", "tcpdump", "-t"])
        .arg(&path)
        .env("TZ", "UTC")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn binary_exit_codes_and_messages() {
    // missing, empty, not a capture: one line on stderr naming the file, exit 2, no output
    for (name, bytes, says) in [
        ("missing.pcap", None, "no such file"),
        ("empty.pcap", Some(&b""[..]), "empty"),
        (
            "text.pcap",
            Some(&b"hello, this is text\n"[..]),
            "not a pcap or pcapng file",
        ),
    ] {
        let (code, out, err) = run_binary(name, bytes);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(out.is_empty(), "{name}: {out}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(err.contains(name) && err.contains(says), "{name}: {err}");
    }
    // truncated last record: the complete packets are printed, a warning, exit 0
    let udp = [0x30, 0x39, 0, 53, 0, 12, 0, 0, 1, 2, 3, 4];
    let mut ip = vec![
        0x45, 0, 0, 32, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ];
    ip.extend_from_slice(&udp);
    let mut f = pcap(
        Order::Little,
        false,
        101,
        65535,
        &[(1, 0, 32, &ip), (2, 0, 32, &ip)],
    );
    f.truncate(f.len() - 5);
    let (code, out, err) = run_binary("cut.pcap", Some(&f));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "IP 10.0.0.1.12345 > 10.0.0.2.53: domain [length 4 < 12] (invalid)\n"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("warning") && err.contains("cut.pcap"), "{err}");
    let _ = std::fs::remove_dir_all(
        std::env::temp_dir().join(format!("sockscope-reader-{}", std::process::id())),
    );
}

#[test]
fn pcapng_binary_tsresol() {
    // if_tsresol with the high bit set is a negative power of two: 2^-10 here.
    let o = Order::Little;
    let mut f = shb(o);
    f.extend(idb(o, 101, 65535, Some(0x80 | 10)));
    f.extend(epb(o, 0, 3 * 1024 + 512, 6, A));
    let (frames, err) = read_all(&mut open(f).unwrap());
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames[0].ts, Timestamp::new(3, 500_000_000));
}

#[test]
fn pcapng_second_section_starts_its_own_interfaces() {
    // A new section header forgets the interfaces of the previous section (pcapng §4.1).
    let mut f = shb(Order::Little);
    f.extend(idb(Order::Little, 1, 65535, Some(6)));
    f.extend(epb(Order::Little, 0, 1_000_000, 6, A));
    f.extend(shb(Order::Big));
    f.extend(idb(Order::Big, 101, 65535, Some(9)));
    f.extend(epb(Order::Big, 0, 2_000_000_001, 4, B));
    let (frames, err) = read_all(&mut open(f).unwrap());
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0].link, LinkType::ETHERNET);
    assert_eq!(frames[0].ts, Timestamp::new(1, 0));
    assert_eq!(frames[1].link, LinkType::RAW);
    assert_eq!(frames[1].ts, Timestamp::new(2, 1));
    assert_eq!(frames[1].data, B);
}

#[test]
fn pcapng_packet_for_an_unknown_interface_is_not_lost_silently() {
    let mut f = shb(Order::Little);
    f.extend(idb(Order::Little, 1, 65535, None));
    f.extend(epb(Order::Little, 7, 5, 6, A));
    let (frames, err) = read_all(&mut open(f).unwrap());
    // tcpdump stops at such a block too; skipping it silently would hide a packet.
    assert!(frames.is_empty());
    match err {
        Some(SourceError::Truncated { reason, .. }) => {
            assert!(reason.contains("packet block"), "{reason}")
        }
        other => panic!("want an error naming the packet block, got {other:?}"),
    }
}

#[test]
fn pcapng_simple_packet_block_drops_its_padding() {
    // A simple packet block has no captured length: the data is the original length, or the
    // block's room when the snap length cut it (pcapng §4.4); padding is not data.
    let o = Order::Little;
    let mut f = shb(o);
    f.extend(idb(o, 101, 65535, None));
    let mut body = Vec::new();
    body.extend(u32b(o, 5));
    body.extend_from_slice(&[0x45, 1, 2, 3, 4]);
    f.extend(block(o, 3, &body));
    let (frames, err) = read_all(&mut open(f).unwrap());
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].data, [0x45, 1, 2, 3, 4]);
    assert_eq!(frames[0].orig_len, 5);
}

#[test]
fn pcapng_enhanced_packet_options_are_not_data() {
    let o = Order::Little;
    let mut f = shb(o);
    f.extend(idb(o, 101, 65535, None));
    let mut body = Vec::new();
    body.extend(u32b(o, 0));
    body.extend(u32b(o, 0));
    body.extend(u32b(o, 1));
    body.extend(u32b(o, 5));
    body.extend(u32b(o, 5));
    body.extend_from_slice(&[0x45, 1, 2, 3, 4, 0, 0, 0]);
    // epb_flags (2) = inbound, then opt_endofopt
    body.extend(u16b(o, 2));
    body.extend(u16b(o, 4));
    body.extend(u32b(o, 1));
    body.extend(u16b(o, 0));
    body.extend(u16b(o, 0));
    f.extend(block(o, 6, &body));
    let (frames, err) = read_all(&mut open(f).unwrap());
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames[0].data, [0x45, 1, 2, 3, 4]);
    assert_eq!(frames[0].ts, Timestamp::new(0, 1_000));
}
