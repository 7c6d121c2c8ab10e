//! One cached provider document with single-flight refreshes: however many requests find it
//! stale at once, one of them fetches and the others wait for that answer.

use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::error::Result;

/// How long a stale document is served before a failed refresh is tried again.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(10);

struct Entry<T> {
    value: Arc<T>,
    fetched_at: Instant,
    fresh_until: Instant,
}

/// A document fetched from the provider, kept until its lifetime runs out.
pub(super) struct Cached<T> {
    entry: RwLock<Option<Entry<T>>>,
    /// Held while fetching; holds when the last [`Cached::refetch`] began.
    refresh: tokio::sync::Mutex<Option<Instant>>,
}

impl<T> Cached<T> {
    pub(super) fn new() -> Self {
        Self {
            entry: RwLock::new(None),
            refresh: tokio::sync::Mutex::new(None),
        }
    }

    /// The cached document while it is fresh; otherwise a new one. When the refresh fails
    /// and an older document exists, the older one is served (and the failure logged).
    pub(super) async fn get<F, Fut>(&self, what: &'static str, fetch: F) -> Result<Arc<T>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(T, Duration)>>,
    {
        if let Some(value) = self.current(|entry| entry.fresh_until > Instant::now()) {
            return Ok(value);
        }
        let _turn = self.refresh.lock().await;
        if let Some(value) = self.current(|entry| entry.fresh_until > Instant::now()) {
            return Ok(value);
        }
        match fetch().await {
            Ok((value, ttl)) => Ok(self.store(value, ttl)),
            Err(error) => match self.postpone() {
                Some(stale) => {
                    tracing::warn!(
                        what,
                        code = error.code(),
                        error = %error,
                        "refresh failed; serving the last good copy"
                    );
                    Ok(stale)
                }
                None => Err(error),
            },
        }
    }

    /// A new document, unless the last refetch began less than `cooldown` ago or another
    /// caller fetched while this one waited (then the current one). Unlike [`Cached::get`],
    /// a failed fetch is an error: the caller needs something newer than what it has.
    pub(super) async fn refetch<F, Fut>(&self, cooldown: Duration, fetch: F) -> Result<Arc<T>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(T, Duration)>>,
    {
        let asked = Instant::now();
        let mut last_refetch = self.refresh.lock().await;
        let fetched_meanwhile = |entry: &Entry<T>| entry.fetched_at >= asked;
        let cooling_down = last_refetch.is_some_and(|at| at.elapsed() < cooldown);
        if let Some(value) = self.current(|entry| fetched_meanwhile(entry) || cooling_down) {
            return Ok(value);
        }
        *last_refetch = Some(Instant::now());
        let (value, ttl) = fetch().await?;
        Ok(self.store(value, ttl))
    }

    fn current(&self, usable: impl Fn(&Entry<T>) -> bool) -> Option<Arc<T>> {
        let entry = self.entry.read().ok()?;
        entry
            .as_ref()
            .filter(|entry| usable(entry))
            .map(|entry| entry.value.clone())
    }

    fn store(&self, value: T, ttl: Duration) -> Arc<T> {
        let value = Arc::new(value);
        let now = Instant::now();
        if let Ok(mut entry) = self.entry.write() {
            *entry = Some(Entry {
                value: value.clone(),
                fetched_at: now,
                fresh_until: now + ttl,
            });
        }
        value
    }

    /// Keeps serving the stale document for a while, so a provider outage costs one failed
    /// request per [`RETRY_AFTER_FAILURE`] rather than one per login.
    fn postpone(&self) -> Option<Arc<T>> {
        let mut entry = self.entry.write().ok()?;
        let entry = entry.as_mut()?;
        entry.fresh_until = Instant::now() + RETRY_AFTER_FAILURE;
        Some(entry.value.clone())
    }
}

/// The lifetime a `Cache-Control` header grants (`max-age`), within sane bounds: at least a
/// minute (so a `no-cache` provider still costs no request per login), at most a day.
pub(super) fn lifetime(cache_control: Option<&str>) -> Duration {
    const DEFAULT: Duration = Duration::from_secs(3600);
    let max_age = cache_control.and_then(|value| {
        value.split(',').find_map(|directive| {
            let (name, seconds) = directive.trim().split_once('=')?;
            name.eq_ignore_ascii_case("max-age")
                .then(|| seconds.trim().trim_matches('"').parse::<u64>().ok())
                .flatten()
        })
    });
    max_age
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT)
        .clamp(Duration::from_secs(60), Duration::from_secs(86_400))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::lifetime;

    #[test]
    fn lifetime_follows_max_age_within_bounds() {
        assert_eq!(
            lifetime(Some("public, max-age=3600")),
            Duration::from_secs(3600)
        );
        assert_eq!(lifetime(Some("max-age=120")), Duration::from_secs(120));
        assert_eq!(lifetime(Some("no-cache")), Duration::from_secs(3600));
        assert_eq!(lifetime(Some("max-age=0")), Duration::from_secs(60));
        assert_eq!(
            lifetime(Some("max-age=999999999")),
            Duration::from_secs(86_400)
        );
        assert_eq!(lifetime(None), Duration::from_secs(3600));
    }
}
