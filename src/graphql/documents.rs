//! Parsed GraphQL documents, kept by query text: clients send the same few documents over
//! and over, and parsing one costs more than the rest of a simple request. What the cache
//! saves is the parse only; the schema still checks depth, directives and complexity, and
//! validates the document against the variables of every request.

use async_graphql::parser::parse_query;
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{BatchRequest, Request};
use quick_cache::Weighter;
use quick_cache::sync::Cache;

/// How much query text the cache holds at most (documents are weighed by their text).
const CAPACITY_BYTES: u64 = 1024 * 1024;
/// About how many documents that is, for sizing the cache's tables.
const ESTIMATED_DOCUMENTS: usize = 1024;
/// Longer queries are parsed every time: real clients' documents are far smaller, and a
/// stream of large unique ones must not push them out.
const MAX_CACHED_QUERY_BYTES: usize = 16 * 1024;

/// A bounded cache of parsed documents, shared by every request of the server.
pub struct DocumentCache(Cache<String, ExecutableDocument, ByTextLength>);

#[derive(Clone)]
struct ByTextLength;

impl Weighter<String, ExecutableDocument> for ByTextLength {
    fn weight(&self, query: &String, _: &ExecutableDocument) -> u64 {
        query.len() as u64
    }
}

impl Default for DocumentCache {
    fn default() -> Self {
        Self(Cache::with_weighter(
            ESTIMATED_DOCUMENTS,
            CAPACITY_BYTES,
            ByTextLength,
        ))
    }
}

impl DocumentCache {
    /// Gives `request` the parsed document of its query: from the cache, or parsed now and
    /// remembered. A query that does not parse is left as it is, for the schema to report.
    pub fn prepare(&self, mut request: Request) -> Request {
        if let Some(document) = self.0.get(request.query.as_str()) {
            request.set_parsed_query(document);
        } else if request.query.len() <= MAX_CACHED_QUERY_BYTES
            && let Ok(document) = parse_query(&request.query)
        {
            self.0.insert(request.query.clone(), document.clone());
            request.set_parsed_query(document);
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
