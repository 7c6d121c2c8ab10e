//! What the mock knows at start: its clients, its users and how it answers authorize.

use super::users::MockUser;

/// The mock's registered clients and users, and how authorize behaves at first.
#[derive(Clone, Debug)]
pub struct MockConfig {
    /// Clients (merchant sales units) that may log users in.
    pub clients: Vec<MockClient>,
    /// Users that can be logged in as, addressed by index.
    pub users: Vec<MockUser>,
    /// How the authorize endpoint answers; change it later with
    /// [`MockVipps::set_authorize`](super::MockVipps::set_authorize).
    pub authorize: AuthorizeMode,
}

impl MockConfig {
    /// One client, [`MockUser::test_users`], and every login approved as the first user.
    pub fn single_client(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        redirect_uris: impl IntoIterator<Item = impl Into<String>>,
        auth_method: MockAuthMethod,
    ) -> Self {
        Self {
            clients: vec![MockClient {
                client_id: client_id.into(),
                client_secret: client_secret.into(),
                redirect_uris: redirect_uris.into_iter().map(Into::into).collect(),
                auth_method,
            }],
            users: MockUser::test_users(),
            authorize: AuthorizeMode::Approve { user: 0 },
        }
    }
}

/// A client registered with the mock, as on the Vipps portal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MockClient {
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: String,
    /// Redirect URIs, matched byte for byte.
    pub redirect_uris: Vec<String>,
    /// The one token-endpoint authentication method this client may use.
    pub auth_method: MockAuthMethod,
}

/// Token-endpoint client authentication. Like the Vipps portal setting, a client gets either,
/// never both: the other one answers 401 `invalid_client`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum MockAuthMethod {
    /// `Authorization: Basic base64(urlencode(id):urlencode(secret))`.
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
}

/// How the authorize endpoint answers a valid request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthorizeMode {
    /// Redirect back at once with a code for the user at this index.
    Approve {
        /// Index into [`MockConfig::users`].
        user: usize,
    },
    /// Redirect back at once with this error.
    Deny {
        /// The `error` parameter, e.g. `access_denied`.
        error: String,
        /// The `error_description` parameter.
        description: String,
        /// The `error_hint` parameter (Hydra), sent when set.
        hint: Option<String>,
    },
    /// Show a page listing the users as buttons, plus "Cancel".
    Interactive,
}
