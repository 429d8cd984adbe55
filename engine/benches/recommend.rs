//! Recommendation ranking benchmark: one enterprise against the full library, then a
//! synthetic province of enterprises, single-threaded.
//!
//!     cargo bench -p zhicha-engine --bench recommend            # 100,000 enterprises
//!     cargo bench -p zhicha-engine --bench recommend -- 20000   # fewer
//!
//! Plain `std::time::Instant`; inputs are drawn from a fixed-seed generator, so every run
//! ranks the same enterprises.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use zhicha_engine::Catalog;
use zhicha_engine::hazards::{HazardLibrary, load};
use zhicha_engine::industry_code::IndustryCode;
use zhicha_engine::recommend::{
    Enterprise, Exposure, IndustryProfiles, MajorHazardStatus, Mark, Options, OwnFeedback, PeerCounts, PeerFeedback,
    Recommender, Weighted,
};

const DEFAULT_ENTERPRISES: usize = 100_000;
const SINGLE_RUNS: usize = 200;

/// SplitMix64: small, seedable, good enough for synthetic inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Industry codes of the key divisions, some at class level as enterprises register them.
const INDUSTRIES: &[&str] = &[
    "B0610", "B0710", "B0810", "B0911", "B1011", "B1019", "B1120", "B1200", "C1311", "C1351", "C1411", "C1512",
    "C1711", "C1713", "C2011", "C2110", "C2221", "C2319", "C2511", "C2521", "C2613", "C2614", "C2619", "C2651",
    "C2710", "C2730", "C2761", "C2811", "C2911", "C2921", "C3011", "C3021", "C3091", "C3110", "C3120", "C3130",
    "C3140", "C3216", "C3251", "C3311", "C3360", "C3391", "C3441", "C3511", "C3670", "C3710", "C3811", "C3911",
    "C4320", "E4710", "E4812", "E4813", "E4910", "E5011", "E5021", "G5320", "G5430", "G5435", "G5510", "G5710",
    "G5810", "G5920", "G5930", "G5942", "G5951", "G6020",
];

