//! Caches bounded in bytes, for work that versions make repeatable: saved
//! versions never change, so a check, a drawing or a measurement of one is
//! valid for ever and only memory decides how many to keep.
//!
//! [`Bounded`] keeps values until their accounted sizes pass the budget,
//! then drops the least recently used. [`Bounded::get_or_make`] also makes
//! identical concurrent requests share one computation: the first runs it
//! on the blocking pool, the others wait for its result.

use crate::error::{AppError, AppResult};
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::OnceCell;

/// A result being made, shared by everyone who asked for it meanwhile.
type Pending<V> = Arc<OnceCell<Result<(Arc<V>, usize), AppError>>>;

pub(crate) struct Bounded<K, V> {
    budget: usize,
    inner: Mutex<Inner<K, V>>,
}

struct Inner<K, V> {
    entries: HashMap<K, Entry<V>>,
    /// Keys by last use, oldest first.
    by_use: BTreeMap<u64, K>,
    used: usize,
    tick: u64,
    pending: HashMap<K, Pending<V>>,
}

struct Entry<V> {
    value: Arc<V>,
    bytes: usize,
    tick: u64,
}

impl<K: Clone + Eq + Hash, V> Bounded<K, V> {
    /// A cache holding values of at most `budget` accounted bytes in all.
    pub(crate) fn new(budget: usize) -> Self {
        Bounded {
            budget,
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                by_use: BTreeMap::new(),
                used: 0,
                tick: 0,
                pending: HashMap::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner<K, V>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn get(&self, key: &K) -> Option<Arc<V>> {
        self.lock().touch(key)
    }

    /// Keeps `value`, accounted as `bytes`; a value larger than the whole
    /// budget is not kept.
    pub(crate) fn insert(&self, key: K, value: Arc<V>, bytes: usize) {
        if bytes <= self.budget {
            self.lock().insert(key, value, bytes, self.budget);
        }
    }

    /// The value for `key`, made by `make` (on the blocking pool) when
    /// missing, once for all concurrent callers. `make` returns the value
    /// and its size in bytes. Errors are not kept.
    pub(crate) async fn get_or_make(
        &self,
        key: K,
        make: impl FnOnce() -> AppResult<(V, usize)> + Send + 'static,
    ) -> AppResult<Arc<V>>
    where
        V: Send + Sync + 'static,
    {
        let cell = {
            let mut inner = self.lock();
            if let Some(hit) = inner.touch(&key) {
                return Ok(hit);
            }
            inner.pending.entry(key.clone()).or_default().clone()
        };
        // In a task of its own: a caller that gives up (a request past its
        // time) does not cancel the work, and the next caller finds it done
        // (or still going) in the pending cell.
        let filling = cell.clone();
        let made = tokio::spawn(async move {
            filling
                .get_or_init(|| async move {
                    let (value, bytes) =
                        tokio::task::spawn_blocking(make).await.map_err(|e| AppError::Internal(e.to_string()))??;
                    Ok((Arc::new(value), bytes))
                })
                .await
                .clone()
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
        let mut inner = self.lock();
        if inner.pending.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
            inner.pending.remove(&key);
            if let Ok((value, bytes)) = &made {
                if *bytes <= self.budget {
                    inner.insert(key, value.clone(), *bytes, self.budget);
                }
            }
        }
        made.map(|(value, _)| value)
    }

    /// Drops every value whose key `stale` picks (a record that was
    /// deleted, so that an id used again never finds the old value).
    pub(crate) fn forget(&self, stale: impl Fn(&K) -> bool) {
        let mut inner = self.lock();
        let keys: Vec<K> = inner.entries.keys().filter(|k| stale(k)).cloned().collect();
        for k in keys {
            if let Some(old) = inner.entries.remove(&k) {
                inner.by_use.remove(&old.tick);
                inner.used -= old.bytes;
            }
        }
    }

    /// Accounted bytes held now.
    #[cfg(test)]
    fn used(&self) -> usize {
        self.lock().used
    }
}

impl<K: Clone + Eq + Hash, V> Inner<K, V> {
    fn touch(&mut self, key: &K) -> Option<Arc<V>> {
        self.tick += 1;
        let entry = self.entries.get_mut(key)?;
        self.by_use.remove(&entry.tick);
        entry.tick = self.tick;
        self.by_use.insert(self.tick, key.clone());
        Some(entry.value.clone())
    }

    fn insert(&mut self, key: K, value: Arc<V>, bytes: usize, budget: usize) {
        self.tick += 1;
        if let Some(old) = self.entries.remove(&key) {
            self.by_use.remove(&old.tick);
            self.used -= old.bytes;
        }
        while self.used + bytes > budget {
            let Some((_, oldest)) = self.by_use.pop_first() else { break };
            if let Some(old) = self.entries.remove(&oldest) {
                self.used -= old.bytes;
            }
        }
        self.by_use.insert(self.tick, key.clone());
        self.entries.insert(key, Entry { value, bytes, tick: self.tick });
        self.used += bytes;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn the_budget_holds_and_the_least_recently_used_go_first() {
        let cache: Bounded<u32, u32> = Bounded::new(100);
        for k in 0..5 {
            cache.insert(k, Arc::new(k), 30);
        }
        assert!(cache.used() <= 100);
        assert!(cache.get(&0).is_none() && cache.get(&1).is_none());
        assert!(cache.get(&2).is_some());
        cache.insert(9, Arc::new(9), 30); // 3 was used least recently
        assert!(cache.get(&3).is_none() && cache.get(&2).is_some() && cache.get(&4).is_some());
        cache.insert(10, Arc::new(10), 101);
        assert!(cache.get(&10).is_none(), "larger than the whole budget");
        assert_eq!(cache.used(), 90);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn identical_concurrent_requests_share_one_computation() {
        let cache: Arc<Bounded<u32, String>> = Arc::new(Bounded::new(1 << 20));
        let runs = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (cache, runs) = (cache.clone(), runs.clone());
                tokio::spawn(async move {
                    cache
                        .get_or_make(7, move || {
                            runs.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(std::time::Duration::from_millis(200));
                            Ok(("drawn".to_string(), 5))
                        })
                        .await
                        .unwrap()
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(*t.await.unwrap(), "drawn");
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        let failed = cache.get_or_make(8, || Err(AppError::bad("no"))).await;
        assert!(failed.is_err());
        assert!(cache.get(&8).is_none(), "errors are not kept");
    }

    /// A request past its time gives up waiting, not the work: the next
    /// request for the same key takes its result instead of starting over.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_caller_that_gives_up_does_not_cancel_the_work() {
        let cache: Arc<Bounded<u32, String>> = Arc::new(Bounded::new(1 << 20));
        let runs = Arc::new(AtomicUsize::new(0));
        let slow = {
            let runs = runs.clone();
            move || {
                runs.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(300));
                Ok(("measured".to_string(), 8))
            }
        };
        let gave_up = tokio::time::timeout(std::time::Duration::from_millis(50), cache.get_or_make(1, slow)).await;
        assert!(gave_up.is_err(), "the first caller stopped waiting");
        let again = {
            let runs = runs.clone();
            cache.get_or_make(1, move || {
                runs.fetch_add(1, Ordering::SeqCst);
                Ok(("started over".to_string(), 12))
            })
        };
        assert_eq!(*again.await.unwrap(), "measured");
        assert_eq!(runs.load(Ordering::SeqCst), 1, "computed once");
        assert!(cache.get(&1).is_some(), "and kept");
    }
}
