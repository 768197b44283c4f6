//! The pcapng block reader on files built here (non-UTF-8 packet comments, custom and unknown
//! interface options, interfaces with different resolutions, a second section in the other byte
//! order, a cut-off block, a garbage block length), and the whole reader against capinfos
//! (Wireshark's reader) over every pcap and pcapng file of tcpdump's test corpus.

use std::io::{Cursor, Write};
use std::path::PathBuf;
use std::process::Command;

use sockscope::source::{FileSource, LinkType, Source, SourceError, Timestamp};

/// Builds pcapng blocks in one byte order.
#[derive(Clone, Copy)]
struct Ng {
    big: bool,
}

impl Ng {
    fn u16(self, v: u16) -> [u8; 2] {
        if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn u32(self, v: u32) -> [u8; 4] {
        if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    /// type, total length, body padded to 4, total length (pcapng §3.1).
    fn block(self, kind: u32, body: &[u8]) -> Vec<u8> {
        let padded = body.len().div_ceil(4) * 4;
        let total = (padded + 12) as u32;
        let mut v = self.u32(kind).to_vec();
        v.extend(self.u32(total));
        v.extend_from_slice(body);
        v.resize(8 + padded, 0);
        v.extend(self.u32(total));
        v
    }

    /// Options (code, value) and opt_endofopt (§3.5).
    fn options(self, opts: &[(u16, &[u8])]) -> Vec<u8> {
        let mut v = Vec::new();
        for (code, value) in opts {
            v.extend(self.u16(*code));
            v.extend(self.u16(value.len() as u16));
            v.extend_from_slice(value);
            v.resize(v.len().div_ceil(4) * 4, 0);
        }
        v.extend([0; 4]);
        v
    }

    fn section(self) -> Vec<u8> {
        let mut body = self.u32(0x1a2b_3c4d).to_vec();
        body.extend(self.u16(1));
        body.extend(self.u16(0));
        body.extend([0xff; 8]);
        body.extend(self.options(&[(4, b"a test\xff")])); // shb_os, not UTF-8
        self.block(0x0a0d_0d0a, &body)
    }

    fn interface(self, link: u16, snaplen: u32, opts: &[(u16, &[u8])]) -> Vec<u8> {
        let mut body = self.u16(link).to_vec();
        body.extend(self.u16(0));
        body.extend(self.u32(snaplen));
        if !opts.is_empty() {
            body.extend(self.options(opts));
        }
        self.block(1, &body)
    }

    fn packet(self, iface: u32, ts: u64, data: &[u8], opts: &[(u16, &[u8])]) -> Vec<u8> {
        let mut body = self.u32(iface).to_vec();
        body.extend(self.u32((ts >> 32) as u32));
        body.extend(self.u32(ts as u32));
        body.extend(self.u32(data.len() as u32));
        body.extend(self.u32(data.len() as u32 + 10));
        body.extend_from_slice(data);
        body.resize(body.len().div_ceil(4) * 4, 0);
        if !opts.is_empty() {
            body.extend(self.options(opts));
        }
        self.block(6, &body)
    }
}

const LE: Ng = Ng { big: false };
const BE: Ng = Ng { big: true };
const DATA: &[u8] = &[0x45, 0, 0, 20, 1, 2, 3];

/// One frame as read, with the comments of its block.
#[derive(Debug)]
struct Read {
    ts: Timestamp,
    link: LinkType,
    data: Vec<u8>,
    comments: Vec<Vec<u8>>,
}

fn read(bytes: Vec<u8>) -> (Vec<Read>, Option<SourceError>) {
    let mut src = FileSource::from_reader("built.pcapng", Box::new(Cursor::new(bytes)))
        .expect("the section header opens");
    let mut out = Vec::new();
    loop {
        let (ts, link, data) = match src.next_frame() {
            Ok(Some(f)) => (f.ts, f.link, f.data.to_vec()),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e)),
        };
        let comments = src.packet_comments().map(<[u8]>::to_vec).collect();
        out.push(Read {
            ts,
            link,
            data,
            comments,
        });
        assert!(out.len() < 1000, "the reader does not end");
    }
}

