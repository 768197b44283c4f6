//! Writes the bundled `synthetic-*` captures into `captures/` (or the directory given as the
//! first argument): `cargo run --example gen_captures`. `tests/it/views.rs` checks that the
//! committed files are exactly what this writes.

#[path = "../tests/it/support/gen_captures.rs"]
mod gen_captures;

use std::path::PathBuf;

fn main() {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("captures"));
    if let Err(e) = std::fs::create_dir_all(&dir).and_then(|_| gen_captures::write_all(&dir)) {
        eprintln!("gen_captures: cannot write into {}: {e}", dir.display());
        std::process::exit(1);
    }
    for f in gen_captures::FILES {
        println!("{}", dir.join(f).display());
    }
}
