//! `purse schema`: The canonical schema of each dataset, with column docs and accepted headers.

use super::*;

#[derive(clap::Args)]
pub struct Args {
    pub dataset: Option<String>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Args { dataset } = args;
    let catalog = Catalog::builtin();
    if let Some(d) = &dataset {
        // Names the datasets there are when the one asked for is not among them.
        catalog.get(d)?;
    }
    for ds in &catalog.datasets {
        if dataset.as_ref().is_some_and(|d| d != &ds.name) {
            continue;
        }
        println!("{} — {} / {}", ds.name, ds.title, ds.title_en);
        for c in &ds.columns {
            println!(
                "  {:<22} {:<14} {}{}  [{}]",
                c.name,
                format!("{:?}", c.data_type()),
                c.doc,
                if c.required { " (required)" } else { "" },
                c.aliases.join(" / ")
            );
        }
        println!();
    }
    Ok(ExitCode::SUCCESS)
}
