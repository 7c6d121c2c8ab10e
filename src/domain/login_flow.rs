//! How the user returns from the Vipps app, and the authorize parameters each way needs.

use super::{InvalidInput, RedirectUri};

const FIELD: &str = "flow";

/// The login flow a client asks for at the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoginFlow {
    /// Vipps' standard flow: the user confirms in the Vipps app and returns to the browser
    /// (or app) that opened the authorize URL by hand. No `requested_flow`.
    #[default]
    Browser,
    /// Vipps' app-to-app flow (`requested_flow=app_to_app_v2`): the Vipps app sends the user
    /// straight back to the calling app through the redirect URI. PKCE is required (always
    /// sent, S256).
    AppToApp,
    /// Vipps' automatic return (`requested_flow=automatic_return_from_vipps_app`): the Vipps
    /// app sends the user back to a browser by itself, possibly another one than the login
    /// started in.
    AutomaticReturn,
}

impl LoginFlow {
    /// Parses the client's value: `BROWSER`, `APP_TO_APP` or `AUTOMATIC_RETURN` (any case).
    pub fn parse(value: &str) -> Result<Self, InvalidInput> {
        match value.to_ascii_uppercase().as_str() {
            "BROWSER" => Ok(Self::Browser),
            "APP_TO_APP" => Ok(Self::AppToApp),
            "AUTOMATIC_RETURN" => Ok(Self::AutomaticReturn),
            _ => Err(InvalidInput::field(
                FIELD,
                "must be `BROWSER`, `APP_TO_APP` or `AUTOMATIC_RETURN`",
            )),
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Browser => "browser",
            Self::AppToApp => "app_to_app",
            Self::AutomaticReturn => "automatic_return",
        }
    }

    /// Reads a stored name back.
    pub fn stored(value: &str) -> Result<Self, InvalidInput> {
        [Self::Browser, Self::AppToApp, Self::AutomaticReturn]
            .into_iter()
            .find(|flow| flow.as_str() == value)
            .ok_or_else(|| InvalidInput::field(FIELD, "is not a known login flow"))
    }

    /// Refuses a redirect URI this flow cannot bring the user back through: app-to-app hands
    /// the user to an app, which only an app's own scheme reliably opens (a web address may
    /// open in a browser instead, which then holds a login it did not start), and automatic
    /// return goes to a browser, which cannot open an app's own scheme as a web page.
    pub fn check_redirect(self, redirect_uri: &RedirectUri) -> Result<(), InvalidInput> {
        match self {
            Self::Browser => Ok(()),
            Self::AppToApp if !redirect_uri.is_app_scheme() => Err(InvalidInput::field(
                FIELD,
                "`APP_TO_APP` returns the user to an app: the redirect URI must be an app scheme (`myapp://…`), not a web address",
            )),
            Self::AppToApp => Ok(()),
            Self::AutomaticReturn if redirect_uri.is_app_scheme() => Err(InvalidInput::field(
                FIELD,
                "`AUTOMATIC_RETURN` returns the user to a browser: the redirect URI must be a web address (`https://…`), not an app scheme; use `APP_TO_APP` for apps",
            )),
            Self::AutomaticReturn => Ok(()),
        }
    }

    /// The authorize parameters Vipps documents for this flow and redirect URI:
    /// `requested_flow` for the app-to-app and automatic-return flows, and
    /// `final_redirect_is_app=true` whenever the last redirect opens an app (an app scheme, or
    /// any redirect URI of the app-to-app flow).
    pub fn authorize_params(self, redirect_uri: &RedirectUri) -> Vec<(&'static str, &'static str)> {
        let mut params = Vec::new();
        match self {
            Self::Browser => {}
            Self::AppToApp => params.push(("requested_flow", "app_to_app_v2")),
            Self::AutomaticReturn => {
                params.push(("requested_flow", "automatic_return_from_vipps_app"));
            }
        }
        if self == Self::AppToApp || redirect_uri.is_app_scheme() {
            params.push(("final_redirect_is_app", "true"));
        }
        params
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(value: &str) -> RedirectUri {
        RedirectUri::parse(value).unwrap()
    }

    #[test]
    fn parses_the_contract_names_and_reads_stored_ones_back() {
        assert_eq!(LoginFlow::parse("APP_TO_APP"), Ok(LoginFlow::AppToApp));
        assert_eq!(
            LoginFlow::parse("automatic_return"),
            Ok(LoginFlow::AutomaticReturn)
        );
        assert!(LoginFlow::parse("app_to_web").is_err());
        for flow in [
            LoginFlow::Browser,
            LoginFlow::AppToApp,
            LoginFlow::AutomaticReturn,
        ] {
            assert_eq!(LoginFlow::stored(flow.as_str()), Ok(flow));
        }
    }

    #[test]
    fn maps_each_flow_to_the_documented_parameters() {
        let web = uri("https://x.no/cb");
        let app = uri("myapp://cb");
        assert!(LoginFlow::Browser.authorize_params(&web).is_empty());
        assert_eq!(
            LoginFlow::Browser.authorize_params(&app),
            [("final_redirect_is_app", "true")]
        );
        assert_eq!(
            LoginFlow::AppToApp.authorize_params(&app),
            [
                ("requested_flow", "app_to_app_v2"),
                ("final_redirect_is_app", "true")
            ]
        );
        assert_eq!(
            LoginFlow::AutomaticReturn.authorize_params(&web),
            [("requested_flow", "automatic_return_from_vipps_app")]
        );
    }

    #[test]
    fn refuses_redirects_a_flow_cannot_return_through() {
        let local = uri("http://localhost:3000/cb");
        let app = uri("myapp://cb");
        let web = uri("https://x.no/cb");
        assert!(LoginFlow::AppToApp.check_redirect(&local).is_err());
        assert!(LoginFlow::AppToApp.check_redirect(&app).is_ok());
        assert!(LoginFlow::AppToApp.check_redirect(&web).is_err());
        assert!(LoginFlow::AutomaticReturn.check_redirect(&app).is_err());
        assert!(LoginFlow::AutomaticReturn.check_redirect(&local).is_ok());
        assert!(LoginFlow::Browser.check_redirect(&app).is_ok());
    }
}
