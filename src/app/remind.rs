//! One round of `incident remind`: plan what is due, claim it in one IMMEDIATE transaction,
//! deliver it outside any transaction, then mark each delivery sent or give its claim up.
//!
//! Exactly once per channel across concurrent runs: the claim transaction holds the write
//! lock while it reads the deliveries table and inserts a 'sending' row for each reminder and
//! channel not yet delivered, so a second run starting at the same moment waits for the first
//! to commit and then finds every row taken. A failed delivery deletes its row, so the next run
//! claims it again; a 'sending' row left by a process that died expires (`ledger::CLAIM_EXPIRY`).
//!
//! Exactly once per channel across working copies that share a team log: after claiming here,
//! the round claims the same deliveries in the team log in one round trip (`claim_across`) and
//! sends only those it won; the others stay claimed here in the name of the copy that holds
//! them, so this copy sends them only if that claim goes stale without a delivery. When the
//! team log cannot be reached the local claims alone decide, as without a team.

use super::{App, AppError, record};
use crate::domain::model::{ActionItem, Incident};
use crate::domain::remind::due::{self, Plan, Subject};
use crate::domain::remind::ledger::{self, Decision, Key, Recorded, State};
use crate::domain::time::{self, Timestamp};
use crate::domain::workflow::{Actor, WorkflowError};
use crate::notify::{Outcome as Delivery, Sender};
use crate::report::reminder::{self, Message};
use crate::report::render::{RenderError, Templates};
use crate::store::{ActionFilter, Mode, Store, StoreError, Txn};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

/// The channel every reminder goes to, recorded like the configured ones.
pub const STDOUT: &str = "stdout";

/// How often marking a delivery is retried when another writer holds the lock past the busy
/// timeout; each try waits the store's full busy timeout.
const MARK_TRIES: u32 = 3;

/// How a round runs.
pub struct Round<'a> {
    pub app: &'a App,
    pub templates: &'a Templates,
    /// Who the timeline's SLA breach entries are recorded as.
    pub author: &'a str,
    /// stdout gets one JSON object per line instead of the message.
    pub json: bool,
    /// Print what is due, deliver and record nothing.
    pub dry_run: bool,
    /// How long claiming waits for another writer's lock; `None` for the store's default.
    pub lock_wait: Option<Duration>,
    /// Writes a reminder to stdout; the error says why stdout cannot be written.
    pub out: &'a dyn Fn(&str) -> Result<(), String>,
}

/// What a round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// A respond, fix or post-mortem clock is past its deadline (exit code 2).
    pub breached: bool,
    /// Deliveries handed over, per reminder and channel.
    pub delivered: usize,
    /// Deliveries that failed or were not tried; the next run tries them again.
    pub undelivered: usize,
    /// Deliveries another working copy claimed first in the team log, left to it.
    pub elsewhere: usize,
}

/// Why a round stopped. A locked database is worth another try; the rest is not.
#[derive(Debug, thiserror::Error)]
pub enum RoundError {
    #[error(transparent)]
    Locked(StoreError),
    #[error(transparent)]
    App(AppError),
    #[error(transparent)]
    Render(#[from] RenderError),
    /// stdout cannot be written.
    #[error("{0}")]
    Output(String),
}

impl From<StoreError> for RoundError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Locked(_) => RoundError::Locked(e),
            other => RoundError::App(AppError::Store(other)),
        }
    }
}

impl From<AppError> for RoundError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Store(e) => e.into(),
            other => RoundError::App(other),
        }
    }
}

impl From<WorkflowError> for RoundError {
    fn from(e: WorkflowError) -> Self {
        RoundError::App(AppError::Workflow(e))
    }
}

/// The incidents and action items a plan refers to, by number and id.
struct World {
    incidents: HashMap<i64, Incident>,
    actions: HashMap<i64, ActionItem>,
}

/// A reminder to send on some channels, with the rows that claim it.
struct Job {
    /// What names its deliveries on every copy: the incident's UUID, kind and level.
    identity: (String, String, String),
    message: Message,
    /// Channel index (0 is stdout) and the claimed row's id (0 in a dry run).
    claims: Vec<(usize, i64)>,
}

