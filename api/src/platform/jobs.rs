//! Background work that ends cleanly. Each job (the refit schedule, the upload sweep,
//! the rectification clock, the expert dispatcher, the trigger sweep, an evaluation
//! after a write) is started here and keeps its handle. On shutdown (SIGTERM, once the
//! HTTP server has answered its in-flight requests) every job is told to stop, finishes
//! the step it is in, and the process waits for it before exiting: a step is never cut
//! half way by the exit, and an operator's restart loses nothing that was acknowledged.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

/// The running jobs. Cheap to clone; every clone is the same set.
#[derive(Clone)]
pub struct Jobs {
    inner: Arc<Inner>,
}

struct Inner {
    stop: watch::Sender<bool>,
    tasks: Mutex<JoinSet<()>>,
}

/// What a job waits on between its steps.
pub struct Stop(watch::Receiver<bool>);

impl Stop {
    /// Sleeps `d` unless shutdown comes first; true when the job should end.
    pub async fn sleep(&mut self, d: Duration) -> bool {
        if *self.0.borrow() {
            return true;
        }
        tokio::select! {
            _ = tokio::time::sleep(d) => *self.0.borrow(),
            changed = self.0.changed() => changed.is_err() || *self.0.borrow(),
        }
    }

    /// Resolves once shutdown has been asked for.
    pub async fn stopped(&mut self) {
        while !*self.0.borrow() {
            if self.0.changed().await.is_err() {
                return;
            }
        }
    }

    /// Whether shutdown has been asked for.
    pub fn requested(&self) -> bool {
        *self.0.borrow()
    }
}

impl Default for Jobs {
    fn default() -> Self {
        Self::new()
    }
}

impl Jobs {
    pub fn new() -> Self {
        let (stop, _) = watch::channel(false);
        Self { inner: Arc::new(Inner { stop, tasks: Mutex::new(JoinSet::new()) }) }
    }

    fn tasks(&self) -> MutexGuard<'_, JoinSet<()>> {
        // A panic while the set was held leaves it usable: it only holds handles.
        self.inner.tasks.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts a job on the current runtime; it receives the `Stop` to wait on.
    pub fn spawn<F, Fut>(&self, job: F)
    where
        F: FnOnce(Stop) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let stop = Stop(self.inner.stop.subscribe());
        let mut tasks = self.tasks();
        // Forget the ones that have finished, so short jobs do not pile up.
        while tasks.try_join_next().is_some() {}
        tasks.spawn(job(stop));
    }

    /// Runs `step` every `every`, the first time after `first`, until shutdown; a step
    /// that overruns delays the next one instead of bunching them up.
    pub fn every<F, Fut>(&self, first: Duration, every: Duration, mut step: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.spawn(move |mut stop| async move {
            let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + first, every);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = interval.tick() => {}
                    _ = stop.stopped() => break,
                }
                step().await;
            }
        });
    }

    /// Tells every job to stop and waits up to `grace` for them to finish their step;
    /// answers how many were still running and had to be cut off.
    pub async fn shutdown(&self, grace: Duration) -> usize {
        self.inner.stop.send_replace(true);
        let mut tasks = std::mem::take(&mut *self.tasks());
        let drained = tokio::time::timeout(grace, async {
            while let Some(done) = tasks.join_next().await {
                if let Err(e) = done
                    && e.is_panic()
                {
                    tracing::error!("a background job panicked: {e}");
                }
            }
        })
        .await;
        if drained.is_ok() {
            return 0;
        }
        let left = tasks.len();
        tasks.abort_all();
        left
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_job_finishes_its_step_and_stops() {
        let jobs = Jobs::new();
        let steps = Arc::new(AtomicUsize::new(0));
        let counted = steps.clone();
        jobs.spawn(|mut stop| async move {
            loop {
                // A step that takes a while: shutdown must not cut it.
                tokio::time::sleep(Duration::from_millis(50)).await;
                counted.fetch_add(1, Ordering::SeqCst);
                if stop.sleep(Duration::from_secs(3600)).await {
                    break;
                }
            }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(jobs.shutdown(Duration::from_secs(5)).await, 0);
        assert_eq!(steps.load(Ordering::SeqCst), 1, "the step in progress was finished");
    }

    #[tokio::test]
    async fn a_job_that_will_not_stop_is_cut_off_after_the_grace() {
        let jobs = Jobs::new();
        jobs.spawn(|_| async { tokio::time::sleep(Duration::from_secs(3600)).await });
        assert_eq!(jobs.shutdown(Duration::from_millis(50)).await, 1);
    }
}
