//! The simulation: acts in time order, each one a call of the use case the HTTP
//! handler would make, at its simulated time (`domain::clock`). Acts schedule the
//! ones that follow them (a finding is assigned, rectified, reviewed …); an act that
//! would fall after the end of the simulated period is not done, so recent work is
//! still open at the end, as it would be.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashSet};

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use zhicha_engine::findings::{Action, ActionBody, Plan};
use zhicha_engine::hazards::Grade;

use super::cast::{Cast, Firm};
use super::photo;
use super::plan::{Tier, at_local, local_date};
use crate::domain::clock::SimClock;
use crate::governance::complete::{self, Answer as TaskAnswer, CompleteTask};
use crate::governance::experts::{self, CheckinRequest, ExpertFinding, FollowUpRequest, ReportRequest};
use crate::identity::Caller;
use crate::identity::service::Origin;
use crate::selfcheck::evidence::GeoPoint;
use crate::selfcheck::findings::{self, NewFinding};
use crate::selfcheck::inspections::{self, CloseInspection, Mark, StartInspection};
use crate::selfcheck::recommendations;
use crate::selfcheck::reports::service as reports;
use crate::selfcheck::uploads::multipart::upload_bytes;
use crate::selfcheck::uploads::{Claim, OwnerKind, Phase};
use crate::state::AppState;

/// What the activity did, for the log and the banner.
#[derive(Debug, Default, Clone)]
pub struct Counts {
    pub rounds: usize,
    pub recommended: usize,
    pub marks: usize,
    pub findings: usize,
    pub photos: usize,
    pub accepted: usize,
    pub rejected: usize,
    pub majors: usize,
    pub evaluations: usize,
    pub tasks_completed: usize,
    pub offers_accepted: usize,
    pub expert_visits: usize,
    pub follow_ups: usize,
    pub reports: usize,
    pub reports_read: usize,
    pub reports_returned: usize,
    /// Reports that could not be rendered (no CJK font): the rest of the activity runs.
    pub reports_skipped: usize,
}

#[derive(Debug, Clone)]
enum Act {
    /// The enterprise's recommended checklist and an inspection round over it.
    Start {
        firm: usize,
    },
    /// One visit of the round: part of the checklist marked, hazards reported.
    Inspect {
        firm: usize,
        batch: usize,
    },
    Assign {
        finding: usize,
    },
    Rectify {
        finding: usize,
    },
    Review {
        finding: usize,
    },
    /// Every item marked: the round closed, its report generated and submitted.
    Close {
        firm: usize,
    },
    ReadReport {
        report: i64,
        bureau: Bureau,
        firm: usize,
    },
    ReturnReport {
        report: i64,
        firm: usize,
    },
    Revise {
        report: i64,
        firm: usize,
    },
    CompleteTask {
        firm: usize,
        task: i64,
    },
    /// The rectification clock, the trigger sweep and the expert dispatcher.
    Week,
    /// An expert's visit: check-in, (for the showcase visit) findings, the report.
    ExpertCheckin {
        expert: i64,
        task: i64,
        firm: usize,
        showcase: bool,
    },
    ExpertReport {
        expert: i64,
        task: i64,
        showcase: bool,
    },
    FollowUp {
        expert: i64,
        task: i64,
        firm: usize,
        showcase: bool,
    },
    /// A bureau completes its joint research or joint supervision task.
    BureauTask {
        task: i64,
    },
}

#[derive(Debug, Clone, Copy)]
enum Bureau {
    Hrss,
    Emergency,
}

struct FirmState {
    tier: Tier,
    inspection: Option<i64>,
    inspection_version: i32,
    /// The round's checklist items (id, library item code), in rank order.
    items: Vec<(i64, Option<String>)>,
    /// Indices into `items`, per visit.
    batches: Vec<Vec<usize>>,
    /// Indices into `items` found to be hazards.
    found: HashSet<usize>,
    /// Indices into `items` left for the expert.
    spare: Vec<usize>,
}

struct FindingState {
    firm: usize,
    id: i64,
    version: i32,
    major: bool,
    plan_required: bool,
    /// Index into the firm's responsible persons.
    assignee: usize,
    neglected: bool,
    rejections_left: u8,
    /// Reported by an expert on a visit.
    by_expert: bool,
}

