//! Ranking over the committed library and profiles.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::ranking_rules::RankingRules;
use super::*;
use crate::catalog::Catalog;
use crate::hazards::{HazardLibrary, load};
use crate::industry_code::IndustryCode;

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules")
}

struct Fixture {
    catalog: Catalog,
    library: HazardLibrary,
    profiles: IndustryProfiles,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let catalog = Catalog::load(&rules_dir()).unwrap_or_else(|e| panic!("{e}"));
        let library = load(&rules_dir(), &catalog).unwrap_or_else(|e| panic!("{e}"));
        let profiles =
            IndustryProfiles::load(&rules_dir(), &library.vocabulary, &catalog).unwrap_or_else(|e| panic!("{e}"));
        Fixture { catalog, library, profiles }
    })
}

fn recommender() -> Recommender<'static> {
    let f = fixture();
    Recommender::new(&f.library, &f.catalog, &f.profiles)
}

fn code(s: &str) -> IndustryCode {
    IndustryCode::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

fn w(pairs: &[(&str, f64)]) -> Vec<Weighted> {
    pairs.iter().map(|(c, s)| Weighted { code: c.to_string(), share: *s, own: 0 }).collect()
}

fn rank_of(r: &Ranking, id: &str) -> u32 {
    r.items.iter().find(|x| x.item_id == id).map_or(u32::MAX, |x| x.rank)
}

fn no_feedback() -> (PeerFeedback, OwnFeedback) {
    (PeerFeedback::default(), OwnFeedback::new())
}

/// A chemical enterprise with a history of its own.
fn chemical() -> Enterprise {
    let mut e = Enterprise::new(code("C2614"));
    e.exposure = Exposure {
        accident_types: w(&[("03", 0.30), ("07", 0.20), ("19", 0.15), ("09", 0.10), ("01", 0.08)]),
        body_parts: w(&[("A1.13", 0.35), ("A1.12", 0.20), ("A1.03", 0.10)]),
        jobs: w(&[("操作工", 0.40), ("装卸工", 0.20), ("检修工", 0.05), ("维修电工", 0.05)]),
    };
    e.major_hazard = MajorHazardStatus { installation: true, key_enterprise: true };
    e
}

#[test]
fn the_committed_profiles_load() {
    let f = fixture();
    assert!(!f.profiles.rows.is_empty());
    let t = f.profiles.typical(&code("C2614"));
    assert!(t.conditions.contains(&"危险化学品使用") && t.conditions.contains(&"动火作业"), "{t:?}");
    let (_, p) = t.mix[0].unwrap_or_else(|| panic!("no default accident types"));
    assert_eq!(p.to_string(), "26");
    // Two rows giving the same dimension for the same pattern would be ambiguous.
    let text = "# version: t\nversion = \"t\"\n[[industry]]\nindustries = [\"26\"]\njobs = { \"操作工\" = 0.5 }\n\
                [[industry]]\nindustries = [\"26\"]\njobs = { \"巡检工\" = 0.9 }\nconditions = [\"无此条件\"]\n";
    let errs = IndustryProfiles::parse(Path::new("p.toml"), text, &f.library.vocabulary, &f.catalog)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(errs.contains("p.toml:6: `jobs` for 26 is also given at line 3"), "{errs}");
    assert!(errs.contains("p.toml:6: `conditions`: \"无此条件\" is not in vocabulary.toml"), "{errs}");
}

#[test]
fn ranking_is_deterministic() {
    let r = recommender();
    let mut peers = BTreeMap::new();
    peers.insert("HZ-HC-0003".to_string(), PeerCounts { found: 7, not_found: 3, not_applicable: 0 });
    let peers = PeerFeedback::new(peers);
    let mut own = OwnFeedback::new();
    own.insert("HZ-HC-0001".into(), Mark::Found);
    let e = chemical();
    let a = r.rank(&e, &peers, &own, &Options::default());
    let b = recommender().rank(&e.clone(), &peers.clone(), &own.clone(), &Options::default());
    assert_eq!(a, b);
    // Without composition rules the order is the score's, ties by id.
    let f = fixture();
    let plain = IndustryProfiles { ranking: RankingRules::default(), ..f.profiles.clone() };
    let a = Recommender::new(&f.library, &f.catalog, &plain).rank(&e, &peers, &own, &Options::default());
    assert!(a.items.iter().all(|x| x.explanation.placement.is_none()));
    for pair in a.items.windows(2) {
        assert!(
            pair[0].score > pair[1].score || (pair[0].score == pair[1].score && pair[0].item_id < pair[1].item_id),
            "{} before {}",
            pair[0].item_id,
            pair[1].item_id
        );
    }
    assert_eq!(a.warnings, ["job \"检修工\" of the exposure is not known; ignored"]);
}

#[test]
fn not_applicable_with_a_reason_ranks_an_item_down() {
    let r = recommender();
    let e = chemical();
    let (peers, none) = no_feedback();
    let before = r.rank(&e, &peers, &none, &Options::default());
    let top = before.items[0].item_id.to_string();
    let mut own = OwnFeedback::new();
    own.insert(top.clone(), Mark::NotApplicable { reason: "本厂无此装置".into() });
    let after = r.rank(&e, &peers, &own, &Options::default());
    assert!(rank_of(&after, &top) > before.round_len as u32, "{top} still at {}", rank_of(&after, &top));
    let x = after.items.iter().find(|x| x.item_id == top).unwrap_or_else(|| panic!("gone"));
    assert!(x.explanation.sentence.contains("上轮标记不适用（本厂无此装置）"), "{}", x.explanation.sentence);

    // Without a reason it still goes down, less far.
    own.insert(top.clone(), Mark::NotApplicable { reason: " ".into() });
    let vague = r.rank(&e, &peers, &own, &Options::default());
    assert!(rank_of(&vague, &top) > 1 && rank_of(&vague, &top) < rank_of(&after, &top));
    // A found item rises or stays.
    let mid = before.items[40].item_id.to_string();
    own.clear();
    own.insert(mid.clone(), Mark::Found);
    let found = r.rank(&e, &peers, &own, &Options::default());
    assert!(rank_of(&found, &mid) < 41, "{}", rank_of(&found, &mid));
}

fn mean_rank(r: &Ranking, keep: impl Fn(&Recommendation) -> bool) -> f64 {
    let ranks: Vec<f64> = r.items.iter().filter(|x| keep(x)).map(|x| f64::from(x.rank)).collect();
    ranks.iter().sum::<f64>() / ranks.len().max(1) as f64
}

#[test]
fn a_machinery_heavy_mix_ranks_machinery_items_up() {
    let r = recommender();
    let (peers, own) = no_feedback();
    let mut e = Enterprise::new(code("C3311"));
    e.exposure.accident_types = w(&[("03", 0.70), ("01", 0.10), ("09", 0.05)]);
    let heavy = r.rank(&e, &peers, &own, &Options::default());
    e.exposure.accident_types = w(&[("09", 0.50), ("08", 0.20), ("05", 0.10), ("03", 0.02)]);
    let light = r.rank(&e, &peers, &own, &Options::default());
    let machinery = |x: &Recommendation| x.explanation.drivers.iter().any(|d| d.code == "03") || x.area == "机械防护";
    let in_heavy = heavy.items.iter().filter(|x| x.area == "机械防护").map(|x| x.rank).collect::<Vec<_>>();
    let (h, l) = (mean_rank(&heavy, |x| x.area == "机械防护"), mean_rank(&light, |x| x.area == "机械防护"));
    assert!(h < l * 0.6, "machinery guarding mean rank {h:.0} under an 03 mix vs {l:.0}: {in_heavy:?}");
    // Exposure is one of four signals: the mix moves machinery items well up, it does
    // not take the whole top (prevalence, floors and the spread keep their share).
    let top = &heavy.round()[..50];
    let share = top.iter().filter(|x| machinery(x)).count();
    let light_share = light.round()[..50].iter().filter(|x| machinery(x)).count();
    assert!(share >= light_share + 10, "{share} of the top 50 address 机械伤害 ({light_share} under the light mix)");
    let d = top
        .iter()
        .flat_map(|x| &x.explanation.drivers)
        .find(|d| d.code == "03")
        .unwrap_or_else(|| panic!("no 03 driver"));
    assert_eq!((d.name, d.share, d.source), ("机械伤害", 0.70, ExposureSource::Enterprise));
}

/// Divisions of the key industries of the brief: mining 06–12, manufacturing 13–43,
/// construction 47–50, transport, warehousing and postal 53–60.
fn key_divisions() -> Vec<String> {
    [(6, 12), (13, 43), (47, 50), (53, 60)].iter().flat_map(|&(a, b)| (a..=b).map(|d| format!("{d:02}"))).collect()
}

fn assert_full_round(r: &Ranking, label: &str) {
    assert!(r.shortfall.is_none(), "{label}: {:?}", r.shortfall);
    assert!(r.round().len() >= 150, "{label}: {} items", r.round().len());
    let mut seen = HashSet::new();
    for x in &r.items {
        assert!(seen.insert(x.item_id), "{label}: {} twice", x.item_id);
        assert!(!x.explanation.sentence.is_empty() && !x.explanation.legal_basis.is_empty(), "{label}: {}", x.item_id);
        assert!(x.score.is_finite() && x.score > 0.0, "{label}: {}", x.item_id);
    }
    // Every item of the round says which exposure drove it, or is a management-type item
    // whose industry match and legal basis are the reason.
    let driven = r.round().iter().filter(|x| !x.explanation.drivers.is_empty()).count();
    assert!(driven * 10 >= r.round().len() * 7, "{label}: only {driven} items with exposure drivers");
}

#[test]
fn every_key_division_gets_a_full_round_from_industry_defaults() {
    let r = recommender();
    let (peers, own) = no_feedback();
    let mut sizes = Vec::new();
    for d in key_divisions() {
        let ranking = r.rank(&Enterprise::new(code(&d)), &peers, &own, &Options::default());
        assert_full_round(&ranking, &d);
        assert!(ranking.warnings.is_empty(), "{d}: {:?}", ranking.warnings);
        sizes.push(format!("{d}:{}", ranking.items.len()));
    }
    println!("applicable items per key division: {}", sizes.join(" "));
}

#[test]
fn every_demo_enterprise_gets_a_full_round() {
    let text = std::fs::read_to_string(rules_dir().join("../seeds/demo/enterprises.csv"))
        .unwrap_or_else(|e| panic!("demo enterprises: {e}"));
    let mut reader = csv::ReaderBuilder::new().comment(Some(b'#')).from_reader(text.as_bytes());
    let r = recommender();
    let (peers, own) = no_feedback();
    let mut n = 0;
    for rec in reader.records() {
        let rec = rec.unwrap_or_else(|e| panic!("{e}"));
        let industry = rec.get(3).unwrap_or_default();
        assert_full_round(&r.rank(&Enterprise::new(code(industry)), &peers, &own, &Options::default()), industry);
        n += 1;
    }
    // The demo city's enterprises, however many it has (30 at first).
    assert!(n >= 30, "{n} demo enterprises read");
}

#[test]
fn gates_follow_declarations() {
    let r = recommender();
    let (peers, own) = no_feedback();
    let f = fixture();
    let gated_on =
        |term: &str| f.library.active().filter(|i| i.applicability.conditions.iter().any(|c| c == term)).count();
    assert!(gated_on("粉尘爆炸") > 0 && gated_on("液氨制冷") > 0);
    let mut e = Enterprise::new(code("C2011"));
    let count = |r: &Ranking, term: &str, basis: GateBasis| {
        r.items.iter().filter(|x| x.explanation.gates.iter().any(|g| g.term == term && g.basis == basis)).count()
    };
    // Wood processing: dust explosion is assumed; ammonia refrigeration is not.
    let default = r.rank(&e, &peers, &own, &Options::default());
    assert!(count(&default, "粉尘爆炸", GateBasis::Assumed) > 0);
    assert_eq!(count(&default, "液氨制冷", GateBasis::Assumed) + count(&default, "液氨制冷", GateBasis::Declared), 0);
    // Declared: in, ranked above the assumed; declared absent or a complete list: out.
    e.conditions = Declared::present(&["液氨制冷"]);
    let declared = r.rank(&e, &peers, &own, &Options::default());
    assert!(count(&declared, "液氨制冷", GateBasis::Declared) > 0);
    e.conditions.absent = vec!["粉尘爆炸".into()];
    let absent = r.rank(&e, &peers, &own, &Options::default());
    assert_eq!(count(&absent, "粉尘爆炸", GateBasis::Assumed) + count(&absent, "粉尘爆炸", GateBasis::Declared), 0);
    e.conditions = Declared { present: vec!["液氨制冷".into()], absent: vec![], complete: true };
    e.equipment.complete = true;
    let complete = r.rank(&e, &peers, &own, &Options::default());
    assert!(complete.items.iter().all(|x| x.explanation.gates.iter().all(|g| g.basis == GateBasis::Declared)));
    assert!(complete.items.len() < default.items.len());
    assert_full_round(&complete, "C2011 complete");
    // A major hazard installation implies its condition.
    e.industry = code("C2614");
    e.major_hazard.installation = true;
    let major = r.rank(&e, &peers, &own, &Options::default());
    assert!(count(&major, "重大危险源", GateBasis::Declared) > 0);
    e.conditions.present.push("瞎编".into());
    let warned = r.rank(&e, &peers, &own, &Options::default());
    assert_eq!(warned.warnings, ["condition \"瞎编\" is not in vocabulary.toml; ignored"]);
}

#[test]
fn peers_finding_an_item_often_rank_it_up() {
    let r = recommender();
    let e = chemical();
    let none = OwnFeedback::new();
    let base = r.rank(&e, &PeerFeedback::default(), &none, &Options::default());
    // Items ranked by score alone, so that a move is the peers' doing.
    let unplaced: Vec<&str> =
        base.items.iter().filter(|x| x.explanation.placement.is_none()).map(|x| x.item_id).collect();
    let mid = unplaced[110].to_string();
    let low = unplaced[60].to_string();
    let mut counts = BTreeMap::new();
    // The item's rate is its prior shrunk toward by the peers: (24 + 10·prior) / (30 + 10).
    counts.insert(mid.clone(), PeerCounts { found: 24, not_found: 6, not_applicable: 0 });
    counts.insert(low.clone(), PeerCounts { found: 0, not_found: 60, not_applicable: 5 });
    counts.insert("HZ-ELEC-0001".into(), PeerCounts { found: 15, not_found: 25, not_applicable: 0 });
    let peers = PeerFeedback::new(counts);
    let with = r.rank(&e, &peers, &none, &Options::default());
    assert!(
        rank_of(&with, &mid) + 30 < rank_of(&base, &mid),
        "{mid}: {} → {}",
        rank_of(&base, &mid),
        rank_of(&with, &mid)
    );
    assert!(
        rank_of(&with, &low) > rank_of(&base, &low) + 15,
        "{low}: {} → {}",
        rank_of(&base, &low),
        rank_of(&with, &low)
    );
    let x = with.items.iter().find(|x| x.item_id == mid).unwrap_or_else(|| panic!("gone"));
    let p = x.explanation.peers.as_ref().unwrap_or_else(|| panic!("no peers"));
    assert_eq!((p.found, p.not_found), (24, 6));
    let prior = f().profiles.ranking.prevalence.prior(&mid, x.area);
    assert!((p.prior - prior).abs() < 1e-12, "{p:?}");
    let rate = (24.0 + 10.0 * prior) / 40.0;
    assert!((p.rate - rate).abs() < 1e-12 && x.explanation.prevalence.rate == p.rate, "{p:?}");
    let shown = format!("同行业企业发现率{}%（24/30）", (rate * 100.0).round());
    assert!(x.explanation.sentence.contains(&shown), "{}", x.explanation.sentence);
}

#[test]
fn a_short_round_says_why_and_what_would_fill_it() {
    let r = recommender();
    let (peers, own) = no_feedback();
    let mut e = Enterprise::new(code("C2614"));
    e.conditions.complete = true;
    e.equipment.complete = true;
    let opts = Options { min_items: 2_000, max_items: 2_000 };
    let ranking = r.rank(&e, &peers, &own, &opts);
    let s = ranking.shortfall.as_ref().unwrap_or_else(|| panic!("no shortfall"));
    assert_eq!((s.wanted, s.applicable), (2_000, ranking.items.len()));
    assert_eq!(ranking.round_len, ranking.items.len());
    assert!(s.gated_out > 0 && !s.unlocks.is_empty(), "{s:?}");
    assert!(s.unlocks.windows(2).all(|p| p[0].items >= p[1].items));
    assert!(s.message.starts_with("化学原料和化学制品制造业（C2614）适用的在用隐患条目共"), "{}", s.message);
    assert!(s.message.contains(&format!("申报{}（{}项）", s.unlocks[0].term, s.unlocks[0].items)), "{}", s.message);
}

#[test]
fn rounds_group_by_area_and_paginate() {
    let r = recommender();
    let (peers, own) = no_feedback();
    let ranking = r.rank(&chemical(), &peers, &own, &Options::default());
    assert_eq!(ranking.round().len(), 200);
    let groups = ranking.round_by_area();
    let flat = display_order(&groups);
    assert_eq!(flat.len(), 200);
    assert_eq!(groups[0].items[0].rank, 1);
    for g in &groups {
        assert!(g.items.windows(2).all(|p| p[0].rank < p[1].rank), "{}", g.area);
    }
    assert!(groups.windows(2).all(|p| p[0].items[0].rank < p[1].items[0].rank));
    let p = page(&flat, 4, 60);
    assert_eq!((p.total, p.pages, p.items.len()), (200, 4, 20));
    assert!(page(&flat, 9, 60).items.is_empty());
}

#[test]
fn risk_mix_converts_to_exposure() {
    use crate::risk::{Mix, Share};
    let s = |code: &str, p: f64| Share { code: code.into(), p, own: 1, industry_p: p };
    let mix = Mix {
        accident_types: vec![s("03", 0.5), s("01", 0.0)],
        body_parts: vec![s("A1.13", 0.4)],
        jobs: vec![s("电焊工", 0.3)],
    };
    let x = Exposure::from_mix(&mix);
    assert_eq!(x.accident_types, [Weighted { code: "03".into(), share: 0.5, own: 1 }]);
    let mut e = Enterprise::new(code("C3311"));
    e.exposure = x;
    let (peers, own) = no_feedback();
    let ranking = recommender().rank(&e, &peers, &own, &Options::default());
    let jobs: HashSet<&str> = ranking
        .items
        .iter()
        .flat_map(|i| &i.explanation.drivers)
        .filter(|d| d.dimension == Dimension::Job)
        .map(|d| d.code)
        .collect();
    assert_eq!(jobs, HashSet::from(["焊工"]));
}

/// The exposure of demo enterprise `credit` as the risk model would give it: its own
/// accidents in `seeds/demo/accidents.csv` shrunk toward the industry default with 20
/// pseudo-accidents (the model's `mix_weight`).
fn demo_exposure(credit: &str, typical: &Typical<'_>) -> Exposure {
    let text = std::fs::read_to_string(rules_dir().join("../seeds/demo/accidents.csv"))
        .unwrap_or_else(|e| panic!("demo accidents: {e}"));
    let mut reader = csv::ReaderBuilder::new().comment(Some(b'#')).from_reader(text.as_bytes());
    let mut own: [BTreeMap<String, f64>; 3] = Default::default();
    let mut n = 0.0;
    for rec in reader.records() {
        let rec = rec.unwrap_or_else(|e| panic!("{e}"));
        if rec.get(1) != Some(credit) {
            continue;
        }
        n += 1.0;
        for (d, col) in [4, 5, 7].into_iter().enumerate() {
            *own[d].entry(rec.get(col).unwrap_or_default().to_string()).or_default() += 1.0;
        }
    }
    let prior = 20.0;
    let mut dims: [Vec<Weighted>; 3] = Default::default();
    for (d, out) in dims.iter_mut().enumerate() {
        let mut p: BTreeMap<String, f64> = BTreeMap::new();
        for (c, k) in &own[d] {
            *p.entry(c.clone()).or_default() += k / (n + prior);
        }
        for w in typical.mix[d].map_or(&[][..], |(m, _)| m) {
            *p.entry(w.code.clone()).or_default() += prior * w.share / (n + prior);
        }
        *out = p.into_iter().map(|(code, share)| Weighted { code, share, own: 0 }).collect();
        out.sort_by(|a, b| b.share.total_cmp(&a.share).then_with(|| a.code.cmp(&b.code)));
        out.truncate(10);
    }
    let [accident_types, body_parts, jobs] = dims;
    Exposure { accident_types, body_parts, jobs }
}

fn print_head(label: &str, ranking: &Ranking<'_>, n: usize) {
    println!("{label}: {} applicable, round {}", ranking.items.len(), ranking.round_len);
    for x in &ranking.items[..n] {
        println!(
            "{:>3} {:6.3} {} [{}] {}\n    {}",
            x.rank, x.score, x.item_id, x.area, x.title, x.explanation.sentence
        );
    }
}

/// Prints the head of demo enterprise e01's round, new and with its history
/// (`cargo test -p zhicha-engine recommend::tests::example -- --nocapture`).
#[test]
fn example_round_for_a_chemical_enterprise() {
    let (peers, own) = no_feedback();
    let r = recommender();
    let new = r.rank(&Enterprise::new(code("C2614")), &peers, &own, &Options::default());
    print_head("C2614 without history (industry defaults)", &new, 15);
    assert_full_round(&new, "C2614");

    let mut e01 = Enterprise::new(code("C2614"));
    e01.exposure = demo_exposure("91640200MA7600011Q", &fixture().profiles.typical(&e01.industry));
    e01.major_hazard = MajorHazardStatus { installation: true, key_enterprise: true };
    println!("e01 exposure: {:?}", e01.exposure.accident_types);
    let ranking = r.rank(&e01, &peers, &own, &Options::default());
    print_head("demo e01 宁夏石嘴山恒源化工 (C2614, 10 accidents, major hazard installation)", &ranking, 15);
    assert_full_round(&ranking, "e01");
    // Its own history (machinery 31%) brings machinery items among the chemical and
    // major-hazard ones at the top.
    let spread = &fixture().profiles.ranking.spread;
    let head = &ranking.items[..spread.within];
    let machinery = head.iter().filter(|x| x.explanation.drivers.iter().any(|d| d.code == "03")).count();
    let major = head.iter().filter(|x| x.grade == crate::hazards::Grade::Major).count();
    assert!(machinery >= spread.per_type && major >= 3, "{machinery} machinery, {major} major in the top 20");
}

fn f() -> &'static Fixture {
    fixture()
}

