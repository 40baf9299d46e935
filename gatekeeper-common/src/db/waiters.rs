//! Status requests that wait for a process to finish (`GET /packages/status/{id}?wait=`,
//! ADR-26). A process finished by this gatekeeper wakes the requests waiting for it here at
//! once; one finished by another replica is seen when the waiting request reads again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use shared_models::ProcessId;
use tokio::sync::{futures::Notified, Notify};

/// The waiting status requests of this gatekeeper, by process.
#[derive(Default)]
pub struct Waiters {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// The wake-up of each waited-for process and how many requests wait for it.
    by_process: HashMap<ProcessId, (Arc<Notify>, usize)>,
    waiting: usize,
}

/// One waiting request; leaving drops its place.
pub struct Waiter<'a> {
    waiters: &'a Waiters,
    id: ProcessId,
    notify: Arc<Notify>,
}

impl Waiters {
    /// A place among the requests waiting for `id`, or `None` when `limit` requests wait
    /// already.
    pub fn join(&self, id: ProcessId, limit: usize) -> Option<Waiter<'_>> {
        let mut inner = self.lock();
        if inner.waiting >= limit {
            return None;
        }
        inner.waiting += 1;
        let (notify, count) = inner.by_process.entry(id).or_default();
        *count += 1;
        let notify = notify.clone();
        Some(Waiter {
            waiters: self,
            id,
            notify,
        })
    }

    /// Wakes every request waiting for `id` (it finished, or was forgotten).
    pub fn wake(&self, id: ProcessId) {
        if let Some((notify, _)) = self.lock().by_process.get(&id) {
            notify.notify_waiters();
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The map stays consistent under every panic (no user code runs under the lock).
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Waiter<'_> {
    /// A wake-up for the next [`Waiters::wake`] of this process, registered before the
    /// caller reads the process, so that a finish between the read and the wait is not missed.
    pub fn next_wake(&self) -> std::pin::Pin<Box<Notified<'_>>> {
        let mut notified = Box::pin(self.notify.notified());
        notified.as_mut().enable();
        notified
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        let mut inner = self.waiters.lock();
        inner.waiting -= 1;
        let last = inner
            .by_process
            .get_mut(&self.id)
            .is_some_and(|(_, count)| {
                *count -= 1;
                *count == 0
            });
        if last {
            inner.by_process.remove(&self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn id() -> ProcessId {
        ProcessId::from(uuid::Uuid::new_v4())
    }

    #[tokio::test]
    async fn a_wake_between_registering_and_waiting_is_not_lost() {
        let waiters = Waiters::default();
        let id = id();
        let waiter = waiters.join(id, 10).unwrap();
        let wake = waiter.next_wake();
        waiters.wake(id);
        tokio::time::timeout(Duration::from_secs(1), wake)
            .await
            .expect("the wake-up before the await was kept");
    }

    #[tokio::test]
    async fn only_the_finished_process_wakes_its_waiters() {
        let waiters = Waiters::default();
        let (a, b) = (id(), id());
        let waiter = waiters.join(a, 10).unwrap();
        let wake = waiter.next_wake();
        waiters.wake(b);
        assert!(tokio::time::timeout(Duration::from_millis(50), wake)
            .await
            .is_err());
    }

    #[test]
    fn waiters_leaving_at_once_from_two_threads_leave_no_entry() {
        let waiters = Arc::new(Waiters::default());
        for _ in 0..200 {
            let id = id();
            let barrier = Arc::new(std::sync::Barrier::new(2));
            let leave = |w: Arc<Waiters>, b: Arc<std::sync::Barrier>| {
                std::thread::spawn(move || {
                    let waiter = w.join(id, 10).unwrap();
                    b.wait();
                    drop(waiter);
                })
            };
            let a = leave(waiters.clone(), barrier.clone());
            let b = leave(waiters.clone(), barrier);
            a.join().unwrap();
            b.join().unwrap();
        }
        assert_eq!(waiters.lock().waiting, 0);
        assert!(waiters.lock().by_process.is_empty());
    }

    #[test]
    fn places_are_bounded_and_given_back() {
        let waiters = Waiters::default();
        let id = id();
        let first = waiters.join(id, 2).unwrap();
        let second = waiters.join(id, 2).unwrap();
        assert!(
            waiters.join(id, 2).is_none(),
            "a third place over the limit"
        );
        assert_eq!(waiters.lock().waiting, 2);
        drop(first);
        assert_eq!(waiters.lock().by_process.len(), 1, "the second still waits");
        drop(second);
        assert_eq!(waiters.lock().waiting, 0);
        assert!(
            waiters.lock().by_process.is_empty(),
            "the entry left with its last waiter"
        );
        assert!(waiters.join(id, 2).is_some());
    }
}
