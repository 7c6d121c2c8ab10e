//! Content negotiation for the legacy routes, as ServiceStack did it: a path suffix
//! (`.json`, `.jsv`) first, then a `format` query parameter, then the `Accept` header. JSON is
//! the default; a format the route cannot write is refused with 406 before anything runs.

use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::error::HttpError;
use super::jsv;
use crate::error::Error;

/// A representation a legacy route can answer in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    /// ServiceStack's JSV (`text/jsv`).
    Jsv,
}

impl Format {
    /// The format a `format` query parameter names (`json`, `jsv`, in any case).
    fn named(name: &str) -> Result<Self, HttpError> {
        match name.to_ascii_lowercase().as_str() {
            "json" => Ok(Self::Json),
            "jsv" => Ok(Self::Jsv),
            _ => Err(HttpError::NotAcceptable(
                "the `format` query parameter must be `json` or `jsv`",
            )),
        }
    }

    /// The format a media range of an `Accept` header asks for, if this route writes it;
    /// `true` when the range is a wildcard.
    fn for_media_range(range: &str) -> Option<(Self, bool)> {
        match range.to_ascii_lowercase().as_str() {
            "application/json" => Some((Self::Json, false)),
            "text/jsv" => Some((Self::Jsv, false)),
            "*/*" | "application/*" => Some((Self::Json, true)),
            _ => None,
        }
    }

    /// Picks the answer's format: the `suffix` of the path, else the `format` query
    /// parameter, else the `Accept` header (JSON when it is absent, empty or a wildcard).
    pub fn negotiate(
        suffix: Option<Self>,
        query_format: Option<&str>,
        headers: &HeaderMap,
    ) -> Result<Self, HttpError> {
        if let Some(format) = suffix {
            return Ok(format);
        }
        if let Some(name) = query_format {
            return Self::named(name);
        }
        let accept: Vec<&str> = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .filter(|range| !range.is_empty())
            .collect();
        if accept.is_empty() {
            return Ok(Self::Json);
        }
        // The acceptable range with the highest quality; at equal quality an exact media
        // type before a wildcard, then the earlier one.
        let mut best: Option<(u16, bool, Self)> = None;
        for range in accept {
            let mut parts = range.split(';').map(str::trim);
            let Some((format, wildcard)) = parts.next().and_then(Self::for_media_range) else {
                continue;
            };
            let quality = parts
                .filter_map(|param| param.strip_prefix("q="))
                .find_map(quality)
                .unwrap_or(1000);
            let rank = (quality, !wildcard);
            if quality > 0 && best.is_none_or(|(q, exact, _)| rank > (q, exact)) {
                best = Some((quality, !wildcard, format));
            }
        }
        best.map(|(_, _, format)| format)
            .ok_or(HttpError::NotAcceptable(
                "this route answers only `application/json` or `text/jsv` (ServiceStack's JSV)",
            ))
    }

    /// `body` in this format, as a response.
    pub fn respond(self, body: &impl Serialize) -> Result<Response, HttpError> {
        match self {
            Self::Json => Ok(axum::Json(body).into_response()),
            Self::Jsv => {
                let value = serde_json::to_value(body)
                    .map_err(|e| Error::Internal(anyhow::anyhow!("answer as JSV: {e}")))?;
                Ok((
                    [(header::CONTENT_TYPE, jsv::CONTENT_TYPE)],
                    jsv::to_string(&value),
                )
                    .into_response())
            }
        }
    }
}

/// An HTTP quality value (`0` to `1`, at most three decimals) in thousandths.
fn quality(text: &str) -> Option<u16> {
    let value: f64 = text.parse().ok()?;
    (0.0..=1.0)
        .contains(&value)
        .then(|| (value * 1000.0).round() as u16)
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, header};

    use super::Format;

    fn accept(value: &str) -> Result<Format, &'static str> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        Format::negotiate(None, None, &headers).map_err(|e| e.code())
    }

    #[test]
    fn the_suffix_wins_then_the_query_then_accept() {
        let mut jsv = HeaderMap::new();
        jsv.insert(header::ACCEPT, HeaderValue::from_static("text/jsv"));
        assert_eq!(
            Format::negotiate(Some(Format::Json), Some("jsv"), &jsv).unwrap(),
            Format::Json
        );
        assert_eq!(
            Format::negotiate(None, Some("JSON"), &jsv).unwrap(),
            Format::Json
        );
        assert_eq!(Format::negotiate(None, None, &jsv).unwrap(), Format::Jsv);
        assert_eq!(
            Format::negotiate(None, None, &HeaderMap::new()).unwrap(),
            Format::Json
        );
        assert_eq!(
            Format::negotiate(None, Some("xml"), &HeaderMap::new()).map_err(|e| e.code()),
            Err("NOT_ACCEPTABLE")
        );
    }

    #[test]
    fn accept_is_weighed_by_quality_and_specificity() {
        assert_eq!(accept("*/*"), Ok(Format::Json));
        assert_eq!(accept("text/jsv, */*;q=0.1"), Ok(Format::Jsv));
        assert_eq!(accept("*/*, text/jsv"), Ok(Format::Jsv));
        assert_eq!(accept("text/jsv;q=0.5, application/json"), Ok(Format::Json));
        assert_eq!(
            accept("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
            Ok(Format::Json)
        );
        assert_eq!(accept("application/xml"), Err("NOT_ACCEPTABLE"));
        assert_eq!(accept("application/json;q=0"), Err("NOT_ACCEPTABLE"));
        assert_eq!(accept("TEXT/JSV"), Ok(Format::Jsv));
    }
}
