//! Snapshots of the explorer's screens (ratatui's TestBackend, no colour, arrival times in
//! UTC) over the bundled captures, at 80×24 and 160×48, and the append API with injected frames.

use std::fmt::Write;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Modifier;

use super::index::{self, Index};
use super::model::{App, Key};
use super::view::{self, Areas};
use crate::source::{Frame, LinkType, Timestamp};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

/// Opens a bundled capture and waits until it is indexed.
fn open(name: &str) -> App {
    let path = format!("{}/captures/{name}", env!("CARGO_MANIFEST_DIR"));
    let (index, batches) = index::open(&path).expect("open capture");
    let mut app = App::new(index, name, false, true);
    while app.done.is_none() {
        app.append_batch(batches.recv().expect("a batch"));
    }
    app
}

/// The screen as text; cells in reverse video are shown between `[` `]` in a second block
/// below, so the snapshot shows what is highlighted.
fn screen(app: &mut App, (w, h): (u16, u16)) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut areas = Areas::default();
    t.draw(|f| view::draw(f, app, &mut areas)).unwrap();
    let buf = t.backend().buffer().clone();
    let mut text = String::new();
    let mut marked = String::new();
    for y in 0..h {
        let mut line = String::new();
        let mut rev = String::new();
        let mut in_rev = false;
        for x in 0..w {
            let c = &buf[(x, y)];
            line.push_str(c.symbol());
            let r = c.modifier.contains(Modifier::REVERSED);
            if r != in_rev {
                rev.push(if r { '[' } else { ']' });
                in_rev = r;
            }
            if r {
                rev.push_str(c.symbol());
            }
        }
        if in_rev {
            rev.push(']');
        }
        let _ = writeln!(text, "{}", line.trim_end());
        if !rev.is_empty() {
            let _ = writeln!(marked, "{y:2}: {rev}");
        }
    }
    format!("{text}--- reverse video ---\n{marked}")
}

fn keys(app: &mut App, keys: &[Key]) {
    for &k in keys {
        app.key(k);
    }
}

fn typed(app: &mut App, s: &str) {
    for c in s.chars() {
        app.key(Key::Char(c));
    }
}

fn snap(name: &str, app: &mut App) {
    for size in SIZES {
        // Draw once so the panes exist (details are made on drawing), then the snapshot.
        screen(app, size);
        insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), screen(app, size));
    }
}

#[test]
fn list() {
    snap("list", &mut open("lesson-handshake.pcap"));
}

#[test]
fn tree_expanded_tcp() {
    let mut app = open("lesson-handshake.pcap");
    // The SYN-ACK, to the tree, down to TCP, unfold it.
    keys(
        &mut app,
        &[
            Key::Down,
            Key::Tab,
            Key::Down,
            Key::Down,
            Key::Down,
            Key::Enter,
        ],
    );
    snap("tree", &mut app);
}

#[test]
fn hex_with_window_field() {
    let mut app = open("lesson-handshake.pcap");
    keys(
        &mut app,
        &[
            Key::Down,
            Key::Tab,
            Key::Down,
            Key::Down,
            Key::Down,
            Key::Enter,
        ],
    );
    for size in SIZES {
        screen(&mut app, size);
    }
    // source port, destination port, sequence, acknowledgment, header length, flags, window.
    keys(&mut app, &[Key::Down; 7]);
    assert!(app.tree_line().unwrap().text.starts_with("window: 65483"));
    // 14 bytes of Ethernet, 20 of IPv4, then bytes 14..16 of TCP (RFC 9293 §3.1).
    assert_eq!(app.tree_line().unwrap().bytes, 48..50);
    snap("hex_window", &mut app);
    // On the small screen the dump has its own pane: Tab from the tree to it.
    app.key(Key::Tab);
    insta::assert_snapshot!("hex_window_pane_80x24", screen(&mut app, (80, 24)));
}

#[test]
fn ladder_pane() {
    let mut app = open("lesson-handshake.pcap");
    keys(&mut app, &[Key::Down, Key::Down, Key::Down, Key::Char('l')]);
    snap("ladder", &mut app);
}

