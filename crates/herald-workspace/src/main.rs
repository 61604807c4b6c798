fn main() -> anyhow::Result<()> {
    herald_workspace::cli::main()
}
