//! A bureau's or service organisation's own hazard library (隐患库), read through a
//! column mapping and stored as draft items for review: validated like the committed
//! library, rejected rows reported by line, nothing activated by the import itself.

use std::path::Path;

use sea_orm::DatabaseConnection;
use sha2::{Digest, Sha256};
use zhicha_engine::hazards::HazardItem;
use zhicha_engine::hazards::import::{ImportMapping, import};

use crate::reference::rules::Rules;
use crate::store::hazard_items;

#[derive(Debug)]
pub struct Outcome {
    pub rows: usize,
    pub stored: usize,
    /// Drafts of this same file already stored by an earlier run.
    pub unchanged: usize,
    /// `file:line: reason` for each problem of each rejected row.
    pub rejected: Vec<String>,
    pub batch: String,
}

pub async fn drafts(db: &DatabaseConnection, rules: &Rules, mapping: &Path, file: &Path) -> anyhow::Result<Outcome> {
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display()));
    let (mapping_text, text) = (read(mapping)?, read(file)?);
    let mapping = ImportMapping::parse(mapping, &mapping_text, &rules.hazards, &rules.catalog)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let report = import(file, &text, &mapping, &rules.hazards, &rules.catalog).map_err(|e| anyhow::anyhow!("{e}"))?;
    let digest: String = Sha256::digest(text.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect();
    let batch = format!("import:{digest}");
    let codes: Vec<String> = report.items.iter().map(|i| i.item.id.clone()).collect();
    let txn = crate::platform::db::begin_write(db).await?;
    // Ids continue the committed library's numbering, which knows nothing of earlier
    // imports: an id already taken by another file's draft must not be overwritten.
    let taken = hazard_items::by_codes(&txn, codes).await?;
    if let Some(t) = taken.iter().find(|t| t.library_version != batch) {
        anyhow::bail!(
            "{} is already used by an earlier import ({}); give this mapping another id_prefix",
            t.code,
            t.library_version
        );
    }
    let items: Vec<&HazardItem> = report.items.iter().map(|i| &i.item).collect();
    hazard_items::insert_versions(&txn, &items, "draft", &batch).await?;
    txn.commit().await?;
    Ok(Outcome {
        rows: report.rows,
        stored: report.items.len() - taken.len(),
        unchanged: taken.len(),
        rejected: report.rejected.iter().map(ToString::to_string).collect(),
        batch,
    })
}
