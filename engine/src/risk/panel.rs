//! Accidents and enterprises interned to small integers once, so that every window,
//! tree and design matrix after that is plain vector arithmetic.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::input::{Accident, EmployerSignals, Enterprise, IndustryPath};
use crate::names::KINDS;

/// Interned strings of one kind (enterprise keys, industry nodes, type codes…).
#[derive(Debug, Default, Clone)]
pub struct Names {
    pub names: Vec<String>,
    index: HashMap<String, u32>,
}

impl Names {
    pub fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }

    pub fn get(&self, s: &str) -> Option<u32> {
        self.index.get(s).copied()
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// Which categorical dimension of the exposure mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    Type = 0,
    BodyPart = 1,
    Job = 2,
}

impl Dim {
    pub const ALL: [Dim; 3] = [Dim::Type, Dim::BodyPart, Dim::Job];
}

#[derive(Debug, Clone, Copy)]
pub struct Event {
    pub enterprise: u32,
    pub date: NaiveDate,
    pub cats: [Option<u32>; 3],
    pub severe: bool,
    /// The accident's own region (a multi-site employer reports from several).
    pub region: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct Firm {
    pub key: String,
    pub industry: String,
    pub region: Option<String>,
    /// Industry node ids, coarse to fine.
    pub path: Vec<u32>,
    /// Node id of the percentile peer group, if the code has one.
    pub group: Option<u32>,
    /// Index into `names::KINDS`, from the first accident that names one.
    pub kind: Option<u8>,
    /// From the first accident that gives it.
    pub name_words: Option<u32>,
    /// Any of its accidents' names marked it a chain.
    pub chain: bool,
}

#[derive(Debug, Clone)]
pub struct Panel {
    pub firms: Vec<Firm>,
    pub events: Vec<Event>,
    pub nodes: Names,
    pub cats: [Names; 3],
    pub regions: Names,
    pub first_date: Option<NaiveDate>,
    /// Firms `0..listed` came from the enterprise list (scored even without accidents).
    pub listed: usize,
}

impl Panel {
    /// Enterprises listed in `enterprises` keep their industry and region; others are
    /// taken from their first accident.
    pub fn build(accidents: &[Accident], enterprises: &[Enterprise]) -> Self {
        let mut keys = Names::default();
        let mut firms = Vec::new();
        let mut nodes = Names::default();
        let mut paths: HashMap<String, (Vec<u32>, Option<u32>)> = HashMap::new();
        let mut add = |key: &str, industry: &str, region: &Option<String>, keys: &mut Names, firms: &mut Vec<Firm>| {
            let id = keys.id(key);
            if id as usize == firms.len() {
                let (path, group) = paths
                    .entry(industry.to_string())
                    .or_insert_with(|| {
                        let p = IndustryPath::parse(industry);
                        let group = p.group().map(|g| nodes.id(g));
                        (p.levels.iter().map(|l| nodes.id(l)).collect(), group)
                    })
                    .clone();
                firms.push(Firm {
                    key: key.to_string(),
                    industry: industry.to_string(),
                    region: region.clone(),
                    path,
                    group,
                    kind: None,
                    name_words: None,
                    chain: false,
                });
            }
            id
        };
        for e in enterprises {
            let id = add(&e.key, &e.industry, &e.region, &mut keys, &mut firms) as usize;
            signals(&mut firms[id], &e.employer);
        }
        let listed = firms.len();
        let mut cats: [Names; 3] = Default::default();
        let mut regions = Names::default();
        let mut events = Vec::with_capacity(accidents.len());
        for a in accidents {
            let enterprise = add(&a.enterprise, &a.industry, &a.region, &mut keys, &mut firms);
            let mut cat = |d: Dim, v: &Option<String>| v.as_deref().map(|s| cats[d as usize].id(s));
            let c = [cat(Dim::Type, &a.accident_type), cat(Dim::BodyPart, &a.body_part), cat(Dim::Job, &a.job)];
            let region = a.region.as_deref().map(|r| regions.id(r));
            signals(&mut firms[enterprise as usize], &a.employer);
            events.push(Event { enterprise, date: a.date, cats: c, severe: a.severe, region });
        }
        let first_date = events.iter().map(|e| e.date).min();
        Self { firms, events, nodes, cats, regions, first_date, listed }
    }
}

/// Takes what a record's name says into its firm: the first word count and kind given,
/// and the chain flag if any record sets it.
fn signals(firm: &mut Firm, e: &EmployerSignals) {
    firm.name_words = firm.name_words.or(e.name_words);
    firm.chain |= e.chain;
    if firm.kind.is_none() {
        firm.kind = e.kind.as_deref().and_then(|k| KINDS.iter().position(|n| *n == k)).map(|k| k as u8);
    }
}
