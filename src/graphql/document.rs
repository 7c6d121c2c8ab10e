//! What a document asks for at the top of a selection, read once after parsing (before
//! validation, so fragment cycles are cut off by a depth limit).

use async_graphql::parser::types::{ExecutableDocument, Field, Selection, SelectionSet};

/// How deep fragments are followed; deeper documents are refused by the depth limit anyway.
const MAX_FRAGMENT_DEPTH: usize = super::MAX_DEPTH;

/// The fields of `set` itself, with those of the fragments it spreads or inlines.
pub fn top_fields<'a>(document: &'a ExecutableDocument, set: &'a SelectionSet) -> Vec<&'a Field> {
    let mut fields = Vec::new();
    collect(document, set, 0, &mut fields);
    fields
}

fn collect<'a>(
    document: &'a ExecutableDocument,
    set: &'a SelectionSet,
    depth: usize,
    fields: &mut Vec<&'a Field>,
) {
    if depth > MAX_FRAGMENT_DEPTH {
        return;
    }
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => fields.push(&field.node),
            Selection::InlineFragment(fragment) => {
                collect(
                    document,
                    &fragment.node.selection_set.node,
                    depth + 1,
                    fields,
                );
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node) {
                    collect(
                        document,
                        &fragment.node.selection_set.node,
                        depth + 1,
                        fields,
                    );
                }
            }
        }
    }
}
