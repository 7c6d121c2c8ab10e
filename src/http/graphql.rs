//! `/graphql` over HTTP, strictly: `POST` takes `application/json` only (a single request or
//! a batch of at most [`MAX_BATCH`]); `GET` runs queries from the query string, never
//! mutations. Request-level failures answer with a GraphQL-shaped `{"errors": [...]}` body.
//! The caller is identified here and handed to the resolvers as request data.

use async_graphql::parser::types::OperationType;
use async_graphql::{
    BatchRequest, BatchResponse, ErrorExtensionValues, Request as GqlRequest,
    Response as GqlResponse,
};
use std::sync::Arc;

use axum::Json;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::client_addr::{Client, client_addr};
use super::error::HttpError;
use super::extract::{body_bytes, caller, is_json};
use crate::app::App;
use crate::graphql::{AppSchema, DocumentCache, MAX_BATCH};

/// A request-level failure, in the shape GraphQL clients read.
fn failure(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let body = json!({ "errors": [{ "message": message.into(), "extensions": { "code": code } }] });
    (status, Json(body)).into_response()
}

fn from_error(error: &HttpError) -> Response {
    failure(error.status(), error.code(), error.to_string())
}

fn invalid(message: impl Into<String>) -> Response {
    failure(StatusCode::BAD_REQUEST, "INVALID_INPUT", message)
}

/// `POST /graphql`.
pub async fn post(
    State(app): State<Arc<App>>,
    State(schema): State<AppSchema>,
    State(documents): State<Arc<DocumentCache>>,
    request: Request,
) -> Response {
    if !is_json(request.headers()) {
        return failure(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "GraphQL requests must be JSON: send `Content-Type: application/json`",
        );
    }
    let addr = match client_addr(&app, request.extensions(), request.headers()) {
        Ok(addr) => addr,
        Err(error) => return from_error(&error),
    };
    let caller = caller(&app, addr, request.headers());
    let bytes = match body_bytes(request, &()).await {
        Ok(bytes) => bytes,
        Err(error) => return from_error(&error),
    };
    let batch = match parse_batch(&bytes) {
        Ok(batch) => batch,
        Err(message) => return invalid(message),
    };
    let batch = documents.prepare_batch(batch);
    let response = match schema.execute_batch(batch.data(caller).data(addr)).await {
        BatchResponse::Single(response) => BatchResponse::Single(with_codes(response)),
        BatchResponse::Batch(responses) => {
            BatchResponse::Batch(responses.into_iter().map(with_codes).collect())
        }
    };
    Json(response).into_response()
}

fn parse_batch(bytes: &[u8]) -> Result<BatchRequest, String> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("the body is not valid JSON ({e})"))?;
    match value {
        Value::Array(items) if items.is_empty() => Err("the batch is empty".into()),
        Value::Array(items) if items.len() > MAX_BATCH => Err(format!(
            "the batch has {} operations; at most {MAX_BATCH} are allowed",
            items.len()
        )),
        Value::Array(items) => Ok(BatchRequest::Batch(
            items.into_iter().map(parse_one).collect::<Result<_, _>>()?,
        )),
        single => Ok(BatchRequest::Single(parse_one(single)?)),
    }
}

fn parse_one(value: Value) -> Result<GqlRequest, String> {
    let Value::Object(fields) = &value else {
        return Err("a GraphQL request must be a JSON object with a `query`".into());
    };
    match fields.get("query") {
        None => return Err("the request has no `query`".into()),
        Some(Value::String(_)) => {}
        Some(_) => return Err("`query` must be a string".into()),
    }
    serde_json::from_value(value)
        .map_err(|e| format!("the request does not fit the GraphQL request shape ({e})"))
}

/// `GET /graphql?query=…[&variables=…][&operationName=…]`: queries only.
pub async fn get(
    State(app): State<Arc<App>>,
    State(schema): State<AppSchema>,
    State(documents): State<Arc<DocumentCache>>,
    Client(addr): Client,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let mut request = match parse_query_string(query.as_deref().unwrap_or_default()) {
        Ok(request) => documents.prepare(request),
        Err(message) => return invalid(message),
    };
    if is_mutation(&mut request) {
        let mut response = failure(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "mutations need POST",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    Json(with_codes(
        schema
            .execute(request.data(caller(&app, addr, &headers)).data(addr))
            .await,
    ))
    .into_response()
}

/// Reads the GraphQL-over-HTTP parameters `query`, `operationName` and `variables` (JSON).
fn parse_query_string(query_string: &str) -> Result<GqlRequest, String> {
    let mut query = None;
    let mut operation_name = None;
    let mut variables = None;
    for (key, value) in url::form_urlencoded::parse(query_string.as_bytes()) {
        match key.as_ref() {
            "query" => query = Some(value.into_owned()),
            "operationName" => operation_name = Some(value.into_owned()),
            "variables" => {
                let json: Value = serde_json::from_str(&value)
                    .map_err(|e| format!("`variables` is not JSON ({e})"))?;
                if !json.is_object() {
                    return Err("`variables` must be a JSON object".into());
                }
                variables = Some(async_graphql::Variables::from_json(json));
            }
            _ => {}
        }
    }
    let query = query.ok_or("the request has no `query` parameter; GraphiQL is at /graphiql")?;
    let mut request = GqlRequest::new(query);
    if let Some(name) = operation_name {
        request = request.operation_name(name);
    }
    if let Some(variables) = variables {
        request = request.variables(variables);
    }
    Ok(request)
}

/// Whether the operation the request selects is a mutation (unparsable documents are left
/// to the executor, which reports them).
fn is_mutation(request: &mut GqlRequest) -> bool {
    let operation_name = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else {
        return false;
    };
    let selected = match &operation_name {
        Some(name) => document
            .operations
            .iter()
            .find(|(n, _)| n.is_some_and(|n| n.as_str() == name)),
        None => document.operations.iter().next(),
    };
    selected.is_some_and(|(_, op)| op.node.ty == OperationType::Mutation)
}

/// Gives every error a code: the document errors async-graphql reports itself (syntax,
/// validation, limits, unknown operation) are the client's, so `INVALID_INPUT`.
fn with_codes(mut response: GqlResponse) -> GqlResponse {
    for error in &mut response.errors {
        let extensions = error
            .extensions
            .get_or_insert_with(ErrorExtensionValues::default);
        if extensions.get("code").is_none() {
            extensions.set("code", "INVALID_INPUT");
        }
    }
    response
}
