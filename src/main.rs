//! The `sockscope` binary: everything happens in the library's `cmd` module.

fn main() {
    std::process::exit(sockscope::cmd::main());
}
