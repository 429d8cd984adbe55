//! A synthetic province for the benchmark: enterprises across the key industries and
//! cities, each with its own heterogeneous rate, and accidents drawn in proportion.
//! Deterministic for a seed; not a model of any real place.

use chrono::{Days, NaiveDate};
use zhicha_engine::industry_code::section_of;
use zhicha_engine::risk::{Accident, Enterprise};

const DIVISIONS: [u8; 32] = [
    6, 7, 8, 9, 10, 13, 17, 22, 25, 26, 27, 30, 31, 32, 33, 34, 35, 36, 37, 38, 44, 47, 48, 49, 50, 53, 54, 55, 56, 58,
    59, 60,
];

fn normal(rng: &mut fastrand::Rng) -> f64 {
    // Box–Muller.
    let (u, v) = (rng.f64().max(1e-300), rng.f64());
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// Cumulative weights for drawing an index in proportion to `w`.
fn cumulative(w: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut acc = 0.0;
    w.map(|x| {
        acc += x;
        acc
    })
    .collect()
}

fn draw(rng: &mut fastrand::Rng, cum: &[f64]) -> usize {
    let x = rng.f64() * cum.last().copied().unwrap_or(0.0);
    cum.partition_point(|&c| c <= x).min(cum.len().saturating_sub(1))
}

pub fn province(enterprises: usize, accidents: usize, seed: u64) -> (Vec<Enterprise>, Vec<Accident>) {
    let mut rng = fastrand::Rng::with_seed(seed);
    // Six classes per division, each with its own level and type / body-part / job mix.
    let classes: Vec<(String, usize)> = DIVISIONS
        .iter()
        .enumerate()
        .flat_map(|(d, &div)| {
            let s = section_of(div).unwrap_or('C');
            (0..6).map(move |k| (format!("{s}{div:02}{}{}", 1 + k / 2, 1 + k % 2), d))
        })
        .collect();
    let class_level: Vec<f64> = classes.iter().map(|_| (0.5 * normal(&mut rng)).exp()).collect();
    let mixes = |n: usize, rng: &mut fastrand::Rng| -> Vec<Vec<f64>> {
        (0..DIVISIONS.len()).map(|_| cumulative((0..n).map(|_| (1.2 * normal(rng)).exp()))).collect()
    };
    let (types, parts, jobs) = (mixes(20, &mut rng), mixes(15, &mut rng), mixes(12, &mut rng));
    let firms: Vec<(usize, String)> = (0..enterprises)
        .map(|_| {
            let c = rng.usize(..classes.len());
            let city = 1 + rng.usize(..12);
            (c, format!("64{city:02}{:02}", 1 + rng.usize(..8)))
        })
        .collect();
    let weight = cumulative(firms.iter().map(|(c, _)| class_level[*c] * normal(&mut rng).exp()));
    let start = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap_or_default();
    let code = |i: usize| format!("{:02}", i + 1);
    let listed = firms
        .iter()
        .enumerate()
        .map(|(f, (c, region))| Enterprise {
            key: format!("synthetic:{f}"),
            industry: classes[*c].0.clone(),
            region: Some(region.clone()),
            workers: None,
            employer: Default::default(),
        })
        .collect();
    let accidents = (0..accidents)
        .map(|_| {
            let f = draw(&mut rng, &weight);
            let (c, region) = &firms[f];
            let d = classes[*c].1;
            Accident {
                enterprise: format!("synthetic:{f}"),
                industry: classes[*c].0.clone(),
                region: Some(region.clone()),
                date: start.checked_add_days(Days::new(rng.u64(..1095))).unwrap_or(start),
                accident_type: Some(code(draw(&mut rng, &types[d]))),
                body_part: Some(code(draw(&mut rng, &parts[d]))),
                job: Some(format!("J{}", code(draw(&mut rng, &jobs[d])))),
                severe: rng.f64() < 0.04,
                employer: Default::default(),
            }
        })
        .collect();
    (listed, accidents)
}
