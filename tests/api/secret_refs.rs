//! Client-secret references cannot reach the server's own secrets: `file://` only inside
//! `SECRET_FILE_DIR` (after `..` and symlinks), small regular files only; `env://` never one
//! of the server's settings. Refused at create and update through both adapters, and again
//! at login, where the public error names no reference.

use serde_json::{Value, json};

use crate::helpers::{Auth, TestApp, login_config, org_body};
use crate::login_secrets::captured_logs;
use crate::orgs_graphql::{create_mutation, error_code as graphql_code};
use crate::rig::{CLIENT_SECRET, LoginRig, RigOptions, error_code};

const UPDATE: &str = "mutation($orgId: String!, $input: UpdateVippsOrgInput!) { updateVippsOrg(orgId: $orgId, input: $input) { orgId } }";

/// A server whose `SECRET_FILE_DIR` is `dir` (or unset).
async fn app_with_dir(dir: Option<&std::path::Path>) -> TestApp {
    let dir = dir.map(|d| d.display().to_string());
    let mut args = Vec::new();
    if let Some(dir) = &dir {
        args.extend(["--secret-file-dir", dir.as_str()]);
    }
    TestApp::spawn_with(login_config(&args)).await
}

/// Asserts that `reference` is refused by REST create and update and by GraphQL create and
/// update, with `INVALID_INPUT` on the `client_secret_ref` field, and that nothing changed.
async fn assert_refused_everywhere(app: &TestApp, reference: &str, reason: &str) {
    let rest = app
        .send_json(
            "POST",
            "/api/v1/vipps-orgs",
            Auth::Admin,
            &org_body("org_new", json!({ "client_secret_ref": reference })),
        )
        .await
        .problem(400, "INVALID_INPUT");
    assert_refusal(
        &rest["field"],
        &rest["detail"],
        "client_secret_ref",
        reference,
        reason,
    );

    let rest = app
        .send_json(
            "PUT",
            "/api/v1/vipps-orgs/org_existing",
            Auth::Admin,
            &json!({ "client_secret_ref": reference }),
        )
        .await
        .problem(400, "INVALID_INPUT");
    assert_refusal(
        &rest["field"],
        &rest["detail"],
        "client_secret_ref",
        reference,
        reason,
    );

    let input = json!({
        "orgId": "org_new", "clientId": "client-new", "clientSecretRef": reference,
        "redirectUri": "myapp://vipps-callback", "scopes": ["openid"], "environment": "TEST"
    });
    let body = app
        .graphql(Auth::Admin, &create_mutation(), json!({ "input": input }))
        .await;
    assert_eq!(graphql_code(&body), "INVALID_INPUT", "{body}");
    let error = &body["errors"][0];
    assert_refusal(
        &error["extensions"]["field"],
        &error["message"],
        "clientSecretRef",
        reference,
        reason,
    );

    let body = app
        .graphql(
            Auth::Admin,
            UPDATE,
            json!({ "orgId": "org_existing", "input": { "clientSecretRef": reference } }),
        )
        .await;
    assert_eq!(graphql_code(&body), "INVALID_INPUT", "{body}");
    let error = &body["errors"][0];
    assert_refusal(
        &error["extensions"]["field"],
        &error["message"],
        "clientSecretRef",
        reference,
        reason,
    );

    assert_eq!(app.org_count().await, 1, "{reference}: nothing was created");
    let stored = app.get("/api/v1/vipps-orgs/org_existing").await.json();
    assert_eq!(
        stored["client_secret_ref"], "env://SECRET_ORG_EXISTING",
        "{reference}"
    );
}

