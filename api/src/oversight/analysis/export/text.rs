//! How the report's figures read in Chinese, the same in the PDF, the workbook and
//! the dashboard page.

use chrono::{DateTime, FixedOffset, Utc};
use zhicha_engine::analysis::{FocusItem, FocusKind, Labels};

/// A share as a percentage with one decimal; a dash when there is none.
pub fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_string(), |v| format!("{:.1}%", v * 100.0))
}

/// A change as a signed percentage (`+12.5%`, `-20.0%`); a dash when there is none.
pub fn signed_pct(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_string(), |v| format!("{:+.1}%", v * 100.0))
}

/// Accidents per 1,000 insured workers with two decimals; a dash when there is none.
pub fn rate(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_string(), |v| format!("{v:.2}"))
}

/// Fen (分) as 万元 with two decimals.
pub fn wan_yuan(fen: i64) -> String {
    format!("{:.2}", fen as f64 / 1_000_000.0)
}

/// Whether the −20% aim is met, in words.
pub fn aim(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "达成",
        Some(false) => "未达成",
        None => "—",
    }
}

/// China Standard Time (UTC+8, no daylight saving), to the minute.
pub fn china_time(t: DateTime<Utc>) -> String {
    match FixedOffset::east_opt(8 * 3600) {
        Some(cst) => format!("{}（北京时间）", t.with_timezone(&cst).format("%Y-%m-%d %H:%M")),
        None => format!("{} UTC", t.format("%Y-%m-%d %H:%M")),
    }
}

/// A focus item's name: the division's name and key industry, the enterprise, the job.
pub fn focus_name(x: &FocusItem, labels: &Labels) -> String {
    match x.kind {
        FocusKind::Industry if x.name.is_empty() => format!("{}（{}）", labels.division(&x.key), x.key),
        FocusKind::Industry => format!("{}（{}，{}）", labels.division(&x.key), x.key, x.name),
        FocusKind::Enterprise if !x.name.is_empty() => x.name.clone(),
        _ => x.key.clone(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn figures_read_as_the_report_prints_them() {
        assert_eq!((pct(Some(0.8)), pct(None)), ("80.0%".to_string(), "—".to_string()));
        assert_eq!((signed_pct(Some(-0.2)), signed_pct(Some(0.125))), ("-20.0%".to_string(), "+12.5%".to_string()));
        assert_eq!(wan_yuan(123_456_789), "123.46");
        assert_eq!(aim(Some(false)), "未达成");
        // 16:30 UTC on New Year's Eve is already the next year in Beijing.
        let t = Utc.with_ymd_and_hms(2025, 12, 31, 16, 30, 0).single().unwrap_or_default();
        assert_eq!(china_time(t), "2026-01-01 00:30（北京时间）");
    }
}
