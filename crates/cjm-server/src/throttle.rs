//! Password checks, throttled: every attempt reserves a slot under each of
//! its keys *before* the password is verified, so parallel guesses count as
//! they start, and verifications run a few at a time (argon2 takes ~19 MiB
//! each).
//!
//! Keys are per client, per account from that client, and per account from
//! anywhere (with a higher limit). Past its limit a key is not locked: each
//! further attempt waits twice as long as the one before, up to a minute,
//! so an attacker is slowed to a crawl while the account's owner, signing
//! in from their own address, is not shut out. Keys are hashed, so their
//! length is bounded whatever an e-mail address holds.

use crate::error::{AppError, AppResult};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The longest a throttled key waits between attempts.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// The most slots kept; past this, quiet ones are forgotten first.
const MAX_KEYS: usize = 100_000;

pub(crate) struct RateLimiter {
    /// Failed attempts a key may have in `window` before it backs off.
    limit: u32,
    window: Duration,
    slots: Mutex<HashMap<String, Slot>>,
    /// Password verifications under way, server-wide.
    verifying: tokio::sync::Semaphore,
}

#[derive(Clone, Copy)]
struct Slot {
    failures: u32,
    in_flight: u32,
    /// The last failure or reservation.
    last: Instant,
    /// When the window began.
    since: Instant,
}

/// One attempt, holding its reservations until it is known to have failed
/// or succeeded (or is dropped, which gives them back).
pub(crate) struct Attempt<'a> {
    limiter: &'a RateLimiter,
    keys: Vec<(String, u32)>,
    settled: bool,
}

/// A throttling key: what kind of thing it counts, and the thing.
pub(crate) fn key(kind: &str, value: &str) -> String {
    format!("{kind}:{}", crate::token::token_hash(value))
}

impl RateLimiter {
    pub(crate) fn new(limit: u32, window: Duration) -> Self {
        let permits = crate::available_verifications();
        RateLimiter {
            limit,
            window,
            slots: Mutex::new(HashMap::new()),
            verifying: tokio::sync::Semaphore::new(permits),
        }
    }

    /// Reserves an attempt under each key; `factor` multiplies the limit of
    /// that key. `Err(RateLimited)` with the seconds to wait when any key
    /// must wait.
    pub(crate) fn begin(&self, keys: &[(String, u32)]) -> AppResult<Attempt<'_>> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let mut wait = Duration::ZERO;
        for (k, factor) in keys {
            let limit = self.limit.saturating_mul(*factor).max(1);
            if let Some(slot) = slots.get_mut(k) {
                if slot.in_flight == 0 && now.duration_since(slot.since) >= self.window {
                    *slot = Slot { failures: 0, in_flight: 0, last: now, since: now };
                }
                let used = slot.failures + slot.in_flight;
                if used >= limit {
                    let backoff = backoff(used - limit);
                    wait = wait.max(backoff.saturating_sub(now.duration_since(slot.last)));
                }
            }
        }
        if !wait.is_zero() {
            return Err(AppError::RateLimited { retry_after: wait.as_secs().max(1) });
        }
        if slots.len() + keys.len() > MAX_KEYS {
            let window = self.window;
            slots.retain(|_, s| s.in_flight > 0 || now.duration_since(s.since) < window);
            if slots.len() + keys.len() > MAX_KEYS {
                slots.retain(|_, s| s.in_flight > 0 || s.failures >= self.limit);
            }
        }
        for (k, _) in keys {
            let slot = slots.entry(k.clone()).or_insert(Slot { failures: 0, in_flight: 0, last: now, since: now });
            slot.in_flight += 1;
            slot.last = now;
        }
        Ok(Attempt { limiter: self, keys: keys.to_vec(), settled: false })
    }

    /// Verifies `password` against `hash` on the blocking pool, a few at a
    /// time server-wide.
    pub(crate) async fn verify(&self, password: String, hash: String) -> AppResult<bool> {
        let _permit = self.verifying.acquire().await.map_err(|e| AppError::Internal(e.to_string()))?;
        tokio::task::spawn_blocking(move || crate::auth::verify_password(&password, &hash))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    fn settle(&self, keys: &[(String, u32)], failed: bool) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        for (k, _) in keys {
            let Some(slot) = slots.get_mut(k) else { continue };
            slot.in_flight = slot.in_flight.saturating_sub(1);
            if failed {
                slot.failures += 1;
                slot.last = Instant::now();
            } else if slot.in_flight == 0 && slot.failures == 0 {
                slots.remove(k);
            }
        }
    }
}

/// How long a key that is `over` attempts past its limit waits: 1 s, 2 s,
/// 4 s, … up to [`MAX_BACKOFF`].
fn backoff(over: u32) -> Duration {
    Duration::from_secs(1u64 << over.min(16)).min(MAX_BACKOFF)
}

impl Attempt<'_> {
    pub(crate) fn failed(mut self) {
        self.settled = true;
        self.limiter.settle(&self.keys, true);
    }

    /// A right password clears the account-and-client keys' failures.
    pub(crate) fn succeeded(mut self) {
        self.settled = true;
        let mut slots = self.limiter.slots.lock().unwrap_or_else(|p| p.into_inner());
        for (k, _) in &self.keys {
            if let Some(slot) = slots.get_mut(k) {
                slot.in_flight = slot.in_flight.saturating_sub(1);
                if slot.in_flight == 0 {
                    slots.remove(k);
                }
            }
        }
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.limiter.settle(&self.keys, false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_count_before_verification_and_back_off() {
        let limiter = RateLimiter::new(3, Duration::from_secs(900));
        let keys = [(key("ip", "10.0.0.1"), 1)];
        let held: Vec<_> = (0..3).map(|_| limiter.begin(&keys).unwrap()).collect();
        assert!(matches!(limiter.begin(&keys), Err(AppError::RateLimited { .. })), "three in flight use the limit");
        drop(held);
        let attempts: Vec<_> = (0..3).map(|_| limiter.begin(&keys).unwrap()).collect();
        attempts.into_iter().for_each(Attempt::failed);
        let Err(AppError::RateLimited { retry_after }) = limiter.begin(&keys) else { panic!("not throttled") };
        assert_eq!(retry_after, 1);
        // Another client is not held up by this one.
        assert!(limiter.begin(&[(key("ip", "10.0.0.2"), 1)]).is_ok());
        assert!(key("email", &"x".repeat(100_000)).len() < 80);
    }

    #[test]
    fn backoff_doubles_up_to_a_minute() {
        assert_eq!(backoff(0), Duration::from_secs(1));
        assert_eq!(backoff(3), Duration::from_secs(8));
        assert_eq!(backoff(40), MAX_BACKOFF);
    }
}
