//! The GraphQL adapter: schema, resolvers, the `/graphql` endpoint and GraphiQL.
//!
//! Resolvers parse their arguments into domain types, call the service layer and wrap the
//! result; doc comments on types and fields become the descriptions GraphiQL shows.

pub mod endpoint;
pub mod error;
pub mod graphiql;
mod limits;
mod loaders;
mod login;
mod orgs;
mod scalars;
mod users;

use std::sync::Arc;

use async_graphql::dataloader::DataLoader;
use async_graphql::{EmptySubscription, MergedObject, Schema, SchemaBuilder};

use crate::app::App;

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
pub struct Query(orgs::OrgQuery, users::UserQuery);

/// Every mutation root field.
#[derive(MergedObject, Default)]
pub struct Mutation(orgs::OrgMutation, login::LoginMutation, users::UserMutation);

pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

/// The application state every resolver reaches through the context.
fn app<'a>(ctx: &async_graphql::Context<'a>) -> &'a Arc<App> {
    ctx.data_unchecked::<Arc<App>>()
}

/// The schema with its limits, before any runtime data is attached.
fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_recursive_depth(32)
        .limit_directives(10)
        .extension(limits::AliasLimit(MAX_ALIASES))
}

/// The schema the server executes, wired to `app`.
pub fn build_schema(app: Arc<App>) -> AppSchema {
    builder()
        .data(DataLoader::new(
            loaders::OrgLoader(app.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            loaders::IdentitiesLoader(app.clone()),
            tokio::spawn,
        ))
        .data(app)
        .finish()
}

/// The SDL that `schema.graphql` holds (`vipps-identity schema` prints it).
pub fn sdl() -> String {
    builder().finish().sdl()
}

/// The caller's `Authorization` header, handed to resolvers that need the admin token.
#[derive(Clone)]
pub struct Authorization(pub Option<String>);
