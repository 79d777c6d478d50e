//! `purse serve`: Serve the web front end and the JSON API, with the monthly report scheduler.

use super::*;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub dd: DataDir,
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: std::net::SocketAddr,
    /// Mark cookies Secure (when served behind TLS)
    #[arg(long)]
    pub secure_cookies: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Args {
        dd,
        bind,
        secure_cookies,
    } = args;
    let dir = resolve_data_dir(dd.data_dir);
    serve(&dir, bind, secure_cookies)?;
    Ok(ExitCode::SUCCESS)
}

/// Serves until Ctrl-C.
pub fn serve(dir: &std::path::Path, bind: std::net::SocketAddr, secure: bool) -> Result<()> {
    let (config, catalog) = catalog_for(dir)?;
    let app = purse::app::App::open_blocking(dir, catalog, config)?;
    let state = purse::web::AppState::new(std::sync::Arc::new(app)).with_secure_cookies(secure);
    let users = purse::users::Users::open(dir)?.list()?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let listener = purse::web::bind(bind).await?;
        println!("\npurse serving {} on http://{bind}/", dir.display());
        if users.is_empty() {
            println!(
                "  no users yet: add one with `purse user add NAME --role admin --data-dir {}`",
                dir.display()
            );
        } else {
            println!(
                "  log in at http://{bind}/login ({} users); Ctrl-C stops",
                users.len()
            );
        }
        purse::web::serve(state, listener).await
    })?;
    Ok(())
}