#[test]
fn packet_comments_that_are_not_utf8_keep_their_packet() {
    let mut f = LE.section();
    f.extend(LE.interface(101, 0, &[]));
    f.extend(LE.packet(0, 1_000_001, DATA, &[(1, b"caf\xe9 \xff\xfe")]));
    f.extend(LE.packet(0, 2_000_000, DATA, &[(1, b"plain"), (1, b"two")]));
    let (frames, err) = read(f);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0].comments, vec![b"caf\xe9 \xff\xfe".to_vec()]);
    assert_eq!(frames[0].ts, Timestamp::new(1, 1_000));
    assert_eq!(frames[0].data, DATA);
    assert_eq!(frames[1].comments, vec![b"plain".to_vec(), b"two".to_vec()]);
}

#[test]
fn custom_and_unknown_interface_options_are_skipped() {
    // Custom options 2988/2989/19372/19373 start with a 4-byte Private Enterprise Number
    // (pcapng §3.5.1); 777 is a code no version defines; if_name holds bytes that are not UTF-8.
    let pen = 32473u32.to_le_bytes();
    let custom: Vec<u8> = pen.iter().chain(b"hello").copied().collect();
    let mut f = LE.section();
    f.extend(LE.interface(
        1,
        65535,
        &[
            (2988, &custom),
            (2989, &custom),
            (19372, &custom),
            (19373, &pen),
            (777, &[1, 2, 3]),
            (2, b"eth\xff0"),
            (9, &[9]),
            (14, &10i64.to_le_bytes()),
        ],
    ));
    f.extend(LE.packet(
        0,
        5_000_000_007,
        DATA,
        &[(0x7fff, b"?"), (2, &[1, 0, 0, 0])],
    ));
    let (frames, err) = read(f.clone());
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].link, LinkType::ETHERNET);
    // if_tsresol 9 and if_tsoffset 10 s were read after the options before them were skipped
    assert_eq!(frames[0].ts, Timestamp::new(15, 7));
    let src = FileSource::from_reader("x", Box::new(Cursor::new(f))).unwrap();
    let mut src = src;
    src.next_frame().unwrap();
    assert_eq!(src.interfaces()[0].name.as_deref(), Some("eth\u{fffd}0"));
}

#[test]
fn an_option_overrunning_its_block_costs_the_options_not_the_packet() {
    let mut f = LE.section();
    let mut idb = LE.u16(101).to_vec();
    idb.extend(LE.u16(0));
    idb.extend(LE.u32(0));
    idb.extend(LE.u16(9));
    idb.extend(LE.u16(1));
    idb.extend([9, 0, 0, 0]);
    idb.extend(LE.u16(2));
    idb.extend(LE.u16(500)); // if_name claiming 500 bytes
    idb.extend(b"lo\0\0");
    f.extend(LE.block(1, &idb));
    f.extend(LE.packet(0, 3, DATA, &[]));
    let (frames, err) = read(f);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames[0].ts, Timestamp::new(0, 3));
}

/// The link type and time of every frame of a file that must read without error.
fn links_and_times(f: Vec<u8>) -> Vec<(u32, Timestamp)> {
    let (frames, err) = read(f);
    assert!(err.is_none(), "{err:?}");
    frames.iter().map(|f| (f.link.0, f.ts)).collect()
}

#[test]
fn interfaces_keep_their_own_resolution() {
    let mut f = BE.section();
    f.extend(BE.interface(1, 0, &[]));
    f.extend(BE.interface(101, 0, &[(9, &[3])]));
    f.extend(BE.interface(113, 0, &[(9, &[0x80 | 20])]));
    f.extend(BE.interface(228, 0, &[(9, &[9])]));
    for i in 0..4 {
        f.extend(BE.packet(i, 7_340_032_123, DATA, &[]));
    }
    assert_eq!(
        links_and_times(f),
        vec![
            (1, Timestamp::new(7340, 32_123_000)),
            (101, Timestamp::new(7_340_032, 123_000_000)),
            // 7_340_032_123 / 2^20 = 7000 s and 123 / 1048576 s (117.302... µs)
            (113, Timestamp::new(7000, 117_301)),
            (228, Timestamp::new(7, 340_032_123)),
        ]
    );
}

