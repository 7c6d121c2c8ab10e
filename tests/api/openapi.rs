//! `openapi.json` is the REST contract: generated from the handlers, served at
//! `GET /openapi.json`, committed beside `schema.graphql`, valid OpenAPI 3.1, and describing
//! what the server really answers. Refresh it with `UPDATE_OPENAPI=1 cargo test`.

/// The document as committed: pretty JSON with a final newline.
fn generated() -> String {
    let mut json = vipps_identity::http::openapi()
        .to_pretty_json()
        .expect("the document serializes");
    json.push('\n');
    json
}

#[test]
fn openapi_json_is_up_to_date() {
    let generated = generated();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &generated).expect("write openapi.json");
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi.json is stale: run `UPDATE_OPENAPI=1 cargo test openapi_json` and commit it"
    );
}
