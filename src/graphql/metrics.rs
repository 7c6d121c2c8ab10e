//! Counts GraphQL operations in the metrics: each root field the executed operation holds,
//! by its name, kind and outcome code, and each document refused before it ran (`<none>`).
//! Operation names and aliases are chosen by clients, so they never become labels.
//!
//! The document is read once after parsing, and the answer once after execution; the
//! extension has no per-field hook of its own (async-graphql still passes every field
//! through each extension's default `resolve`).

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextRequest,
};
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{Name, PathSegment, Response, ServerError, ServerResult, Value, Variables};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

use super::document::top_fields;
use crate::metrics::GraphqlLabels;

/// The extension's factory: one recorder per request.
pub struct OperationMetrics(pub Family<GraphqlLabels, Counter>);

impl ExtensionFactory for OperationMetrics {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Recorder {
            operations: self.0.clone(),
            state: Mutex::default(),
        })
    }
}

/// One operation of the document: its name, kind and root fields (response key, name).
struct Operation {
    name: Option<Name>,
    kind: &'static str,
    fields: Vec<(Name, Name)>,
}

#[derive(Default)]
struct State {
    operations: Vec<Operation>,
    /// Whether the operation ran (else the document was refused before running).
    ran: bool,
}

struct Recorder {
    operations: Family<GraphqlLabels, Counter>,
    state: Mutex<State>,
}

/// The code of an error (`INVALID_INPUT` for async-graphql's own, as the edge labels them).
fn code(error: &ServerError) -> String {
    match error.extensions.as_ref().and_then(|e| e.get("code")) {
        Some(Value::String(code)) => code.clone(),
        _ => "INVALID_INPUT".to_owned(),
    }
}

impl Recorder {
    fn count(&self, operation: &str, kind: &'static str, outcome: String) {
        self.operations
            .get_or_create(&GraphqlLabels {
                operation: operation.to_owned(),
                kind,
                outcome,
            })
            .inc();
    }
}

#[async_trait::async_trait]
impl Extension for Recorder {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let response = next.run(ctx).await;
        let ran = self.state.lock().is_ok_and(|state| state.ran);
        if !ran {
            let outcome = response
                .errors
                .first()
                .map_or_else(|| "ok".to_owned(), code);
            self.count("<none>", "<none>", outcome);
        }
        response
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let operations = document
            .operations
            .iter()
            .map(|(name, operation)| Operation {
                name: name.cloned(),
                kind: match operation.node.ty {
                    OperationType::Mutation => "mutation",
                    OperationType::Query | OperationType::Subscription => "query",
                },
                fields: top_fields(&document, &operation.node.selection_set.node)
                    .into_iter()
                    .map(|f| (f.response_key().node.clone(), f.name.node.clone()))
                    .collect(),
            })
            .collect();
        if let Ok(mut state) = self.state.lock() {
            state.operations = operations;
        }
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let response = next.run(ctx, operation_name).await;
        let operation = self.state.lock().ok().and_then(|mut state| {
            state.ran = true;
            let index = state.operations.iter().position(|op| {
                operation_name.is_none_or(|name| op.name.as_deref() == Some(name))
            })?;
            Some(state.operations.swap_remove(index))
        });
        let Some(operation) = operation else {
            return response;
        };
        let mut counted: Vec<&Name> = Vec::with_capacity(operation.fields.len());
        for (key, name) in &operation.fields {
            if counted.contains(&key) {
                continue;
            }
            counted.push(key);
            let failed = response.errors.iter().find(|error| {
                matches!(error.path.first(), Some(PathSegment::Field(field)) if field == key.as_str())
            });
            self.count(
                name,
                operation.kind,
                failed.map_or_else(|| "ok".to_owned(), code),
            );
        }
        response
    }
}
