//! The `sockscope` binary: everything happens in the library's `app` module.

fn main() {
    std::process::exit(sockscope::app::main());
}
