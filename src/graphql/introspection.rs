//! Keeps introspection faithful to `schema.graphql`: async-graphql answers
//! `__schema { description }` with a fixed text about GraphQL schemas in general, which
//! clients such as GraphiQL would show as this schema's description. This schema has none,
//! so the field answers `null`, as the specification allows.
//!
//! The document is read once after parsing for where the answer holds that field (aliases
//! and fragments included); the answer is mended once after execution. The extension has no
//! per-field hook of its own.

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Name, Response, ServerResult, Value, Variables};

use super::document::top_fields;

pub struct NoSchemaDescription;

impl ExtensionFactory for NoSchemaDescription {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Mender::default())
    }
}

/// Where `__schema { description }` lands in the answer of each operation: the response
/// key of each `__schema` field, with the keys of its `description` fields.
#[derive(Default)]
struct Mender {
    places: Mutex<Vec<Place>>,
}

struct Place {
    operation: Option<Name>,
    schema_key: Name,
    descriptions: Vec<Name>,
}

#[async_trait::async_trait]
impl Extension for Mender {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let mut places = Vec::new();
        for (name, operation) in document.operations.iter() {
            for field in top_fields(&document, &operation.node.selection_set.node) {
                if field.name.node != "__schema" {
                    continue;
                }
                let descriptions: Vec<Name> = top_fields(&document, &field.selection_set.node)
                    .into_iter()
                    .filter(|f| f.name.node == "description")
                    .map(|f| f.response_key().node.clone())
                    .collect();
                if !descriptions.is_empty() {
                    places.push(Place {
                        operation: name.cloned(),
                        schema_key: field.response_key().node.clone(),
                        descriptions,
                    });
                }
            }
        }
        if let Ok(mut slot) = self.places.lock() {
            *slot = places;
        }
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        let places = self
            .places
            .lock()
            .map(|mut places| std::mem::take(&mut *places))
            .unwrap_or_default();
        if let Value::Object(data) = &mut response.data {
            let executed = places
                .into_iter()
                .filter(|p| operation_name.is_none_or(|name| p.operation.as_deref() == Some(name)));
            for place in executed {
                if let Some(Value::Object(schema)) = data.get_mut(&place.schema_key) {
                    for key in place.descriptions {
                        if let Some(description) = schema.get_mut(&key) {
                            *description = Value::Null;
                        }
                    }
                }
            }
        }
        response
    }
}
