//! `schema.graphql` is the contract: it must equal what the code generates.
//! Refresh it with `cargo run -- schema > schema.graphql` (or `UPDATE_SCHEMA=1 cargo test`).

#[test]
fn schema_graphql_is_up_to_date() {
    let generated = vipps_identity::graphql::sdl();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &generated).expect("write schema.graphql");
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "schema.graphql is stale: run `cargo run -- schema > schema.graphql` and commit it"
    );
}
