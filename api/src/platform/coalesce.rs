//! At most one pending run per key: used for trigger evaluations, one key per
//! enterprise (`governance::evaluate_soon`). Every submitted finding asks for an
//! evaluation of its enterprise; run one per request and a busy enterprise piles up
//! evaluations that each hold a pooled connection while they wait for the enterprise's
//! advisory lock (issue 16: 7 of 10 connections at 2,000 findings). Requests are
//! coalesced instead:
//! - none queued or running: the caller starts one;
//! - one queued and not started: it will read the new write anyway, nothing to do;
//! - one running: it may have read before the write, so the key is marked dirty and
//!   exactly one more run follows when it ends.
//!
//! So no change is missed, and a key has at most one run and one pending.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// Started by a request, not yet running.
    Queued,
    Running,
    /// Running, and asked for again since it started.
    Dirty,
}

/// The keys with a run queued or under way.
pub struct Coalescer<K> {
    slots: Arc<Mutex<HashMap<K, Slot>>>,
}

impl<K> Clone for Coalescer<K> {
    fn clone(&self) -> Self {
        Self { slots: self.slots.clone() }
    }
}

impl<K> Default for Coalescer<K> {
    fn default() -> Self {
        Self { slots: Arc::new(Mutex::new(HashMap::new())) }
    }
}

impl<K: Eq + Hash + Copy> Coalescer<K> {
    fn slots(&self) -> MutexGuard<'_, HashMap<K, Slot>> {
        // Only plain assignments happen under the lock; a poisoned map is still whole.
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Asks for a run of `key`: true when the caller must start one ([`Self::run`]);
    /// false when the one queued or running covers the request.
    pub fn request(&self, key: K) -> bool {
        let mut slots = self.slots();
        match slots.get(&key).copied() {
            None => {
                slots.insert(key, Slot::Queued);
                true
            }
            Some(Slot::Running) => {
                slots.insert(key, Slot::Dirty);
                false
            }
            Some(Slot::Queued | Slot::Dirty) => false,
        }
    }

    /// Runs `once` for `key`, again as long as requests came in during the last run;
    /// called by whoever [`Self::request`] told to start. If the future is dropped (a
    /// shutdown cutting it off) or `once` panics, the key is freed, so later requests
    /// start afresh rather than wait for a run that will never end.
    pub async fn run<F, Fut>(&self, key: K, mut once: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = ()>,
    {
        let free = Free { owner: self, key };
        loop {
            self.slots().insert(key, Slot::Running);
            once().await;
            let mut slots = self.slots();
            if slots.get(&key) != Some(&Slot::Dirty) {
                slots.remove(&key);
                break;
            }
            // Requests from here until the next run starts find it queued.
            slots.insert(key, Slot::Queued);
        }
        std::mem::forget(free);
    }

    /// Keys with a run queued or under way.
    pub fn pending(&self) -> usize {
        self.slots().len()
    }
}

/// Frees the key when a run ends other than by finishing.
struct Free<'a, K: Eq + Hash + Copy> {
    owner: &'a Coalescer<K>,
    key: K,
}

impl<K: Eq + Hash + Copy> Drop for Free<'_, K> {
    fn drop(&mut self) {
        self.owner.slots().remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::sync::Semaphore;

    use super::*;

    /// A run that counts itself and waits for a permit, so the test decides when it ends.
    fn gated(
        runs: &Arc<AtomicUsize>,
        gate: &Arc<Semaphore>,
    ) -> impl FnMut() -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send + use<> {
        let (runs, gate) = (runs.clone(), gate.clone());
        move || {
            let (runs, gate) = (runs.clone(), gate.clone());
            Box::pin(async move {
                runs.fetch_add(1, Ordering::SeqCst);
                if let Ok(p) = gate.acquire().await {
                    p.forget();
                }
            })
        }
    }

    /// Waits for `what`: by the clock, not by a count of yields, which a loaded machine
    /// (the spawned run on another worker not scheduled yet) could use up first.
    async fn until(what: impl Fn() -> bool) {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        while tokio::time::Instant::now() < deadline {
            if what() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        panic!("condition never held in 30 s");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_requests_for_one_key_run_at_most_twice() {
        let c = Coalescer::default();
        let runs = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(Semaphore::new(0));
        // 200 requests from concurrent tasks, while the first run is held.
        let requests: Vec<_> = (0..200)
            .map(|_| {
                let c = c.clone();
                tokio::spawn(async move { c.request(7) })
            })
            .collect();
        let mut started = 0;
        for r in requests {
            if r.await.expect("request task") {
                started += 1;
            }
        }
        assert_eq!(started, 1, "one request starts a run, the others are covered by it");
        let job = tokio::spawn({
            let (c, mut once) = (c.clone(), gated(&runs, &gate));
            async move { c.run(7, &mut once).await }
        });
        until(|| runs.load(Ordering::SeqCst) == 1).await;
        for _ in 0..200 {
            assert!(!c.request(7));
        }
        gate.add_permits(2);
        job.await.expect("run");
        assert_eq!(runs.load(Ordering::SeqCst), 2, "the run, and one more for the requests during it");
        assert_eq!(c.pending(), 0);
    }

    #[tokio::test]
    async fn a_request_during_a_run_runs_once_more_after_it() {
        let c = Coalescer::default();
        let runs = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(Semaphore::new(0));
        assert!(c.request(1));
        let job = tokio::spawn({
            let (c, mut once) = (c.clone(), gated(&runs, &gate));
            async move { c.run(1, &mut once).await }
        });
        until(|| runs.load(Ordering::SeqCst) == 1).await;
        // Another key is independent of this one.
        assert!(c.request(2));
        assert!(!c.request(1), "covered by the run after this one");
        gate.add_permits(1);
        until(|| runs.load(Ordering::SeqCst) == 2).await;
        assert!(!c.request(1), "a request during the second run asks for a third");
        gate.add_permits(2);
        job.await.expect("run");
        assert_eq!(runs.load(Ordering::SeqCst), 3);
        // Idle again: the next request starts a run of its own.
        assert!(c.request(1));
    }

    #[tokio::test]
    async fn no_request_during_a_run_means_no_second_run() {
        let c = Coalescer::default();
        let runs = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(Semaphore::new(1));
        assert!(c.request(3));
        c.run(3, gated(&runs, &gate)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(c.pending(), 0);
    }

    #[tokio::test]
    async fn a_run_cut_off_frees_its_key() {
        let c = Coalescer::default();
        let runs = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(Semaphore::new(0));
        assert!(c.request(5));
        let job = tokio::spawn({
            let (c, mut once) = (c.clone(), gated(&runs, &gate));
            async move { c.run(5, &mut once).await }
        });
        until(|| runs.load(Ordering::SeqCst) == 1).await;
        assert!(!c.request(5));
        job.abort();
        assert!(job.await.is_err_and(|e| e.is_cancelled()));
        assert_eq!(c.pending(), 0);
        assert!(c.request(5), "a later request starts afresh");
    }
}
