//! TLS to PostgreSQL: libpq's `sslmode` and `sslrootcert` in `DATABASE_URL`, through rustls.
//!
//! | `sslmode` | TLS | certificate checked |
//! |---|---|---|
//! | `disable` | never | — |
//! | `prefer` (default) | when the server offers it | no (handshake signatures only) |
//! | `require` | always | no; with `sslrootcert` as `verify-ca` (as libpq does) |
//! | `verify-ca` | always | chains to a trusted root |
//! | `verify-full` | always | chains to a trusted root and names the host |
//!
//! `sslrootcert` names a PEM file of trusted roots (a self-signed server certificate
//! counts as its own root), or `system` for the operating system's store. Without it the
//! verifying modes read `~/.postgresql/root.crt`, as libpq does, and refuse to start when
//! that file is missing too: nothing is trusted by accident.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres_rustls::MakeRustlsConnect;

/// How a connection to PostgreSQL uses TLS (libpq's `sslmode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl FromStr for SslMode {
    type Err = anyhow::Error;

    fn from_str(value: &str) -> anyhow::Result<Self> {
        Ok(match value {
            "disable" => Self::Disable,
            "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" => Self::VerifyFull,
            "allow" => bail!(
                "sslmode=allow is not supported; use `prefer` (TLS when offered) or `disable`"
            ),
            other => bail!(
                "sslmode `{other}` is not one of disable, prefer, require, verify-ca, verify-full"
            ),
        })
    }
}

/// Everything needed to open a PostgreSQL connection, parsed once from `DATABASE_URL`.
#[derive(Clone)]
pub struct PgConnectOptions {
    pub config: tokio_postgres::Config,
    pub tls: MakeRustlsConnect,
    pub mode: SslMode,
}

impl PgConnectOptions {
    /// Parses a `postgres://` URL; `sslmode` and `sslrootcert` are taken out of its query
    /// and everything else goes to tokio-postgres as it is.
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        let (rest, params) = take_tls_params(url)?;
        let mut config = tokio_postgres::Config::from_str(&rest)
            .context("DATABASE_URL is not a valid PostgreSQL URL")?;
        // Whatever tokio-postgres read as `sslmode` must have been seen here too: a URL
        // read two ways must not quietly weaken the mode.
        if params.mode.is_none() && config.get_ssl_mode() != tokio_postgres::config::SslMode::Prefer
        {
            bail!("DATABASE_URL: `sslmode` could not be read unambiguously");
        }
        let root = params.root_cert.as_deref().map(Roots::parse).transpose()?;
        let mode = match (params.mode, &root) {
            // `system` trusts every public authority: only the host name ties the
            // certificate to this server (libpq 16 insists on the same).
            (None | Some(SslMode::VerifyFull), Some(Roots::System)) => SslMode::VerifyFull,
            (Some(weaker), Some(Roots::System)) => bail!(
                "sslrootcert=system needs sslmode=verify-full (not {weaker:?}): any public \
                 certificate chains to the system store"
            ),
            (Some(SslMode::Disable | SslMode::Prefer), Some(Roots::File(_))) => {
                bail!("sslrootcert is only used with sslmode=require, verify-ca or verify-full")
            }
            // A root certificate given is a root to check against (libpq: `require` with a
            // root file verifies the chain).
            (None | Some(SslMode::Require), Some(Roots::File(_))) => SslMode::VerifyCa,
            (mode, _) => mode.unwrap_or(SslMode::Prefer),
        };
        config.ssl_mode(match mode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                tokio_postgres::config::SslMode::Require
            }
        });
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier: Arc<dyn ServerCertVerifier> = match mode {
            SslMode::Disable | SslMode::Prefer | SslMode::Require => {
                Arc::new(AnyCertificate::new(&provider))
            }
            SslMode::VerifyCa => Arc::new(ChainOnly(webpki(root, &provider)?)),
            SslMode::VerifyFull => webpki(root, &provider)?,
        };
        let tls = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .context("TLS protocol versions")?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(Self {
            config,
            tls: MakeRustlsConnect::new(tls),
            mode,
        })
    }
}