impl Job {
    /// The identity of its delivery on `channel`: the same on every run that retries it and
    /// on every working copy (the team log claims it by this id), so it is the delivery id
    /// receivers deduplicate by.
    fn delivery(&self, channel: &str) -> String {
        let (incident, kind, level) = &self.identity;
        super::share_push::delivery_uuid(incident, kind, level, channel)
    }
}

impl Round<'_> {
    /// Runs one round evaluated at `at`; `now` is the clock claims are stamped with.
    pub fn run(&self, at: Timestamp, now: Timestamp) -> Result<Outcome, RoundError> {
        // Reminders never create a database without a team log: without one, nothing is due.
        // With a team log, a fresh copy (a CronJob with no volume) pulls what is due first.
        if !self.app.settings.db.exists() && self.app.settings.team.is_none() {
            return Ok(Outcome::default());
        }
        if !self.dry_run {
            // What teammates' copies delivered first: a reminder one of them sent is recorded
            // here as sent, and is not sent again.
            self.app.refresh_unattended();
        }
        let mut store = self.app.store(Mode::ReadWrite)?;
        store.set_lock_wait(self.lock_wait)?;
        let channels: Vec<&str> = std::iter::once(STDOUT)
            .chain(self.app.settings.channels.iter().map(|c| c.name.as_str()))
            .collect();
        let (breaches, jobs) = {
            let txn = if self.dry_run {
                store.read()?
            } else {
                store.write()?
            };
            let (plan, world) = self.plan(&txn, at)?;
            let jobs = self.claim(&txn, &plan, &world, &channels, at, now)?;
            if !self.dry_run {
                txn.commit()?;
            }
            (plan.breaches.len(), jobs)
        };
        let mut outcome = Outcome {
            breached: breaches > 0,
            ..Outcome::default()
        };
        let jobs = if self.dry_run {
            jobs
        } else {
            // The breaches it recorded reach the team log before the reminders go out, and
            // what is about to go out is claimed there against the other copies.
            self.claim_across(&mut store, jobs, &channels, now, &mut outcome)
        };
        if self.dry_run {
            for job in &jobs {
                self.print(job, &channels)?;
            }
            (self.app.notice)(&format!(
                "dry run at {}: {} to deliver, {} past {} deadline; nothing was sent or recorded",
                time::display(at),
                count(jobs.len(), "reminder", "reminders"),
                count(breaches, "clock", "clocks"),
                if breaches == 1 { "its" } else { "their" },
            ));
            return Ok(outcome);
        }
        store.bound_wal();
        store.set_lock_wait(None)?;
        self.deliver(&mut store, &jobs, &channels, now, &mut outcome)?;
        if !jobs.is_empty() {
            // What went out reaches the team log, so that other copies do not send it again.
            drop(store);
            self.app.share();
        }
        Ok(outcome)
    }

    /// The authors whose notes, statuses and field changes are not updates from a person: the
    /// unattended `incident remind` (an alert intake's author joins it when there is one). The
    /// monitor writes under the person's name, but only snapshots, health verdicts and
    /// severities, which never count; a configured author running `remind` is that person.
    fn machines(&self) -> Vec<&str> {
        vec![crate::domain::remind::REMIND_AUTHOR]
    }

    /// Reads what reminders are about and works out what is due at `at`.
    fn plan(&self, txn: &Txn, at: Timestamp) -> Result<(Plan, World), RoundError> {
        let mut subjects = Vec::new();
        for incident in txn.remindable_incidents(at)? {
            let acknowledged = incident.acknowledged_at.is_some_and(|a| a <= at);
            let resolved = incident.resolved_at.is_some_and(|r| r <= at);
            // Only an acknowledged, unresolved incident can go stale.
            let last_activity = if acknowledged && !resolved {
                txn.last_activity(incident.pk, at)?
            } else {
                None
            };
            let cadence = self.app.settings.reminders.update_every(incident.severity);
            let last_update = if cadence.is_some() && !resolved {
                txn.last_update(incident.pk, at, &self.machines())?
            } else {
                None
            };
            subjects.push(Subject {
                incident,
                last_activity,
                last_update,
            });
        }
        let actions = txn.actions(&ActionFilter {
            overdue_at: Some(at),
            ..ActionFilter::default()
        })?;
        let plan = due::due(
            &subjects,
            &actions,
            &self.app.settings.policy,
            &self.app.settings.reminders,
            at,
        );
        let mut incidents: HashMap<i64, Incident> = subjects
            .into_iter()
            .map(|s| (s.incident.number.0, s.incident))
            .collect();
        // Action items are often about a closed incident, which the query above left out.
        for a in &actions {
            if !incidents.contains_key(&a.incident_number)
                && let Some(i) = txn.incident(crate::domain::model::Number(a.incident_number))?
            {
                incidents.insert(i.number.0, i);
            }
        }
        let actions = actions.into_iter().map(|a| (a.id.0, a)).collect();
        Ok((plan, World { incidents, actions }))
    }

    /// Decides, for each reminder and channel, whether to claim, supersede or skip it; renders
    /// what is to be sent; and, unless this is a dry run, records the decisions and the new
    /// breaches in the caller's transaction. A template error stops it before anything is written.
    fn claim(
        &self,
        txn: &Txn,
        plan: &Plan,
        world: &World,
        channels: &[&str],
        at: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<Job>, RoundError> {
        let mut recorded: HashMap<i64, HashMap<Key, Recorded>> = HashMap::new();
        let mut to_send = Vec::new();
        let mut superseded = Vec::new();
        for r in &plan.reminders {
            let Some(incident) = world.incidents.get(&r.incident) else {
                continue;
            };
            let rows = match recorded.entry(incident.pk) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(txn.deliveries(incident.pk)?)
                }
            };
            let (kind, level) = (r.kind.as_str(), r.level.key());
            let mut claims = Vec::new();
            for (c, channel) in channels.iter().enumerate() {
                let key: Key = (kind.to_string(), level.clone(), channel.to_string());
                let mut row = rows.get(&key);
                if let due::Level::At(_) = r.level {
                    let old = (
                        key.0.clone(),
                        ledger::LEGACY_APPROACHING.into(),
                        key.2.clone(),
                    );
                    row = ledger::legacy(row, rows.get(&old), r.due_at);
                }
                match ledger::decide(row, r.send, now) {
                    Decision::Skip => {}
                    Decision::Claim => claims.push(c),
                    Decision::Supersede => superseded.push((incident.pk, c, r)),
                }
            }
            if !claims.is_empty() {
                let identity = (incident.uuid.clone(), kind.to_string(), level.clone());
                let action = match r.level {
                    due::Level::Action(id) => world.actions.get(&id),
                    _ => None,
                };
                let url = self.app.settings.serve.incident_url(incident.number.0);
                let url = url.as_deref();
                let context = reminder::context(r, incident, action, at, url);
                let card = reminder::card(r, incident, action, at, url);
                let message = Message::render(self.templates, context, Some(card))?;
                to_send.push((incident.pk, r, identity, message, claims));
            }
        }
        if self.dry_run {
            return Ok(to_send
                .into_iter()
                .map(|(_, _, identity, message, claims)| Job {
                    identity,
                    message,
                    claims: claims.into_iter().map(|c| (c, 0)).collect(),
                })
                .collect());
        }
        self.record_breaches(txn, plan, world, at, now)?;
        for (pk, c, r) in superseded {
            let level = r.level.key();
            let key = (r.kind.as_str(), level.as_str(), channels[c]);
            txn.put_delivery(pk, key, r.due_at, State::Sent, now)?;
        }
        let mut jobs = Vec::new();
        for (pk, r, identity, message, claims) in to_send {
            let level = r.level.key();
            let mut rows = Vec::new();
            for c in claims {
                let key = (r.kind.as_str(), level.as_str(), channels[c]);
                rows.push((c, txn.put_delivery(pk, key, r.due_at, State::Sending, now)?));
            }
            jobs.push(Job {
                identity,
                message,
                claims: rows,
            });
        }
        Ok(jobs)
    }

    /// Pushes what this round recorded and claims its deliveries in the team log, if there is
    /// one, in one round trip: returns the jobs with only the deliveries this copy won, and
    /// records the others here as claimed by the copy that holds them, saying so on stderr.
    /// Without a team log, or when it cannot be reached or claimed in, every job stays as
    /// claimed here (as without a team: another copy may send the same at the same moment).
    fn claim_across(
        &self,
        store: &mut Store,
        jobs: Vec<Job>,
        channels: &[&str],
        now: Timestamp,
        outcome: &mut Outcome,
    ) -> Vec<Job> {
        let key = |job: &Job, c: usize| job.delivery(channels[c]);
        let keys: Vec<String> = jobs
            .iter()
            .flat_map(|j| j.claims.iter().map(|(c, _)| key(j, *c)))
            .collect();
        let author = self.app.actor().author;
        let answer = self.app.share_then(|team, version| {
            if keys.is_empty() {
                return Ok(None);
            }
            if version < crate::team::CLAIMS_VERSION {
                (self.app.notice)(&format!(
                    "warning: the team log (version {version}) cannot claim reminders; another copy may send them too (`incident team migrate` upgrades it)"
                ));
                return Ok(None);
            }
            let mut reader = self.app.store(Mode::Read)?;
            let client = reader.read()?.sync_seen()?.map(|s| s.client_id);
            let client = client.unwrap_or_default();
            let claims = team.claim_deliveries(&client, &author, &keys, ledger::CLAIM_EXPIRY)?;
            Ok(Some(claims))
        });
        let claims = match answer {
            Some(Ok(Some(claims))) => claims,
            Some(Err(e)) => {
                (self.app.notice)(&format!(
                    "warning: reminders not claimed in the team log ({e}); sending them, another copy may send them too"
                ));
                return jobs;
            }
            // The team log is configured but could not be reached (said already): the local
            // claims alone decide, and what goes out may go out from another copy too.
            None if !keys.is_empty() && self.app.settings.team.is_some() => {
                (self.app.notice)(&format!(
                    "warning: reminders not claimed in the team log (team log unreachable: {})",
                    super::claim::MAY_REPEAT
                ));
                return jobs;
            }
            _ => return jobs,
        };
        let lost: HashMap<String, String> = claims
            .into_iter()
            .filter(|c| !c.won)
            .map(|c| {
                let holder = c.holder.unwrap_or_else(|| "another".into());
                (c.delivery, holder)
            })
            .collect();
        let mut elsewhere = Vec::new();
        // Reminders (not deliveries) per holder, for the stderr line.
        let mut holders: BTreeMap<String, usize> = BTreeMap::new();
        let mut kept = Vec::new();
        for mut job in jobs {
            let mut of_job = BTreeSet::new();
            let mut won = Vec::new();
            for (c, id) in std::mem::take(&mut job.claims) {
                match lost.get(&key(&job, c)) {
                    Some(holder) => {
                        elsewhere.push((id, holder.clone()));
                        of_job.insert(holder.clone());
                    }
                    None => won.push((c, id)),
                }
            }
            for holder in of_job {
                *holders.entry(holder).or_default() += 1;
            }
            job.claims = won;
            if !job.claims.is_empty() {
                kept.push(job);
            }
        }
        outcome.elsewhere += elsewhere.len();
        if elsewhere.is_empty() {
            return kept;
        }
        let recorded = store.write().and_then(|txn| {
            for (id, holder) in &elsewhere {
                txn.claimed_elsewhere(*id, now, holder)?;
            }
            txn.commit()
        });
        if let Err(e) = recorded {
            // The rows stay claimed here, unnamed: still not sent until they expire.
            (self.app.notice)(&format!(
                "warning: cannot record whose reminders these are: {e}"
            ));
        }
        for (holder, n) in holders {
            (self.app.notice)(&format!(
                "{} already being sent by {holder}'s copy",
                count(n, "reminder", "reminders")
            ));
        }
        kept
    }

    /// Appends an `sla` timeline entry for each clock found past its deadline for the first time.
    fn record_breaches(
        &self,
        txn: &Txn,
        plan: &Plan,
        world: &World,
        at: Timestamp,
        now: Timestamp,
    ) -> Result<(), RoundError> {
        let actor = Actor {
            author: self.author.to_string(),
            now,
            policy: self.app.settings.policy.clone(),
        };
        for b in &plan.breaches {
            let Some(incident) = world.incidents.get(&b.incident) else {
                continue;
            };
            if txn.sla_breach_recorded(incident.pk, b.kind.as_str(), b.deadline)? {
                continue;
            }
            let mut change = record::begin(
                txn,
                &actor,
                "the SLA breach",
                crate::domain::model::Number(b.incident),
                Some(at),
            )?;
            change.sla_breach(b.kind.as_str(), b.deadline);
            record::save(txn, &actor, change)?;
        }
        Ok(())
    }

    /// The reminder on stdout: its message on one line, or its context as one line of JSON
    /// with the channels it goes to.
    fn print(&self, job: &Job, channels: &[&str]) -> Result<(), RoundError> {
        let text = if self.json {
            let mut v = job.message.json();
            v["channels"] = job.claims.iter().map(|(c, _)| channels[*c]).collect();
            format!("{v}\n")
        } else {
            format!("{}\n", job.message.line())
        };
        (self.out)(&text).map_err(RoundError::Output)
    }

    /// Hands each claimed reminder to its channel and records how it went: stdout first, then
    /// every other channel at once, one thread each, so that a channel that hangs delays no
    /// other. A channel's first failure ends its turn for this run: its remaining claims are
    /// given up unsent rather than waiting out its timeout once per reminder.
    fn deliver(
        &self,
        store: &mut Store,
        jobs: &[Job],
        channels: &[&str],
        now: Timestamp,
        outcome: &mut Outcome,
    ) -> Result<(), RoundError> {
        let mut printed = Vec::new();
        let mut unprinted = Vec::new();
        let mut queues: Vec<Vec<(i64, &Message, String)>> = vec![Vec::new(); channels.len()];
        for job in jobs {
            for (c, id) in &job.claims {
                if *c > 0 {
                    queues[*c].push((*id, &job.message, job.delivery(channels[*c])));
                    continue;
                }
                // A stdout that cannot be written gives its claims up, like any failed channel.
                match self.print(job, channels) {
                    Ok(()) => printed.push(*id),
                    Err(e) => {
                        (self.app.notice)(&format!("warning: {e}"));
                        unprinted.push(*id);
                    }
                }
            }
        }
        settle(store, &printed, true, now, self.app.notice);
        settle(store, &unprinted, false, now, self.app.notice);
        outcome.delivered += printed.len();
        outcome.undelivered += unprinted.len();

        let (tx, rx) = std::sync::mpsc::channel::<(usize, i64, Option<Delivery>)>();
        // Per channel: its first failure (and whether it is the config's fault), and how many
        // reminders it did not deliver.
        let mut problems: HashMap<usize, (String, bool, usize)> = HashMap::new();
        std::thread::scope(|s| {
            for (c, queue) in queues.iter().enumerate().skip(1) {
                if queue.is_empty() {
                    continue;
                }
                let channel = &self.app.settings.channels[c - 1];
                let tx = tx.clone();
                s.spawn(move || {
                    let sender = Sender::new(channel);
                    let mut broken = false;
                    for (id, message, delivery) in queue {
                        // None: not tried, the channel already failed in this run.
                        let result = (!broken).then(|| sender.send(message, delivery));
                        broken |= !matches!(result, Some(Delivery::Sent));
                        if tx.send((c, *id, result)).is_err() {
                            return;
                        }
                    }
                });
            }
            drop(tx);
            // Recorded as each arrives, so a crash loses no delivery already made.
            for (c, id, result) in rx {
                let sent = matches!(result, Some(Delivery::Sent));
                settle(store, &[id], sent, now, self.app.notice);
                if sent {
                    outcome.delivered += 1;
                    continue;
                }
                outcome.undelivered += 1;
                let entry = problems.entry(c).or_insert((String::new(), false, 0));
                match result {
                    Some(Delivery::Failed(why)) => (entry.0, entry.1) = (why, false),
                    Some(Delivery::Misconfigured(why)) => (entry.0, entry.1) = (why, true),
                    Some(Delivery::Sent) | None => {}
                }
                entry.2 += 1;
            }
        });
        let mut problems: Vec<_> = problems.into_iter().collect();
        problems.sort_by_key(|(c, _)| *c);
        for (c, (why, misconfigured, unsent)) in problems {
            let channel = &self.app.settings.channels[c - 1];
            (self.app.notice)(&problem_line(channel, &why, misconfigured, unsent));
        }
        Ok(())
    }
}