#[test]
fn follow_and_note() {
    let mut app = open("lesson-echo.pcap");
    keys(&mut app, &[Key::Down, Key::Char('f')]);
    insta::assert_snapshot!("follow_80x24", screen(&mut app, (80, 24)));
    keys(&mut app, &[Key::Char('n')]);
    insta::assert_snapshot!("note_80x24", screen(&mut app, (80, 24)));
}

#[test]
fn help() {
    let mut app = open("lesson-handshake.pcap");
    app.key(Key::Char('?'));
    snap("help", &mut app);
    app.key(Key::Esc);
    assert!(!app.help);
}

#[test]
fn filter_error_then_filter() {
    let mut app = open("lesson-echo.pcap");
    app.key(Key::Char('/'));
    typed(&mut app, "tcp prot 7007");
    app.key(Key::Enter);
    assert!(app.filter_error.is_some());
    snap("filter_error", &mut app);
    // Fixing it applies it and closes the line.
    for _ in 0.."prot 7007".len() {
        app.key(Key::Backspace);
    }
    typed(&mut app, "port 7007 and tcp[tcpflags] & tcp-syn != 0");
    app.key(Key::Enter);
    assert!(app.typing.is_none() && app.filter_error.is_none());
    assert_eq!(app.len(), 2);
    assert_eq!(app.selected_packet(), Some(0), "the SYN stays selected");
}

#[test]
fn arrival_time_in_utc() {
    assert_eq!(
        super::content::utc_time(Timestamp::new(0, 1_500)),
        "1970-01-01 00:00:00.000001"
    );
    assert_eq!(
        super::content::utc_time(Timestamp::new(951_782_400, 0)),
        "2000-02-29 00:00:00.000000"
    );
}

/// Frames injected one by one (the live path): the list follows the tail, stops following
/// when the user moves up, G follows again, space freezes what is shown.
#[test]
fn append_follows_tail_and_pauses() {
    let path = format!("{}/captures/lesson-echo.pcap", env!("CARGO_MANIFEST_DIR"));
    let mut src = crate::source::FileSource::open(&path).unwrap();
    let mut frames = Vec::new();
    while let Ok(Some(f)) = crate::source::Source::next_frame(&mut src) {
        frames.push((f.ts, f.orig_len, f.data.to_vec()));
    }
    let frame = |i: usize| Frame {
        ts: frames[i].0,
        link: LinkType::ETHERNET,
        orig_len: frames[i].1,
        data: &frames[i].2,
    };
    let mut app = App::new(Index::in_memory(), "live", false, true);
    app.tail = true;
    for i in 0..4 {
        app.append(&frame(i));
    }
    assert_eq!((app.len(), app.selected), (4, 3));
    app.key(Key::Up);
    app.append(&frame(4));
    assert_eq!((app.len(), app.selected), (5, 2), "scrolled up: stays");
    app.key(Key::Char('G'));
    app.append(&frame(5));
    assert_eq!(app.selected, 5, "G follows the tail again");
    app.key(Key::Char(' '));
    app.append(&frame(6));
    assert_eq!(
        (app.len(), app.index.len()),
        (6, 7),
        "paused: shown list frozen"
    );
    app.key(Key::Char(' '));
    assert_eq!(app.len(), 7);
    // Appended frames are tracked like a file's: the handshake's SYN-ACK goes to the client.
    assert_eq!(
        app.index.meta(1).and_then(|m| m.track).map(|t| t.dir),
        Some(crate::track::Dir::ToClient)
    );
    // And filtered as they come.
    app.apply_filter("tcp[tcpflags] & tcp-push != 0");
    let before = app.len();
    for i in 7..frames.len() {
        app.append(&frame(i));
    }
    assert!(app.len() > before);
    let s = screen(&mut app, (80, 24));
    assert!(s.contains("PSH"), "{s}");
}

