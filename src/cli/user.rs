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
        /// Bound the user to a region (repeatable): they see only its rows, alerts and problems
        #[arg(long = "region")]
        regions: Vec<String>,
        /// Bound the user to a department by code (repeatable)
        #[arg(long = "department")]
        departments: Vec<String>,
        /// The responsible unit (责任单位) a `unit` user answers for (repeatable)
        #[arg(long = "unit")]
        units: Vec<String>,
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
            regions,
            departments,
            units,
        } => {
            let reach = purse::users::Reach {
                regions,
                departments,
                units,
            };
            if role == purse::users::Role::Unit && reach.units.is_empty() {
                anyhow::bail!(
                    "a unit user needs --unit NAME (the responsible unit it answers for)"
                );
            }
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
            let mut users = purse::users::Users::open(&dir)?;
            users.add(&name, role, &password, "cli")?;
            users.set_reach(name.trim(), &reach, "cli")?;
            println!(
                "user {name}: role {}, sees {}",
                role.as_str(),
                users.reach(name.trim())?.describe()
            );
            if made_up {
                println!("password: {password}");
            }
            Ok(ExitCode::SUCCESS)
        }
        UserCmd::List { dd } => {
            let dir = resolve_data_dir(dd.data_dir);
            for u in purse::users::Users::open(&dir)?.list()? {
                println!(
                    "{:<20} {:<8} {}  {}",
                    u.name,
                    u.role.as_str(),
                    u.created_at,
                    u.reach.describe()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
