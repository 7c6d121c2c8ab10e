//! Service errors as GraphQL errors with `extensions.code` (and `extensions.field` for
//! invalid input, spelled in camelCase like the schema).

use std::sync::Arc;

use async_graphql::ErrorExtensions;

use crate::domain::InvalidInput;
use crate::error::Error;

/// A service error on its way to a GraphQL response. Deliberately without `Display`:
/// async-graphql converts any `Display` type itself, and this conversion must win.
/// Shared, because the batching loader hands one error to every field that waited on it.
pub struct GqlError(Arc<Error>);

impl From<Error> for GqlError {
    fn from(error: Error) -> Self {
        Self(Arc::new(error))
    }
}

impl From<InvalidInput> for GqlError {
    fn from(invalid: InvalidInput) -> Self {
        Self::from(Error::InvalidInput(invalid))
    }
}

/// Request data a resolver needs is missing: a wiring fault, never the client's.
impl From<async_graphql::Error> for GqlError {
    fn from(error: async_graphql::Error) -> Self {
        Self::from(Error::Internal(anyhow::anyhow!(
            "GraphQL context: {}",
            error.message
        )))
    }
}

impl From<Arc<Error>> for GqlError {
    fn from(error: Arc<Error>) -> Self {
        Self(error)
    }
}

impl From<GqlError> for async_graphql::Error {
    fn from(GqlError(error): GqlError) -> Self {
        to_graphql(&error)
    }
}

/// The GraphQL form of `error` (server faults are logged here, and returned opaque).
fn to_graphql(error: &Error) -> async_graphql::Error {
    error.log_if_server_fault();
    let (message, field) = match error {
        Error::InvalidInput(invalid) => (
            invalid.describe(camel_case),
            invalid.field_name().map(camel_case),
        ),
        other => (other.to_string(), None),
    };
    async_graphql::Error::new(message).extend_with(|_, extensions| {
        extensions.set("code", error.code());
        if let Some(field) = field {
            extensions.set("field", field);
        }
        if let Some(secs) = error.retry_after_secs() {
            extensions.set("retryAfter", secs);
        }
        if let Some(provider) = error.provider_error() {
            extensions.set("vippsError", provider.error.as_str());
            if let Some(description) = &provider.description {
                extensions.set("vippsErrorDescription", description.as_str());
            }
            if let Some(hint) = &provider.hint {
                extensions.set("vippsErrorHint", hint.as_str());
            }
        }
    })
}

/// `redirect_uri` → `redirectUri`.
fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn camel_case() {
        assert_eq!(
            super::camel_case("token_endpoint_auth_method"),
            "tokenEndpointAuthMethod"
        );
        assert_eq!(super::camel_case("page"), "page");
    }
}
