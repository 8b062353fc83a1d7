//! What one search may spend: a deadline, a cancellation flag (the client went away),
//! and a ceiling on the bytes of its answer. The engine checks the budget between its
//! stages, per index segment and per hit, and stops with an error when it is spent;
//! [`Cost`] estimates from a request's shape, before it runs, how heavy it will be.

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::Weight;
use tantivy::{SegmentOrdinal, SegmentReader, TantivyError};

/// Largest answer one search builds by default: the text of its hits, snippets and
/// highlights together.
pub const DEFAULT_MAX_ANSWER_BYTES: usize = 64 << 20;

/// What one search may spend.
#[derive(Debug, Clone)]
pub struct Budget {
    deadline: Option<Instant>,
    allowed: Option<Duration>,
    cancelled: Option<Arc<AtomicBool>>,
    max_answer_bytes: usize,
    answer_bytes: Arc<AtomicUsize>,
}

impl Default for Budget {
    fn default() -> Self {
        Budget::unlimited()
    }
}

impl Budget {
    /// No deadline, no cancellation, the default answer size.
    pub fn unlimited() -> Budget {
        Budget {
            deadline: None,
            allowed: None,
            cancelled: None,
            max_answer_bytes: DEFAULT_MAX_ANSWER_BYTES,
            answer_bytes: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// This budget, ending `allowed` from now.
    pub fn with_time(mut self, allowed: Duration) -> Budget {
        self.deadline = Instant::now().checked_add(allowed);
        self.allowed = Some(allowed);
        self
    }

    /// This budget, spent as soon as `flag` is set (by whoever waits for the answer).
    pub fn cancelled_by(mut self, flag: Arc<AtomicBool>) -> Budget {
        self.cancelled = Some(flag);
        self
    }

    /// This budget, with answers of at most `bytes`.
    pub fn with_max_answer_bytes(mut self, bytes: usize) -> Budget {
        self.max_answer_bytes = bytes;
        self
    }

    /// The time left, if there is a deadline.
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// `Ok` while the budget lasts; the error saying why it is spent otherwise.
    pub fn check(&self) -> Result<()> {
        if self
            .cancelled
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
        {
            return Err(Error::Cancelled);
        }
        match (self.deadline, self.allowed) {
            (Some(deadline), Some(allowed)) if Instant::now() >= deadline => {
                Err(Error::OutOfTime { allowed })
            }
            _ => Ok(()),
        }
    }

    /// Counts `bytes` more of the answer; an error once the answer would pass its ceiling.
    pub fn spend_answer_bytes(&self, bytes: usize) -> Result<()> {
        let total = self.answer_bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if total > self.max_answer_bytes {
            return Err(Error::AnswerTooLarge {
                limit: self.max_answer_bytes,
            });
        }
        Ok(())
    }

    /// The error to report for a failure of the engine: the spent budget when that is
    /// what stopped it ([`Bounded`] stops collection with an engine error).
    pub fn explain_failure(&self, e: TantivyError) -> Error {
        match self.check() {
            Err(spent) => spent,
            Ok(()) => Error::from(e),
        }
    }
}

/// A collector that checks the budget before each segment.
pub struct Bounded<'a, C> {
    inner: C,
    budget: &'a Budget,
}

impl<'a, C> Bounded<'a, C> {
    /// `inner`, stopped between segments once `budget` is spent.
    pub fn new(inner: C, budget: &'a Budget) -> Self {
        Bounded { inner, budget }
    }
}

impl<C: Collector> Collector for Bounded<'_, C> {
    type Fruit = C::Fruit;
    type Child = C::Child;

    fn for_segment(
        &self,
        segment_local_id: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<Self::Child> {
        self.inner.for_segment(segment_local_id, segment)
    }

    fn requires_scoring(&self) -> bool {
        self.inner.requires_scoring()
    }

    fn merge_fruits(
        &self,
        fruits: Vec<<Self::Child as SegmentCollector>::Fruit>,
    ) -> tantivy::Result<Self::Fruit> {
        self.inner.merge_fruits(fruits)
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment_ord: u32,
        reader: &SegmentReader,
    ) -> tantivy::Result<<Self::Child as SegmentCollector>::Fruit> {
        if self.budget.check().is_err() {
            return Err(TantivyError::InternalError(
                "the search budget is spent".into(),
            ));
        }
        self.inner.collect_segment(weight, segment_ord, reader)
    }
}

/// How heavy a request is, estimated from its shape before it runs: the server runs
/// heavy requests apart, a few at a time, so that they never hold up light ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cost(pub u32);

impl Cost {
    /// At or below this, a request is light (a search-box keystroke).
    pub const LIGHT: Cost = Cost(100);

    /// Whether the request is light.
    pub fn is_light(self) -> bool {
        self <= Cost::LIGHT
    }

    /// The sum of two costs.
    pub fn plus(self, other: Cost) -> Cost {
        Cost(self.0.saturating_add(other.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_is_spent_by_time_cancellation_or_size() {
        let budget = Budget::unlimited();
        assert!(budget.check().is_ok());
        let spent = Budget::unlimited().with_time(Duration::ZERO);
        assert!(matches!(spent.check(), Err(Error::OutOfTime { .. })));
        let flag = Arc::new(AtomicBool::new(false));
        let budget = Budget::unlimited().cancelled_by(Arc::clone(&flag));
        assert!(budget.check().is_ok());
        flag.store(true, Ordering::Relaxed);
        assert!(matches!(budget.check(), Err(Error::Cancelled)));
        let small = Budget::unlimited().with_max_answer_bytes(10);
        assert!(small.spend_answer_bytes(6).is_ok());
        assert!(matches!(
            small.clone().spend_answer_bytes(6),
            Err(Error::AnswerTooLarge { limit: 10 })
        ));
    }
}
