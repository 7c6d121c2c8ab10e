//! The client address of a request: the socket peer, or, when the peer is a trusted proxy,
//! the right-most `X-Forwarded-For` address that is not itself a trusted proxy. IPv4 addresses
//! seen through an IPv6 socket (`::ffff:a.b.c.d`) count as the IPv4 address.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap};

use super::error::HttpError;
use crate::app::App;
use crate::error::Error;
use crate::limits::ClientAddr;

/// The `X-Forwarded-For` header a proxy appends the address it saw to.
const FORWARDED_FOR: &str = "x-forwarded-for";

/// The client address of a request with these `extensions` (the connection info `serve`
/// records) and `headers`.
pub fn client_addr(
    app: &App,
    extensions: &Extensions,
    headers: &HeaderMap,
) -> Result<ClientAddr, HttpError> {
    let ConnectInfo(peer) = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("no connection info on the request")))?;
    Ok(ClientAddr(resolve(
        peer.ip().to_canonical(),
        &app.limits.trusted_proxies,
        headers,
    )))
}

/// Walks the proxy chain from the peer backwards while the hops are trusted proxies; the first
/// untrusted (or unreadable, then the last trusted) hop is the client.
fn resolve(peer: IpAddr, trusted: &[IpAddr], headers: &HeaderMap) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all(FORWARDED_FOR)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Ok(addr) = hop.trim().parse::<IpAddr>() else {
            return client;
        };
        client = addr.to_canonical();
        if !trusted.contains(&client) {
            return client;
        }
    }
    client
}

/// The client address as an extractor for REST handlers.
pub struct Client(pub ClientAddr);

impl<S> FromRequestParts<S> for Client
where
    Arc<App>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, HttpError> {
        let app = Arc::<App>::from_ref(state);
        Ok(Self(client_addr(&app, &parts.extensions, &parts.headers)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(FORWARDED_FOR, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn the_peer_unless_it_is_a_trusted_proxy() {
        let headers = forwarded(&["203.0.113.9"]);
        assert_eq!(
            resolve(ip("198.51.100.1"), &[], &headers),
            ip("198.51.100.1")
        );
        let trusted = [ip("10.0.0.1")];
        assert_eq!(
            resolve(ip("198.51.100.1"), &trusted, &headers),
            ip("198.51.100.1")
        );
        assert_eq!(
            resolve(ip("10.0.0.1"), &trusted, &headers),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn the_right_most_untrusted_hop_wins_over_spoofed_ones() {
        let trusted = [ip("10.0.0.1"), ip("10.0.0.2")];
        let headers = forwarded(&["1.1.1.1, 203.0.113.9", "10.0.0.2"]);
        assert_eq!(
            resolve(ip("10.0.0.1"), &trusted, &headers),
            ip("203.0.113.9")
        );
        let garbage = forwarded(&["1.1.1.1, not-an-ip"]);
        assert_eq!(resolve(ip("10.0.0.1"), &trusted, &garbage), ip("10.0.0.1"));
        assert_eq!(
            resolve(ip("10.0.0.1"), &trusted, &HeaderMap::new()),
            ip("10.0.0.1")
        );
        let mapped = forwarded(&["::ffff:203.0.113.9"]);
        assert_eq!(
            resolve(ip("10.0.0.1"), &trusted, &mapped),
            ip("203.0.113.9")
        );
    }
}
