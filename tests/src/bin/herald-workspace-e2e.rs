//! The workspace command line, for tests that run the server as a child process.
fn main() -> anyhow::Result<()> {
    herald_workspace::cli::main()
}