#[test]
fn a_second_section_in_the_other_byte_order() {
    let mut f = LE.section();
    f.extend(LE.interface(1, 0, &[(9, &[6])]));
    f.extend(LE.packet(0, 1_500_000, DATA, &[]));
    f.extend(LE.block(5, &[0; 20])); // interface statistics: skipped
    f.extend(BE.section());
    f.extend(BE.interface(101, 0, &[(9, &[9])]));
    f.extend(BE.interface(1, 0, &[]));
    f.extend(BE.packet(1, 2, DATA, &[(1, b"second")]));
    f.extend(BE.packet(0, 2, DATA, &[]));
    f.extend(LE.section());
    f.extend(LE.interface(113, 0, &[]));
    f.extend(LE.packet(0, 4, DATA, &[]));
    assert_eq!(
        links_and_times(f.clone()),
        vec![
            (1, Timestamp::new(1, 500_000_000)),
            (1, Timestamp::new(0, 2_000)),
            (101, Timestamp::new(0, 2)),
            (113, Timestamp::new(0, 4_000)),
        ]
    );
    assert_eq!(read(f).0[1].comments, vec![b"second".to_vec()]);
}

fn ends_damaged(f: Vec<u8>, packets: usize, says: &str) {
    let (frames, err) = read(f);
    assert_eq!(frames.len(), packets);
    match err {
        Some(SourceError::Truncated { path, reason }) => {
            assert_eq!(path, "built.pcapng");
            assert!(reason.contains(says), "{reason:?} should say {says:?}");
        }
        other => panic!("want a damaged-file error, got {other:?}"),
    }
}

#[test]
fn a_truncated_block_delivers_what_came_before() {
    let mut f = LE.section();
    f.extend(LE.interface(101, 0, &[]));
    f.extend(LE.packet(0, 1, DATA, &[]));
    f.extend(LE.packet(0, 2, DATA, &[]));
    f.truncate(f.len() - 6);
    ends_damaged(f, 1, "cut short");
}

#[test]
fn garbage_block_lengths_end_the_file_with_a_reason() {
    let mut good = LE.section();
    good.extend(LE.interface(101, 0, &[]));
    good.extend(LE.packet(0, 1, DATA, &[]));
    for (len, says) in [
        (0xfff0_0000u32, "more than"),
        (8, "fewer than the 12"),
        (30, "not a multiple of 4"),
    ] {
        let mut f = good.clone();
        f.extend(LE.u32(6));
        f.extend(LE.u32(len));
        f.extend([0; 40]);
        ends_damaged(f, 1, says);
    }
    // lengths at the start and the end of a block that disagree
    let mut f = good.clone();
    let mut bad = LE.packet(0, 2, DATA, &[]);
    let n = bad.len();
    bad[n - 4] ^= 0x40;
    f.extend(bad);
    ends_damaged(f, 1, "ends with length");
    // a captured length beyond the block
    let mut f = good;
    let mut bad = LE.packet(0, 2, DATA, &[]);
    bad[20] = 0xf0;
    f.extend(bad);
    ends_damaged(f, 1, "captured bytes");
}

/// Where tcpdump's corpus is: `$SOCKSCOPE_CORPUS`, `../shared/corpus/tcpdump` beside the crate,
/// or the shared folder of the development machines.
fn corpus_dir() -> Option<PathBuf> {
    let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/tcpdump");
    std::env::var_os("SOCKSCOPE_CORPUS")
        .map(PathBuf::from)
        .into_iter()
        .chain([beside, PathBuf::from("/work/shared/corpus/tcpdump")])
        .find(|d| d.is_dir())
}

/// A prerequisite is missing: a failure under CI, a visible skip elsewhere.
fn missing(what: &str) {
    assert!(std::env::var_os("CI").is_none(), "CI: {what} is missing");
    let _ = writeln!(std::io::stderr(), "SKIPPED: {what} is missing");
}

