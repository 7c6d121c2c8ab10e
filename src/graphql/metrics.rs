//! Counts GraphQL operations in the metrics: each root field run, by its name, kind and
//! outcome code, and each document refused before it ran (`<none>`). Operation names are
//! chosen by clients, so they never become labels.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextRequest, NextResolve, ResolveInfo,
};
use async_graphql::{Response, ServerError, ServerResult, Value};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

use crate::metrics::GraphqlLabels;

/// The extension's factory: one recorder per request.
pub struct OperationMetrics(pub Family<GraphqlLabels, Counter>);

impl ExtensionFactory for OperationMetrics {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Recorder {
            operations: self.0.clone(),
            ran: AtomicBool::new(false),
        })
    }
}

struct Recorder {
    operations: Family<GraphqlLabels, Counter>,
    /// Whether a root field ran (else the document was refused before running).
    ran: AtomicBool,
}

/// The code of an error (`INVALID_INPUT` for async-graphql's own, as the edge labels them).
fn code(error: &ServerError) -> String {
    match error.extensions.as_ref().and_then(|e| e.get("code")) {
        Some(Value::String(code)) => code.clone(),
        _ => "INVALID_INPUT".to_owned(),
    }
}

#[async_trait::async_trait]
impl Extension for Recorder {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let response = next.run(ctx).await;
        if !self.ran.load(Ordering::Relaxed) {
            let outcome = response
                .errors
                .first()
                .map_or_else(|| "ok".to_owned(), code);
            self.operations
                .get_or_create(&GraphqlLabels {
                    operation: "<none>".to_owned(),
                    kind: "<none>",
                    outcome,
                })
                .inc();
        }
        response
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.path_node.parent.is_some() {
            return next.run(ctx, info).await;
        }
        self.ran.store(true, Ordering::Relaxed);
        let kind = if info.parent_type == "Mutation" {
            "mutation"
        } else {
            "query"
        };
        let operation = info.name.to_owned();
        let result = next.run(ctx, info).await;
        let outcome = result.as_ref().map_or_else(code, |_| "ok".to_owned());
        self.operations
            .get_or_create(&GraphqlLabels {
                operation,
                kind,
                outcome,
            })
            .inc();
        result
    }
}
