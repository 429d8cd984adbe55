//! `zhicha import roster FILE [--mapping NAME|FILE]`: a roster of insured employers
//! (参保单位名单) upserted into the register, all or nothing (see `reference::roster`).

use std::path::Path;

use crate::config::Settings;
use crate::reference::roster::{self, Mapping, Reach};
use crate::reference::scoring::{Trigger, job};
use crate::startup;

/// The mapping: a file when `mapping` names one, else a mapping of that name under
/// `rules/mappings/` (default `roster_social_insurance`, also built in).
fn mapping_of(settings: &Settings, mapping: Option<&Path>) -> anyhow::Result<Mapping> {
    match mapping {
        Some(p) if p.is_file() => Mapping::load(p),
        Some(p) => {
            let name = p.to_string_lossy();
            Mapping::named(&settings.rules.dir, &name).unwrap_or_else(|| {
                Err(anyhow::anyhow!("--mapping {name}: neither a file nor a mapping in rules/mappings"))
            })
        }
        None => Mapping::named(&settings.rules.dir, roster::mapping::DEFAULT)
            .unwrap_or_else(|| Err(anyhow::anyhow!("the built-in roster mapping is missing"))),
    }
}

pub async fn run(settings: &Settings, mapping: Option<&Path>, file: &Path) -> anyhow::Result<()> {
    let m = mapping_of(settings, mapping)?;
    let (db, catalog, _) = startup::prepare(settings).await?;
    let display = file.display().to_string();
    let bytes = std::fs::read(file).map_err(|e| anyhow::anyhow!("cannot read {display}: {e}"))?;
    let name = file.file_name().map_or(display.clone(), |n| n.to_string_lossy().into_owned());
    let out = roster::run(&db, &catalog, None, Reach::All, &m, &name, &bytes, |_| {})
        .await
        .map_err(|e| anyhow::anyhow!("{display}: {e}; nothing was imported"))?;
    println!("{out}");
    if !out.errors.is_empty() {
        anyhow::bail!("{} rows refused; fix them and import the file again", out.errors.len());
    }
    // New units are scored now; their first checklist is made by the server's coverage
    // pass (at its next start, or at once for units added through the API).
    if out.created > 0 {
        println!("{}", job::run(&db, Trigger::Import, &settings.risk).await);
    }
    Ok(())
}