#[track_caller]
fn assert_refusal(
    field: &Value,
    message: &Value,
    expected_field: &str,
    reference: &str,
    reason: &str,
) {
    assert_eq!(field, expected_field, "{reference}");
    let message = message.as_str().unwrap_or_default();
    assert!(message.contains(reason), "{reference}: {message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn references_to_the_servers_own_secrets_are_refused_by_both_adapters() {
    let dir = tempfile::tempdir().expect("dir");
    let outside = tempfile::tempdir().expect("outside dir");
    let outside_file = outside.path().join("session-key.pem");
    std::fs::write(&outside_file, "not for orgs").expect("write");
    std::os::unix::fs::symlink(&outside_file, dir.path().join("escape")).expect("symlink");
    std::os::unix::fs::symlink(outside.path(), dir.path().join("escape_dir")).expect("symlink");
    std::fs::create_dir(dir.path().join("sub")).expect("subdir");
    let app = app_with_dir(Some(dir.path())).await;
    app.create_org(&org_body("org_existing", json!({}))).await;

    let inside = dir.path().display();
    for (reference, reason) in [
        (
            format!("file://{}", outside_file.display()),
            "inside the server's secret directory",
        ),
        (
            format!(
                "file://{inside}/../{}",
                outside
                    .path()
                    .file_name()
                    .and_then(|n| n.to_str())
                    .expect("name")
            ),
            "inside the server's secret directory",
        ),
        (format!("file://{inside}/escape"), "outside SECRET_FILE_DIR"),
        (
            format!("file://{inside}/escape_dir/session-key.pem"),
            "outside SECRET_FILE_DIR",
        ),
        (format!("file://{inside}/sub"), "not a regular file"),
        (
            "file:///dev/zero".to_owned(),
            "inside the server's secret directory",
        ),
        (
            "file:///proc/self/environ".to_owned(),
            "inside the server's secret directory",
        ),
        ("env://ADMIN_TOKEN".to_owned(), "server's own settings"),
        ("env://DATABASE_URL".to_owned(), "server's own settings"),
        ("env://VAULT_TOKEN".to_owned(), "server's own settings"),
        ("env://SECRET_FILE_DIR".to_owned(), "server's own settings"),
        ("env://RUST_LOG".to_owned(), "server's own settings"),
    ] {
        assert_refused_everywhere(&app, &reference, reason).await;
    }

    let big = dir.path().join("big");
    std::fs::write(&big, "x".repeat(4097)).expect("write");
    assert_refused_everywhere(
        &app,
        &format!("file://{}", big.display()),
        "larger than 4096 bytes",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn file_references_are_refused_when_no_directory_is_configured() {
    let app = app_with_dir(None).await;
    app.create_org(&org_body("org_existing", json!({}))).await;
    assert_refused_everywhere(
        &app,
        "file:///run/secrets/vipps",
        "SECRET_FILE_DIR is not set",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unconfigured_env_and_vault_and_missing_files_are_still_accepted() {
    let dir = tempfile::tempdir().expect("dir");
    let app = app_with_dir(Some(dir.path())).await;
    for (org_id, reference) in [
        (
            "org_env",
            "env://VIPPS_IDENTITY_NOT_SET_ANYWHERE".to_owned(),
        ),
        ("org_mock", "env://MOCK_VIPPS_CLIENT_SECRET".to_owned()),
        ("org_vault", "vault://vipps/org/client_secret".to_owned()),
        (
            "org_file",
            format!("file://{}/later/client_secret", dir.path().display()),
        ),
    ] {
        app.create_org(&org_body(org_id, json!({ "client_secret_ref": reference })))
            .await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn env_prefix_restricts_env_references() {
    let app = TestApp::spawn_with(login_config(&["--secret-env-prefix", "VIPPS_SECRET_"])).await;
    app.create_org(&org_body(
        "org_ok",
        json!({ "client_secret_ref": "env://VIPPS_SECRET_OK" }),
    ))
    .await;
    let refused = app
        .send_json(
            "POST",
            "/api/v1/vipps-orgs",
            Auth::Admin,
            &org_body(
                "org_other",
                json!({ "client_secret_ref": "env://OTHER_SECRET" }),
            ),
        )
        .await
        .problem(400, "INVALID_INPUT");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("SECRET_ENV_PREFIX")),
        "{refused}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_file_inside_the_directory_logs_in() {
    let rig = LoginRig::new().await;
    let redirect = rig.approved_redirect().await;
    let body = rig.complete(&redirect).await;
    assert!(body["errors"].is_null(), "{body}");
}

/// A rig that reads the secret file at every login (no cache).
async fn uncached_rig() -> LoginRig {
    LoginRig::with(RigOptions {
        server_args: vec!["--secret-cache-secs".into(), "0".into()],
        ..RigOptions::default()
    })
    .await
}

/// Completes a login through GraphQL and REST; both must be `SECRET_UNAVAILABLE` with a
/// message that names no reference, while the log line has the reference and `reason`.
async fn assert_unavailable_at_login(rig: &LoginRig, reason: &str) {
    let logs = captured_logs();
    let reference = format!(
        "file://{}",
        rig.secret_dir.path().join("client_secret").display()
    );
    let body = rig.complete(&rig.approved_redirect().await).await;
    assert_eq!(error_code(&body), "SECRET_UNAVAILABLE", "{body}");
    let text = body.to_string();
    assert!(
        !text.contains("client_secret") && !text.contains("file://"),
        "{body}"
    );
    assert_eq!(
        body["errors"][0]["message"],
        "the organization's client secret cannot be read right now"
    );
    let problem = rig
        .callback(&rig.approved_redirect().await)
        .await
        .problem(503, "SECRET_UNAVAILABLE");
    assert!(!problem.to_string().contains("file://"), "{problem}");

    let logs = String::from_utf8_lossy(&logs.lock().expect("logs")).into_owned();
    let logged = logs.lines().any(|line| {
        line.contains("secret unavailable") && line.contains(&reference) && line.contains(reason)
    });
    assert!(logged, "no log line with the reference and `{reason}`");
    assert!(!logs.contains(CLIENT_SECRET), "the secret is not logged");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_file_swapped_for_a_symlink_after_creation_is_secret_unavailable() {
    let rig = uncached_rig().await;
    let body = rig.complete(&rig.approved_redirect().await).await;
    assert!(body["errors"].is_null(), "the file works first: {body}");

    let outside = tempfile::tempdir().expect("outside");
    let target = outside.path().join("environ");
    std::fs::write(&target, CLIENT_SECRET).expect("write");
    let file = rig.secret_dir.path().join("client_secret");
    std::fs::remove_file(&file).expect("remove");
    std::os::unix::fs::symlink(&target, &file).expect("symlink");
    assert_unavailable_at_login(&rig, "outside SECRET_FILE_DIR").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_file_that_grows_too_big_is_secret_unavailable() {
    let rig = uncached_rig().await;
    let file = rig.secret_dir.path().join("client_secret");
    std::fs::write(&file, "x".repeat(64 * 1024)).expect("grow");
    assert_unavailable_at_login(&rig, "larger than 4096 bytes").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_file_swapped_for_a_device_is_secret_unavailable() {
    let rig = uncached_rig().await;
    let file = rig.secret_dir.path().join("client_secret");
    std::fs::remove_file(&file).expect("remove");
    std::os::unix::fs::symlink("/dev/zero", &file).expect("symlink");
    assert_unavailable_at_login(&rig, "outside SECRET_FILE_DIR").await;
}
