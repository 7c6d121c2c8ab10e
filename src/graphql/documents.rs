//! Parsed GraphQL documents, kept by query text: clients send the same few documents over
//! and over, and parsing one costs more than the rest of a simple request. What the cache
//! saves is the parse only; the schema still checks depth, directives and complexity, and
//! validates the document against the variables of every request.

use async_graphql::parser::parse_query;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{BatchRequest, Request};
use quick_cache::Weighter;
use quick_cache::sync::Cache;

/// About how much memory the cached documents may take (each weighed by its text and an
/// estimate of its parsed tree).
const CAPACITY_BYTES: u64 = 8 * 1024 * 1024;
/// About how many documents that is, for sizing the cache's tables.
const ESTIMATED_DOCUMENTS: usize = 1024;
/// What one parsed selection costs in memory, about (a field node with its name, position,
/// arguments and directives).
const BYTES_PER_SELECTION: u64 = 256;
/// Longer queries are parsed every time: real clients' documents are far smaller, and a
/// stream of large unique ones must not push them out.
const MAX_CACHED_QUERY_BYTES: usize = 8 * 1024;

/// A bounded cache of parsed documents, shared by every request of the server.
pub struct DocumentCache(Cache<String, Parsed, ByMemory>);

/// A parsed document and what it weighs.
#[derive(Clone)]
struct Parsed {
    document: ExecutableDocument,
    weight: u64,
}

impl Parsed {
    fn new(query: &str, document: ExecutableDocument) -> Self {
        let operations = document
            .operations
            .iter()
            .map(|(_, operation)| &operation.node.selection_set.node);
        let fragments = document
            .fragments
            .values()
            .map(|fragment| &fragment.node.selection_set.node);
        let selections: u64 = operations.chain(fragments).map(count_selections).sum();
        Self {
            document,
            weight: query.len() as u64 + selections * BYTES_PER_SELECTION,
        }
    }
}

/// The selections in `set`, nested ones included.
fn count_selections(set: &SelectionSet) -> u64 {
    set.items
        .iter()
        .map(|item| {
            1 + match &item.node {
                Selection::Field(field) => count_selections(&field.node.selection_set.node),
                Selection::InlineFragment(fragment) => {
                    count_selections(&fragment.node.selection_set.node)
                }
                Selection::FragmentSpread(_) => 0,
            }
        })
        .sum()
}

#[derive(Clone)]
struct ByMemory;

impl Weighter<String, Parsed> for ByMemory {
    fn weight(&self, _: &String, parsed: &Parsed) -> u64 {
        parsed.weight
    }
}

impl Default for DocumentCache {
    fn default() -> Self {
        Self(Cache::with_weighter(
            ESTIMATED_DOCUMENTS,
            CAPACITY_BYTES,
            ByMemory,
        ))
    }
}

impl DocumentCache {
    /// Gives `request` the parsed document of its query: from the cache, or parsed now and
    /// remembered. A query that does not parse is left as it is, for the schema to report.
    pub fn prepare(&self, mut request: Request) -> Request {
        if let Some(parsed) = self.0.get(request.query.as_str()) {
            request.set_parsed_query(parsed.document);
        } else if request.query.len() <= MAX_CACHED_QUERY_BYTES
            && let Ok(document) = parse_query(&request.query)
        {
            let parsed = Parsed::new(&request.query, document);
            request.set_parsed_query(parsed.document.clone());
            self.0.insert(request.query.clone(), parsed);
        }
        request
    }

    /// [`DocumentCache::prepare`] for each request of a batch.
    pub fn prepare_batch(&self, batch: BatchRequest) -> BatchRequest {
        match batch {
            BatchRequest::Single(request) => BatchRequest::Single(self.prepare(request)),
            BatchRequest::Batch(requests) => BatchRequest::Batch(
                requests
                    .into_iter()
                    .map(|request| self.prepare(request))
                    .collect(),
            ),
        }
    }
}
