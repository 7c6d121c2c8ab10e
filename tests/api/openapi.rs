//! `openapi.json` is the REST contract: generated from the handlers, served at
//! `GET /openapi.json`, committed beside `schema.graphql`, valid OpenAPI 3.1, and describing
//! what the server really answers. Refresh it with `UPDATE_OPENAPI=1 cargo test`.

use serde_json::{Value, json};

use crate::helpers::{Auth, TestApp, TestResponse, org_body};
use crate::rig::{LoginRig, ORG_ID};

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

/// The generated document as JSON.
fn document() -> Value {
    serde_json::from_str(&generated()).expect("the document is JSON")
}

/// Every object schema in `value` closed to the properties it names, so a field the server
/// answers but the document lacks fails validation.
fn closed(mut value: Value) -> Value {
    fn close(value: &mut Value) {
        match value {
            Value::Object(map) => {
                if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                    map.insert("additionalProperties".to_owned(), Value::Bool(false));
                }
                map.values_mut().for_each(close);
            }
            Value::Array(items) => items.iter_mut().for_each(close),
            _ => {}
        }
    }
    close(&mut value);
    value
}

/// A validator for `schema` (which may `$ref` the document's components), closed.
fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let root = closed(json!({ "components": doc["components"], "allOf": [schema] }));
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&root)
        .unwrap_or_else(|e| panic!("schema does not compile ({e}): {schema}"))
}

#[track_caller]
fn assert_valid(doc: &Value, schema: &Value, instance: &Value, what: &str) {
    let validator = validator(doc, schema);
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match its schema: {errors:?}\n{instance}"
    );
}

/// Every `$ref` target in `value`.
fn refs(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                found.push(target.clone());
            }
            map.values().for_each(|v| refs(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
        _ => {}
    }
}

#[test]
fn the_document_is_valid_openapi_3_1() {
    let text = generated();
    let spec = oas3::from_json(&text).expect("the document parses as OpenAPI 3.1");
    let version = spec
        .validate_version()
        .expect("a supported OpenAPI version");
    assert_eq!((version.major, version.minor), (3, 1));

    let doc = document();
    let mut targets = Vec::new();
    refs(&doc, &mut targets);
    assert!(!targets.is_empty());
    for target in targets {
        let pointer = target.strip_prefix('#').expect("a local reference");
        assert!(
            doc.pointer(pointer).is_some(),
            "`{target}` resolves to nothing"
        );
    }
    for (name, schema) in doc["components"]["schemas"].as_object().expect("schemas") {
        jsonschema::meta::validate(schema)
            .unwrap_or_else(|e| panic!("schema `{name}` is not JSON Schema 2020-12: {e}"));
    }

    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            operations += 1;
            let what = format!("{} {path}", method.to_uppercase());
            let responses = operation["responses"].as_object().expect("responses");
            assert!(
                responses
                    .keys()
                    .any(|s| s.starts_with('2') || s.starts_with('3')),
                "{what} documents no success"
            );
            let admin = operation["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|r| r.get("admin").is_some()));
            if admin {
                for status in ["401", "429"] {
                    assert!(responses.contains_key(status), "{what} lacks {status}");
                }
            }
            if let Some(body) = operation.get("requestBody") {
                assert!(responses.contains_key("413"), "{what} lacks 413");
                for (media, content) in body["content"].as_object().expect("content") {
                    if let Some(example) = content.get("example") {
                        let what = format!("the request example of {what} {media}");
                        assert_valid(&doc, &content["schema"], example, &what);
                    }
                }
            }
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let problem = &response["content"]["application/problem+json"]["schema"];
                    assert_eq!(
                        problem["$ref"], "#/components/schemas/Problem",
                        "{what} {status} is not a problem answer"
                    );
                    assert!(
                        response["description"]
                            .as_str()
                            .is_some_and(|d| d.contains('`')),
                        "{what} {status} names no code"
                    );
                }
                for (media, content) in response["content"].as_object().into_iter().flatten() {
                    if let Some(example) = content.get("example") {
                        let what = format!("the example of {what} {status} {media}");
                        assert_valid(&doc, &content["schema"], example, &what);
                    }
                }
            }
        }
    }
    assert_eq!(operations, 16, "every REST route is documented");
}

/// The response `doc` documents for this answer: its status and media type must be listed
/// and its body must match the schema (closed to the documented fields). Returns the
/// documented example, if any.
#[track_caller]
fn check_answer(doc: &Value, method: &str, path: &str, answer: &TestResponse) -> Option<Value> {
    let what = format!("{method} {path} {}", answer.status);
    let operation = &doc["paths"][path][method.to_lowercase()];
    assert!(operation.is_object(), "{method} {path} is not documented");
    let response = &operation["responses"][answer.status.to_string()];
    assert!(
        response.is_object(),
        "{what} is not documented: {}",
        answer.text
    );
    let media = answer
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_owned());
    let Some(media) = media else {
        assert!(
            response.get("content").is_none(),
            "{what} has no body but documents one"
        );
        return None;
    };
    let content = &response["content"][&media];
    assert!(
        content.is_object(),
        "{what} answered `{media}`, undocumented"
    );
    if media.ends_with("json") {
        assert_valid(doc, &content["schema"], &answer.json(), &what);
    } else {
        assert_eq!(content["schema"]["type"], "string", "{what}");
    }
    content.get("example").cloned()
}

