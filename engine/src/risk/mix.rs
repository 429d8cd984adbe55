//! Exposure mix: which accident types, body parts and jobs an enterprise is most
//! exposed to. The industry's mix is smoothed down the industry tree; the enterprise's
//! own counts then move it only as far as a strong prior allows (about 20 pseudo-
//! accidents by default), since a handful of own accidents is mostly noise.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::RiskConfig;
use super::credibility::{MixTree, dirichlet_mean};
use super::panel::{Dim, Panel};

/// One category of a mix, with its probability and the enterprise's own count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Share {
    pub code: String,
    pub p: f64,
    pub own: u32,
    /// The industry's probability of this category (the prior).
    pub industry_p: f64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Mix {
    pub accident_types: Vec<Share>,
    pub body_parts: Vec<Share>,
    pub jobs: Vec<Share>,
}

impl Mix {
    pub fn get(&self, d: Dim) -> &[Share] {
        match d {
            Dim::Type => &self.accident_types,
            Dim::BodyPart => &self.body_parts,
            Dim::Job => &self.jobs,
        }
    }

    fn get_mut(&mut self, d: Dim) -> &mut Vec<Share> {
        match d {
            Dim::Type => &mut self.accident_types,
            Dim::BodyPart => &mut self.body_parts,
            Dim::Job => &mut self.jobs,
        }
    }
}

/// Industry trees and own counts from every accident before `cutoff`.
pub struct MixModel {
    trees: Vec<MixTree>,
    /// Per dimension, per firm: (category, count), sparse.
    own: Vec<Vec<Vec<(u32, f64)>>>,
    weight: f64,
    top: usize,
}

impl MixModel {
    pub fn build(panel: &Panel, cutoff: NaiveDate, config: &RiskConfig) -> Self {
        let mut trees: Vec<MixTree> = Dim::ALL
            .iter()
            .map(|&d| MixTree::new(panel.nodes.len(), panel.cats[d as usize].len(), config.mix_industry_k))
            .collect();
        let mut own = vec![vec![Vec::<(u32, f64)>::new(); panel.firms.len()]; 3];
        for e in panel.events.iter().filter(|e| e.date < cutoff) {
            let path = &panel.firms[e.enterprise as usize].path;
            for d in Dim::ALL {
                if let Some(c) = e.cats[d as usize] {
                    trees[d as usize].add(path, c as usize);
                    let list = &mut own[d as usize][e.enterprise as usize];
                    match list.iter_mut().find(|(k, _)| *k == c) {
                        Some((_, n)) => *n += 1.0,
                        None => list.push((c, 1.0)),
                    }
                }
            }
        }
        Self { trees, own, weight: config.mix_weight, top: config.mix_top }
    }

    /// The `top` most likely categories of each dimension for `firm`.
    pub fn of(&self, panel: &Panel, firm: usize) -> Mix {
        let mut mix = Mix::default();
        for d in Dim::ALL {
            let width = panel.cats[d as usize].len();
            if width == 0 {
                continue;
            }
            let (industry, own) = self.parts(panel, firm, d);
            let p = dirichlet_mean(&own, &industry, self.weight);
            let mut order: Vec<usize> = (0..width).collect();
            order.sort_by(|&a, &b| p[b].total_cmp(&p[a]).then(a.cmp(&b)));
            *mix.get_mut(d) = order
                .into_iter()
                .take(self.top)
                .map(|c| Share {
                    code: panel.cats[d as usize].names[c].clone(),
                    p: p[c],
                    own: own[c] as u32,
                    industry_p: industry[c],
                })
                .collect();
        }
        mix
    }

    /// Over every category of `d`: the industry's smoothed mix for `firm` (its own
    /// accidents left out) and the firm's own counts, the two parts `of` blends.
    pub fn parts(&self, panel: &Panel, firm: usize, d: Dim) -> (Vec<f64>, Vec<f64>) {
        let mut own = vec![0.0; panel.cats[d as usize].len()];
        for &(c, n) in &self.own[d as usize][firm] {
            own[c as usize] = n;
        }
        (self.trees[d as usize].value(&panel.firms[firm].path, Some(&own)), own)
    }
}
