//! `vipps-identity mock-vipps`: flags, each with an environment-variable fallback.

use std::net::SocketAddr;

use super::{AuthorizeMode, MockAuthMethod, MockClient, MockConfig, MockUser};

/// Runs a mock Vipps Login provider on its own port, for local development.
#[derive(Debug, Clone, clap::Args)]
pub struct MockArgs {
    /// Address and port the mock listens on.
    #[arg(long, env = "MOCK_VIPPS_BIND", default_value = "127.0.0.1:7070")]
    pub mock_bind: SocketAddr,

    /// The mock client's id.
    #[arg(long, env = "MOCK_VIPPS_CLIENT_ID", default_value = "demo-client")]
    pub mock_client_id: String,

    /// The mock client's secret.
    #[arg(
        long,
        env = "MOCK_VIPPS_CLIENT_SECRET",
        default_value = "demo-secret",
        hide_env_values = true
    )]
    pub mock_client_secret: String,

    /// A redirect URI registered for the mock client (repeatable; comma-separated in the
    /// environment).
    #[arg(
        long,
        env = "MOCK_VIPPS_REDIRECT_URI",
        value_delimiter = ',',
        default_value = "http://localhost:8080/vipps/login/callback"
    )]
    pub mock_redirect_uri: Vec<String>,

    /// How the mock client authenticates at the token endpoint (only this one is accepted).
    #[arg(
        long,
        env = "MOCK_VIPPS_AUTH_METHOD",
        value_enum,
        default_value = "client-secret-basic"
    )]
    pub mock_auth_method: MockAuthMethod,

    /// Approve every login as the first test user, without showing the login page.
    #[arg(long, env = "MOCK_VIPPS_AUTO_APPROVE")]
    pub mock_auto_approve: bool,
}

impl MockArgs {
    /// The mock's configuration: one client and [`MockUser::test_users`].
    pub fn config(&self) -> MockConfig {
        MockConfig {
            clients: vec![MockClient {
                client_id: self.mock_client_id.clone(),
                client_secret: self.mock_client_secret.clone(),
                redirect_uris: self.mock_redirect_uri.clone(),
                auth_method: self.mock_auth_method,
            }],
            users: MockUser::test_users(),
            authorize: if self.mock_auto_approve {
                AuthorizeMode::Approve { user: 0 }
            } else {
                AuthorizeMode::Interactive
            },
        }
    }
}