/// One stderr line per channel that failed in a round: the channel, what went wrong, whose
/// fault it is, and what happens to the reminders.
fn problem_line(
    channel: &crate::domain::remind::Channel,
    why: &str,
    misconfigured: bool,
    unsent: usize,
) -> String {
    let reminders = count(unsent, "reminder", "reminders");
    let key = match channel.kind {
        crate::domain::remind::ChannelKind::Webhook { .. } => "url",
        crate::domain::remind::ChannelKind::Command { .. } => "run",
    };
    let name = &channel.name;
    if misconfigured {
        format!(
            "error: notify channel {name}: {why}: a configuration error, check its {key} in the config; {reminders} not sent, tried again on the next run"
        )
    } else {
        format!(
            "warning: notify channel {name}: {why}; {reminders} not sent, tried again on the next run"
        )
    }
}

fn count(n: usize, one: &str, many: &str) -> String {
    match n {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

/// Marks claimed deliveries sent, or gives the claims up for the next run, in one transaction.
/// Tried again while another writer holds the lock: a claim left 'sending' would go out twice
/// once it expired.
fn settle(store: &mut Store, ids: &[i64], sent: bool, now: Timestamp, notice: fn(&str)) {
    if ids.is_empty() {
        return;
    }
    let mut last = None;
    for _ in 0..MARK_TRIES {
        let attempt = store.write().and_then(|txn| {
            let sent_at = time::now().unwrap_or(now);
            for id in ids {
                if sent {
                    txn.mark_delivered(*id, now, sent_at)?;
                } else {
                    txn.release_delivery(*id, now)?;
                }
            }
            txn.commit()
        });
        match attempt {
            Ok(()) => {
                store.bound_wal();
                return;
            }
            Err(StoreError::Locked(path)) => last = Some(StoreError::Locked(path)),
            Err(e) => {
                last = Some(e);
                break;
            }
        }
    }
    if let Some(e) = last {
        let what = if sent { "sent" } else { "not sent" };
        notice(&format!(
            "warning: cannot record {} reminder(s) as {what}: {e}; they may go out again after {}",
            ids.len(),
            time::human_duration(ledger::CLAIM_EXPIRY.as_secs() as i64)
        ));
    }
}

/// When the next update from a person is due on `incident` at `now` (`[sla.PN] update_every`),
/// and the cadence: none for a resolved incident or a severity without one. The same reading
/// of "an update from a person" as the update reminders'.
pub fn next_update(
    app: &App,
    txn: &Txn,
    incident: &Incident,
) -> Result<Option<(Timestamp, Duration)>, StoreError> {
    let Some(every) = app.settings.reminders.update_every(incident.severity) else {
        return Ok(None);
    };
    if incident.resolved_at.is_some_and(|r| r <= app.now) {
        return Ok(None);
    }
    let machines = [crate::domain::remind::REMIND_AUTHOR];
    let last = txn.last_update(incident.pk, app.now, &machines)?;
    Ok(last.map(|t| (time::add_capped(t, every), every)))
}
