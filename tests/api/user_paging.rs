//! Paging an organization's users by cursor: every user exactly once while users come and
//! go, cursors that only this list accepts, totals only when asked (and exact for rows
//! imported straight into the tables), and searches by phone, e-mail and name part.

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use vipps_identity::service::maintenance::fold_user_counts;

use crate::helpers::{Auth, TestApp, org_body};

const ORG: &str = "org_paging";

async fn app_with_org() -> TestApp {
    let app = TestApp::spawn().await;
    app.create_org(&org_body(ORG, json!({}))).await;
    app
}

async fn create_user(app: &TestApp, n: u32) -> String {
    let body = app
        .graphql(
            Auth::Admin,
            "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
            json!({ "input": {
                "orgId": ORG,
                "phoneNumber": format!("4791{n:06}"),
                "email": format!("user{n}@example.no"),
                "name": format!("User {n}"),
            } }),
        )
        .await;
    body["data"]["createUser"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("user not created: {body}"))
        .to_owned()
}

async fn delete_user(app: &TestApp, id: &str) {
    let body = app
        .graphql(
            Auth::Admin,
            "mutation($id: String!) { deleteUser(id: $id) { deleted } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(body["data"]["deleteUser"]["deleted"], true, "{body}");
}

/// One page by cursor: the ids on it and the next cursor.
async fn page(app: &TestApp, limit: u32, after: Option<&str>) -> (Vec<String>, Option<String>) {
    let body = app
        .graphql(
            Auth::Admin,
            "query($org: String!, $limit: Int!, $after: String) {
               users(orgId: $org, limit: $limit, after: $after) { items { id } nextCursor } }",
            json!({ "org": ORG, "limit": limit, "after": after }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let users = &body["data"]["users"];
    let ids = users["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|u| u["id"].as_str().expect("id").to_owned())
        .collect();
    (ids, users["nextCursor"].as_str().map(str::to_owned))
}

async fn total(app: &TestApp, search: Option<&str>) -> Value {
    let body = app
        .graphql(
            Auth::Admin,
            "query($org: String!, $search: String) {
               users(orgId: $org, search: $search) { pagination { total } } }",
            json!({ "org": ORG, "search": search }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["users"]["pagination"]["total"].clone()
}

fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

#[tokio::test(flavor = "multi_thread")]
async fn cursor_paging_returns_every_user_once_while_users_come_and_go() {
    let app = app_with_org().await;
    let mut initial = Vec::new();
    for n in 0..20 {
        initial.push(create_user(&app, n).await);
    }
    let mut seen: Vec<String> = Vec::new();
    let mut deleted_unseen: HashSet<String> = HashSet::new();
    let mut added = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let (ids, next) = page(&app, 3, after.as_deref()).await;
        pages += 1;
        seen.extend(ids);
        let Some(next) = next else { break };
        after = Some(next);
        // Between pages: a user arrives, one not seen yet leaves, and one already seen leaves.
        added.push(create_user(&app, 100 + pages).await);
        if let Some(unseen) = initial
            .iter()
            .rev()
            .find(|id| !seen.contains(id) && !deleted_unseen.contains(*id))
        {
            delete_user(&app, unseen).await;
            deleted_unseen.insert(unseen.clone());
        }
        delete_user(&app, &seen[pages as usize - 1]).await;
    }
    let mut counts: HashMap<&str, u32> = HashMap::new();
    for id in &seen {
        *counts.entry(id).or_default() += 1;
    }
    assert!(
        counts.values().all(|n| *n == 1),
        "a user came twice: {counts:?}"
    );
    for id in &initial {
        assert_eq!(
            seen.contains(id),
            !deleted_unseen.contains(id),
            "user {id}: seen unless deleted before its page"
        );
    }
    assert!(!deleted_unseen.is_empty() && pages > 3, "{pages} pages");
    // The users added meanwhile sort after every cursor handed out, so they came too.
    assert!(added.iter().all(|id| seen.contains(id)), "added: {added:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn cursor_paging_returns_every_user_once_while_another_client_writes() {
    let app = std::sync::Arc::new(app_with_org().await);
    let mut initial = Vec::new();
    for n in 0..30 {
        initial.push(create_user(&app, n).await);
    }
    // Another client, at the same time: adds users and deletes every third of the first ones.
    let doomed: Vec<String> = initial.iter().step_by(3).cloned().collect();
    let writer = {
        let app = app.clone();
        let doomed = doomed.clone();
        tokio::spawn(async move {
            for (n, id) in doomed.iter().enumerate() {
                create_user(&app, 200 + n as u32).await;
                delete_user(&app, id).await;
            }
        })
    };
    let mut seen: Vec<String> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let (ids, next) = page(&app, 2, after.as_deref()).await;
        seen.extend(ids);
        match next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    writer.await.expect("the writer finished");
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a user came twice: {seen:?}");
    for id in initial.iter().filter(|id| !doomed.contains(id)) {
        assert!(
            seen.contains(id),
            "user {id} was there throughout but not listed"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cursors_belong_to_the_users_list_and_replace_page_numbers() {
    let app = app_with_org().await;
    for n in 0..3 {
        create_user(&app, n).await;
    }
    let (first, cursor) = page(&app, 2, None).await;
    let cursor = cursor.expect("a second page");
    let query = "query($after: String, $page: Int! = 1) {
        users(orgId: \"org_paging\", limit: 2, page: $page, after: $after) { items { id } nextCursor pagination { page limit } } }";
    let audit = app
        .graphql(
            Auth::Admin,
            "{ auditEvents(orgId: \"org_paging\", limit: 1) { nextCursor } }",
            json!({}),
        )
        .await;
    let audit_cursor = audit["data"]["auditEvents"]["nextCursor"]
        .as_str()
        .expect("an audit cursor")
        .to_owned();
    for bad in [audit_cursor.as_str(), "not-a-cursor", "", "dXNlcjox"] {
        let body = app
            .graphql(Auth::Admin, query, json!({ "after": bad }))
            .await;
        assert_eq!(error_code(&body), "INVALID_INPUT", "{bad}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "after", "{body}");
    }
    let body = app
        .graphql(Auth::Admin, query, json!({ "after": cursor, "page": 2 }))
        .await;
    assert_eq!(error_code(&body), "INVALID_INPUT", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "page", "{body}");

    let body = app
        .graphql(Auth::Admin, query, json!({ "after": cursor }))
        .await;
    let users = &body["data"]["users"];
    assert_eq!(users["items"].as_array().map(Vec::len), Some(1), "{body}");
    assert!(!first.contains(&users["items"][0]["id"].as_str().unwrap_or("").to_owned()));
    assert_eq!(
        users["nextCursor"],
        Value::Null,
        "the last page has no cursor"
    );
    assert_eq!(users["pagination"], json!({ "page": 1, "limit": 2 }));

    // A page number hands out a cursor too, to go on from there.
    let body = app.graphql(Auth::Admin, query, json!({ "page": 1 })).await;
    assert_eq!(body["data"]["users"]["nextCursor"], cursor.as_str());

    let anonymous = app.graphql(Auth::None, query, json!({})).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED", "{anonymous}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_total_is_counted_only_when_asked_for() {
    let app = app_with_org().await;
    for n in 0..3 {
        create_user(&app, n).await;
    }
    let statements = |query: &'static str| {
        let app = &app;
        async move {
            let before = app.app.db.statements();
            let body = app.graphql(Auth::Admin, query, json!({})).await;
            assert!(body["errors"].is_null(), "{body}");
            app.app.db.statements() - before
        }
    };
    let without = statements(
        "{ users(orgId: \"org_paging\") { items { id } nextCursor pagination { page limit } } }",
    )
    .await;
    let with = statements("{ users(orgId: \"org_paging\") { items { id } ...counted } } fragment counted on UserPage { pagination { total } }").await;
    assert_eq!(without, 1, "one statement without the total");
    assert_eq!(with, 2, "the total costs a statement of its own");
    assert_eq!(total(&app, None).await, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn imported_users_page_in_order_and_count_exactly() {
    let app = app_with_org().await;
    let mine = create_user(&app, 1).await;
    // Rows an operator bulk-imports: only the columns of the import contract, and many
    // with the same creation time (ties go by id).
    let ids: Vec<String> = (0..7)
        .map(|n| format!("00000000-0000-4000-8000-00000000000{n}"))
        .collect();
    let values: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(n, id)| {
            format!(
                "('{id}', '{ORG}', 'Imported {n}', 'Imported', 'Person', 'imported{n}@example.no', TRUE, '4792{n:06}', '2020-01-01 00:00:00', '2020-01-01 00:00:00')"
            )
        })
        .collect();
    app.run_sql(&format!(
        "INSERT INTO users (id, org_id, name, given_name, family_name, email, email_verified, phone_number, created_at, updated_at) VALUES {}",
        values.join(", ")
    ))
    .await;
    assert_eq!(total(&app, None).await, 8);

    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let (page_ids, next) = page(&app, 3, after.as_deref()).await;
        seen.extend(page_ids);
        match next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let mut expected = ids.clone();
    expected.push(mine);
    assert_eq!(seen, expected, "imported users first (older), ties by id");

    app.run_sql(&format!(
        "DELETE FROM users WHERE id IN ('{}', '{}')",
        ids[0], ids[1]
    ))
    .await;
    assert_eq!(total(&app, None).await, 6);
    assert_eq!(total(&app, Some("imported")).await, 5);

    // Moving a user to another organization by hand counts on both sides; folding the
    // count rows changes no total.
    app.create_org(&org_body("org_other", json!({}))).await;
    app.run_sql(&format!(
        "UPDATE users SET org_id = 'org_other' WHERE id = '{}'",
        ids[2]
    ))
    .await;
    assert_eq!(total(&app, None).await, 5);
    let folded = fold_user_counts(&app.app, 1).await.expect("fold");
    let postgres = std::env::var("TEST_DATABASE_URL").is_ok_and(|url| !url.is_empty());
    assert_eq!(
        folded > 0,
        postgres,
        "PostgreSQL appends count rows; SQLite updates one"
    );
    assert_eq!(fold_user_counts(&app.app, 1).await.expect("fold"), 0);
    assert_eq!(total(&app, None).await, 5);
    delete_user(&app, &ids[3]).await;
    assert_eq!(total(&app, None).await, 4);
    let other = app
        .graphql(
            Auth::Admin,
            "{ users(orgId: \"org_other\") { items { id } pagination { total } } }",
            json!({}),
        )
        .await;
    assert_eq!(other["data"]["users"]["pagination"]["total"], 1, "{other}");
    assert_eq!(other["data"]["users"]["items"][0]["id"], ids[2].as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn search_finds_exact_phone_and_email_and_name_parts() {
    let app = app_with_org().await;
    for n in 0..3 {
        create_user(&app, n).await;
    }
    for (search, expected) in [
        ("4791000002", 1),
        ("+47 91 00 00 01", 1),
        ("USER1@example.no", 1),
        ("user 2", 1),
        ("User", 3),
        ("479100000", 0),
        ("user1@example", 0),
        ("nobody", 0),
    ] {
        assert_eq!(total(&app, Some(search)).await, expected, "{search}");
    }
}
