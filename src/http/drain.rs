//! Reads what a handler left of a request body before its answer goes out. A client still
//! uploading when the server answers early (413, 401, 415 …) would otherwise see the
//! connection reset (the kernel resets a socket closed with unread data) instead of reading
//! the answer.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Body as _, Frame, SizeHint};
use http_body_util::BodyExt as _;

/// The most left-over body the server reads and discards; a client sending more than that
/// gets its answer with `Connection: close`, and the connection may be reset.
pub const DRAIN_LIMIT_BYTES: u64 = 16 * 1024 * 1024;

/// Middleware: after the handler answers, reads and discards the rest of the request body
/// (up to [`DRAIN_LIMIT_BYTES`]), so that the client can finish sending and read the answer.
pub async fn drain_unread_body(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let shared = Arc::new(Mutex::new(Some(body)));
    let request = Request::from_parts(parts, Body::new(SharedBody(shared.clone())));
    let mut response = next.run(request).await;
    let rest = shared.lock().unwrap_or_else(PoisonError::into_inner).take();
    if let Some(rest) = rest
        && !drain(rest).await
    {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Reads `body` to its end and discards it; `false` when it is longer than
/// [`DRAIN_LIMIT_BYTES`] or breaks off.
async fn drain(mut body: Body) -> bool {
    if body.is_end_stream() {
        return true;
    }
    if body
        .size_hint()
        .exact()
        .is_some_and(|length| length > DRAIN_LIMIT_BYTES)
    {
        return false;
    }
    let mut drained: u64 = 0;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return false;
        };
        if let Some(data) = frame.data_ref() {
            drained = drained.saturating_add(data.len() as u64);
            if drained > DRAIN_LIMIT_BYTES {
                return false;
            }
        }
    }
    if drained > 0 {
        tracing::debug!(drained, "discarded the unread rest of a request body");
    }
    true
}

/// The request body as the handler sees it, while the middleware keeps hold of it.
struct SharedBody(Arc<Mutex<Option<Body>>>);

impl http_body::Body for SharedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let mut body = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match body.as_mut() {
            Some(body) => Pin::new(body).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        let body = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        body.as_ref().is_none_or(Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        let body = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        body.as_ref()
            .map_or_else(|| SizeHint::with_exact(0), Body::size_hint)
    }
}
