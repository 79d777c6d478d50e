//! The `purse` command line: parse arguments, run the subcommand (`cli/`, one module each), map
//! errors to exit codes.

mod cli;

use std::process::ExitCode;

use clap::Parser;

/// The system allocator, with an allocation that fails under the memory cap reported (which
/// file, which cap) and turned into exit 2 instead of Rust's abort (see `purse::memory`).
#[global_allocator]
static ALLOCATOR: purse::memory::Capped = purse::memory::Capped;

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
fn talks_over_sockets(cmd: &cli::Cmd, engine: &purse::engine::EngineUrl) -> bool {
    matches!(
        cmd,
        cli::Cmd::Serve(_) | cli::Cmd::Demo(_) | cli::Cmd::Scheduler(_) | cli::Cmd::Executor(_)
    ) || !matches!(engine, purse::engine::EngineUrl::Local)
}

fn main() -> ExitCode {
    purse::ingest::read::quiet_panic_hook();
    let cli = Cli::parse();
    if let Some(e) = &cli.engine {
        let chosen = e.parse().and_then(purse::engine::set_engine);
        if let Err(e) = chosen {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    }
    // The demo prints its own account of what it loads and checks: its server part is a
    // showcase, logged like any other command unless PURSE_LOG says otherwise.
    purse::logs::init(matches!(
        cli.cmd,
        cli::Cmd::Serve(_) | cli::Cmd::Scheduler(_) | cli::Cmd::Executor(_)
    ));
    // A reader that stops early (`purse alerts | head`) ends a printing command quietly, as any
    // Unix tool does, instead of a panic on the broken pipe.
    #[cfg(unix)]
    if !talks_over_sockets(&cli.cmd, purse::engine::engine()) {
        // SAFETY: restores the default disposition of one signal before any thread starts.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
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
        use purse::engine::EngineUrl;
        let local = EngineUrl::Local;
        for server in [
            &["serve"][..],
            &["executor", "--scheduler", "127.0.0.1:50050"],
            &["scheduler", "--bind", "127.0.0.1:50050"],
        ] {
            assert!(talks_over_sockets(&cmd(server), &local), "{server:?}");
        }
        let check = cmd(&["check", "--period", "2025-06"]);
        let cluster: EngineUrl = "ballista://10.0.0.5:50050".parse().unwrap();
        assert!(talks_over_sockets(&check, &cluster));
        assert!(!talks_over_sockets(&check, &local));
        assert!(!talks_over_sockets(&cmd(&["alerts"]), &local));
    }
}