/// The TLS parameters found in a URL's query.
#[derive(Default)]
struct TlsParams {
    mode: Option<SslMode>,
    root_cert: Option<String>,
}

/// Splits `sslmode` and `sslrootcert` off a URL, leaving every other byte as it was
/// (tokio-postgres decodes the rest itself, and does not know the verifying modes). The
/// query is found where tokio-postgres finds it: after the credentials, which run to the
/// first `@`. A parameter given twice is refused.
fn take_tls_params(url: &str) -> anyhow::Result<(String, TlsParams)> {
    let credentials_end = url.find('@').map_or(0, |at| at + 1);
    let (base, query) = match url[credentials_end..].find('?') {
        Some(at) => url.split_at(credentials_end + at),
        None => return Ok((url.to_owned(), TlsParams::default())),
    };
    let query = &query[1..];
    let mut params = TlsParams::default();
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (raw_key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |text: &str| {
            percent_encoding::percent_decode_str(text)
                .decode_utf8()
                .map(|text| text.into_owned())
                .context("DATABASE_URL: a query parameter is not valid UTF-8")
        };
        let key = decode(raw_key)?;
        let slot_taken = match key.as_str() {
            "sslmode" => params.mode.replace(decode(value)?.parse()?).is_some(),
            "sslrootcert" => params.root_cert.replace(decode(value)?).is_some(),
            _ => {
                kept.push(pair);
                false
            }
        };
        if slot_taken {
            bail!("DATABASE_URL: `{key}` is given twice");
        }
    }
    let rest = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((rest, params))
}

/// Where trusted roots come from.
enum Roots {
    System,
    File(RootCertStore),
}

impl Roots {
    fn parse(value: &str) -> anyhow::Result<Self> {
        if value == "system" {
            return Ok(Self::System);
        }
        Ok(Self::File(Self::read(Path::new(value))?))
    }

    /// The certificates of a PEM file.
    fn read(path: &Path) -> anyhow::Result<RootCertStore> {
        let mut store = RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(path)
            .with_context(|| format!("sslrootcert: cannot read `{}`", path.display()))?
        {
            let cert =
                cert.with_context(|| format!("sslrootcert: `{}` is not PEM", path.display()))?;
            store
                .add(cert)
                .with_context(|| format!("sslrootcert: a certificate in `{}`", path.display()))?;
        }
        if store.is_empty() {
            bail!("sslrootcert: `{}` holds no certificate", path.display());
        }
        Ok(store)
    }

    fn store(self) -> anyhow::Result<RootCertStore> {
        match self {
            Self::File(store) => Ok(store),
            Self::System => {
                let found = rustls_native_certs::load_native_certs();
                let mut store = RootCertStore::empty();
                store.add_parsable_certificates(found.certs);
                if store.is_empty() {
                    bail!("sslrootcert: the system trust store holds no usable certificate");
                }
                Ok(store)
            }
        }
    }
}

/// libpq's default root file, when there is a home folder to hold it.
fn default_root_file() -> Option<std::path::PathBuf> {
    let home = std::env::var_os("HOME").filter(|home| !home.is_empty())?;
    Some(Path::new(&home).join(".postgresql").join("root.crt"))
}

/// The standard verifier: the chain must end in a trusted root and name the host.
fn webpki(
    roots: Option<Roots>,
    provider: &Arc<CryptoProvider>,
) -> anyhow::Result<Arc<WebPkiServerVerifier>> {
    let roots = match roots {
        Some(roots) => roots,
        None => match default_root_file().filter(|file| file.is_file()) {
            Some(file) => Roots::File(Roots::read(&file)?),
            None => bail!(
                "sslmode=verify-ca and verify-full need trusted roots: set sslrootcert to a PEM \
                 file, or to `system` for the operating system's store \
                 (~/.postgresql/root.crt does not exist)"
            ),
        },
    };
    let store = roots.store()?;
    WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
        .build()
        .context("building the certificate verifier")
}

