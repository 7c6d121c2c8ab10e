//! The integration suite: one binary, every test against a real server on a real socket.
//! Run it on SQLite (default) and on PostgreSQL with `TEST_DATABASE_URL=postgres://…`.

mod admin_auth;
mod audit;
mod bad_input;
mod callback_formats;
mod cli;
mod consent;
mod db_faults;
mod graphiql;
mod graphql_http;
mod helpers;
mod instances;
mod linking;
mod login;
mod login_binding;
mod login_flows;
mod login_hardening;
mod login_secrets;
mod maintenance;
mod migrations;
mod mock_vipps;
mod openapi;
mod ops;
mod orgs_graphql;
mod orgs_rest;
mod parity;
mod pg_tls;
mod rate_limits;
mod rig;
mod schema_file;
mod secret_refs;
mod sessions;
mod transport;
mod users;
mod vault;
