//! What each pane shows, as text, made by the existing views: list rows by the learner view,
//! the field tree by the `-v` view, the ladder by the ladder view and the stream by follow.
//! Nothing here formats a packet itself; it only cuts those views' output into pane lines.

use std::ops::Range;

use super::fields::{self, Layer};
use super::index::Index;
use crate::render::follow::{FollowFormat, FollowRenderer};
use crate::render::ladder::{LadderOptions, LadderRenderer, Layout};
use crate::render::learner::LearnerRenderer;
use crate::render::verbose::VerboseRenderer;
use crate::render::{PacketContext, Renderer};
use crate::source::Timestamp;
use crate::track::Dir;
use crate::track::calls::{CallEvent, Phase};

/// Packets of one conversation drawn on the ladder or followed, at most (each is decoded).
pub const MAX_CONVERSATION: usize = 5000;

/// The kinds of text the learner view marks with SGR codes (`render::learner`'s `sgr`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Mark {
    pub dir: Option<Option<Dir>>,
    pub bold: bool,
    pub dim: bool,
    pub analysis: bool,
    /// A socket call's row (`run`).
    pub call: bool,
}

/// One row of the packet list.
#[derive(Clone, Debug, Default)]
pub struct Row {
    /// 1-based frame number.
    pub number: u64,
    /// The learner line, cut where its marking changes.
    pub spans: Vec<(String, Mark)>,
    /// The teaching note at its end (empty when there is none).
    pub note: String,
    pub dir: Option<Dir>,
    pub analysis: bool,
}

/// Learner rows for the packets `which` (indexes into `index`, in capture order); a socket
/// call gets a row of its own, marked `»`.
pub fn rows(index: &Index, which: &[usize]) -> Vec<Row> {
    // Colour on: its codes say where the note and the analysis are. Times count from the
    // capture's first packet, as in `replay`, so the renderer sees that packet first.
    let mut r = LearnerRenderer::new(true, false, None);
    let mut sink = Vec::new();
    let first = index.first_packet;
    if let Some(f) = first
        && which.iter().find(|&&i| index.call(i).is_none()) != Some(&f)
    {
        index.with_packet(f, |p, m| {
            let _ = r.packet(&mut sink, p, &context(f, m.track));
        });
    }
    which
        .iter()
        .map(|&i| {
            if let Some(ev) = index.call(i) {
                let base = first.and_then(|f| index.meta(f)).map(|m| m.ts);
                return call_row(i, ev, base);
            }
            index
                .with_packet(i, |p, m| {
                    sink.clear();
                    // What `replay`'s view remembered of the conversation before this packet.
                    if let Some(t) = m.track {
                        r.recall(t.flow, t.dir, m.notes);
                    }
                    let _ = r.packet(&mut sink, p, &context(i, m.track));
                    let mut row = parse_sgr(String::from_utf8_lossy(&sink).trim_end());
                    row.number = i as u64 + 1;
                    row.dir = m.track.map(|t| t.dir);
                    row.analysis = m.track.is_some_and(|t| !t.analysis.is_empty());
                    row
                })
                .unwrap_or_default()
        })
        .collect()
}

/// A call's row: its time from the first packet (as the packets' rows count it; negative
/// before it), then `» comm[pid] → call(args)` at its enter or `← call = result` at its return.
fn call_row(i: usize, ev: &CallEvent, base: Option<Timestamp>) -> Row {
    let ns = ev.ts_ns as i128;
    let base = base.map_or(ns, |b| b.sec as i128 * 1_000_000_000 + b.nsec as i128);
    let d = ns - base;
    let sign = if d < 0 { "-" } else { " " };
    let time = format!(
        "{sign}{}.{:06}",
        d.unsigned_abs() / 1_000_000_000,
        d.unsigned_abs() % 1_000_000_000 / 1000
    );
    let text = format!("{time:>9}  » {}", call_text(ev));
    Row {
        number: i as u64 + 1,
        spans: vec![(
            text,
            Mark {
                call: true,
                ..Mark::default()
            },
        )],
        ..Row::default()
    }
}

