//! The transport: oversized bodies get a readable 413, slow clients are cut off, the
//! connection cap and the whole-request timeout hold. Raw sockets, to see what a client sees.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::helpers::{ADMIN_TOKEN, TestApp, login_config};

/// A raw HTTP/1.1 answer: status and body.
struct RawAnswer {
    status: u16,
    body: String,
}

/// Sends a POST with a JSON `content_length`-byte body on a fresh connection, writing it in
/// full while reading the answer; fails on any reset or broken pipe.
async fn post_large(app: &TestApp, path: &str, content_length: usize) -> RawAnswer {
    let stream = TcpStream::connect(app.addr).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {content_length}\r\nConnection: close\r\n\r\n",
        app.addr
    );
    let upload = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        let chunk = vec![b' '; 64 * 1024];
        let mut left = content_length;
        while left > 0 {
            let n = left.min(chunk.len());
            writer.write_all(&chunk[..n]).await?;
            left -= n;
        }
        writer.flush().await?;
        std::io::Result::Ok(writer)
    });
    let mut answer = Vec::new();
    reader
        .read_to_end(&mut answer)
        .await
        .unwrap_or_else(|e| panic!("{content_length} bytes to {path}: reading the answer: {e}"));
    upload
        .await
        .expect("upload task")
        .unwrap_or_else(|e| panic!("{content_length} bytes to {path}: uploading: {e}"));
    parse_answer(&answer)
}

fn parse_answer(raw: &[u8]) -> RawAnswer {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("status line: {head}"));
    RawAnswer {
        status,
        body: body.to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_uploads_finish_and_read_their_413() {
    let app = TestApp::spawn().await;
    for megabytes in [2, 5, 10] {
        let length = megabytes * 1024 * 1024;
        let rest = post_large(&app, "/api/v1/vipps-orgs", length).await;
        assert_eq!(rest.status, 413, "REST, {megabytes} MB: {}", rest.body);
        let problem: Value = serde_json::from_str(&rest.body).expect("problem JSON");
        assert_eq!(problem["code"], "PAYLOAD_TOO_LARGE", "{problem}");

        let graphql = post_large(&app, "/graphql", length).await;
        assert_eq!(
            graphql.status, 413,
            "GraphQL, {megabytes} MB: {}",
            graphql.body
        );
        let errors: Value = serde_json::from_str(&graphql.body).expect("GraphQL JSON");
        assert!(errors["errors"].is_array(), "{errors}");
    }
    // The server is still there for the next client.
    assert_eq!(app.get("/healthz").await.status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_headers_are_disconnected() {
    let app = TestApp::spawn_with(login_config(&["--header-read-timeout-secs", "1"])).await;
    let mut stream = TcpStream::connect(app.addr).await.expect("connect");
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: slow")
        .await
        .expect("partial request");
    let started = Instant::now();
    let mut buf = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut buf)).await;
    assert!(
        closed.is_ok(),
        "the connection stayed open past the header timeout"
    );
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(800),
        "closed too early: {waited:?}"
    );
    let answer = String::from_utf8_lossy(&buf);
    assert!(
        !answer.contains(" 200 "),
        "answered a partial request: {answer}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_beyond_the_cap_wait_to_be_accepted() {
    let app = TestApp::spawn_with(login_config(&[
        "--max-connections",
        "1",
        "--header-read-timeout-secs",
        "1",
    ]))
    .await;
    // Holds the only slot until the header timeout drops it.
    let idle = TcpStream::connect(app.addr).await.expect("connect");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let response = app.get("/healthz").await;
    assert_eq!(response.status, 200);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(700),
        "served beside a connection at the cap after {waited:?}"
    );
    drop(idle);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_that_takes_too_long_is_answered_503() {
    let app = TestApp::spawn_with(login_config(&["--request-timeout-secs", "1"])).await;
    let mut stream = TcpStream::connect(app.addr).await.expect("connect");
    let head = format!(
        "POST /api/v1/vipps-orgs HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"org_id\":",
        app.addr
    );
    stream.write_all(head.as_bytes()).await.expect("send");
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut buf))
        .await
        .expect("answered and closed within the timeout")
        .expect("read");
    let answer = parse_answer(&buf);
    assert_eq!(answer.status, 503, "{}", answer.body);
    let problem: Value = serde_json::from_str(&answer.body).expect("problem JSON");
    assert_eq!(problem["code"], "REQUEST_TIMEOUT", "{problem}");
}