/// The answer's JSON, without what the other engineer's request ids add (`instance`).
fn comparable(answer: &TestResponse) -> Value {
    let mut body = answer.json();
    if let Some(map) = body.as_object_mut() {
        map.remove("instance");
    }
    body
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_serves_the_committed_document() {
    let app = TestApp::spawn().await;
    let served = app.get("/openapi.json").await;
    assert_eq!(served.status, 200);
    assert_eq!(
        served
            .headers
            .get("content-type")
            .map(|v| v.to_str().unwrap()),
        Some("application/json")
    );
    assert_eq!(served.json(), document());
}

#[tokio::test(flavor = "multi_thread")]
async fn real_answers_match_the_document_and_its_examples() {
    let doc = document();
    let rig = LoginRig::new().await;
    let app = &rig.app;
    let check = |method: &str, path: &str, answer: &TestResponse| {
        check_answer(&doc, method, path, answer);
    };
    let mut examples_seen = 0;
    let mut check_example = |method: &str, path: &str, answer: &TestResponse| {
        let example = check_answer(&doc, method, path, answer)
            .unwrap_or_else(|| panic!("{method} {path} {} has no example", answer.status));
        assert_eq!(
            comparable(answer),
            example,
            "{method} {path}: the example is not the real answer"
        );
        examples_seen += 1;
    };

    check_example("GET", "/healthz", &app.get("/healthz").await);
    check_example("GET", "/readyz", &app.get("/readyz").await);
    check(
        "GET",
        "/.well-known/jwks.json",
        &app.get("/.well-known/jwks.json").await,
    );

    let orgs = "/api/v1/vipps-orgs";
    let one = "/api/v1/vipps-orgs/{org_id}";
    let request_example = |method: &str, path: &str| {
        doc["paths"][path][method]["requestBody"]["content"]["application/json"]["example"].clone()
    };
    let created = app
        .send_json("POST", orgs, Auth::Admin, &request_example("post", orgs))
        .await;
    assert_eq!(
        created.status, 201,
        "the create example creates: {}",
        created.text
    );
    check("POST", orgs, &created);
    let updated = app
        .send_json(
            "PUT",
            "/api/v1/vipps-orgs/org_ny_klinikk",
            Auth::Admin,
            &request_example("put", one),
        )
        .await;
    assert_eq!(
        updated.status, 200,
        "the update example updates: {}",
        updated.text
    );
    check("PUT", one, &updated);
    let body = org_body("org_doc", json!({ "merchant_serial_number": "123456" }));
    check_example(
        "POST",
        orgs,
        &app.send_json("POST", orgs, Auth::None, &body).await,
    );
    check(
        "POST",
        orgs,
        &app.send_json("POST", orgs, Auth::Admin, &body).await,
    );
    check(
        "POST",
        orgs,
        &app.send_json("POST", orgs, Auth::Admin, &body).await,
    );
    check(
        "POST",
        orgs,
        &app.request(
            "POST",
            orgs,
            Auth::Admin,
            Some("text/plain"),
            Some(b"{}".to_vec()),
        )
        .await,
    );
    let large = vec![b' '; 70 * 1024];
    check(
        "POST",
        orgs,
        &app.request(
            "POST",
            orgs,
            Auth::Admin,
            Some("application/json"),
            Some(large),
        )
        .await,
    );
    check(
        "POST",
        orgs,
        &app.send_json("POST", orgs, Auth::Admin, &json!({ "org_id": "Bad Id" }))
            .await,
    );
    check(
        "GET",
        orgs,
        &app.get("/api/v1/vipps-orgs?include_disabled=true&limit=5")
            .await,
    );
    check("GET", orgs, &app.get("/api/v1/vipps-orgs?page=0").await);
    check("GET", one, &app.get("/api/v1/vipps-orgs/org_doc").await);
    check_example("GET", one, &app.get("/api/v1/vipps-orgs/org_missing").await);
    check(
        "GET",
        one,
        &app.get("/api/v1/vipps-orgs/Not%20An%20Id").await,
    );
    check(
        "GET",
        "/api/v1/vipps-orgs/{org_id}/status",
        &app.get("/api/v1/vipps-orgs/org_doc/status").await,
    );
    let update =
        json!({ "vipps_enabled": false, "merchant_serial_number": null, "scopes": ["openid"] });
    check(
        "PUT",
        one,
        &app.send_json("PUT", "/api/v1/vipps-orgs/org_doc", Auth::Admin, &update)
            .await,
    );
    check(
        "PUT",
        one,
        &app.send_json(
            "PUT",
            "/api/v1/vipps-orgs/org_missing",
            Auth::Admin,
            &update,
        )
        .await,
    );
    check(
        "DELETE",
        one,
        &app.request(
            "DELETE",
            "/api/v1/vipps-orgs/org_doc",
            Auth::Admin,
            None,
            None,
        )
        .await,
    );
    check(
        "DELETE",
        one,
        &app.request(
            "DELETE",
            "/api/v1/vipps-orgs/org_doc",
            Auth::Wrong,
            None,
            None,
        )
        .await,
    );

    let start = "/vipps/login/start";
    check(
        "GET",
        start,
        &app.get(&format!("{start}?orgId={ORG_ID}&nextRelativeUrl=/next"))
            .await,
    );
    check(
        "GET",
        start,
        &app.get(&format!("{start}?orgId={ORG_ID}&redirect=true"))
            .await,
    );
    check(
        "GET",
        start,
        &app.get(&format!("{start}?orgId=org_missing")).await,
    );
    check(
        "GET",
        start,
        &app.get(&format!("{start}?nextRelativeUrl=/next")).await,
    );

    let redirect = rig.approved_redirect().await;
    let callback = rig.callback(&redirect).await;
    check("GET", "/vipps/login/callback", &callback);
    check_example(
        "GET",
        "/vipps/login/callback",
        &rig.callback(&redirect).await,
    );
    let session = callback.json()["sessionToken"]
        .as_str()
        .expect("session")
        .to_owned();
    let redirect = rig.approved_redirect().await;
    let token = rig.completion_token(&redirect).expect("token");
    let query = format!(
        "state={}&code={}&completionToken={token}",
        redirect["state"], redirect["code"]
    );
    check(
        "GET",
        "/vipps/login/callback",
        &app.get(&format!("/vipps/login/callback?{query}&format=xml"))
            .await,
    );
    check(
        "GET",
        "/vipps/login/callback.jsv",
        &app.get(&format!("/vipps/login/callback.jsv?{query}")).await,
    );
    // Spent by the JSV answer above.
    check_example(
        "GET",
        "/vipps/login/callback.jsv",
        &app.get(&format!("/vipps/login/callback.jsv?{query}")).await,
    );
    check_example(
        "GET",
        "/vipps/login/callback.json",
        &app.get(&format!("/vipps/login/callback.json?{query}"))
            .await,
    );
    check(
        "GET",
        "/vipps/login/callback.json",
        &app.get("/vipps/login/callback.json").await,
    );

    let introspect = "/oauth2/introspect";
    check(
        "POST",
        introspect,
        &app.post_form(introspect, Auth::Admin, &[("token", &session)])
            .await,
    );
    check_example(
        "POST",
        introspect,
        &app.post_form(introspect, Auth::Admin, &[("token", "not-a-session")])
            .await,
    );
    check(
        "POST",
        introspect,
        &app.post_form(introspect, Auth::Admin, &[]).await,
    );
    check(
        "POST",
        introspect,
        &app.post_form(introspect, Auth::None, &[("token", &session)])
            .await,
    );
    check(
        "POST",
        introspect,
        &app.request(
            "POST",
            introspect,
            Auth::Admin,
            Some("application/json"),
            Some(b"{}".to_vec()),
        )
        .await,
    );

    let logout = |token: &str| {
        let request = reqwest::Client::new()
            .post(app.url("/vipps/logout"))
            .bearer_auth(token);
        async move {
            let response = request.send().await.expect("logout reaches the server");
            TestResponse {
                status: response.status().as_u16(),
                headers: response.headers().clone(),
                text: response.text().await.expect("body"),
            }
        }
    };
    check("POST", "/vipps/logout", &logout(&session).await);
    check_example("POST", "/vipps/logout", &logout(&session).await);

    let consent = "/vipps/consent/{org_id}/{secret}";
    let wrong = app
        .request(
            "POST",
            &format!("/vipps/consent/{ORG_ID}/wrong-secret"),
            Auth::None,
            Some("text/plain"),
            Some(b"x.y.".to_vec()),
        )
        .await;
    check_example("POST", consent, &wrong);

    let documented = doc["paths"]
        .as_object()
        .expect("paths")
        .values()
        .flat_map(|item| item.as_object().expect("item").values())
        .flat_map(|operation| {
            operation["responses"]
                .as_object()
                .expect("responses")
                .values()
        })
        .flat_map(|response| response["content"].as_object().into_iter().flatten())
        .filter(|(_, content)| content.get("example").is_some())
        .count();
    assert_eq!(
        examples_seen, documented,
        "every documented example is compared with a real answer"
    );
}
