//! The `sonata` binary; everything is in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    sonata_cli::main_entry().await
}