/// `comm[pid] → connect(3, 127.0.0.1:7007)` or `comm[pid] ← connect = 0`, as `run` prints them.
pub fn call_text(ev: &CallEvent) -> String {
    let who = format!("{}[{}]", ev.comm, ev.pid);
    let mut t = match ev.phase {
        Phase::Enter => format!("{who} → {}({})", ev.call, ev.args),
        Phase::Return => match (ev.result, ev.errno) {
            (_, Some(e)) => format!("{who} ← {} = -1 {e}", ev.call),
            (Some(r), None) => format!("{who} ← {} = {r}", ev.call),
            _ => format!("{who} ← {} = ?", ev.call),
        },
    };
    if let Some(p) = &ev.preview {
        t.push(' ');
        t.push_str(p);
    }
    t
}

fn context(i: usize, track: Option<crate::track::TrackInfo>) -> PacketContext {
    PacketContext {
        number: i as u64 + 1,
        track,
    }
}

/// Splits a learner line at its SGR codes (ECMA-48 `ESC [ n m`).
pub(super) fn parse_sgr(line: &str) -> Row {
    let mut row = Row::default();
    let mut mark = Mark::default();
    let mut rest = line;
    while !rest.is_empty() {
        let (text, after) = match rest.find("\x1b[") {
            Some(at) => (&rest[..at], Some(&rest[at + 2..])),
            None => (rest, None),
        };
        if !text.is_empty() {
            if mark.dim {
                row.note.push_str(text);
            }
            row.spans.push((text.to_string(), mark));
        }
        let Some(after) = after else { break };
        let end = after.find('m').unwrap_or(after.len());
        match &after[..end] {
            "36" => mark.dir = Some(Some(Dir::ToServer)),
            "33" => mark.dir = Some(Some(Dir::ToClient)),
            "34" => mark.dir = Some(None),
            "1" => mark.bold = true,
            "2" => mark.dim = true,
            "31" => mark.analysis = true,
            _ => mark = Mark::default(),
        }
        rest = after.get(end + 1..).unwrap_or("");
    }
    row
}

/// One line of the field tree.
#[derive(Clone, Debug)]
pub struct TreeLine {
    /// 0 for a layer, 1 for a field, 2 for a part of a field.
    pub depth: usize,
    pub text: String,
    /// Fold key: the layer heading, and the field under it.
    pub key: String,
    pub has_children: bool,
    /// The bytes of the frame it describes.
    pub bytes: Range<usize>,
}

/// The `-v` tree of packet `i`, with the byte range of each line. With `utc`, the arrival time
/// is written in UTC instead of the local time zone.
pub fn tree(index: &Index, i: usize, utc: bool) -> (Vec<TreeLine>, Vec<u8>) {
    let mut v = VerboseRenderer::new(false);
    if let Some(f) = index.first_packet.filter(|&f| f != i) {
        // The tree counts time from the capture's first packet, so the view sees it first.
        let mut sink = Vec::new();
        index.with_packet(f, |p, m| v.packet(&mut sink, p, &context(f, m.track)));
    }
    index
        .with_packet(i, |p, m| {
            let mut out = Vec::new();
            let _ = v.packet(&mut out, p, &context(i, m.track));
            let text = String::from_utf8_lossy(&out).into_owned();
            let mut lines: Vec<TreeLine> = Vec::new();
            let (mut layer, mut heading, mut field) = (Layer::Other, String::new(), String::new());
            for raw in text.lines().filter(|l| !l.is_empty()) {
                let depth = (raw.len() - raw.trim_start().len()) / 4;
                let mut text = raw.trim_start().to_string();
                let name = text.split(':').next().unwrap_or("").to_string();
                match depth {
                    0 => {
                        layer = Layer::of_heading(&text);
                        heading = text.split(':').next().unwrap_or("").to_string();
                    }
                    1 => field = name.clone(),
                    _ => {}
                }
                if utc && depth == 1 && name == "arrival time" {
                    text = format!("arrival time: {}", utc_time(m.ts));
                }
                let bytes = match depth {
                    0 => fields::layer_range(p, layer),
                    1 => fields::field_range(p, layer, &name),
                    _ => fields::field_range(p, layer, &field),
                };
                let key = match depth {
                    0 => heading.clone(),
                    _ => format!("{heading}/{field}"),
                };
                if depth > 0
                    && let Some(parent) = lines.iter_mut().rev().find(|l| l.depth < depth)
                {
                    parent.has_children = true;
                }
                lines.push(TreeLine {
                    depth,
                    text,
                    key,
                    has_children: false,
                    bytes,
                });
            }
            (lines, p.data.to_vec())
        })
        .unwrap_or_default()
}

