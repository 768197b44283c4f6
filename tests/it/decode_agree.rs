//! The two decoders agree: the hand-written fast path for plain TCP and UDP and the etherparse
//! reference path give the same summary, field for field, for every frame of the tcpdump corpus,
//! and so do the parts decoded from it on demand (the TCP options and their byte ranges).
//!
//! The corpus is found at `$SOCKSCOPE_CORPUS`, else `../shared/corpus/tcpdump` beside the crate
//! (the main checkout and CI), else `/work/shared/corpus/tcpdump`. A missing corpus fails the test
//! when `CI` is set and is reported as skipped otherwise.

use std::path::{Path, PathBuf};

use sockscope::decode::{Packet, decode, decode_reference};
use sockscope::source::{FileSource, Source};

fn corpus_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("SOCKSCOPE_CORPUS").map(PathBuf::from),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/tcpdump")),
        Some(PathBuf::from("/work/shared/corpus/tcpdump")),
    ];
    candidates.into_iter().flatten().find(|d| d.is_dir())
}

/// Everything a view reads from a decoded frame, as text.
fn describe(p: &Packet<'_>) -> String {
    let mut s = format!("{p:?}");
    if let Some(t) = p.tcp() {
        s.push_str(&format!("\noptions {:?}", t.options().collect::<Vec<_>>()));
        s.push_str(&format!(
            "\nspans {:?}",
            t.option_spans().collect::<Vec<_>>()
        ));
    }
    s
}

#[test]
fn fast_and_reference_paths_agree_on_the_whole_corpus() {
    let Some(dir) = corpus_dir() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "the tcpdump corpus is missing: set SOCKSCOPE_CORPUS or put it at ../shared/corpus/tcpdump"
        );
        eprintln!("SKIPPED: the tcpdump corpus is missing (set SOCKSCOPE_CORPUS)");
        return;
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the corpus directory lists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    paths.sort();
    let (mut frames, mut files, mut differ) = (0u64, 0u32, Vec::new());
    for path in &paths {
        let Ok(mut src) = FileSource::open(&path.to_string_lossy()) else {
            continue;
        };
        files += 1;
        let mut n = 0u64;
        while let Ok(Some(f)) = src.next_frame() {
            n += 1;
            let (a, b) = (describe(&decode(&f)), describe(&decode_reference(&f)));
            if a != b && differ.len() < 5 {
                differ.push(format!(
                    "{} frame {n}:\n fast {a}\n ref  {b}",
                    path.display()
                ));
            }
        }
        frames += n;
    }
    assert!(files > 100, "only {files} corpus files could be read");
    assert!(frames > 1000, "only {frames} frames in the corpus");
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}
