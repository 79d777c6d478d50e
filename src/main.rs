//! The `purse` command line: parse arguments, run the subcommand (`cli/`, one module each), map
//! errors to exit codes.

mod cli;

use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "purse",
    version,
    about = "Online supervision of the public purse (预算联网监督)"
)]
struct Cli {
    /// Where queries run: `local` (this process, the default) or `ballista://HOST:PORT` (a
    /// Ballista scheduler; needs a build with `--features ballista`). Default: $PURSE_ENGINE.
    #[arg(long, global = true)]
    engine: Option<String>,
    #[command(subcommand)]
    cmd: cli::Cmd,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A reader that stops early (`purse alerts | head`) ends a printing command quietly, as any
    // Unix tool does, instead of a panic on the broken pipe. The server keeps Rust's default
    // (ignored, so a closed socket is an error to handle, never the end of the process).
    #[cfg(unix)]
    if !matches!(cli.cmd, cli::Cmd::Serve(_) | cli::Cmd::Demo(_)) {
        // SAFETY: restores the default disposition of one signal before any thread starts.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    if let Some(e) = &cli.engine {
        let chosen = e.parse().and_then(purse::engine::set_engine);
        if let Err(e) = chosen {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    }
    match cli::run(cli.cmd) {
        Ok(code) => code,
        Err(e) => {
            // The chain, without a cause repeated by the message before it (library errors
            // already name their source).
            let mut msg = e.to_string();
            for cause in e.chain().skip(1) {
                let c = cause.to_string();
                if !msg.contains(&c) {
                    msg.push_str(": ");
                    msg.push_str(&c);
                }
            }
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}
