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

/// Whether the command talks over sockets, and so must keep Rust's SIGPIPE disposition (ignored:
/// a closed socket is an error to handle, never the end of the process): the server, Ballista's
/// scheduler and executors, and any client of a Ballista engine. An executor that restored the
/// default died silently (exit 141) on its first write to a connection its peer had closed —
/// within seconds of starting next to a `purse scheduler` on this machine.
fn talks_over_sockets(cmd: &cli::Cmd, engine: Option<&str>) -> bool {
    matches!(
        cmd,
        cli::Cmd::Serve(_) | cli::Cmd::Demo(_) | cli::Cmd::Scheduler(_) | cli::Cmd::Executor(_)
    ) || engine.is_some_and(|e| e.trim().starts_with("ballista://"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A reader that stops early (`purse alerts | head`) ends a printing command quietly, as any
    // Unix tool does, instead of a panic on the broken pipe.
    let engine = cli
        .engine
        .clone()
        .or_else(|| std::env::var("PURSE_ENGINE").ok());
    let on_sockets = talks_over_sockets(&cli.cmd, engine.as_deref());
    #[cfg(unix)]
    if !on_sockets {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(args: &[&str]) -> cli::Cmd {
        Cli::try_parse_from(std::iter::once("purse").chain(args.iter().copied()))
            .unwrap()
            .cmd
    }

    #[test]
    fn servers_and_cluster_clients_keep_sigpipe_ignored() {
        for server in [
            &["serve"][..],
            &["executor", "--scheduler", "127.0.0.1:50050"],
            &["scheduler", "--bind", "127.0.0.1:50050"],
        ] {
            assert!(talks_over_sockets(&cmd(server), None), "{server:?}");
        }
        let check = cmd(&["check", "--period", "2025-06"]);
        assert!(talks_over_sockets(
            &check,
            Some("ballista://10.0.0.5:50050")
        ));
        assert!(!talks_over_sockets(&check, Some("local")));
        assert!(!talks_over_sockets(&check, None));
        assert!(!talks_over_sockets(&cmd(&["alerts"]), None));
    }
}
