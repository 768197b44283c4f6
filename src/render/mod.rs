//! Views of packets: each renderer writes one view of each packet to a `&mut dyn Write`.

pub mod app;
pub mod calls;
pub mod conv_json;
pub mod export;
pub mod flows;
pub mod fmt;
pub mod follow;
pub mod hex;
pub mod json;
pub mod ladder;
pub mod ladder_window;
pub mod learner;
pub mod numbered;
pub mod quiet;
pub mod tcpdump;
pub mod text_cache;
pub mod time;
pub mod verbose;

use std::io::{self, Write};

use crate::decode::Packet;
use crate::track::TrackInfo;

/// The per-packet views (`--format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    /// Arrows, flag names, relative seq/ack, short notes.
    #[default]
    Learner,
    /// tcpdump -n's line.
    Tcpdump,
    /// Every header field as a tree.
    Verbose,
    /// One JSON object per line.
    Json,
}

/// Which hex dump follows each packet (`-x`, `-X`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HexDump {
    #[default]
    None,
    Hex,
    HexAscii,
}

/// What the pipeline knows about a packet beyond its own bytes.
#[derive(Clone, Copy, Debug, Default)]
pub struct PacketContext {
    /// 1-based position of the frame in its source (counting frames the filter dropped).
    pub number: u64,
    /// The conversation this packet belongs to, when the pipeline tracks flows.
    pub track: Option<TrackInfo>,
}

/// One view of a stream of packets.
pub trait Renderer {
    fn packet(
        &mut self,
        out: &mut dyn Write,
        pkt: &Packet<'_>,
        ctx: &PacketContext,
    ) -> io::Result<()>;
    /// A traced socket call recorded in the capture (`run -w`), in its place among the
    /// packets. Views that show only packets skip it.
    fn call(
        &mut self,
        _out: &mut dyn Write,
        _ev: &crate::track::calls::CallEvent,
    ) -> io::Result<()> {
        Ok(())
    }
    /// The same call with its frame number: its place among the file's records, calls and
    /// packets counted together, as tshark's `frame.number` (docs/numbering.md). Views that
    /// show numbers use it; the others show [`Self::call`].
    fn numbered_call(
        &mut self,
        out: &mut dyn Write,
        ev: &crate::track::calls::CallEvent,
        _number: u64,
    ) -> io::Result<()> {
        self.call(out, ev)
    }
    /// A packet the filter or `--skip` keeps out of the view. Views that follow conversations
    /// themselves (flows, ladder) track it, so that their conversation numbers, states and
    /// relative numbers are the whole capture's, as the per-packet views' are (the pipeline
    /// tracks every packet) and as tshark's `tcp.stream` is.
    fn hidden(&mut self, _pkt: &Packet<'_>, _ctx: &PacketContext) {}
    /// Called once after the last packet.
    fn finish(&mut self, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }
}
