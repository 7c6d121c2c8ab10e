//! One cached provider document with single-flight refreshes: however many requests find it
//! stale at once, one of them fetches and the others wait for that answer — including a
//! failed answer, which is remembered for a few seconds instead of being retried by each.

use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// How long a failed fetch is remembered: meanwhile a stale document is served, or (without
/// one) callers hear "unavailable" at once instead of waiting for another timeout.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(10);

struct Entry<T> {
    value: Arc<T>,
    fetched_at: Instant,
    fresh_until: Instant,
}

/// What the fetching side remembers, guarded by the single-flight lock.
#[derive(Default)]
struct Fetches {
    /// When the last [`Cached::refetch`] began.
    last_refetch: Option<Instant>,
    /// When the last fetch of any kind failed.
    last_failure: Option<Instant>,
}

impl Fetches {
    fn failed_recently(&self) -> bool {
        self.last_failure
            .is_some_and(|at| at.elapsed() < RETRY_AFTER_FAILURE)
    }
}

/// A document fetched from the provider, kept until its lifetime runs out.
pub(super) struct Cached<T> {
    entry: RwLock<Option<Entry<T>>>,
    fetches: tokio::sync::Mutex<Fetches>,
}

impl<T> Cached<T> {
    pub(super) fn new() -> Self {
        Self {
            entry: RwLock::new(None),
            fetches: tokio::sync::Mutex::new(Fetches::default()),
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
        let mut fetches = self.fetches.lock().await;
        if let Some(value) = self.current(|entry| entry.fresh_until > Instant::now()) {
            return Ok(value);
        }
        if fetches.failed_recently() {
            return self.stale().ok_or_else(|| recently_failed(what));
        }
        match self.fetch_into(&mut fetches, fetch).await {
            Ok(value) => Ok(value),
            Err(error) => match self.stale() {
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

    /// A new document, unless another caller fetched one since `asked` or the last refetch
    /// began less than `cooldown` ago (then the current one). Unlike [`Cached::get`], a
    /// failed fetch — or one that failed during the cooldown — is an error: the caller needs
    /// something newer than what it has.
    pub(super) async fn refetch<F, Fut>(
        &self,
        what: &'static str,
        asked: Instant,
        cooldown: Duration,
        fetch: F,
    ) -> Result<Arc<T>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(T, Duration)>>,
    {
        let mut fetches = self.fetches.lock().await;
        if let Some(value) = self.current(|entry| entry.fetched_at >= asked) {
            return Ok(value);
        }
        if fetches
            .last_refetch
            .is_some_and(|at| at.elapsed() < cooldown)
        {
            if fetches.failed_recently() {
                return Err(recently_failed(what));
            }
            if let Some(value) = self.current(|_| true) {
                return Ok(value);
            }
        }
        fetches.last_refetch = Some(Instant::now());
        self.fetch_into(&mut fetches, fetch).await
    }

    /// Fetches and stores a document, remembering whether the fetch failed.
    async fn fetch_into<F, Fut>(&self, fetches: &mut Fetches, fetch: F) -> Result<Arc<T>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(T, Duration)>>,
    {
        match fetch().await {
            Ok((value, ttl)) => {
                fetches.last_failure = None;
                Ok(self.store(value, ttl))
            }
            Err(error) => {
                fetches.last_failure = Some(Instant::now());
                Err(error)
            }
        }
    }

    fn current(&self, usable: impl Fn(&Entry<T>) -> bool) -> Option<Arc<T>> {
        let entry = self.entry.read().ok()?;
        entry
            .as_ref()
            .filter(|entry| usable(entry))
            .map(|entry| entry.value.clone())
    }

    fn stale(&self) -> Option<Arc<T>> {
        self.current(|_| true)
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
}

fn recently_failed(what: &'static str) -> Error {
    Error::VippsUnavailable {
        what,
        cause: anyhow::anyhow!("the last fetch failed less than 10 s ago; not retried yet"),
    }
}

/// The lifetime a `Cache-Control` header grants: `max-age`, with `no-cache`/`no-store` as 0,
/// and 1 h when the header says nothing. At least a second (so a provider that forbids
/// caching costs at most one request per second, not one per login), at most a day.
pub(super) fn lifetime(cache_control: Option<&str>) -> Duration {
    const DEFAULT: Duration = Duration::from_secs(3600);
    let mut max_age = None;
    for directive in cache_control.unwrap_or_default().split(',') {
        let directive = directive.trim();
        if directive.eq_ignore_ascii_case("no-cache") || directive.eq_ignore_ascii_case("no-store")
        {
            max_age = Some(0);
            break;
        }
        if let Some((name, seconds)) = directive.split_once('=')
            && name.trim().eq_ignore_ascii_case("max-age")
        {
            max_age = seconds.trim().trim_matches('"').parse::<u64>().ok();
        }
    }
    max_age
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT)
        .clamp(Duration::from_secs(1), Duration::from_secs(86_400))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::lifetime;

    #[test]
    fn lifetime_follows_cache_control_within_bounds() {
        let secs = Duration::from_secs;
        assert_eq!(lifetime(Some("public, max-age=3600")), secs(3600));
        assert_eq!(lifetime(Some("max-age=120")), secs(120));
        assert_eq!(lifetime(Some("no-cache")), secs(1));
        assert_eq!(lifetime(Some("max-age=60, no-store")), secs(1));
        assert_eq!(lifetime(Some("max-age=0")), secs(1));
        assert_eq!(lifetime(Some("max-age=999999999")), secs(86_400));
        assert_eq!(lifetime(Some("private")), secs(3600));
        assert_eq!(lifetime(None), secs(3600));
    }
}
