//! The GraphQL schema: types, resolvers, the loader of organizations, limits and the error
//! mapping. It knows nothing of HTTP: the edge (`http/`) executes it with the request's
//! [`Caller`] as request data.
//!
//! Resolvers parse their arguments into domain types, call the service layer and wrap the
//! result; doc comments on types and fields become the descriptions GraphiQL shows.

mod audit;
mod document;
mod documents;
pub mod error;
mod introspection;
mod limits;
mod loaders;
mod login;
mod metrics;
mod orgs;
mod scalars;
mod users;

pub use documents::DocumentCache;

use std::sync::Arc;

use async_graphql::dataloader::DataLoader;
use async_graphql::{EmptySubscription, MergedObject, Schema, SchemaBuilder};

use crate::app::App;
use crate::auth::Caller;
use crate::limits::ClientAddr;
use error::GqlError;

/// The deepest selection nesting a document may have. The introspection query GraphiQL
/// sends on load is 15 deep (nine nested `ofType`); our own types nest at most 3 deep.
pub const MAX_DEPTH: usize = 16;
/// The largest total field complexity of one operation.
pub const MAX_COMPLEXITY: usize = 250;
/// The most aliased fields one document may hold.
pub const MAX_ALIASES: usize = 30;
/// The most operations one batched request may carry.
pub const MAX_BATCH: usize = 10;

/// Every query root field.
#[derive(MergedObject, Default)]
pub struct Query(orgs::OrgQuery, users::UserQuery, audit::AuditQueryRoot);

/// Every mutation root field.
#[derive(MergedObject, Default)]
pub struct Mutation(orgs::OrgMutation, login::LoginMutation, users::UserMutation);

pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

/// The application state every resolver reaches through the context.
fn app<'a>(ctx: &async_graphql::Context<'a>) -> Result<&'a Arc<App>, GqlError> {
    Ok(ctx.data::<Arc<App>>()?)
}

/// The client address of the request, found by the HTTP edge.
fn client_addr(ctx: &async_graphql::Context<'_>) -> Result<ClientAddr, GqlError> {
    Ok(*ctx.data::<ClientAddr>()?)
}

/// The caller of the request, identified by the HTTP edge.
fn caller<'a>(ctx: &async_graphql::Context<'a>) -> Result<&'a Caller, GqlError> {
    Ok(ctx.data::<Caller>()?)
}

/// The schema with its limits, before any runtime data is attached.
fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_recursive_depth(32)
        .limit_directives(10)
        .extension(limits::AliasLimit(MAX_ALIASES))
        .extension(introspection::NoSchemaDescription)
}

/// The schema the server executes, wired to `app`.
pub fn build_schema(app: Arc<App>) -> AppSchema {
    builder()
        .data(DataLoader::new(
            loaders::OrgLoader(app.clone()),
            tokio::spawn,
        ))
        .extension(metrics::OperationMetrics(app.metrics.graphql.clone()))
        .data(app)
        .finish()
}

/// The SDL that `schema.graphql` holds (`vipps-identity schema` prints it): what
/// introspection serves, `@specifiedBy` included.
pub fn sdl() -> String {
    builder()
        .finish()
        .sdl_with_options(async_graphql::SDLExportOptions::new().include_specified_by())
}