/// `YYYY-MM-DD HH:MM:SS.micro` in UTC, the verbose view's format (days to civil date:
/// H. Hinnant's algorithm, proleptic Gregorian calendar).
pub fn utc_time(ts: Timestamp) -> String {
    let days = ts.sec.div_euclid(86_400);
    let secs = ts.sec.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{:06}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        ts.nsec / 1000
    )
}

/// The packets of packet `i`'s conversation, in capture order, and where `i` is among them.
fn conversation(index: &Index, i: usize) -> Option<(Vec<usize>, usize)> {
    let flow = index.flow_of(i)?;
    let calls = !index.calls.is_empty();
    let members: Vec<usize> = (0..index.len())
        .filter(|&j| match index.packet_flow(j) {
            Some(f) => f == flow,
            None => calls && index.flow_of(j) == Some(flow),
        })
        .take(MAX_CONVERSATION)
        .collect();
    let at = members.iter().position(|&j| j == i)?;
    Some((members, at))
}

/// A ladder as drawn: for a conversation's members at a width, its lines and where each
/// member's rows start. Kept between selections: a live capture that follows its tail moves
/// the selection at every frame, and a conversation's first members do not change.
#[derive(Default)]
pub struct Drawn {
    flow: u32,
    width: usize,
    members: Vec<usize>,
    lines: Vec<String>,
    arrows: Vec<usize>,
}

/// The ladder of packet `i`'s conversation, `width` columns wide, and the lines of `i`'s
/// arrow; drawn again only when `kept` is another conversation's, width's or set of members.
pub fn ladder_kept(
    index: &Index,
    i: usize,
    width: usize,
    kept: &mut Option<Drawn>,
) -> (Vec<String>, Range<usize>) {
    let Some((members, _)) = conversation(index, i) else {
        return (vec![not_in_conversation(index, i)], 0..0);
    };
    let flow = index.flow_of(i).unwrap_or(0);
    let d = match kept.take() {
        Some(d) if d.flow == flow && d.width == width && d.members == members => d,
        _ => draw_ladder(index, members, flow, width),
    };
    let k = d.members.iter().position(|&j| j == i);
    let mine = match k.and_then(|k| Some((k, *d.arrows.get(k)?))) {
        Some((k, start)) => start..d.arrows.get(k + 1).copied().unwrap_or(d.lines.len()),
        None => 0..0,
    };
    let lines = d.lines.clone();
    *kept = Some(d);
    (lines, mine)
}

