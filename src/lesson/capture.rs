//! Where a live lesson's packets come from: the [`LiveCapture`] backend trait, the tcpdump
//! backend, the CAP_NET_RAW check, and [`RecordingSource`], which saves what a source yields
//! (`--record FILE`).

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use std::borrow::Cow;

use pcap_file::DataLink;
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption, InterfaceTsResolution,
};

use std::sync::atomic::{AtomicBool, Ordering};

use crate::filter::{Filter, bpf};
use crate::source::live::{CaptureSource, LiveConfig, LiveSource, OpenError};
use crate::source::{FileSource, Frame, LinkType, Source, SourceError};
use crate::sys::{process, procfs};
use crate::track::callrec;

use crate::sys::privileges::CAP_NET_RAW;

/// Whether this process may open packet sockets: bit [`CAP_NET_RAW`] of `CapEff` in
/// `/proc/self/status` (root has it, and so has a binary given it with `setcap`).
pub fn has_cap_net_raw() -> bool {
    procfs::has_effective_cap(CAP_NET_RAW)
}

/// Whether the `CapEff:` line of a `/proc/<pid>/status` text has capability `bit`.
pub use crate::sys::procfs::cap_eff_has;

/// Why a live capture could not start.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// This backend cannot work on this machine (e.g. tcpdump is not installed): the lesson
    /// falls back to its recording.
    #[error("{0}")]
    Unavailable(String),
    /// The backend exists but failed to start.
    #[error("{0}")]
    Failed(String),
}

/// Ends a capture: after it is called, the capture's source delivers what it already has and
/// then ends (`Ok(None)`). Called at most once.
pub type Stopper = Box<dyn FnOnce() + Send>;

/// A running live capture.
pub struct Capture {
    /// The frames, in order. Lending, read on the lesson's main thread.
    pub source: Box<dyn Source>,
    /// Stops the capture (called from another thread once the lesson's traffic is over).
    pub stop: Stopper,
    /// The backend's name, for the lesson's header line (`tcpdump`, `AF_PACKET`).
    pub backend: &'static str,
}

/// A way to capture the loopback traffic of one port, live.
///
/// Contract: `open` returns only once the capture is running, so that every packet sent after
/// it returns is captured; the source yields only packets on the loopback interface that match
/// `filter` (`port N`, or `icmp or port N`: `crate::lesson::netlab::capture_filter`); after
/// [`Capture::stop`] the source ends soon.
pub trait LiveCapture {
    fn open(&self, filter: &str) -> Result<Capture, CaptureError>;
}

/// The backend lessons use: sockscope's own AF_PACKET capture.
pub fn default_backend() -> Box<dyn LiveCapture> {
    Box::new(AfPacket)
}

/// The backend tried when [`default_backend`] is unavailable: tcpdump.
pub fn fallback_backend() -> Option<Box<dyn LiveCapture>> {
    Some(Box::new(Tcpdump))
}

/// Live capture on sockscope's own AF_PACKET socket ([`LiveSource`]), on `lo`, with `port N`
/// compiled to classic BPF and attached before the socket is bound, so that no other packet is
/// ever queued for us: the same engine as `sockscope live`.
pub struct AfPacket;

impl LiveCapture for AfPacket {
    fn open(&self, expr: &str) -> Result<Capture, CaptureError> {
        let filter = Filter::parse(expr).map_err(|e| CaptureError::Failed(e.to_string()))?;
        // lo has Ethernet framing (zero MAC addresses) on AF_PACKET.
        let prog = bpf::compile(&filter, LinkType::ETHERNET).ok_or_else(|| {
            CaptureError::Unavailable(format!("`{expr}` does not compile to BPF"))
        })?;
        let mut cfg = LiveConfig::new("lo");
        cfg.promiscuous = false;
        cfg.filter = Some(crate::source::live::sock_filter(&prog));
        // One flag per capture, alive as long as the source that reads it: a lesson opens
        // one capture, so leaking it costs one byte.
        let stop: &'static AtomicBool = Box::leak(Box::new(AtomicBool::new(false)));
        let source = LiveSource::open(&cfg, stop).map_err(|e| match e {
            OpenError::Permission(_) => CaptureError::Unavailable(e.to_string()),
            _ => CaptureError::Failed(e.to_string()),
        })?;
        if source.link_type() != LinkType::ETHERNET {
            return Err(CaptureError::Unavailable(format!(
                "lo has link type {}, not Ethernet",
                source.link_type()
            )));
        }
        Ok(Capture {
            source: Box::new(source),
            stop: Box::new(move || stop.store(true, Ordering::SeqCst)),
            backend: "AF_PACKET",
        })
    }
}

