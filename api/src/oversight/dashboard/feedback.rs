//! How the recommended items fared in a jurisdiction: per library item and per checklist
//! area, how often the latest rounds recommended it and how often inspectors marked it
//! found, not found or not applicable. Counted in SQL within the region; the library
//! supplies each item's area and title.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DbErr, Statement};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhicha_engine::hazards::HazardLibrary;

/// Items listed, most often found first (the areas always cover every item).
pub const ITEMS_LISTED: usize = 50;

#[derive(Debug, Default, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = FeedbackMarks)]
pub struct Marks {
    /// On the checklists of the enterprises' latest recommendation rounds.
    pub recommended: i64,
    pub found: i64,
    pub not_found: i64,
    pub not_applicable: i64,
    /// Recommended but not marked yet.
    pub unmarked: i64,
    /// found / (found + not found): how often the item, when checked, was a hazard.
    pub hit_rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ItemFeedback {
    pub code: String,
    pub title: String,
    pub area: String,
    #[serde(flatten)]
    pub marks: Marks,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AreaFeedback {
    pub area: String,
    pub items: i64,
    #[serde(flatten)]
    pub marks: Marks,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Feedback {
    pub region_code: String,
    #[serde(flatten)]
    pub total: Marks,
    /// Every area of the checklists, most found first.
    pub areas: Vec<AreaFeedback>,
    /// The items found most often (up to 50), then by code.
    pub items: Vec<ItemFeedback>,
    /// Items marked not applicable most often: candidates for the library's review.
    pub most_not_applicable: Vec<ItemFeedback>,
    /// Distinct library items recommended in the region.
    pub distinct_items: usize,
}

impl Marks {
    fn add(&mut self, o: &Marks) {
        self.recommended += o.recommended;
        self.found += o.found;
        self.not_found += o.not_found;
        self.not_applicable += o.not_applicable;
        self.unmarked += o.unmarked;
    }

    fn finish(mut self) -> Self {
        let checked = self.found + self.not_found;
        self.hit_rate = (checked > 0).then(|| self.found as f64 / checked as f64);
        self
    }
}

/// `prefix` is a region scope prefix (digits), checked by the caller.
pub async fn feedback(
    db: &impl ConnectionTrait,
    library: &HazardLibrary,
    region_code: &str,
    prefix: &str,
) -> Result<Feedback, DbErr> {
    debug_assert!(prefix.bytes().all(|b| b.is_ascii_digit()));
    let result = |r: &str| format!("SUM(CASE WHEN f.result = '{r}' THEN 1 ELSE 0 END)");
    let sql = format!(
        "SELECT h.code, COUNT(*), {}, {}, {}, SUM(CASE WHEN f.id IS NULL THEN 1 ELSE 0 END) \
         FROM recommendations r \
         JOIN enterprises e ON e.id = r.enterprise_id \
         JOIN hazard_items h ON h.id = r.hazard_item_id \
         LEFT JOIN recommendation_feedback f ON f.recommendation_id = r.id \
         WHERE e.region_code LIKE '{prefix}%' \
         AND r.round_id IN (SELECT MAX(rr.id) FROM recommendation_rounds rr GROUP BY rr.enterprise_id) \
         GROUP BY h.code ORDER BY h.code",
        result("found"),
        result("not_found"),
        result("not_applicable"),
    );
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let code: String = r.try_get_by_index(0)?;
        let g = |i: usize| r.try_get_by_index::<i64>(i);
        let marks = Marks {
            recommended: g(1)?,
            found: g(2)?,
            not_found: g(3)?,
            not_applicable: g(4)?,
            unmarked: g(5)?,
            hit_rate: None,
        };
        let (title, area) = match library.get(&code) {
            Some(item) => (item.title.clone(), item.area.clone()),
            // An item since withdrawn from the library keeps its counts.
            None => (code.clone(), "（已移出题库）".to_string()),
        };
        items.push(ItemFeedback { code, title, area, marks: marks.finish() });
    }
    let mut total = Marks::default();
    let mut areas: BTreeMap<String, (i64, Marks)> = BTreeMap::new();
    for i in &items {
        total.add(&i.marks);
        let a = areas.entry(i.area.clone()).or_default();
        a.0 += 1;
        a.1.add(&i.marks);
    }
    let mut areas: Vec<AreaFeedback> =
        areas.into_iter().map(|(area, (n, m))| AreaFeedback { area, items: n, marks: m.finish() }).collect();
    areas.sort_by(|a, b| b.marks.found.cmp(&a.marks.found).then_with(|| a.area.cmp(&b.area)));
    let distinct_items = items.len();
    let mut na: Vec<ItemFeedback> = items.iter().filter(|i| i.marks.not_applicable > 0).cloned().collect();
    na.sort_by(|a, b| b.marks.not_applicable.cmp(&a.marks.not_applicable).then_with(|| a.code.cmp(&b.code)));
    na.truncate(ITEMS_LISTED);
    items.sort_by(|a, b| b.marks.found.cmp(&a.marks.found).then_with(|| a.code.cmp(&b.code)));
    items.truncate(ITEMS_LISTED);
    Ok(Feedback {
        region_code: region_code.to_string(),
        total: total.finish(),
        areas,
        items,
        most_not_applicable: na,
        distinct_items,
    })
}
