//! `purse user`: Local users and their roles.

use super::*;

#[derive(Subcommand)]
pub enum UserCmd {
    /// Add a user, or reset an existing user's role and password
    Add {
        #[command(flatten)]
        dd: DataDir,
        name: String,
        #[arg(long, value_enum)]
        role: purse::users::Role,
        /// The password (default: read one line from stdin with --password-stdin, else make one up and print it)
        #[arg(long)]
        password: Option<String>,
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users and their roles
    List {
        #[command(flatten)]
        dd: DataDir,
    },
}

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub cmd: UserCmd,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Args { cmd } = args;
    match cmd {
        UserCmd::Add {
            dd,
            name,
            role,
            password,
            password_stdin,
        } => {
            let dir = resolve_data_dir(dd.data_dir);
            let (password, made_up) = match (password, password_stdin) {
                (Some(p), _) => (p, false),
                (None, true) => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    (line.trim_end_matches(['\r', '\n']).to_string(), false)
                }
                (None, false) => (purse::users::random_token()[..16].to_string(), true),
            };
            purse::users::Users::open(&dir)?.add(&name, role, &password, "cli")?;
            println!("user {name}: role {}", role.as_str());
            if made_up {
                println!("password: {password}");
            }
            Ok(ExitCode::SUCCESS)
        }
        UserCmd::List { dd } => {
            let dir = resolve_data_dir(dd.data_dir);
            for u in purse::users::Users::open(&dir)?.list()? {
                println!("{:<20} {:<8} {}", u.name, u.role.as_str(), u.created_at);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