/// Live capture by running `tcpdump -i lo -U -w - 'port N'` and reading its pcap stream.
///
/// This is a real, working backend on any machine with tcpdump, and stays as the fallback
/// after sockscope's own AF_PACKET capture (`source::live`) is wired in: it needs no code of
/// ours in the privileged path, and it is what `scripts/record-captures.sh` was first built on.
pub struct Tcpdump;

/// How long tcpdump may take to say `listening on` (it is slow on a loaded machine).
const TCPDUMP_READY: Duration = Duration::from_secs(20);

impl LiveCapture for Tcpdump {
    fn open(&self, filter: &str) -> Result<Capture, CaptureError> {
        let mut cmd = Command::new("tcpdump");
        // -p: lo needs no promiscuous mode. -U: write each packet as it comes.
        // --immediate-mode: hand packets over at once instead of when a kernel buffer block
        // fills or times out (which would delay them by up to a second).
        cmd.args(["-i", "lo", "-p", "-n", "-U", "--immediate-mode", "-w", "-"])
            .arg(filter)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        raise_ambient_net_raw(&mut cmd);
        let mut child = cmd.spawn().map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                CaptureError::Unavailable(
                    "tcpdump is not installed (apt-get install tcpdump)".into(),
                )
            } else {
                CaptureError::Failed(format!("cannot run tcpdump: {e}"))
            }
        })?;
        let (stdout, stderr) = match (child.stdout.take(), child.stderr.take()) {
            (Some(o), Some(e)) => (o, e),
            _ => return Err(CaptureError::Failed("tcpdump has no pipes".into())),
        };
        // tcpdump says `listening on lo, link-type EN10MB ...` on stderr once its filter is in
        // place; everything sent after that is captured. The rest of stderr is read (and
        // dropped) by the same thread so tcpdump never blocks on a full pipe.
        let (tx, rx) = mpsc::channel::<Result<(), String>>();
        std::thread::spawn(move || {
            let mut said = String::new();
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if line.contains("listening on") {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(Ok(()));
                    }
                } else if tx.is_some() {
                    said.push_str(line.trim());
                    said.push(' ');
                }
            }
            if let Some(tx) = tx {
                let _ = tx.send(Err(said.trim().to_string()));
            }
        });
        match rx.recv_timeout(TCPDUMP_READY) {
            Ok(Ok(())) => {}
            Ok(Err(said)) => {
                let _ = child.wait();
                return Err(CaptureError::Failed(format!(
                    "tcpdump stopped before capturing: {}",
                    if said.is_empty() {
                        "(it said nothing)"
                    } else {
                        &said
                    }
                )));
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(CaptureError::Failed(format!(
                    "tcpdump did not start capturing within {} s",
                    TCPDUMP_READY.as_secs()
                )));
            }
        }
        let pid = child.id();
        Ok(Capture {
            source: Box::new(TcpdumpSource {
                child,
                stdout: Some(stdout),
                file: None,
            }),
            // SIGINT makes tcpdump write out what it has and exit, which ends its stream. The
            // process is reaped only when the source is dropped, so the pid is still ours here.
            stop: Box::new(move || process::interrupt(pid)),
            backend: "tcpdump",
        })
    }
}

