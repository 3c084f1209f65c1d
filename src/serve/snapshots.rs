//! Snapshots of the incidents the intake opens. Collecting can take up to `[snapshot]
//! deadline`, and Alertmanager waits for its webhook's answer, so each runs on a thread of its
//! own once the notification is recorded and answered. A stop does not wait for them: each
//! snapshot still collecting is abandoned, and its incident gets a timeline note saying so, so
//! the record tells why the opening has no evidence.

use crate::app::{App, AppError, record, snapshot};
use crate::config::Settings;
use crate::domain::model::Number;
use crate::domain::time::Timestamp;
use std::sync::Mutex;

/// Snapshots collecting now, by incident.
#[derive(Default)]
pub(crate) struct Snapshots {
    running: Mutex<Vec<Running>>,
    next: Mutex<u64>,
}

struct Running {
    id: u64,
    number: Number,
    since: Timestamp,
}

impl Snapshots {
    /// Starts collecting a snapshot for incident `number` on its own thread. Nothing is
    /// collected when no collector is configured or `[snapshot] on_open` is false.
    pub(crate) fn start(self: &std::sync::Arc<Self>, settings: &Settings, number: Number) {
        if settings.collectors.is_empty() || !settings.collectors.on_open {
            return;
        }
        let Ok(now) = crate::domain::time::now() else {
            return;
        };
        let id = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            *next = next.wrapping_add(1);
            *next
        };
        self.lock().push(Running {
            id,
            number,
            since: now,
        });
        let (this, settings) = (self.clone(), settings.clone());
        // A plain thread, not the server's runtime: the collectors run a runtime of their own.
        let spawned = std::thread::Builder::new()
            .name(format!("snapshot-{number}"))
            .spawn(move || this.collect_and_store(settings, id, number, now));
        if spawned.is_err() {
            self.lock().retain(|r| r.id != id);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Running>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn collect_and_store(&self, settings: Settings, id: u64, number: Number, now: Timestamp) {
        let app = App {
            settings,
            now,
            notice: |_| {},
        };
        let collected = app
            .read(|txn| record::load(txn, number))
            .and_then(|incident| snapshot::collect(&app, Some(&incident), &mut |_| {}));
        // Still ours unless a stop abandoned it meanwhile (then the note tells the story).
        let ours = {
            let mut running = self.lock();
            let before = running.len();
            running.retain(|r| r.id != id);
            running.len() != before
        };
        if ours && let Ok(snap) = collected {
            let _ = snapshot::store(&app, number, &snap);
        }
    }

    /// Abandons every snapshot still collecting: a timeline note on each incident, written as
    /// `settings`' author. Returns how many.
    pub(crate) fn abandon(&self, settings: &Settings) -> usize {
        let abandoned: Vec<Running> = std::mem::take(&mut *self.lock());
        for r in &abandoned {
            let now = crate::domain::time::now().unwrap_or(r.since);
            let _ = note(settings, now, r);
        }
        abandoned.len()
    }
}

fn note(settings: &Settings, now: Timestamp, r: &Running) -> Result<(), AppError> {
    let app = App {
        settings: settings.clone(),
        now,
        notice: |_| {},
    };
    let text = format!(
        "snapshot abandoned: incident serve stopped while collecting the opening's evidence (started {}); take one with: incident snapshot {}",
        crate::domain::time::display(r.since),
        r.number
    );
    app.write(|txn, actor| {
        let mut change = record::begin(txn, actor, "the note", r.number, None)?;
        change.note(&text)?;
        record::save(txn, actor, change)?;
        Ok(())
    })
}
