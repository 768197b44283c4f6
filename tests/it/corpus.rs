//! Robustness over tcpdump's own test corpus (`../shared/corpus/tcpdump` beside the repository,
//! or `$SOCKSCOPE_SHARED/corpus/tcpdump`; see [`support::shared_dir`]):
//! every capture file is read, decoded, tracked and rendered in every output format, in process,
//! and must finish without a panic in under 2 s. Captures are fuzzer finds among others, so this
//! is where a hang or an out-of-bounds slice in the reader or decoder would show.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use sockscope::cli::{Cli, Command, Format};
use sockscope::cmd::config::ViewConfig;
use sockscope::cmd::pipeline::make_renderer;
use sockscope::pipeline::{self, End, Limits};
use sockscope::source::{FileSource, SourceError};
use sockscope::track::Tracker;

use crate::support;

/// The limit per file (all formats together).
const LIMIT: Duration = Duration::from_secs(2);

/// The view settings `sockscope replay --format F -tttt FILE` would use.
fn view(format: Format) -> ViewConfig {
    let name = format
        .to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_default();
    let cli = Cli::try_parse_from(["sockscope", "replay", "--format", &name, "-tttt", "x"])
        .expect("the replay command line parses");
    match cli.command {
        Command::Replay(a) => ViewConfig::from_args(&a.view),
        #[allow(unreachable_patterns)]
        _ => unreachable!("replay was asked for"),
    }
}

/// Runs one file through every format; returns frames seen per format and how reading ended.
fn run_file(path: &Path) -> Vec<(Format, u64, String)> {
    let mut results = Vec::new();
    for format in Format::value_variants() {
        let cfg = view(*format);
        let name = path.to_string_lossy().into_owned();
        let mut source = match FileSource::open(&name) {
            Ok(s) => s,
            Err(e) => {
                // Not a capture (or empty): a clean error is the right outcome.
                results.push((*format, 0, format!("open error: {e}")));
                continue;
            }
        };
        let mut renderer = make_renderer(&cfg);
        let mut tracker = Tracker::new();
        let mut out = std::io::sink();
        let (stats, end) = pipeline::run(
            &mut source,
            None,
            Some(&mut tracker),
            renderer.as_mut(),
            &mut out,
            Limits::default(),
        );
        let end = match end {
            End::Done => "done".to_string(),
            End::OutputClosed => "output closed".to_string(),
            End::SourceError(e @ SourceError::Truncated { .. }) => format!("truncated: {e}"),
            End::SourceError(e) => format!("error: {e}"),
            End::Output(e) => panic!("{name}: writing to a sink failed: {e}"),
        };
        results.push((*format, stats.frames, end));
    }
    results
}

#[test]
fn every_corpus_file_decodes_without_panic_or_hang() {
    let Some(dir) = support::corpus() else {
        return;
    };
    let entries = std::fs::read_dir(&dir).unwrap();
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|x| x == "pcap" || x == "pcapng" || x == "cap")
        })
        .collect();
    files.sort();
    assert!(
        files.len() > 100,
        "only {} captures in {}: the corpus looks incomplete",
        files.len(),
        dir.display()
    );
    let mut failures = Vec::new();
    let mut slowest = (Duration::ZERO, PathBuf::new());
    let mut frames_total = 0u64;
    for path in &files {
        let (tx, rx) = mpsc::channel();
        let p = path.clone();
        let started = Instant::now();
        let handle = std::thread::spawn(move || {
            let r = run_file(&p);
            let _ = tx.send(r);
        });
        match rx.recv_timeout(LIMIT) {
            Ok(results) => {
                let took = started.elapsed();
                let _ = handle.join();
                if took > slowest.0 {
                    slowest = (took, path.clone());
                }
                if took > LIMIT {
                    failures.push(format!("{}: took {took:?}", path.display()));
                }
                frames_total += results.iter().map(|r| r.1).sum::<u64>();
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // The thread ended without sending: it panicked.
                let msg = match handle.join() {
                    Err(e) => e
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default(),
                    Ok(()) => String::new(),
                };
                failures.push(format!("{}: panicked: {msg}", path.display()));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                // The thread is left running; the process ends with the test binary.
                failures.push(format!("{}: still running after {LIMIT:?}", path.display()));
            }
        }
    }
    println!(
        "corpus: {} files, {} frames rendered over all formats, slowest {:?} ({})",
        files.len(),
        frames_total,
        slowest.0,
        slowest.1.display()
    );
    assert!(frames_total > 1000, "almost nothing was decoded");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn corpus_files_read_to_the_end_or_say_why() {
    // Files that tcpdump reads fully must not end early with us either: spot checks of
    // pcap (both byte orders), pcap-ns and pcapng with several interfaces.
    let Some(dir) = support::corpus() else {
        return;
    };
    for (file, frames) in [
        ("dns_tcp.pcap", None),
        ("tcp-handshake-nano.pcap", None),
        ("OSPFv2_Capture_FINAL.pcapng", None),
        ("empty.pcap", Some(0)),
    ] {
        let path = dir.join(file);
        if !path.exists() {
            continue;
        }
        for (format, n, end) in run_file(&path) {
            assert_eq!(end, "done", "{file} in {format:?}: {end}");
            if let Some(want) = frames {
                assert_eq!(n, want, "{file}");
            } else {
                assert!(n > 0, "{file}: no frames");
            }
        }
    }
}

#[test]
fn fast_path_decodes_exactly_like_etherparse() {
    use sockscope::decode::{decode, decode_reference};
    use sockscope::source::Source;
    let Some(dir) = support::corpus() else {
        return;
    };
    let entries = std::fs::read_dir(&dir).unwrap();
    let (mut frames, mut differ) = (0u64, Vec::new());
    for e in entries.flatten() {
        let path = e.path();
        if !path
            .extension()
            .is_some_and(|x| x == "pcap" || x == "pcapng")
        {
            continue;
        }
        let Ok(mut src) = FileSource::open(&path.to_string_lossy()) else {
            continue;
        };
        while let Ok(Some(f)) = src.next_frame() {
            frames += 1;
            let (a, b) = (
                format!("{:?}", decode(&f)),
                format!("{:?}", decode_reference(&f)),
            );
            if a != b && differ.len() < 5 {
                differ.push(format!(
                    "{} frame {frames}:\n fast {a}\n ref  {b}",
                    path.display()
                ));
            }
        }
    }
    assert!(frames > 1000);
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}
