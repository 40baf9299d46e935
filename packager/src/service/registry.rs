//! The processes this packager knows: running ones, and finished ones until their time-to-live
//! runs out. Bounded by the queue (running) and the TTL (finished).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use shared_models::{OnChangeEvent, ProcessAccepted, ProcessState};
use uuid::Uuid;

#[derive(Debug, Clone)]
struct Entry {
    state: ProcessState,
    created_at: DateTime<Utc>,
    event: Option<OnChangeEvent>,
    finished: Option<Instant>,
}

/// What a status query answers: the running shape, or the finished event.
#[derive(Debug, Clone)]
pub enum StatusView {
    Open(ProcessAccepted),
    Finished(Box<OnChangeEvent>),
}

#[derive(Debug, Clone, Default)]
pub struct Registry {
    inner: Arc<Mutex<HashMap<Uuid, Entry>>>,
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, HashMap<Uuid, Entry>> {
        // A poisoned lock only means a thread panicked mid-update of a plain map; the data is
        // still a valid map, so keep serving.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Register a new process; false when the id is taken.
    pub fn insert(&self, id: Uuid) -> bool {
        let mut map = self.lock();
        if map.contains_key(&id) {
            return false;
        }
        map.insert(
            id,
            Entry {
                state: ProcessState::Waiting,
                created_at: Utc::now(),
                event: None,
                finished: None,
            },
        );
        true
    }

    pub fn remove(&self, id: Uuid) {
        self.lock().remove(&id);
    }

    pub fn set_running(&self, id: Uuid) {
        if let Some(entry) = self.lock().get_mut(&id) {
            entry.state = ProcessState::Running;
        }
    }

    pub fn created_at(&self, id: Uuid) -> DateTime<Utc> {
        self.lock().get(&id).map_or_else(Utc::now, |e| e.created_at)
    }

    pub fn finish(&self, id: Uuid, event: OnChangeEvent) {
        if let Some(entry) = self.lock().get_mut(&id) {
            entry.state = event.package_process_status.into();
            entry.event = Some(event);
            entry.finished = Some(Instant::now());
        }
    }

    pub fn view(&self, id: Uuid) -> Option<StatusView> {
        self.lock().get(&id).map(|entry| view_of(id, entry))
    }

    /// Every known process, oldest first.
    pub fn all(&self) -> Vec<ProcessAccepted> {
        let map = self.lock();
        let mut list: Vec<(DateTime<Utc>, ProcessAccepted)> = map
            .iter()
            .map(|(id, e)| (e.created_at, accepted(*id, e)))
            .collect();
        list.sort_by_key(|(t, p)| (*t, p.package_process_uuid));
        list.into_iter().map(|(_, p)| p).collect()
    }

    /// Forget finished processes older than `ttl`.
    pub fn prune(&self, ttl: Duration) -> usize {
        let mut map = self.lock();
        let before = map.len();
        map.retain(|_, e| e.finished.is_none_or(|t| t.elapsed() < ttl));
        before - map.len()
    }
}

fn accepted(id: Uuid, entry: &Entry) -> ProcessAccepted {
    ProcessAccepted {
        package_process_uuid: id,
        status: entry.state,
        error_msg: entry
            .event
            .as_ref()
            .and_then(|e| e.package_metadata.error.clone()),
    }
}

fn view_of(id: Uuid, entry: &Entry) -> StatusView {
    match &entry.event {
        Some(event) => StatusView::Finished(Box::new(event.clone())),
        None => StatusView::Open(accepted(id, entry)),
    }
}
