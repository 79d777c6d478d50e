//! `purse gen`: Write a synthetic region (demo, tests, benchmarks), deterministically from a seed.

use super::*;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    pub out: PathBuf,
    /// 1 = the demo region (~150 units); 20 ≈ a province-year
    #[arg(long, default_value_t = 1)]
    pub scale: u32,
    #[arg(long, default_value_t = 2025)]
    pub seed: u64,
    /// Only these datasets (repeatable)
    #[arg(long)]
    pub only: Vec<String>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Args {
        out,
        scale,
        seed,
        only,
    } = args;
    if scale == 0 {
        bail!("--scale must be at least 1");
    }
    let summary = synth::generate(&out, scale, seed, &only)?;
    println!("{summary}");
    Ok(ExitCode::SUCCESS)
}