const TYPES: &[&str] =
    &["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "13", "15", "17", "18", "19", "20"];
const PARTS: &[&str] =
    &["A1.01", "A1.02", "A1.03", "A1.07", "A1.08", "A1.09", "A1.10", "A1.11", "A1.12", "A1.13", "A1.14", "A1.15"];

/// `k` distinct draws from `pool` with shares from normalised uniforms (scaled to 0.9:
/// the risk model keeps only its top categories).
fn mix(rng: &mut Rng, pool: &[String], k: usize) -> Vec<Weighted> {
    let mut picked: Vec<&String> = Vec::new();
    while picked.len() < k.min(pool.len()) {
        let c = &pool[rng.below(pool.len())];
        if !picked.contains(&c) {
            picked.push(c);
        }
    }
    let raw: Vec<f64> = picked.iter().map(|_| rng.unit() + 0.05).collect();
    let sum: f64 = raw.iter().sum();
    picked.into_iter().zip(raw).map(|(c, r)| Weighted { code: c.clone(), share: 0.9 * r / sum, own: 0 }).collect()
}

struct Pools {
    types: Vec<String>,
    parts: Vec<String>,
    jobs: Vec<String>,
    codes: Vec<IndustryCode>,
}

fn enterprise(rng: &mut Rng, pools: &Pools) -> Enterprise {
    let mut e = Enterprise::new(pools.codes[rng.below(pools.codes.len())].clone());
    // A tenth are new enterprises without any exposure: industry defaults.
    if rng.below(10) > 0 {
        let (kt, kp, kj) = (4 + rng.below(7), 3 + rng.below(6), 2 + rng.below(6));
        e.exposure = Exposure {
            accident_types: mix(rng, &pools.types, kt),
            body_parts: mix(rng, &pools.parts, kp),
            jobs: mix(rng, &pools.jobs, kj),
        };
    }
    e.major_hazard = MajorHazardStatus { installation: rng.below(20) == 0, key_enterprise: rng.below(10) == 0 };
    e
}

/// Peer counts over about a third of the library's items, as an industry would have
/// after a few rounds.
fn peers(rng: &mut Rng, lib: &HazardLibrary) -> PeerFeedback {
    let mut counts = BTreeMap::new();
    for item in lib.active() {
        if rng.below(3) == 0 {
            let n = 5 + rng.below(60) as u32;
            let found = (f64::from(n) * rng.unit() * 0.6) as u32;
            let na = rng.below(4) as u32;
            counts.insert(item.id.clone(), PeerCounts { found, not_found: n - found, not_applicable: na });
        }
    }
    PeerFeedback::new(counts)
}

/// The marks of a previous round of 200 items.
fn own(rng: &mut Rng, ids: &[&str]) -> OwnFeedback {
    let mut out = OwnFeedback::new();
    for _ in 0..200 {
        let id = ids[rng.below(ids.len())];
        let mark = match rng.below(10) {
            0..=2 => Mark::Found,
            3..=7 => Mark::NotFound,
            _ => Mark::NotApplicable { reason: "本单位无此设备".into() },
        };
        out.insert(id.to_string(), mark);
    }
    out
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(DEFAULT_ENTERPRISES);
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    println!(
        "command: cargo bench -p zhicha-engine --bench recommend{}",
        if n == DEFAULT_ENTERPRISES { String::new() } else { format!(" -- {n}") }
    );
    println!("machine: {cores} cores available ({}); single-threaded run", cpu_model());

    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules");
    let t = Instant::now();
    let catalog = Catalog::load(&rules)?;
    let lib = load(&rules, &catalog)?;
    let profiles = IndustryProfiles::load(&rules, &lib.vocabulary, &catalog)?;
    println!(
        "library {}: {} active items; catalog, library and profiles loaded and validated in {:.0} ms",
        lib.version,
        lib.active().count(),
        ms(t.elapsed())
    );

    let t = Instant::now();
    let rec = Recommender::new(&lib, &catalog, &profiles);
    println!("Recommender::new: {:.3} ms", ms(t.elapsed()));

    let mut rng = Rng(0x5eed_2026);
    let ids: Vec<&str> = lib.active().map(|i| i.id.as_str()).collect();
    let pools = Pools {
        types: TYPES.iter().map(|s| s.to_string()).collect(),
        parts: PARTS.iter().map(|s| s.to_string()).collect(),
        jobs: lib.vocabulary.jobs.iter().map(|j| j.name.clone()).collect(),
        codes: INDUSTRIES.iter().map(|c| IndustryCode::parse(c)).collect::<Result<_, _>>()?,
    };
    let options = Options::default();

    // One enterprise: a chemical plant with history, peer feedback and a previous round.
    let mut one = enterprise(&mut rng, &pools);
    one.industry = IndustryCode::parse("C2614")?;
    let peer = peers(&mut rng, &lib);
    let marks = own(&mut rng, &ids);
    let mut times = Vec::with_capacity(SINGLE_RUNS);
    let mut applicable = 0;
    for _ in 0..SINGLE_RUNS {
        let t = Instant::now();
        let r = rec.rank(&one, &peer, &marks, &options);
        times.push(t.elapsed());
        applicable = r.items.len();
        std::hint::black_box(&r);
    }
    times.sort();
    let mean = times.iter().sum::<Duration>() / SINGLE_RUNS as u32;
    println!(
        "rank one enterprise (C2614, {applicable} applicable of {} active items, with explanations): median {:.2} ms, mean {:.2} ms, p95 {:.2} ms, max {:.2} ms over {SINGLE_RUNS} runs (target < 20 ms)",
        ids.len(),
        ms(times[SINGLE_RUNS / 2]),
        ms(mean),
        ms(times[SINGLE_RUNS * 95 / 100]),
        ms(times[SINGLE_RUNS - 1]),
    );

    // A province: peers per division, a previous round for a third of the enterprises.
    let mut by_division: BTreeMap<String, PeerFeedback> = BTreeMap::new();
    for c in &pools.codes {
        let d = c.division().to_string();
        by_division.entry(d).or_insert_with(|| peers(&mut rng, &lib));
    }
    let empty = OwnFeedback::new();
    let no_peers = PeerFeedback::default();
    let (mut ranking, mut items, mut round_items, mut short) = (Duration::ZERO, 0usize, 0usize, 0usize);
    let wall = Instant::now();
    for _ in 0..n {
        let e = enterprise(&mut rng, &pools);
        let marks = if rng.below(3) == 0 { own(&mut rng, &ids) } else { OwnFeedback::new() };
        let p = by_division.get(e.industry.division()).unwrap_or(&no_peers);
        let t = Instant::now();
        let r = rec.rank(&e, p, if marks.is_empty() { &empty } else { &marks }, &options);
        ranking += t.elapsed();
        items += r.items.len();
        round_items += r.round().len();
        short += usize::from(r.shortfall.is_some());
        std::hint::black_box(&r);
    }
    let wall = wall.elapsed();
    println!(
        "province of {n} enterprises ({} industry codes in {} divisions): ranking {:.1} s total, {:.0} µs per enterprise; wall {:.1} s with input generation",
        pools.codes.len(),
        by_division.len(),
        ranking.as_secs_f64(),
        ranking.as_secs_f64() * 1e6 / n as f64,
        wall.as_secs_f64(),
    );
    println!(
        "  mean {:.0} applicable items, mean round {:.0} items, {short} rounds short of {}",
        items as f64 / n as f64,
        round_items as f64 / n as f64,
        options.min_items
    );
    Ok(())
}