/// The frames of a bundled capture, owned.
fn frames_of(name: &str) -> Vec<crate::source::OwnedFrame> {
    let path = format!("{}/captures/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut src = crate::source::FileSource::open(&path).unwrap();
    let mut frames = Vec::new();
    while let Ok(Some(f)) = crate::source::Source::next_frame(&mut src) {
        frames.push(f.to_owned_frame());
    }
    frames
}

fn ns(f: &crate::source::OwnedFrame) -> u64 {
    f.ts.sec as u64 * 1_000_000_000 + u64::from(f.ts.nsec)
}

/// A connect call of the client of lesson-handshake.pcap (127.0.0.1:44716 → :7007).
fn connect(ts_ns: u64, phase: crate::track::calls::Phase) -> crate::track::calls::CallEvent {
    use crate::track::calls::{CallEvent, Phase};
    CallEvent {
        ts_ns,
        pid: 42,
        tid: 42,
        comm: "client".into(),
        call: "connect",
        phase,
        fd: Some(3),
        args: "3, 127.0.0.1:7007".into(),
        local: (phase == Phase::Return).then(|| "127.0.0.1:44716".into()),
        remote: Some("127.0.0.1:7007".into()),
        result: (phase == Phase::Return).then_some(0),
        errno: None,
        bytes: None,
        preview: None,
        flow: None,
        proto: Some(crate::track::calls::Proto::Tcp),
        family: Some(crate::track::calls::Family::Inet),
    }
}

/// Calls and frames pushed in time order (`run --tui`): calls get their own `»` rows between
/// the packets, stay under a filter, and sit on the ladder of their socket's conversation.
#[test]
fn calls_sit_in_the_list_and_on_the_ladder() {
    use super::index::Event;
    use crate::track::calls::Phase;
    let frames = frames_of("lesson-handshake.pcap");
    let mut app = App::new(Index::in_memory(), "run", false, true);
    app.tail = true;
    app.push(Event::Call(connect(ns(&frames[0]) - 50_000, Phase::Enter)));
    app.push(Event::Packet(frames[0].clone()));
    app.push(Event::Packet(frames[1].clone()));
    app.push(Event::Call(connect(ns(&frames[1]) + 5_000, Phase::Return)));
    for f in &frames[2..] {
        app.push(Event::Packet(f.clone()));
    }
    assert_eq!(app.len(), frames.len() + 2);
    app.key(Key::Char('g'));
    let s = screen(&mut app, (160, 48));
    assert!(
        s.contains("1 -0.000050  » client[42] → connect(3, 127.0.0.1:7007)"),
        "{s}"
    );
    assert!(s.contains("4  0.000019  » client[42] ← connect = 0"), "{s}");
    // The ladder of the SYN-ACK shows the return of connect after its arrow, by the client.
    app.select(2);
    app.key(Key::Char('l'));
    let s = screen(&mut app, (160, 48));
    let ladder: Vec<&str> = s.lines().filter(|l| l.contains('»')).collect();
    assert!(
        ladder
            .iter()
            .any(|l| l.contains("0.019  » client[42] ← connect = 0")),
        "{s}"
    );
    // A packet filter keeps the calls.
    app.apply_filter("tcp[tcpflags] & tcp-syn != 0");
    assert!(app.filtering.is_none());
    assert_eq!(app.len(), 4, "SYN, SYN-ACK and both halves of connect");
}

/// A packet is shed, and counted, when the explorer is behind; the count reaches the status line.
#[test]
fn full_channel_sheds_and_counts() {
    use super::index::Event;
    use super::term::Input;
    let frames = frames_of("lesson-echo.pcap");
    let (feed, mut taker) = super::live::channel(true);
    for k in 0..super::live::CHANNEL + 3 {
        assert!(feed.send(Event::Packet(frames[k % frames.len()].clone())));
    }
    assert_eq!(feed.shed(), 3);
    feed.kernel(crate::source::live::KernelStats {
        received: 70_000,
        dropped: 2,
    });
    let mut app = App::new(Index::in_memory(), "live", false, true);
    app.tail = true;
    while taker.pump(&mut app) && app.index.len() < super::live::CHANNEL {}
    assert_eq!(app.index.len(), super::live::CHANNEL);
    assert_eq!(app.selected, super::live::CHANNEL - 1, "follows the tail");
    feed.end("capture ended".into());
    drop(feed);
    taker.pump(&mut app);
    let s = screen(&mut app, (160, 48));
    assert!(
        s.contains("kernel: 70000 received, 2 dropped · 3 shed"),
        "{s}"
    );
    assert!(s.contains("capture ended"), "{s}");
}

/// What the index keeps per packet (besides the tracker's state while indexing, and aside
/// the occasional facts of some items, 32 bytes each): one compact record, offset included;
/// printed for the memory figure.
#[test]
fn per_packet_record_size() {
    let item = std::mem::size_of::<super::index::Item>();
    let meta = std::mem::size_of::<super::index::Meta>();
    println!("per packet: a {item}-byte record (the {meta}-byte view of it is made on drawing)");
    // It was an 8-byte offset and the 192-byte view itself (the tracker's view grew with the
    // per-packet teaching context).
    assert!(item <= 48, "{item}");
}

/// A lesson recording carries the demo's socket calls: they become rows of their own, in
/// their place among the packets (the first event is the server's `socket` call).
#[test]
fn recorded_calls_are_rows_in_time_order() {
    let app = open("lesson-handshake.pcapng");
    let idx = &app.index;
    assert!(!idx.calls.is_empty(), "no call rows");
    assert!(idx.call(0).is_some_and(|c| c.call == "socket"));
    let packets = (0..idx.len()).filter(|&i| idx.call(i).is_none()).count();
    assert!(packets >= 10, "{packets} packets");
    let ts: Vec<_> = (0..idx.len()).map(|i| idx.meta(i).map(|m| m.ts)).collect();
    assert!(
        ts.windows(2).all(|w| w[0] <= w[1]),
        "rows out of time order"
    );
}

/// The note `replay`'s learner view writes on every frame of a capture (empty for a call and
/// a packet without one): the pipeline `replay` runs, with its tracker, into one string.
fn replay_notes(path: &str) -> Vec<String> {
    let mut source = crate::source::FileSource::open(path).expect("open capture");
    let mut tracker = crate::track::Tracker::with_limits(crate::track::Limits::streaming());
    let mut view = crate::render::learner::LearnerRenderer::new(true, false, None);
    let mut out = Vec::new();
    let limits = crate::pipeline::Limits {
        count: None,
        skip: 0,
    };
    crate::pipeline::run(
        &mut source,
        None,
        Some(&mut tracker),
        &mut view,
        &mut out,
        limits,
    );
    String::from_utf8_lossy(&out)
        .lines()
        .map(|l| super::content::parse_sgr(l).note)
        .collect()
}

/// Each list row's note is the one `replay` writes for that frame, wherever the screen starts
/// (a screen draws its rows with a fresh learner view, given what the view remembered of each
/// row's conversation before it).
#[test]
fn row_notes_are_replays_from_any_first_row() {
    let dir = format!("{}/captures", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("captures")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| {
            (n.starts_with("lesson-") && n.ends_with(".pcapng"))
                || ((n.starts_with("case-") || n.starts_with("lossy-")) && n.ends_with(".pcap"))
        })
        .collect();
    names.sort();
    assert!(names.len() >= 15, "{names:?}");
    let mut noted = 0;
    for name in &names {
        let want = replay_notes(&format!("{dir}/{name}"));
        let app = open(name);
        let n = app.index.len();
        assert_eq!(want.len(), n, "{name}: one line per frame");
        noted += want.iter().filter(|w| !w.is_empty()).count();
        // A screen of 22 rows (80×24) starting at every row.
        for top in 0..n {
            let which: Vec<usize> = (top..n.min(top + 22)).collect();
            let rows = super::content::rows(&app.index, &which);
            for (row, &i) in rows.iter().zip(&which) {
                assert_eq!(
                    row.note,
                    want[i],
                    "{name}: frame {} drawn from row {}",
                    i + 1,
                    top + 1
                );
            }
        }
    }
    assert!(noted > 100, "only {noted} notes");
}

/// Keys pressed before the indexing thread's first frames arrive act once they do: `j` twice
/// on the still-empty list selects the third packet.
#[test]
fn keys_before_the_first_frames_wait_for_them() {
    let path = format!("{}/captures/lesson-echo.pcap", env!("CARGO_MANIFEST_DIR"));
    let (index, batches) = index::open(&path).expect("open capture");
    let mut app = App::new(index, "echo", false, true);
    keys(&mut app, &[Key::Char('j'), Key::Char('j')]);
    assert_eq!(app.selected, 0);
    while app.done.is_none() {
        app.append_batch(batches.recv().expect("a batch"));
    }
    assert_eq!(app.selected, 2);
}