/// `sec.frac` as capinfos prints it, and how many fraction digits it printed.
fn parse_time(s: &str) -> Option<(i64, u32, usize)> {
    let (sec, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = frac.len().min(9);
    let nsec = format!("{:0<9}", &frac[..digits]).parse().ok()?;
    Some((sec.parse().ok()?, nsec, digits))
}

/// Our timestamp at capinfos's precision (it truncates, as we do).
fn same_time(ours: Timestamp, theirs: (i64, u32, usize)) -> bool {
    let cut = 10u32.pow(9 - theirs.2 as u32);
    ours.sec == theirs.0 && ours.nsec / cut * cut == theirs.1
}

#[test]
fn every_corpus_capture_reads_as_wireshark_reads_it() {
    let Some(dir) = corpus_dir() else {
        return missing("tcpdump's test corpus (../shared/corpus/tcpdump)");
    };
    if Command::new("capinfos").arg("-h").output().is_err() {
        return missing("capinfos (Wireshark's capture-file tool, package tshark)");
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("pcap" | "pcapng")
            )
        })
        .collect();
    files.sort();
    let (mut compared, mut packets, mut theirs_unreadable, mut times_skipped) = (0, 0u64, 0, 0);
    let mut wrong = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // -M exact counts, -S seconds since the epoch; count, earliest and latest packet time.
        let out = Command::new("capinfos")
            .args(["-T", "-r", "-M", "-S", "-c", "-a", "-e"])
            .arg(path)
            .output()
            .unwrap();
        let line = String::from_utf8_lossy(&out.stdout);
        let cols: Vec<&str> = line.trim_end().split('\t').collect();
        let Some(count) = cols.get(1).and_then(|c| c.parse::<u64>().ok()) else {
            // Wireshark cannot read it (unknown link type, say): nothing to compare with.
            theirs_unreadable += 1;
            continue;
        };
        let mut src = match FileSource::open(&path.to_string_lossy()) {
            Ok(s) => s,
            Err(e) => {
                wrong.push(format!(
                    "{name}: capinfos reads {count} packets, we cannot open: {e}"
                ));
                continue;
            }
        };
        let (mut n, mut first, mut last) = (0u64, None::<Timestamp>, None::<Timestamp>);
        let end = loop {
            match src.next_frame() {
                Ok(Some(f)) => {
                    n += 1;
                    first = Some(first.map_or(f.ts, |t| t.min(f.ts)));
                    last = Some(last.map_or(f.ts, |t| t.max(f.ts)));
                }
                Ok(None) => break String::new(),
                Err(e) => break format!(" ({e})"),
            }
        };
        compared += 1;
        packets += n;
        // Fuzzed files: Wireshark keeps a fraction of a second above one second as it is, and
        // orders seconds from 2038 on as negative 32-bit numbers; the count still compares.
        let odd = |t: Option<Timestamp>| t.is_some_and(|t| t.sec >= 1 << 31);
        let times_comparable = src.fraction_overflows == 0 && !odd(first) && !odd(last);
        if !times_comparable {
            times_skipped += 1;
        }
        if n != count {
            wrong.push(format!(
                "{name}: capinfos reads {count} packets, we read {n}{end}"
            ));
            continue;
        }
        for (ours, theirs, what) in [
            (first, cols.get(2), "earliest"),
            (last, cols.get(3), "latest"),
        ] {
            if let (Some(ours), Some(t)) = (ours, theirs.and_then(|s| parse_time(s)))
                && times_comparable
                && !same_time(ours, t)
            {
                wrong.push(format!(
                    "{name}: {what} packet at {}.{:09}, capinfos says {}",
                    ours.sec,
                    ours.nsec,
                    theirs.unwrap()
                ));
            }
        }
    }
    let _ = writeln!(
        std::io::stderr(),
        "{compared} files ({packets} packets) compared with capinfos ({times_skipped} by count only); {theirs_unreadable} it cannot read"
    );
    assert!(compared > 0, "no capture found in {}", dir.display());
    assert!(
        wrong.is_empty(),
        "{} differences:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
