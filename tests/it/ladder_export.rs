//! The ladder's exports through the command line: the SVG and the HTML page are well-formed XML
//! with one arrow per packet and its details, the Mermaid text is a sequenceDiagram; and the
//! HTML renders in headless Chromium (skipped with a line saying so, or failed under `CI`, when it
//! is not installed).

use std::path::{Path, PathBuf};
use std::process::Command;

use etherparse::PacketBuilder;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};

fn tmp(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// One segment: µs, from the client?, flags, seq, ack, payload.
type Seg = (u64, bool, &'static str, u32, u32, &'static [u8]);

/// A short echo conversation with a retransmission, written as a pcap.
/// Each test writes its own copy: tests run in parallel.
fn capture(name: &str) -> PathBuf {
    let path = tmp(&format!("export-{name}.pcap"));
    let c = ([127, 0, 0, 1], 54321u16);
    let s = ([127, 0, 0, 1], 7u16);
    let segs: [Seg; 8] = [
        (0, true, "S", 100, 0, b""),
        (30, false, "SA", 900, 101, b""),
        (60, true, "A", 101, 901, b""),
        (200, true, "PA", 101, 901, b"Hello <World> & \"you\""),
        (300_000, true, "PA", 101, 901, b"Hello <World> & \"you\""),
        (300_050, false, "A", 901, 122, b""),
        (400_000, true, "FA", 122, 901, b""),
        (400_050, false, "RA", 901, 123, b""),
    ];
    let f = std::fs::File::create(&path).unwrap();
    let mut w = PcapWriter::with_header(f, PcapHeader::default()).unwrap();
    for (us, from_client, flags, seq, ack, payload) in segs {
        let (a, b) = if from_client { (c, s) } else { (s, c) };
        let mut pb = PacketBuilder::ethernet2([0; 6], [0; 6])
            .ipv4(a.0, b.0, 64)
            .tcp(a.1, b.1, seq, 1000);
        for ch in flags.chars() {
            pb = match ch {
                'S' => pb.syn(),
                'F' => pb.fin(),
                'R' => pb.rst(),
                'P' => pb.psh(),
                'A' => pb.ack(ack),
                _ => pb,
            };
        }
        let mut v = Vec::new();
        pb.write(&mut v, payload).unwrap();
        let ts = std::time::Duration::from_micros(1_700_000_000_000_000 + us);
        w.write_packet(&PcapPacket::new(ts, v.len() as u32, &v).unwrap())
            .unwrap();
    }
    path
}

fn export(format: &str, out: &Path) {
    let name = out.file_name().unwrap().to_string_lossy().into_owned();
    let st = Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .arg("ladder")
        .arg(capture(&name))
        .args(["--export", format])
        .arg(out)
        .status()
        .unwrap();
    assert!(st.success());
}

#[test]
fn svg_is_well_formed_with_one_arrow_per_packet() {
    let out = tmp("ladder.svg");
    export("svg", &out);
    let text = std::fs::read_to_string(&out).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("the SVG is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let packets: Vec<_> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("packet"))
        .collect();
    assert_eq!(packets.len(), 8);
    let titles: Vec<String> = packets
        .iter()
        .map(|p| {
            p.children()
                .find(|c| c.has_tag_name("title"))
                .and_then(|t| t.text())
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert!(titles[0].starts_with("frame 1 "), "{titles:?}");
    assert!(titles[4].contains("[retransmission]"), "{titles:?}");
    // The payload's <, & and " were escaped, and read back as text.
    let all: String = doc.descendants().filter_map(|n| n.text()).collect();
    assert!(all.contains("\"Hello <World> & \\\"yo"), "{all}");
    assert!(all.contains("SYN-SENT") && all.contains("ESTABLISHED"));
}

#[test]
fn html_page_has_svg_legend_and_details() {
    let out = tmp("ladder.html");
    export("html", &out);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("<!DOCTYPE html>"));
    let start = text.find("<svg").unwrap();
    let end = text.find("</svg>").unwrap() + "</svg>".len();
    roxmltree::Document::parse(&text[start..end]).expect("the embedded SVG is well-formed");
    assert!(text.contains("class=\"legend\""));
    assert!(text.contains("id=\"detail\""));
    assert!(text.contains("<script>"));
}

#[test]
fn mermaid_is_a_sequence_diagram() {
    let out = tmp("ladder.mmd");
    export("mermaid", &out);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("sequenceDiagram\n"), "{text}");
    assert!(
        text.contains("participant C as client 127.0.0.1:54321"),
        "{text}"
    );
    assert!(
        text.contains("participant S as server 127.0.0.1:7 (echo)"),
        "{text}"
    );
    assert_eq!(
        text.matches("C->>S").count() + text.matches("C--xS").count(),
        5
    );
    assert!(
        text.contains("C--xS"),
        "the retransmission is marked: {text}"
    );
    assert!(!text.lines().any(|l| l.contains(';') && !l.contains("#59;")));
}

#[test]
fn bad_export_format_is_a_usage_error() {
    let st = Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .arg("ladder")
        .arg(capture("bad"))
        .args(["--export", "pdf", "x.pdf"])
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&st.stderr).contains("svg, html or mermaid"));
}

#[test]
fn html_renders_in_headless_chromium() {
    if !crate::support::chromium() {
        return;
    }
    let html = tmp("shot.html");
    export("html", &html);
    let png = tmp("shot.png");
    let _ = std::fs::remove_file(&png);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/screenshot-ladder.sh");
    let st = Command::new(script).arg(&html).arg(&png).status().unwrap();
    assert!(st.success());
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // A blank page compresses to almost nothing; a drawn ladder does not.
    assert!(bytes.len() > 20_000, "screenshot is {} bytes", bytes.len());
}