fn draw_ladder(index: &Index, members: Vec<usize>, flow: u32, width: usize) -> Drawn {
    let mut r = LadderRenderer::new(LadderOptions {
        width,
        ascii: false,
        color: false,
        absolute: false,
        // Only this conversation's packets are given: to the ladder's tracker it is the first.
        flow: Some(0),
        layout: Layout::Incremental,
        fit: false,
    });
    let mut text = String::new();
    let base = members
        .iter()
        .find(|&&j| index.call(j).is_none())
        .and_then(|&j| index.meta(j))
        .map(|m| m.ts);
    for &j in &members {
        let mut buf = Vec::new();
        match index.call(j) {
            Some(ev) => {
                // A SYN-ACK the ladder holds for the client's next segment is drawn first.
                let _ = r.flush_held(&mut buf);
                text.push_str(&String::from_utf8_lossy(&buf));
                buf = ladder_call(index, ev, base, &text).into_bytes();
            }
            None => {
                index.with_packet(j, |p, m| r.packet(&mut buf, p, &context(j, m.track)));
            }
        }
        text.push_str(&String::from_utf8_lossy(&buf));
    }
    // An incremental ladder holds a connection's opening SYN until the next packet shows
    // whether anyone answers; finishing writes what is still held.
    let mut buf = Vec::new();
    let _ = r.finish(&mut buf);
    text.push_str(&String::from_utf8_lossy(&buf));
    // One row a packet or call, in order, each starting with its time (a call may come before
    // the first packet: a negative time): packet `i`'s rows run from its own to the next one.
    let arrows: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| {
            l.trim_start()
                .starts_with(|c: char| c.is_ascii_digit() || c == '-')
        })
        .map(|(n, _)| n)
        .collect();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if let Some(h) = lines.iter_mut().find(|l| l.starts_with("#0 "))
        && let Some(rest) = h.strip_prefix("#0 ")
    {
        *h = format!("#{flow} {rest}");
    }
    Drawn {
        flow,
        width,
        members,
        lines,
        arrows,
    }
}

/// A call's line on the ladder: its time in milliseconds from the conversation's first packet
/// (as the arrows'), then `» call` on the caller's side: by the client's lane on the left, past
/// the server's on the right (found in the lines drawn so far).
fn ladder_call(index: &Index, ev: &CallEvent, base: Option<Timestamp>, drawn: &str) -> String {
    let base = base.map_or(ev.ts_ns as i128, |b| {
        b.sec as i128 * 1_000_000_000 + b.nsec as i128
    });
    let us = (ev.ts_ns as i128 - base) / 1000;
    let sign = if us < 0 { "-" } else { "" };
    let time = format!(
        "{sign}{}.{:03}",
        us.unsigned_abs() / 1000,
        us.unsigned_abs() % 1000
    );
    let client = index.call_flow(ev).is_none_or(|f| f.1);
    let right_lane = drawn
        .lines()
        .filter_map(|l| {
            l.chars()
                .collect::<Vec<_>>()
                .iter()
                .rposition(|&c| c == '│')
        })
        .max()
        .unwrap_or(0);
    let at = if client { 13 } else { right_lane + 3 };
    let head = format!("{time:>11}");
    format!(
        "{head}{}» {}\n",
        " ".repeat(at.saturating_sub(head.chars().count())),
        call_text(ev)
    )
}

/// The followed stream of packet `i`'s conversation.
pub fn follow(index: &Index, i: usize) -> Vec<String> {
    let Some((members, _)) = conversation(index, i) else {
        return vec![not_in_conversation(index, i)];
    };
    let mut r = FollowRenderer::new(0, FollowFormat::Text, false);
    let mut buf = Vec::new();
    for &j in &members {
        index.with_packet(j, |p, m| r.packet(&mut buf, p, &context(j, m.track)));
    }
    let _ = r.finish(&mut buf);
    String::from_utf8_lossy(&buf)
        .lines()
        .map(str::to_string)
        .collect()
}

fn not_in_conversation(index: &Index, i: usize) -> String {
    match index.meta(i) {
        Some(_) if index.call(i).is_some() => format!(
            "row {} is a socket call whose socket has no conversation among the packets seen",
            i + 1
        ),
        Some(_) => format!("frame {} is not part of a TCP or UDP conversation", i + 1),
        None => "no packet selected".to_string(),
    }
}
