//! Refuses documents with too many aliases before they run (depth and complexity limits
//! are async-graphql's own, set in [`super::builder`]).

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult, Variables};

/// At most this many aliased fields per document.
pub struct AliasLimit(pub usize);

impl ExtensionFactory for AliasLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AliasLimitExtension(self.0))
    }
}

struct AliasLimitExtension(usize);

#[async_trait::async_trait]
impl Extension for AliasLimitExtension {
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
            .map(|(_, op)| &op.node.selection_set.node);
        let fragments = document
            .fragments
            .values()
            .map(|f| &f.node.selection_set.node);
        let aliases: usize = operations.chain(fragments).map(count_aliases).sum();
        if aliases > self.0 {
            let mut error = ServerError::new(
                format!(
                    "the document has {aliases} aliases; at most {} are allowed",
                    self.0
                ),
                None,
            );
            error.extensions = Some({
                let mut extensions = async_graphql::ErrorExtensionValues::default();
                extensions.set("code", "INVALID_INPUT");
                extensions
            });
            return Err(error);
        }
        Ok(document)
    }
}

fn count_aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => {
                usize::from(field.node.alias.is_some())
                    + count_aliases(&field.node.selection_set.node)
            }
            Selection::InlineFragment(fragment) => count_aliases(&fragment.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}