/// With `setcap cap_net_raw+eip` on sockscope (not root), tcpdump would not inherit the
/// capability: [`process::hand_on_capability`] passes it on through the ambient set.
fn raise_ambient_net_raw(cmd: &mut Command) {
    process::hand_on_capability(cmd, CAP_NET_RAW);
}

/// tcpdump's pcap stream. The file header arrives only with the first packet (tcpdump flushes
/// per packet), so the reader is set up on the first call, on the reading thread.
struct TcpdumpSource {
    child: Child,
    stdout: Option<ChildStdout>,
    file: Option<FileSource>,
}

impl Source for TcpdumpSource {
    fn next_frame(&mut self) -> Result<Option<Frame<'_>>, SourceError> {
        if self.file.is_none() {
            let Some(out) = self.stdout.take() else {
                return Ok(None);
            };
            let reader: Box<dyn Read> = Box::new(out);
            self.file = Some(FileSource::from_reader("tcpdump", reader)?);
        }
        match &mut self.file {
            Some(f) => f.next_frame(),
            None => Ok(None),
        }
    }
}

impl Drop for TcpdumpSource {
    fn drop(&mut self) {
        // Normally tcpdump has exited after the stop signal; make sure, then reap it.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// A source that also writes every frame it yields to a pcapng file, or just passes them on.
///
/// One interface per link type, in order of first appearance, with nanosecond timestamps:
/// the capture's frames on `lo`, and the socket calls (LINKTYPE_USER0 frames) on the
/// interface [`callrec::INTERFACE_NAME`] (captures/README.md).
pub struct RecordingSource {
    inner: Box<dyn Source>,
    file: Option<PcapOut>,
}

/// The snap length written in recordings (tcpdump's default).
const SNAPLEN: u32 = 262_144;

/// The file side of a [`RecordingSource`].
struct PcapOut {
    path: PathBuf,
    writer: PcapNgWriter<BufWriter<File>>,
    /// The interface id of each link type written so far.
    interfaces: Vec<LinkType>,
    error: Option<String>,
}

impl PcapOut {
    /// The interface id for `link`, writing its description block the first time.
    fn interface(&mut self, link: LinkType) -> Result<u32, String> {
        if let Some(i) = self.interfaces.iter().position(|&l| l == link) {
            return Ok(i as u32);
        }
        let name = if link.0 == callrec::LINKTYPE_USER0 {
            callrec::INTERFACE_NAME
        } else {
            "lo"
        };
        let idb = InterfaceDescriptionBlock {
            linktype: DataLink::from(link.0),
            snaplen: SNAPLEN,
            options: vec![
                InterfaceDescriptionOption::IfName(Cow::Borrowed(name)),
                InterfaceDescriptionOption::IfTsResol(InterfaceTsResolution::NANO),
            ],
        };
        self.writer
            .write_pcapng_block(idb)
            .map_err(|e| e.to_string())?;
        self.interfaces.push(link);
        Ok(self.interfaces.len() as u32 - 1)
    }

    fn write(&mut self, f: &Frame<'_>) {
        if self.error.is_some() {
            return;
        }
        let r = self.interface(f.link).and_then(|id| {
            let epb = EnhancedPacketBlock {
                interface_id: id,
                timestamp: Duration::new(f.ts.sec.max(0) as u64, f.ts.nsec),
                original_len: f.orig_len.max(f.data.len() as u32),
                data: Cow::Borrowed(f.data),
                options: vec![],
            };
            self.writer
                .write_pcapng_block(epb)
                .map_err(|e| e.to_string())
        });
        if let Err(e) = r {
            self.fail(e);
        }
    }

    fn fail(&mut self, e: impl std::fmt::Display) {
        self.error = Some(format!("cannot write {}: {e}", self.path.display()));
    }
}

impl RecordingSource {
    /// Records into `path` (created or truncated) when given, else only passes frames on.
    pub fn new(inner: Box<dyn Source>, path: Option<&Path>) -> Result<Self, String> {
        let file = match path {
            None => None,
            Some(path) => {
                let f = File::create(path)
                    .map_err(|e| format!("cannot create the recording {}: {e}", path.display()))?;
                let writer = PcapNgWriter::new(BufWriter::new(f))
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                Some(PcapOut {
                    path: path.to_path_buf(),
                    writer,
                    interfaces: Vec::new(),
                    error: None,
                })
            }
        };
        Ok(RecordingSource { inner, file })
    }

    /// Writes out the file (with an Ethernet interface even when nothing was captured) and says
    /// whether every frame was written.
    pub fn finish(self) -> Result<(), String> {
        let Some(mut file) = self.file else {
            return Ok(());
        };
        if let Err(e) = file.interface(LinkType::ETHERNET) {
            file.fail(e);
        }
        if let Some(e) = file.error.take() {
            return Err(e);
        }
        use std::io::Write;
        file.writer
            .into_inner()
            .flush()
            .map_err(|e| format!("cannot write {}: {e}", file.path.display()))
    }
}

impl Source for RecordingSource {
    fn next_frame(&mut self) -> Result<Option<Frame<'_>>, SourceError> {
        let frame = self.inner.next_frame()?;
        if let (Some(f), Some(file)) = (&frame, &mut self.file) {
            file.write(f);
        }
        Ok(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{MemorySource, OwnedFrame, Timestamp};

    #[test]
    fn cap_eff_bit_13_is_cap_net_raw() {
        let root = "Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n";
        assert!(cap_eff_has(root, CAP_NET_RAW));
        let user = "CapEff:\t0000000000000000\n";
        assert!(!cap_eff_has(user, CAP_NET_RAW));
        let only_raw = "CapEff:\t0000000000002000\n";
        assert!(cap_eff_has(only_raw, CAP_NET_RAW));
        assert!(!cap_eff_has(only_raw, 12));
        assert!(!cap_eff_has("no such line", CAP_NET_RAW));
    }

    #[test]
    fn recording_writes_what_it_passes_on() {
        let frames = vec![
            OwnedFrame {
                ts: Timestamp::new(1_700_000_000, 123_456_789),
                link: LinkType::ETHERNET,
                orig_len: 60,
                data: vec![7; 60],
            },
            OwnedFrame {
                ts: Timestamp::new(1_700_000_001, 5_000),
                link: LinkType::ETHERNET,
                orig_len: 100,
                data: vec![9; 54],
            },
        ];
        let path =
            std::env::temp_dir().join(format!("sockscope-rec-{}.pcapng", std::process::id()));
        let mem = MemorySource::new(frames.clone());
        let mut rec = RecordingSource::new(Box::new(mem), Some(&path)).unwrap();
        let mut seen = 0;
        while let Some(f) = rec.next_frame().unwrap() {
            assert_eq!(f.data, &frames[seen].data[..]);
            seen += 1;
        }
        rec.finish().unwrap();
        assert_eq!(seen, 2);
        let mut back = FileSource::open(path.to_str().unwrap()).unwrap();
        let f = back.next_frame().unwrap().unwrap();
        assert_eq!(f.ts, Timestamp::new(1_700_000_000, 123_456_789));
        assert_eq!((f.orig_len, f.data.len()), (60, 60));
        let f = back.next_frame().unwrap().unwrap();
        assert_eq!((f.orig_len, f.data.len()), (100, 54));
        assert!(back.next_frame().unwrap().is_none());
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn an_empty_recording_is_still_a_capture_file() {
        let path =
            std::env::temp_dir().join(format!("sockscope-rec-empty-{}.pcapng", std::process::id()));
        let mem = MemorySource::new(Vec::new());
        let mut rec = RecordingSource::new(Box::new(mem), Some(&path)).unwrap();
        assert!(rec.next_frame().unwrap().is_none());
        rec.finish().unwrap();
        let mut back = FileSource::open(path.to_str().unwrap()).unwrap();
        assert!(back.next_frame().unwrap().is_none());
        std::fs::remove_file(&path).unwrap();
    }
}
