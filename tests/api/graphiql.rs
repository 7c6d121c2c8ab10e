//! GraphiQL is served by the binary itself and loads nothing from elsewhere.

use crate::helpers::TestApp;

/// Every `src="…"` and `href="…"` value in `html`.
fn references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(start) = rest.find(attribute) {
            rest = &rest[start + attribute.len()..];
            let end = rest.find('"').unwrap_or(rest.len());
            found.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_references_no_external_url() {
    let app = TestApp::spawn().await;
    let page = app.get("/graphiql").await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    for external in ["http://", "https://", "//unpkg", "cdn", "esm.sh"] {
        assert!(
            !page.text.contains(external),
            "the page mentions `{external}`"
        );
    }
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );

    let references = references(&page.text);
    assert_eq!(references.len(), 5, "{references:?}");
    for reference in references {
        assert!(
            !reference.contains(':') && !reference.starts_with("//"),
            "not a same-origin reference: {reference}"
        );
        let asset = app.get(&format!("/{reference}")).await;
        assert_eq!(asset.status, 200, "{reference}");
        let expected = if reference.ends_with(".css") {
            "text/css; charset=utf-8"
        } else {
            "text/javascript; charset=utf-8"
        };
        assert_eq!(asset.header("content-type"), Some(expected), "{reference}");
        assert!(asset.text.len() > 100, "{reference} is empty");
        if reference.ends_with(".css") {
            assert!(
                !asset.text.contains("url(http") && !asset.text.contains("@import"),
                "the stylesheet loads from elsewhere"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_points_graphiql_at_this_server() {
    let app = TestApp::spawn().await;
    let init = app.get("/graphiql/assets/init.js").await;
    assert!(
        init.text
            .contains("new URL('graphql', window.location.href)"),
        "{}",
        init.text
    );
    assert!(!init.text.contains("http"), "init.js must not name a host");
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_assets_are_404() {
    let app = TestApp::spawn().await;
    app.get("/graphiql/assets/../../Cargo.toml")
        .await
        .problem(404, "NOT_FOUND");
    app.get("/graphiql/assets/nope.js")
        .await
        .problem(404, "NOT_FOUND");
}

/// The document GraphiQL opens with, as `init.js` holds it.
fn example_document(init: &str) -> &str {
    let start = init
        .find("var defaultQuery = `")
        .expect("an example document")
        + 20;
    let length = init[start..].find('`').expect("the document's end");
    &init[start..start + length]
}

#[tokio::test(flavor = "multi_thread")]
async fn graphiql_opens_with_an_example_that_runs() {
    let app = TestApp::spawn().await;
    let init = app.get("/graphiql/assets/init.js").await.text;
    let document = example_document(&init);
    assert!(
        init.contains("defaultQuery: defaultQuery"),
        "the example is handed to GraphiQL"
    );
    app.create_org(&crate::helpers::org_body(
        "org_demo",
        serde_json::json!({
            "redirect_uri": "https://demo.example.no/callback",
            "environment": "test",
        }),
    ))
    .await;
    let operations = ["Orgs", "OrgStatus", "Org", "StartLogin"];
    for operation in operations {
        assert!(
            document.contains(&format!(" {operation} {{")),
            "{operation} is not in the example"
        );
        let answer = app
            .send_json(
                "POST",
                "/graphql",
                crate::helpers::Auth::None,
                &serde_json::json!({ "query": document, "operationName": operation }),
            )
            .await
            .json();
        if operation == "StartLogin" {
            assert_eq!(
                answer["errors"][0]["extensions"]["code"], "VIPPS_UNAVAILABLE",
                "the mutation validates and runs up to the (unreachable) provider: {answer}"
            );
        } else {
            assert!(answer["errors"].is_null(), "{operation}: {answer}");
            assert!(!answer["data"].is_null(), "{operation}: {answer}");
        }
    }
    let orgs = app
        .send_json(
            "POST",
            "/graphql",
            crate::helpers::Auth::None,
            &serde_json::json!({ "query": document, "operationName": "Org" }),
        )
        .await
        .json();
    assert_eq!(orgs["data"]["vippsOrg"]["orgId"], "org_demo");
}
