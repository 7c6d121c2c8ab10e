//! Which client-secret references this server agrees to read: `file://` only below
//! `SECRET_FILE_DIR`, `env://` never one of the server's own settings (and below
//! `SECRET_ENV_PREFIX` when set), `vault://` below `VAULT_PATH_PREFIX` when set.
//!
//! [`Policy::check`] is lexical (no I/O): it runs when an organization is created or updated,
//! and again before every read, where [`super::file`] also resolves symlinks.

use std::path::{Component, Path, PathBuf};

use crate::config::{LoginConfig, own_env_vars};
use crate::domain::{ClientSecretRef, SecretLocation};

/// The configured limits of secret references.
pub(super) struct Policy {
    file_dir: Option<FileDir>,
    env_prefix: Option<String>,
    vault_prefix: Option<String>,
    /// Variables the server reads as its own configuration.
    own_env: Vec<String>,
}

/// `SECRET_FILE_DIR`, as configured and (when it exists at start) with symlinks resolved.
pub(super) struct FileDir {
    pub(super) configured: PathBuf,
    canonical: Option<PathBuf>,
}

impl FileDir {
    fn new(configured: &Path) -> Self {
        let configured = normalize(configured);
        let canonical = std::fs::canonicalize(&configured).ok();
        if canonical.is_none() {
            tracing::warn!(
                dir = %configured.display(),
                "SECRET_FILE_DIR does not exist (yet); file:// secrets cannot be read until it does"
            );
        }
        Self {
            configured,
            canonical,
        }
    }

    /// Whether `path` (already normalized) lies strictly below the directory.
    fn contains(&self, path: &Path) -> bool {
        let below = |dir: &Path| path.starts_with(dir) && path != dir;
        below(&self.configured) || self.canonical.as_deref().is_some_and(below)
    }
}

impl Policy {
    pub(super) fn new(config: &LoginConfig) -> Self {
        Self {
            file_dir: config.secret_file_dir.as_deref().map(FileDir::new),
            env_prefix: config.secret_env_prefix.clone(),
            vault_prefix: config.vault_path_prefix.clone(),
            own_env: own_env_vars(),
        }
    }

    /// `SECRET_FILE_DIR`, when `file://` references are allowed at all.
    pub(super) fn file_dir(&self) -> Option<&FileDir> {
        self.file_dir.as_ref()
    }

    /// `Ok` when the reference may be read; otherwise why not (safe to show an admin: it
    /// names no secret and no configured path).
    pub(super) fn check(&self, reference: &ClientSecretRef) -> Result<(), String> {
        match reference.location() {
            SecretLocation::File(path) => self.check_file(path),
            SecretLocation::Env(var) => self.check_env(var),
            SecretLocation::Vault { path, key } => self.check_vault(path, key),
        }
    }

    fn check_file(&self, path: &str) -> Result<(), String> {
        let dir = self.file_dir.as_ref().ok_or_else(|| {
            "`file://` references are switched off on this server (SECRET_FILE_DIR is not set)"
                .to_owned()
        })?;
        let path = Path::new(path);
        if !path.is_absolute() {
            return Err(
                "`file://` needs an absolute path, as in `file:///run/secrets/vipps`".to_owned(),
            );
        }
        if !dir.contains(&normalize(path)) {
            return Err(
                "`file://` must name a file inside the server's secret directory (SECRET_FILE_DIR)"
                    .to_owned(),
            );
        }
        Ok(())
    }

    fn check_env(&self, var: &str) -> Result<(), String> {
        if self.own_env.iter().any(|own| own.eq_ignore_ascii_case(var)) {
            return Err(
                "`env://` must not name one of the server's own settings; use a variable of its own"
                    .to_owned(),
            );
        }
        if let Some(prefix) = &self.env_prefix
            && !var.starts_with(prefix.as_str())
        {
            return Err(format!(
                "`env://` variables must start with `{prefix}` on this server (SECRET_ENV_PREFIX)"
            ));
        }
        Ok(())
    }