/// Items of `area` among the first `n`.
fn area_count(r: &Ranking, area: &str, n: usize) -> usize {
    r.items.iter().take(n).filter(|x| x.area == area).count()
}

#[test]
fn every_round_holds_the_basics_and_the_determination_items() {
    let r = recommender();
    let (peers, own) = no_feedback();
    let rules = &f().profiles.ranking;
    let mut coal = Enterprise::new(code("B0610"));
    coal.exposure.accident_types = w(&[("11", 0.5), ("04", 0.2), ("03", 0.2)]);
    for e in [chemical(), coal, Enterprise::new(code("E4710")), Enterprise::new(code("G5942"))] {
        let ranking = r.rank(&e, &peers, &own, &Options::default());
        let core = rules.core.min(ranking.round_len);
        for (area, floor) in &rules.floors {
            let applicable = ranking.items.iter().filter(|x| x.area == area).count();
            let held = area_count(&ranking, area, core);
            assert!(
                held >= (*floor).min(applicable),
                "{}: {area} has {held} of {floor} in the first {core}",
                e.industry
            );
        }
        let mut determination = 0;
        for x in ranking.items.iter().filter(|x| x.explanation.major.as_ref().is_some_and(|m| m.standard.is_some())) {
            determination += 1;
            assert!(x.rank as usize <= ranking.round_len, "{}: {} at {}", e.industry, x.item_id, x.rank);
        }
        if e.industry.section() == 'B' {
            assert!(determination >= 20, "a coal mine has the coal determination items: {determination}");
        }
        let moved = ranking.items.iter().filter(|x| x.explanation.placement.is_some());
        for x in moved {
            let said =
                ["每轮必列", "基础检查项", "主要事故类型之一"].iter().any(|w| x.explanation.sentence.contains(w));
            assert!(said, "{}: {} moved without saying why: {}", e.industry, x.item_id, x.explanation.sentence);
        }
    }
}

