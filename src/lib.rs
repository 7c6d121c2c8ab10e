//! vipps-identity: a GraphQL identity API server for "Log in with Vipps".
//!
//! Where things live:
//! - [`domain`]: value types that parse input once (no I/O, no framework types);
//! - [`service`]: every business operation, called by both adapters;
//! - [`db`]: diesel, the two backends and every query;
//! - [`http`]: the edge: router and server loop, the REST compatibility adapter, the
//!   `/graphql` endpoint, the self-hosted GraphiQL and health checks; parses the caller once;
//! - [`graphql`]: the GraphQL schema (types, resolvers, limits), which knows nothing of HTTP;
//! - [`vipps`]: the OpenID Connect client (discovery, token, JWKS, userinfo);
//! - [`secrets`]: resolves client-secret references (env, file, Vault);
//! - [`sessions`]: session tokens (Ed25519 JWTs) and their public key set;
//! - [`auth`]: the admin bearer token and the [`auth::Caller`] of a request;
//! - [`limits`]: in-memory rate limits per client address (per instance);
//! - [`metrics`]: the Prometheus metrics of the instance;
//! - [`capped_body`]: reads answers from Vipps and Vault up to a size cap;
//! - [`mock_vipps`]: a fake Vipps Login provider for tests and local development; never mounted by `serve`;
//! - [`config`], [`telemetry`], [`app`]: start-up wiring shared by `main` and the tests.

pub mod app;
pub mod auth;
pub mod capped_body;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod http;
pub mod limits;
pub mod metrics;
pub mod mock_vipps;
pub mod secrets;
pub mod service;
pub mod sessions;
pub mod telemetry;
pub mod vipps;

pub use app::App;
pub use config::Config;
pub use error::Error;
pub use http::serve;
