//! Request ids: `X-Request-Id` from the request when well-formed (1–128 characters of
//! `A–Z a–z 0–9 . _ -`), otherwise generated. The id is echoed in the answer, carried by
//! the `request` span every log line of the request is written in, and put in problem
//! bodies as `instance`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument as _;

pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id taken from a client.
const MAX_LEN: usize = 128;

tokio::task_local! {
    static CURRENT: Arc<str>;
}

/// The id of the request being served, when called within one.
pub fn current() -> Option<Arc<str>> {
    CURRENT.try_with(Arc::clone).ok()
}

/// Whether a client's `X-Request-Id` may be used as it is.
fn well_formed(id: &[u8]) -> bool {
    (1..=MAX_LEN).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A random prefix per process, so ids of several instances never collide.
static PREFIX: LazyLock<String> = LazyLock::new(|| {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = (nanos as u64).to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
});
static NEXT: AtomicU64 = AtomicU64::new(1);

/// A fresh id: the process prefix and a sequence number.
fn generate() -> String {
    format!(
        "{}-{:x}",
        PREFIX.as_str(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Middleware: finds or makes the request id and serves the request in its span.
pub async fn assign(request: Request, next: Next) -> Response {
    let id: Arc<str> = match request.headers().get(&X_REQUEST_ID) {
        Some(value) if well_formed(value.as_bytes()) => {
            Arc::from(value.to_str().unwrap_or_default())
        }
        _ => Arc::from(generate()),
    };
    let span = tracing::info_span!("request", request_id = %id);
    let mut response = CURRENT
        .scope(id.clone(), next.run(request).instrument(span))
        .await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(X_REQUEST_ID.clone(), value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_ids_are_taken() {
        for good in ["a", "req-1.2_3", &"x".repeat(128)] {
            assert!(well_formed(good.as_bytes()), "{good}");
        }
        for bad in ["", "a b", "a/b", "ä", "id\n", &"x".repeat(129)] {
            assert!(!well_formed(bad.as_bytes()), "{bad:?}");
        }
    }

    #[test]
    fn generated_ids_are_well_formed_and_distinct() {
        let (first, second) = (generate(), generate());
        assert_ne!(first, second);
        assert!(well_formed(first.as_bytes()), "{first}");
    }
}
