//! `escrow`: parses the command line, runs it, maps errors to the documented exit codes.

use clap::Parser;
use escrow_cli::{run, Cli};
use escrow_client::error::exit;

fn main() {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(exit::REJECTED);
        }
    };
    let mut stdout = std::io::stdout().lock();
    let result = runtime.block_on(run(cli, &mut stdout));
    drop(stdout);
    match result {
        Ok(()) => std::process::exit(exit::OK),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(e.exit_code());
        }
    }
}