pub struct Sim<'a> {
    state: &'a AppState,
    clock: SimClock,
    origin: Origin,
    cast: Cast,
    /// One stream of random choices per enterprise for its own loop, and one for the
    /// governance side: how a dispatcher's draw or the rules' timing turn out never
    /// changes what an enterprise finds and rectifies.
    firm_rngs: Vec<fastrand::Rng>,
    governance_rng: fastrand::Rng,
    /// The stream of the act being done: an enterprise's, or the governance one.
    stream: Option<usize>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    /// (time, stream, the stream's own sequence, act): acts at the same moment are
    /// taken in an order that depends only on their own stream.
    queue: BinaryHeap<Reverse<(i64, usize, u64, usize)>>,
    /// How many acts each stream has scheduled (the governance stream last).
    scheduled: Vec<u64>,
    acts: Vec<Option<Act>>,
    firms: Vec<FirmState>,
    findings: Vec<FindingState>,
    tasks_planned: HashSet<i64>,
    visit_chosen: bool,
    returned_one: bool,
    failed_twice_one: bool,
    pub counts: Counts,
}

/// The ids and versions of findings, kept in step with what the use cases answer.
fn track(f: &mut FindingState, d: &findings::FindingDetail) {
    f.version = d.finding.version;
}

impl<'a> Sim<'a> {
    pub fn new(
        state: &'a AppState,
        clock: SimClock,
        cast: Cast,
        seed: u64,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Self {
        let origin = Origin {
            ip: None,
            user_agent: Some("zhicha demo activity (seed)".to_string()),
            request_id: Some("demo-activity".to_string()),
        };
        let n = cast.firms.len() as u64;
        let streams = cast.firms.len() + 1;
        let firms = (0..cast.firms.len())
            .map(|i| FirmState {
                tier: Tier::of(i),
                inspection: None,
                inspection_version: 0,
                items: Vec::new(),
                batches: Vec::new(),
                found: HashSet::new(),
                spare: Vec::new(),
            })
            .collect();
        Self {
            state,
            clock,
            origin,
            cast,
            firm_rngs: (0..n).map(|i| fastrand::Rng::with_seed(seed ^ ((i + 1) << 32))).collect(),
            governance_rng: fastrand::Rng::with_seed(seed),
            stream: None,
            start,
            end,
            queue: BinaryHeap::new(),
            scheduled: vec![0; streams],
            acts: Vec::new(),
            firms,
            findings: Vec::new(),
            tasks_planned: HashSet::new(),
            visit_chosen: false,
            returned_one: false,
            failed_twice_one: false,
            counts: Counts::default(),
        }
    }

    fn schedule(&mut self, at: DateTime<Utc>, act: Act) {
        if at >= self.end {
            return;
        }
        let stream = self.stream_of(&act).unwrap_or(self.cast.firms.len());
        let Some(seq) = self.scheduled.get_mut(stream) else { return };
        *seq += 1;
        let key = (at.timestamp_micros(), stream, *seq, self.acts.len());
        self.acts.push(Some(act));
        self.queue.push(Reverse(key));
    }

    /// The enterprise whose random stream `act` draws from (None: governance's).
    fn stream_of(&self, act: &Act) -> Option<usize> {
        let by_firm = |f: &FindingState| (!f.by_expert).then_some(f.firm);
        match act {
            Act::Start { firm } | Act::Inspect { firm, .. } | Act::Close { firm } => Some(*firm),
            Act::ReadReport { firm, .. } | Act::ReturnReport { firm, .. } | Act::Revise { firm, .. } => Some(*firm),
            Act::Assign { finding } | Act::Rectify { finding } | Act::Review { finding } => {
                self.findings.get(*finding).and_then(by_firm)
            }
            _ => None,
        }
    }

    /// `days` after the programme start at `hour:minute` China time.
    fn day(&self, days: i64, hour: u32, minute: u32) -> DateTime<Utc> {
        at_local(local_date(self.start) + Duration::days(days), hour, minute)
    }

    /// A working moment `days` after `t` (between 09:00 and 17:00 China time).
    fn later(&mut self, t: DateTime<Utc>, days: i64) -> DateTime<Utc> {
        let d = local_date(t) + Duration::days(days);
        at_local(d, self.rng().u32(9..17), self.rng().u32(0..60))
    }

    /// A working moment `lo..=hi` days after `t`.
    fn within(&mut self, t: DateTime<Utc>, lo: u32, hi: u32) -> DateTime<Utc> {
        let days = i64::from(self.rng().u32(lo..=hi));
        self.later(t, days)
    }

    fn rng(&mut self) -> &mut fastrand::Rng {
        match self.stream.and_then(|i| self.firm_rngs.get_mut(i)) {
            Some(r) => r,
            None => &mut self.governance_rng,
        }
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.get()
    }

    fn firm(&self, i: usize) -> &Firm {
        &self.cast.firms[i]
    }

    pub async fn run(&mut self) -> anyhow::Result<()> {
        for i in 0..self.cast.firms.len() {
            // Enterprises start in the programme's first two weeks.
            let at = self.day(i64::try_from(i % 12).unwrap_or(0) + 1, 9, 30);
            self.schedule(at, Act::Start { firm: i });
        }
        let mut week = 7;
        while self.day(week, 20, 0) < self.end {
            let at = self.day(week, 20, 0);
            self.schedule(at, Act::Week);
            week += 7;
        }
        while let Some(Reverse((micros, _, _, index))) = self.queue.pop() {
            let Some(act) = self.acts.get_mut(index).and_then(Option::take) else { continue };
            let at = DateTime::from_timestamp_micros(micros).unwrap_or(self.end);
            self.clock.set(at);
            let what = format!("{act:?} at {at}");
            self.act(act).await.with_context(|| what)?;
        }
        // The end: today, as the clock and the sweep would leave it.
        self.clock.set(self.end);
        self.week().await
    }

    async fn act(&mut self, act: Act) -> anyhow::Result<()> {
        self.stream = self.stream_of(&act);
        match act {
            Act::Start { firm } => self.start_round(firm).await,
            Act::Inspect { firm, batch } => self.inspect(firm, batch).await,
            Act::Assign { finding } => self.assign(finding).await,
            Act::Rectify { finding } => self.rectify(finding).await,
            Act::Review { finding } => self.review(finding).await,
            Act::Close { firm } => self.close(firm).await,
            Act::ReadReport { report, bureau, firm } => self.read_report(report, bureau, firm).await,
            Act::ReturnReport { report, firm } => self.return_report(report, firm).await,
            Act::Revise { report, firm } => self.revise(report, firm).await,
            Act::CompleteTask { firm, task } => self.complete_task(firm, task).await,
            Act::Week => self.week().await,
            Act::ExpertCheckin { expert, task, firm, showcase } => {
                self.expert_checkin(expert, task, firm, showcase).await
            }
            Act::ExpertReport { expert, task, showcase } => self.expert_report(expert, task, showcase).await,
            Act::FollowUp { expert, task, firm, showcase } => self.follow_up(expert, task, firm, showcase).await,
            Act::BureauTask { task } => self.bureau_task(task).await,
        }
    }

    async fn start_round(&mut self, i: usize) -> anyhow::Result<()> {
        let officer = self.firm(i).officer.clone();
        let eid = self.firm(i).enterprise.id;
        let generated = recommendations::generate(self.state, &officer, None, &self.origin).await?;
        self.counts.rounds += 1;
        self.counts.recommended += usize::try_from(generated.round.item_count).unwrap_or(0);
        let req = StartInspection {
            client_id: format!("demo-inspection-{eid}"),
            recommendation_round_id: Some(generated.round.id),
        };
        let (view, _) = inspections::start(self.state, &officer, &req, &self.origin).await?;
        let mut items = Vec::new();
        for page in 1.. {
            let p = inspections::page(self.state, &officer, None, view.id, None, (page, 200)).await?;
            let n = p.items.len();
            items.extend(p.items.into_iter().map(|it| (it.id, it.item_id)));
            if n < 200 {
                break;
            }
        }
        let tier = self.firms[i].tier;
        let marked = ((items.len() as f64) * tier.marked()).round() as usize;
        let (lo, hi) = tier.found();
        let wanted = self.rng().usize(lo..=hi).min(marked);
        // Hazards among the marked part, at most the tier's major ones.
        let mut order: Vec<usize> = (0..marked).collect();
        self.rng().shuffle(&mut order);
        let mut found = HashSet::new();
        let mut majors = 0;
        for ix in order {
            if found.len() >= wanted {
                break;
            }
            let major = self.is_major(items[ix].1.as_deref());
            if major && majors >= tier.majors() {
                continue;
            }
            majors += usize::from(major);
            found.insert(ix);
        }
        // Weekly visits over the first four months (the lagging ones stop earlier).
        let visits = match tier {
            Tier::Lagging => 8,
            Tier::Exemplary => 14,
            // The others are still at it in the last weeks: their recent findings are open.
            Tier::SlowToRectify | Tier::FindsLittle => 20,
        };
        let per = marked.div_ceil(visits).max(1);
        let batches: Vec<Vec<usize>> = (0..marked).collect::<Vec<_>>().chunks(per).map(<[usize]>::to_vec).collect();
        let spare = (0..items.len()).filter(|ix| !found.contains(ix)).rev().take(8).collect();
        let f = &mut self.firms[i];
        f.inspection = Some(view.id);
        f.inspection_version = view.version;
        f.items = items;
        f.found = found;
        f.spare = spare;
        let n = batches.len();
        f.batches = batches;
        for b in 0..n {
            let at = self.later(self.now(), 1 + 7 * i64::try_from(b).unwrap_or(0));
            self.schedule(at, Act::Inspect { firm: i, batch: b });
        }
        if tier != Tier::Lagging {
            let at = self.later(self.now(), 1 + 7 * i64::try_from(n).unwrap_or(0));
            self.schedule(at, Act::Close { firm: i });
        }
        Ok(())
    }

    /// The finding's version as stored: the overdue marking may have moved it on since
    /// this simulation last acted on it, as it would under a phone's feet.
    async fn version_of(&mut self, n: usize) -> anyhow::Result<i32> {
        let id = self.findings[n].id;
        let row = crate::store::findings::reload(&self.state.db, id).await?;
        let v = row.map_or(self.findings[n].version, |r| r.version);
        self.findings[n].version = v;
        Ok(v)
    }

    fn is_major(&self, code: Option<&str>) -> bool {
        code.and_then(|c| self.state.hazards.get(c)).is_some_and(|h| h.grade == Grade::Major)
    }

    fn plan_required(&self, code: Option<&str>) -> bool {
        code.and_then(|c| self.state.hazards.get(c)).is_some_and(|h| h.rectification.plan_required)
    }

    async fn inspect(&mut self, i: usize, batch: usize) -> anyhow::Result<()> {
        let officer = self.firm(i).officer.clone();
        let Some(inspection) = self.firms[i].inspection else { return Ok(()) };
        let ixs = self.firms[i].batches[batch].clone();
        let mut marks = Vec::new();
        for ix in ixs {
            let (item_id, code) = self.firms[i].items[ix].clone();
            if self.firms[i].found.contains(&ix) {
                // A few minutes apart, as the officer walks the site.
                let walk = Duration::minutes(i64::from(self.rng().u32(3..15)));
                self.clock.set(self.now() + walk);
                self.report_finding(i, inspection, item_id, code.as_deref()).await?;
            } else if self.rng().f64() < 0.04 {
                marks.push(Mark {
                    item_id,
                    result: "not_applicable".to_string(),
                    reason: Some("本企业无此设备或作业".to_string()),
                });
            } else {
                marks.push(Mark { item_id, result: "not_found".to_string(), reason: None });
            }
        }
        if !marks.is_empty() {
            self.counts.marks += marks.len();
            let v = inspections::mark(self.state, &officer, inspection, &marks, &self.origin).await?;
            self.firms[i].inspection_version = v.version;
        }
        Ok(())
    }

    async fn report_finding(
        &mut self,
        i: usize,
        inspection: i64,
        item_id: i64,
        code: Option<&str>,
    ) -> anyhow::Result<()> {
        let officer = self.firm(i).officer.clone();
        let eid = self.firm(i).enterprise.id;
        let n = self.findings.len();
        let title = code.and_then(|c| self.state.hazards.get(c)).map_or("隐患", |h| h.title.as_str()).to_string();
        let req = NewFinding {
            client_id: format!("demo-finding-{eid}-{n}"),
            inspection_id: Some(inspection),
            inspection_item_id: Some(item_id),
            item_id: None,
            location: LOCATIONS[self.rng().usize(0..LOCATIONS.len())].to_string(),
            description: format!("现场检查发现：{title}，不符合要求。"),
            grade: None,
            accident_types: None,
            submit: true,
        };
        let (d, _) = findings::create(self.state, &officer, &req, &self.origin).await?;
        self.counts.findings += 1;
        let tier = self.firms[i].tier;
        let major = d.finding.grade == "major";
        // A photo of the hazard as found for a quarter of them and every major one (the
        // after-photo that closes a rectification is required, and always taken).
        if major || self.rng().u8(0..4) == 0 {
            self.photo(&officer, i, d.finding.id, Phase::Before).await?;
        }
        self.counts.majors += usize::from(major);
        // The lagging enterprise's major hazard is the one left to go overdue.
        let neglected = if major { tier == Tier::Lagging } else { self.rng().f64() < tier.neglect() };
        let mut rejections_left = u8::from(self.rng().f64() < tier.rejected());
        if !self.failed_twice_one && tier == Tier::SlowToRectify && !neglected {
            // One hazard fails acceptance twice (an expert is called in).
            self.failed_twice_one = true;
            rejections_left = 2;
        }
        let people = self.firm(i).responsible.len();
        let assignee = self.rng().usize(0..people);
        self.findings.push(FindingState {
            firm: i,
            id: d.finding.id,
            version: d.finding.version,
            major,
            plan_required: self.plan_required(code),
            assignee,
            neglected,
            rejections_left,
            by_expert: false,
        });
        let at = self.now() + Duration::hours(i64::from(self.rng().u32(1..30)));
        self.schedule(at, Act::Assign { finding: n });
        Ok(())
    }

    /// Uploads a generated photo of finding `id` through the evidence path.
    async fn photo(&mut self, caller: &Caller, i: usize, id: i64, phase: Phase) -> anyhow::Result<i64> {
        let e = &self.firm(i).enterprise;
        let position = e.latitude.zip(e.longitude).and_then(|(la, lo)| {
            GeoPoint::new(la + (self.rng().f64() - 0.5) * 0.0004, lo + (self.rng().f64() - 0.5) * 0.0004)
        });
        let claim = Claim {
            client_id: uuid::Uuid::from_u128(self.rng().u128(..)).as_hyphenated().to_string(),
            owner_kind: OwnerKind::Finding,
            owner_id: id,
            phase,
            captured_at: Some(self.now() - Duration::minutes(2)),
            position,
        };
        let bytes = photo::jpeg(self.rng().u64(..), phase == Phase::After)?;
        let up = upload_bytes(self.state, caller, &self.origin, claim, bytes).await?;
        self.counts.photos += 1;
        Ok(up.view.id)
    }

    async fn assign(&mut self, n: usize) -> anyhow::Result<()> {
        let i = self.findings[n].firm;
        let officer = self.firm(i).officer.clone();
        let assignee = self.firm(i).responsible[self.findings[n].assignee].user_id;
        self.version_of(n).await?;
        let today = local_date(self.now());
        let (major, plan_required) = (self.findings[n].major, self.findings[n].plan_required);
        let days = if major { 30 } else { i64::from(self.rng().u32(10..=25)) };
        let funds_fen = i64::from(self.rng().u32(50..2000)) * 10_000;
        let deadline = today + Duration::days(days);
        let f = &self.findings[n];
        let plan = (major || plan_required).then(|| Plan {
            responsibility: "安全员牵头，车间主任负责落实".to_string(),
            measures: "停用隐患部位，制定整改方案，更换或加装防护设施，整改后复查".to_string(),
            funds_fen,
            deadline,
            contingency: "整改期间设置警戒区，专人监护，备好应急器材".to_string(),
        });
        let action =
            Action { version: f.version, body: ActionBody::Assign { assignee, deadline: Some(deadline), plan } };
        let d = findings::act(self.state, &officer, f.id, &action, &self.origin).await?;
        track(&mut self.findings[n], &d);
        if !self.findings[n].neglected {
            // Most are done well within the deadline; some only after it.
            let after = i64::from(self.rng().u32(2..=days.min(28) as u32 + 6));
            let at = self.later(self.now(), after);
            self.schedule(at, Act::Rectify { finding: n });
        }
        Ok(())
    }

    async fn rectify(&mut self, n: usize) -> anyhow::Result<()> {
        let i = self.findings[n].firm;
        let rp = self.firm(i).responsible[self.findings[n].assignee].clone();
        let photo = self.photo(&rp, i, self.findings[n].id, Phase::After).await?;
        let action = Action {
            version: self.version_of(n).await?,
            body: ActionBody::SubmitRectification {
                note: NOTES[self.rng().usize(0..NOTES.len())].to_string(),
                evidence_ids: vec![photo],
            },
        };
        let d = findings::act(self.state, &rp, self.findings[n].id, &action, &self.origin).await?;
        track(&mut self.findings[n], &d);
        let at = self.within(self.now(), 1, 3);
        self.schedule(at, Act::Review { finding: n });
        Ok(())
    }

    async fn review(&mut self, n: usize) -> anyhow::Result<()> {
        let i = self.findings[n].firm;
        let officer = self.firm(i).officer.clone();
        self.version_of(n).await?;
        let f = &self.findings[n];
        let reject = f.rejections_left > 0;
        let body = if reject {
            ActionBody::Reject {
                reason: "整改不到位，防护设施未按要求安装，请重新整改".to_string()
            }
        } else {
            ActionBody::Accept { note: Some("现场复查合格，同意销号".to_string()) }
        };
        let d = findings::act(self.state, &officer, f.id, &Action { version: f.version, body }, &self.origin).await?;
        track(&mut self.findings[n], &d);
        if reject {
            self.counts.rejected += 1;
            self.findings[n].rejections_left -= 1;
            let at = self.within(self.now(), 2, 6);
            self.schedule(at, Act::Rectify { finding: n });
        } else {
            self.counts.accepted += 1;
        }
        Ok(())
    }

    async fn close(&mut self, i: usize) -> anyhow::Result<()> {
        let officer = self.firm(i).officer.clone();
        let Some(inspection) = self.firms[i].inspection else { return Ok(()) };
        let req = CloseInspection { version: self.firms[i].inspection_version };
        inspections::close(self.state, &officer, inspection, &req, &self.origin).await?;
        if !self.firms[i].tier.reports() {
            return Ok(());
        }
        self.clock.set(self.now() + Duration::hours(2));
        let report = match reports::generate(self.state, &officer, inspection, &self.origin).await {
            Ok((r, _)) => r,
            Err(e) => {
                // Rendering needs the CJK font (reports.font_path); without it the
                // rest of the city's activity still stands.
                tracing::warn!("demo activity: report of inspection {inspection} not generated: {e}");
                self.counts.reports_skipped += 1;
                return Ok(());
            }
        };
        self.clock.set(self.now() + Duration::hours(1));
        let r = reports::submit(self.state, &officer, report.id, &self.origin).await?;
        self.counts.reports += 1;
        self.after_submit(r.id, i);
        Ok(())
    }

    /// The bureaus read what arrives; the first of the slow enterprises' is returned.
    fn after_submit(&mut self, report: i64, i: usize) {
        let t = self.now();
        if !self.returned_one && self.firms[i].tier == Tier::SlowToRectify {
            self.returned_one = true;
            let at = self.later(t, 3);
            self.schedule(at, Act::ReturnReport { report, firm: i });
            return;
        }
        let at = self.within(t, 1, 6);
        self.schedule(at, Act::ReadReport { report, bureau: Bureau::Hrss, firm: i });
        if self.rng().bool() {
            let at = self.within(t, 2, 9);
            self.schedule(at, Act::ReadReport { report, bureau: Bureau::Emergency, firm: i });
        }
    }

    async fn read_report(&mut self, report: i64, bureau: Bureau, _firm: usize) -> anyhow::Result<()> {
        let caller = match bureau {
            Bureau::Hrss => self.cast.hrss.clone(),
            Bureau::Emergency => self.cast.emergency.clone(),
        };
        reports::gov_get(self.state, &caller, report, &self.origin).await?;
        self.counts.reports_read += 1;
        Ok(())
    }

    async fn return_report(&mut self, report: i64, firm: usize) -> anyhow::Result<()> {
        let hrss = self.cast.hrss.clone();
        reports::gov_get(self.state, &hrss, report, &self.origin).await?;
        let comments = "整改率未达到80%，请补充未整改隐患的整改计划和时限后重新提交。";
        reports::gov_return(self.state, &hrss, report, comments, &self.origin).await?;
        self.counts.reports_returned += 1;
        let at = self.later(self.now(), 2);
        self.schedule(at, Act::Revise { report, firm });
        Ok(())
    }

    async fn revise(&mut self, report: i64, i: usize) -> anyhow::Result<()> {
        let officer = self.firm(i).officer.clone();
        let r = reports::revise(self.state, &officer, report, &self.origin).await?;
        self.clock.set(self.now() + Duration::hours(1));
        let r = reports::submit(self.state, &officer, r.id, &self.origin).await?;
        self.counts.reports += 1;
        let at = self.later(self.now(), 2);
        self.schedule(at, Act::ReadReport { report: r.id, bureau: Bureau::Hrss, firm: i });
        Ok(())
    }

    async fn complete_task(&mut self, i: usize, task: i64) -> anyhow::Result<()> {
        let officer = self.firm(i).officer.clone();
        let Some(t) = complete::of_enterprise(self.state, &officer).await?.into_iter().find(|t| t.id == task) else {
            return Ok(());
        };
        if t.status != "open" && t.status != "accepted" {
            return Ok(());
        }
        let req = every_item_done(
            t.instructions.as_ref(),
            t.version,
            "已按要求落实，记录存档备查",
            "已组织自查和整改，相关人员已培训，措施已落实。",
        );
        complete::complete(self.state, &officer, task, &req, &self.origin).await?;
        self.counts.tasks_completed += 1;
        Ok(())
    }

    /// The weekly round of the background jobs, at the simulated time: findings past
    /// their deadline marked overdue, every enterprise evaluated against the trigger
    /// rules, expert tasks dispatched and taken, enterprise tasks picked up.
    async fn week(&mut self) -> anyhow::Result<()> {
        let now = self.now();
        crate::governance::reminders::mark_overdue_of(self.state, now).await?;
        let ids: Vec<i64> = self.cast.firms.iter().map(|f| f.enterprise.id).collect();
        self.counts.evaluations += crate::governance::evaluate_each(self.state, ids, now).await.len();
        experts::tick(self.state, now).await?;
        // Experts answer their offers within the hour.
        let later = now + Duration::hours(1);
        self.clock.set(later);
        let pool: Vec<(i64, Caller)> = self.cast.experts.iter().map(|(k, v)| (*k, v.clone())).collect();
        for (expert, caller) in pool {
            for t in experts::list_for_expert(self.state, expert).await? {
                if t.status == "open" && t.offer.as_ref().is_some_and(|o| o.status == "offered") {
                    experts::accept(self.state, &caller, t.id, &self.origin, later).await?;
                    self.counts.offers_accepted += 1;
                    let firm = self.cast.firms.iter().position(|f| f.enterprise.id == t.site.enterprise_id);
                    if let (Some(firm), "expert_visit") = (firm, t.kind.as_str()) {
                        // One visit, at an enterprise that lets things slide, is the
                        // showcase: the expert finds what the round missed and the
                        // follow-up finds it still open.
                        let slack = matches!(self.firms[firm].tier, Tier::Lagging | Tier::SlowToRectify);
                        let showcase = !self.visit_chosen && slack;
                        self.visit_chosen |= showcase;
                        let at = self.within(later, 2, 8);
                        self.schedule(at, Act::ExpertCheckin { expert, task: t.id, firm, showcase });
                    }
                }
            }
        }
        // The bureaus take up most of the joint tasks addressed to them.
        let hrss = self.cast.hrss.clone();
        for kind in ["joint_research", "joint_supervision"] {
            let page = experts::gov_list(self.state, &hrss, Some(kind), Some("open"), (1, 200)).await?;
            for t in page.tasks {
                if self.tasks_planned.insert(t.id) && self.rng().f64() < 0.6 {
                    let at = self.within(later, 3, 12);
                    self.schedule(at, Act::BureauTask { task: t.id });
                }
            }
        }
        // Enterprise tasks: done within the week by those who do them.
        for i in 0..self.cast.firms.len() {
            if !self.firms[i].tier.does_its_tasks() {
                continue;
            }
            let officer = self.firm(i).officer.clone();
            for t in complete::of_enterprise(self.state, &officer).await? {
                if t.status == "open" && self.tasks_planned.insert(t.id) {
                    let at = self.within(later, 1, 5);
                    self.schedule(at, Act::CompleteTask { firm: i, task: t.id });
                }
            }
        }
        Ok(())
    }

    /// Whether `task` is still the expert's to work on (an escalation that closed
    /// meanwhile cancels its tasks).
    async fn still_accepted(&self, caller: &Caller, task: i64) -> anyhow::Result<bool> {
        Ok(experts::own_task_detail(self.state, caller, task).await?.task.status == "accepted")
    }

    async fn expert_checkin(&mut self, expert: i64, task: i64, i: usize, showcase: bool) -> anyhow::Result<()> {
        let Some(caller) = self.cast.experts.get(&expert).cloned() else { return Ok(()) };
        if !self.still_accepted(&caller, task).await? {
            return Ok(());
        }
        let e = &self.firm(i).enterprise;
        let (lat, lon) = (e.latitude.unwrap_or(39.0), e.longitude.unwrap_or(106.4));
        let req = CheckinRequest { latitude: lat + 0.0002, longitude: lon - 0.0001, at: None };
        experts::checkin(self.state, &caller, task, &req, &self.origin, self.now()).await?;
        self.counts.expert_visits += 1;
        // Two hazards the officer's round missed, into the enterprise's list.
        let spare = if showcase { self.firms[i].spare.clone() } else { Vec::new() };
        let mut reported = 0;
        for ix in spare {
            if reported == 2 {
                break;
            }
            let Some(code) = self.firms[i].items[ix].1.clone() else { continue };
            if self.is_major(Some(&code)) {
                continue;
            }
            self.clock.set(self.now() + Duration::minutes(40));
            let req = ExpertFinding {
                client_id: format!("demo-expert-{task}-{reported}"),
                item_id: Some(code),
                location: "专家现场检查".to_string(),
                description: "专家入企检查发现，企业自查未覆盖。".to_string(),
                grade: None,
                accident_types: None,
            };
            let (d, _) = experts::report_finding(self.state, &caller, task, &req, &self.origin).await?;
            self.counts.findings += 1;
            let n = self.findings.len();
            let people = self.firm(i).responsible.len();
            let assignee = self.rng().usize(0..people);
            // Assigned, and then left: the follow-up finds them still open.
            self.findings.push(FindingState {
                firm: i,
                id: d.finding.id,
                version: d.finding.version,
                major: false,
                plan_required: self.plan_required(d.finding.item_id.as_deref()),
                assignee,
                neglected: true,
                rejections_left: 0,
                by_expert: true,
            });
            let at = self.now() + Duration::hours(20);
            self.schedule(at, Act::Assign { finding: n });
            reported += 1;
        }
        let at = self.now() + Duration::hours(2);
        self.schedule(at, Act::ExpertReport { expert, task, showcase });
        Ok(())
    }

    async fn expert_report(&mut self, expert: i64, task: i64, showcase: bool) -> anyhow::Result<()> {
        let Some(caller) = self.cast.experts.get(&expert).cloned() else { return Ok(()) };
        if !self.still_accepted(&caller, task).await? {
            return Ok(());
        }
        let summary = if showcase {
            "入企检查生产现场和安全管理资料，发现企业自查未覆盖的隐患两项，已录入隐患清单。"
        } else {
            "入企检查生产现场和安全管理资料，隐患排查和整改基本到位，提出改进建议。"
        };
        let req = ReportRequest {
            summary: summary.to_string(),
            plan: "一企一策：1. 完善隐患排查清单，覆盖全部作业岗位；2. 重点设备每周专项检查；\
                   3. 整改责任到人、限期销号；4. 每月开展一次岗位安全培训。"
                .to_string(),
            follow_up_days: if showcase { 21 } else { 28 },
        };
        let d = experts::report(self.state, &caller, task, &req, &self.origin, self.now()).await?;
        let follow = d.result.as_ref().and_then(|r| r["follow_up_task_id"].as_i64());
        if let Some(follow) = follow {
            let firm = self.cast.firms.iter().position(|f| f.enterprise.id == d.task.site.enterprise_id);
            if let Some(firm) = firm {
                let at = self.later(self.now(), if showcase { 21 } else { 26 });
                self.schedule(at, Act::FollowUp { expert, task: follow, firm, showcase });
            }
        }
        Ok(())
    }

    async fn follow_up(&mut self, expert: i64, task: i64, i: usize, showcase: bool) -> anyhow::Result<()> {
        let Some(caller) = self.cast.experts.get(&expert).cloned() else { return Ok(()) };
        if !self.still_accepted(&caller, task).await? {
            return Ok(());
        }
        let eid = self.firm(i).enterprise.id;
        let e = &self.firm(i).enterprise;
        let (lat, lon) = (e.latitude.unwrap_or(39.0), e.longitude.unwrap_or(106.4));
        let here = CheckinRequest { latitude: lat - 0.0001, longitude: lon + 0.0002, at: None };
        experts::checkin(self.state, &caller, task, &here, &self.origin, self.now()).await?;
        self.clock.set(self.now() + Duration::hours(2));
        // The showcase visit's hazards were left open: the follow-up fails.
        let req = if showcase {
            let mine: Vec<&FindingState> = self.findings.iter().filter(|f| f.firm == i && f.neglected).collect();
            FollowUpRequest {
                verdict: "failed".to_string(),
                notes: "回访巡查：专家指出的隐患仍未整改，整改责任未落实。".to_string(),
                finding_ids: mine.iter().rev().take(5).map(|f| f.id).collect(),
            }
        } else {
            FollowUpRequest {
                verdict: "passed".to_string(),
                notes: "回访巡查：专家建议已落实，整改到位。".to_string(),
                finding_ids: Vec::new(),
            }
        };
        experts::follow_up(self.state, &caller, task, &req, &self.origin, self.now()).await?;
        self.counts.follow_ups += 1;
        tracing::debug!(enterprise = eid, verdict = req.verdict, "demo activity: follow-up");
        Ok(())
    }

    /// The bureau the task is addressed to completes it.
    async fn bureau_task(&mut self, task: i64) -> anyhow::Result<()> {
        let Some(t) = crate::store::tasks::by_id(&self.state.db, task).await? else { return Ok(()) };
        let caller = [&self.cast.hrss, &self.cast.emergency]
            .into_iter()
            .find(|c| c.organisation_id.is_some() && c.organisation_id == t.organisation_id)
            .cloned();
        let Some(caller) = caller.filter(|_| t.status == "open") else { return Ok(()) };
        let req = every_item_done(
            t.instructions.as_ref(),
            t.version,
            "已会同企业现场调研，督促落实整改责任",
            "联合调研督促完成，企业已制定整改计划并明确时限。",
        );
        complete::complete(self.state, &caller, task, &req, &self.origin).await?;
        self.counts.tasks_completed += 1;
        Ok(())
    }

    /// The enterprises the activity touched.
    pub fn enterprise_ids(&self) -> BTreeSet<i64> {
        self.cast.firms.iter().map(|f| f.enterprise.id).collect()
    }
}

const LOCATIONS: [&str; 8] = ["一号车间", "二号车间", "仓库", "配电室", "装卸区", "锅炉房", "办公楼", "厂区道路"];

const NOTES: [&str; 5] = [
    "已按要求整改完毕，附整改后照片",
    "已更换损坏部件并加装防护装置",
    "已完成整改并组织岗位人员培训",
    "已清理现场并设置警示标识",
    "已维修设备，经班组长确认正常",
];

/// A task's completion answering every item of its checklist (`instructions.checklist`)
/// with the same note: the server requires each item answered, and only those.
fn every_item_done(instructions: Option<&serde_json::Value>, version: i32, note: &str, summary: &str) -> CompleteTask {
    let checklist: Vec<String> =
        instructions.and_then(|x| serde_json::from_value(x["checklist"].clone()).ok()).unwrap_or_default();
    CompleteTask {
        version,
        answers: checklist.into_iter().map(|item| TaskAnswer { item, note: note.to_string() }).collect(),
        summary: summary.to_string(),
    }
}