/// `verify-ca`: the chain must end in a trusted root; the host name is not compared.
/// rustls checks the name only after the chain, so a name mismatch means the chain held.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            outcome => outcome,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `prefer` and `require`: encryption without authentication, as libpq does. The
/// handshake signatures are still checked against the certificate the server sent.
#[derive(Debug)]
struct AnyCertificate(WebPkiSupportedAlgorithms);

impl AnyCertificate {
    fn new(provider: &CryptoProvider) -> Self {
        Self(provider.signature_verification_algorithms)
    }
}

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_params_leave_the_rest_of_the_url_untouched() {
        let (rest, params) = take_tls_params(
            "postgres://u:p%40ss@db:5432/app?sslmode=verify-full&options=-c%20search_path%3Dx&sslrootcert=%2Fetc%2Fca.pem",
        )
        .expect("parses");
        assert_eq!(
            rest,
            "postgres://u:p%40ss@db:5432/app?options=-c%20search_path%3Dx"
        );
        assert_eq!(params.mode, Some(SslMode::VerifyFull));
        assert_eq!(params.root_cert.as_deref(), Some("/etc/ca.pem"));
    }

    #[test]
    fn the_query_is_found_after_the_credentials_and_keys_are_decoded() {
        let (rest, params) =
            take_tls_params("postgres://app:s3cr?t@db/app?ssl%6Dode=require").expect("parses");
        assert_eq!(rest, "postgres://app:s3cr?t@db/app");
        assert_eq!(params.mode, Some(SslMode::Require));
        let parsed = PgConnectOptions::parse("postgres://app:s3cr?t@db/app?sslmode=require")
            .expect("parses");
        assert_eq!(parsed.mode, SslMode::Require);
    }

    #[test]
    fn nothing_weakens_what_the_url_asks_for() {
        let error = |url: &str| match PgConnectOptions::parse(url) {
            Ok(parsed) => panic!("{url} should be refused, got {:?}", parsed.mode),
            Err(error) => format!("{error:#}"),
        };
        assert!(error("postgres://db/app?sslmode=verify-full&sslmode=disable").contains("twice"));
        assert!(
            error("postgres://db/app?sslmode=verify-ca&sslrootcert=system").contains("verify-full")
        );
        assert!(
            error("postgres://db/app?sslmode=require&sslrootcert=system").contains("verify-full")
        );
        let root = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/api/fixtures/foreign-root.pem"
        );
        for mode in ["prefer", "disable"] {
            let url = format!("postgres://db/app?sslmode={mode}&sslrootcert={root}");
            assert!(error(&url).contains("only used with"), "{mode}");
        }
        let implied = format!("postgres://db/app?sslrootcert={root}");
        assert_eq!(
            PgConnectOptions::parse(&implied).expect("parses").mode,
            SslMode::VerifyCa
        );
    }

    #[test]
    fn unknown_modes_and_missing_roots_are_refused_with_a_reason() {
        let error = |url: &str| match PgConnectOptions::parse(url) {
            Ok(_) => panic!("{url} should be refused"),
            Err(error) => format!("{error:#}"),
        };
        assert!(error("postgres://db/app?sslmode=sometimes").contains("sslmode `sometimes`"));
        assert!(error("postgres://db/app?sslmode=allow").contains("not supported"));
        assert!(
            error("postgres://db/app?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem")
                .contains("cannot read `/nonexistent/ca.pem`")
        );
    }

    #[test]
    fn a_root_file_without_certificates_is_refused_and_prefer_is_the_default() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("empty.pem");
        std::fs::write(&path, "").expect("write");
        let url = format!(
            "postgres://db/app?sslmode=require&sslrootcert={}",
            path.display()
        );
        let refused = PgConnectOptions::parse(&url)
            .err()
            .map(|e| format!("{e:#}"));
        assert!(refused.is_some_and(|e| e.contains("holds no certificate")));
        let plain = PgConnectOptions::parse("postgres://db/app").expect("parses");
        assert_eq!(plain.mode, SslMode::Prefer);
    }
}