#[test]
fn the_leading_accident_types_share_the_top() {
    let r = recommender();
    let (peers, own) = no_feedback();
    // Machinery accidents dominate; scalds are second, as at demo enterprise e01.
    let mut e = Enterprise::new(code("C2614"));
    e.exposure.accident_types = w(&[("03", 0.70), ("07", 0.20), ("09", 0.05)]);
    let ranking = r.rank(&e, &peers, &own, &Options::default());
    let addresses = |x: &Recommendation, t: &str| {
        f().library.get(x.item_id).is_some_and(|i| i.accident_types_86.iter().any(|c| c == t))
    };
    let spread = &f().profiles.ranking.spread;
    for t in ["03", "07", "09"] {
        let n = ranking.items.iter().take(spread.within).filter(|x| addresses(x, t)).count();
        assert!(n >= spread.per_type, "type {t}: {n} items in the top {}", spread.within);
    }
    let spread: Vec<_> = ranking
        .items
        .iter()
        .take(20)
        .filter(|x| matches!(x.explanation.placement, Some(Placement::Spread { .. })))
        .collect();
    for x in &spread {
        assert!(x.explanation.sentence.contains("本企业主要事故类型之一"), "{}", x.explanation.sentence);
    }
}

#[test]
fn a_bad_ranking_file_says_where() {
    let text = "# version: t\nversion = \"t\"\n[prevalence]\ndefault = 0.1\nreference = 0.15\nexponent = 0.5\n\
                min = 0.6\nmax = 2\npseudo_checks = 10\n[prevalence.area]\n\"无此区域\" = 0.3\n\"消防安全\" = 1.5\n\
                [prevalence.item]\n\"HZ-NONE-0001\" = 0.3\n[floors]\ncore = 150\nreserved_share = 0.5\n[floors.area]\n\
                \"消防安全\" = 100\n[spread]\ntypes = 3\nwithin = 5\nper_type = 3\nmin_share = 0.05\n\
                [determination]\nalways_in_round = true\n[factors]\nindustry = [1.0, 1.2, 1.4, 1.6, 1.8]\n\
                assumed_gate = 0.75\nweight_exponent = 0.4\nexposure_gain = [4.0, 1.0, 1.5]\n";
    let errs = RankingRules::parse(Path::new("r.toml"), text, &f().library.vocabulary)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(errs.contains("r.toml:11: area \"无此区域\" is not in vocabulary.toml"), "{errs}");
    assert!(errs.contains("r.toml:12: prevalence of \"消防安全\" is not in (0, 1)"), "{errs}");
    assert!(errs.contains("floors add up to 100"), "{errs}");
    assert!(errs.contains("spread: types × per_type exceeds `within`"), "{errs}");
    let text = text
        .replace("\"无此区域\" = 0.3\n", "")
        .replace("\"消防安全\" = 1.5", "\"消防安全\" = 0.5")
        .replace("= 100", "= 10")
        .replace("within = 5", "within = 20");
    let ok = RankingRules::parse(Path::new("r.toml"), &text, &f().library.vocabulary).unwrap_or_else(|e| panic!("{e}"));
    let errs = ok.check_items(&f().library).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(errs.contains("r.toml:13: prevalence: HZ-NONE-0001 is not an active item of the library"), "{errs}");
}
