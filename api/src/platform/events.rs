//! Post-commit events: a use case says what it changed once its transaction has
//! committed, and the contexts that care subscribed at start-up. So the self-inspection
//! loop does not call the dashboard or the trigger engine itself, and no context needs
//! the one that reacts to it.
//!
//! Subscribers run in the order they subscribed, awaited by the publisher: one that
//! has slow work to do (a trigger evaluation) spawns it and returns at once.

use std::future::Future;
use std::pin::Pin;

/// What changed, after commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The enterprise's loop figures changed (rounds, marks, findings, reports): what
    /// was computed from them is stale. `region` is the enterprise's, when the write
    /// had it at hand, so that a subscriber need not read it again.
    FiguresChanged { enterprise_id: i64, region: Option<RegionCode> },
    /// Something the trigger rules read changed (a finding submitted, rejected or
    /// accepted; a report submitted; a task done): evaluate the enterprise again.
    TriggerInputsChanged { enterprise_id: i64 },
    /// Enterprises entered the register (created by API, or first seen in a roster or
    /// accident import): new units are to be scored and given a checklist.
    UnitsAdded,
    /// The new units of the register have a score in the current fit (or no fit can be
    /// made): their checklists can now be ranked with it.
    UnitsScored,
}

/// A six-digit region code (GB/T 2260), carried by value so that events stay `Copy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegionCode([u8; 6]);

impl RegionCode {
    /// The code, if `s` is six ASCII digits.
    pub fn parse(s: &str) -> Option<Self> {
        let bytes: [u8; 6] = s.as_bytes().try_into().ok()?;
        bytes.iter().all(u8::is_ascii_digit).then_some(Self(bytes))
    }

    pub fn as_str(&self) -> &str {
        // Six ASCII digits, checked in `parse`.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

type Subscriber<S> = Box<dyn Fn(&S, Event) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// The subscribers, given the application's state `S` when an event is published.
pub struct Events<S> {
    subscribers: Vec<Subscriber<S>>,
}

impl<S> Default for Events<S> {
    fn default() -> Self {
        Self { subscribers: Vec::new() }
    }
}

impl<S> Events<S> {
    pub fn subscribe(
        &mut self,
        f: impl Fn(&S, Event) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync + 'static,
    ) {
        self.subscribers.push(Box::new(f));
    }

    /// Runs every subscriber on `event`; call it after the commit.
    pub async fn publish(&self, state: &S, event: Event) {
        for s in &self.subscribers {
            s(state, event).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI64, Ordering};

    use super::*;

    #[tokio::test]
    async fn every_subscriber_hears_each_event_in_order() {
        let seen = Arc::new(AtomicI64::new(0));
        let mut events: Events<Arc<AtomicI64>> = Events::default();
        events.subscribe(|s, e| {
            let s = s.clone();
            Box::pin(async move {
                if let Event::FiguresChanged { enterprise_id, .. } = e {
                    s.fetch_add(enterprise_id, Ordering::SeqCst);
                }
            })
        });
        events.subscribe(|s, e| {
            let s = s.clone();
            Box::pin(async move {
                if let Event::TriggerInputsChanged { enterprise_id } = e {
                    s.fetch_add(100 * enterprise_id, Ordering::SeqCst);
                }
            })
        });
        events.publish(&seen, Event::FiguresChanged { enterprise_id: 3, region: None }).await;
        events.publish(&seen, Event::TriggerInputsChanged { enterprise_id: 2 }).await;
        assert_eq!(seen.load(Ordering::SeqCst), 203);
    }

    #[test]
    fn a_region_code_is_six_digits() {
        assert_eq!(RegionCode::parse("640104").map(|r| r.as_str().to_string()), Some("640104".to_string()));
        for bad in ["64010", "6401041", "64010x", "", "６４０１０４"] {
            assert_eq!(RegionCode::parse(bad), None, "{bad}");
        }
    }
}