    fn check_vault(&self, path: &str, key: &str) -> Result<(), String> {
        let Some(prefix) = &self.vault_prefix else {
            return Ok(());
        };
        let mut segments = path.split('/');
        let inside = prefix.split('/').all(|p| segments.next() == Some(p));
        if !inside || key.is_empty() {
            return Err(format!(
                "`vault://` paths must lie below `{prefix}/` on this server (VAULT_PATH_PREFIX)"
            ));
        }
        Ok(())
    }
}

/// `path` with `.` dropped and `..` applied, without touching the file system (`..` at the
/// root stays at the root, as the kernel does).
fn normalize(path: &Path) -> PathBuf {
    let mut normalized = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                normalized.pop();
            }
            Component::CurDir => {}
            other => normalized.push(other),
        }
    }
    normalized
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(dir: Option<&str>, env_prefix: Option<&str>, vault_prefix: Option<&str>) -> Policy {
        Policy {
            file_dir: dir.map(|d| FileDir {
                configured: PathBuf::from(d),
                canonical: None,
            }),
            env_prefix: env_prefix.map(str::to_owned),
            vault_prefix: vault_prefix.map(str::to_owned),
            own_env: own_env_vars(),
        }
    }

    fn check(policy: &Policy, reference: &str) -> Result<(), String> {
        policy.check(&ClientSecretRef::parse(reference).expect("parses"))
    }

    #[test]
    fn files_only_below_the_directory() {
        let p = policy(Some("/run/secrets"), None, None);
        assert!(check(&p, "file:///run/secrets/vipps").is_ok());
        assert!(check(&p, "file:///run/secrets/./a/../vipps").is_ok());
        for bad in [
            "file:///run/secrets",
            "file:///run/secrets/",
            "file:///run/secrets/../secrets-other/x",
            "file:///run/secrets/../../proc/self/environ",
            "file:///proc/self/environ",
            "file:///dev/zero",
            "file:///run/secretsx/vipps",
            "file://relative/path",
        ] {
            assert!(check(&p, bad).is_err(), "{bad}");
        }
        let off = policy(None, None, None);
        let reason = check(&off, "file:///run/secrets/vipps").unwrap_err();
        assert!(reason.contains("SECRET_FILE_DIR"), "{reason}");
    }

    #[test]
    fn env_never_names_the_servers_own_settings() {
        let p = policy(None, None, None);
        assert!(check(&p, "env://VIPPS_CLIENT_SECRET").is_ok());
        assert!(check(&p, "env://MOCK_VIPPS_CLIENT_SECRET").is_ok());
        for own in [
            "ADMIN_TOKEN",
            "DATABASE_URL",
            "VAULT_TOKEN",
            "VAULT_ADDR",
            "SESSION_KEY_FILE",
            "SECRET_FILE_DIR",
            "SECRET_ENV_PREFIX",
            "RUST_LOG",
            "HTTPS_PROXY",
            "admin_token",
        ] {
            assert!(check(&p, &format!("env://{own}")).is_err(), "{own}");
        }
        let prefixed = policy(None, Some("VIPPS_SECRET_"), None);
        assert!(check(&prefixed, "env://VIPPS_SECRET_KLINIKK").is_ok());
        assert!(check(&prefixed, "env://OTHER").is_err());
    }

    #[test]
    fn the_denylist_covers_every_setting_of_config() {
        let own = own_env_vars();
        for var in [
            "BIND_ADDR",
            "DATABASE_POOL_SIZE",
            "LOG_FORMAT",
            "VIPPS_TIMEOUT_SECS",
        ] {
            assert!(own.iter().any(|o| o == var), "{var}");
        }
        assert!(!own.iter().any(|o| o.starts_with("MOCK_VIPPS_")));
    }

    #[test]
    fn vault_paths_below_the_prefix() {
        let p = policy(None, None, Some("apps/vipps"));
        assert!(check(&p, "vault://apps/vipps/klinikk/client_secret").is_ok());
        assert!(check(&p, "vault://apps/vipps/client_secret").is_ok());
        for bad in [
            "vault://apps/client_secret",
            "vault://apps/vippsx/klinikk/client_secret",
            "vault://other/vipps/client_secret",
        ] {
            assert!(check(&p, bad).is_err(), "{bad}");
        }
        assert!(check(&policy(None, None, None), "vault://any/key").is_ok());
    }
}
