//! Loads the settings: the defaults compiled in from `config/default.toml`, then `--config FILE`,
//! then `COMMONPLACE_…` environment variables (`__` for nesting). Unknown keys fail with their name.

use ::config::{Config, Environment, File, FileFormat};
use std::collections::HashMap;
use std::path::Path;
use web::Settings;

pub const DEFAULTS: &str = include_str!("../config/default.toml");
const ENV_PREFIX: &str = "COMMONPLACE_";
/// Variables that are not settings: the test suite's, and the config file path itself.
const NOT_SETTINGS: &[&str] = &["COMMONPLACE_TEST_", "COMMONPLACE_CONFIG"];

pub fn load(file: Option<&Path>) -> Result<Settings, String> {
    let environment: HashMap<String, String> = std::env::vars()
        .filter(|(key, _)| {
            key.starts_with(ENV_PREFIX) && !NOT_SETTINGS.iter().any(|skip| key.starts_with(skip))
        })
        .collect();
    load_from(file, environment)
}

fn load_from(
    file: Option<&Path>,
    environment: HashMap<String, String>,
) -> Result<Settings, String> {
    let mut builder = Config::builder().add_source(File::from_str(DEFAULTS, FileFormat::Toml));
    if let Some(path) = file {
        if !path.exists() {
            return Err(format!(
                "the configuration file {} does not exist",
                path.display()
            ));
        }
        builder = builder.add_source(File::from(path).format(FileFormat::Toml));
    }
    builder = builder.add_source(
        Environment::with_prefix("COMMONPLACE")
            .prefix_separator("_")
            .separator("__")
            .try_parsing(true)
            .list_separator(",")
            .with_list_parse_key("federation.extra_ca_certificates")
            .with_list_parse_key("trusted_proxies")
            .with_list_parse_key("federation.allowlist")
            .with_list_parse_key("federation.blocklist")
            .source(Some(environment)),
    );
    let settings: Settings = builder
        .build()
        .and_then(Config::try_deserialize)
        .map_err(|e| format!("configuration error: {e} (see config/default.toml for every key)"))?;
    settings
        .validate()
        .map_err(|e| format!("configuration error: {e}"))?;
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn default_file_matches_the_settings_struct() {
        let settings = load_from(None, HashMap::new()).expect("defaults load");
        assert_eq!(settings.bind, "127.0.0.1:8080");
        assert_eq!(settings.public_url.as_str(), "http://localhost:8080/");
        assert_eq!(settings.registration, web::RegistrationMode::Invite);
        assert_eq!(
            settings.federation.mode,
            federation::FederationMode::Production
        );
    }

    #[test]
    fn environment_overrides_with_double_underscore_nesting() {
        let settings = load_from(
            None,
            env(&[
                ("COMMONPLACE_BIND", "0.0.0.0:9000"),
                ("COMMONPLACE_PUBLIC_URL", "https://bm.example.org"),
                ("COMMONPLACE_DATABASE_URL", "postgres://u@h/db"),
                ("COMMONPLACE_REGISTRATION", "open"),
                ("COMMONPLACE_FEDERATION__MODE", "local-test"),
                ("COMMONPLACE_SESSION_DAYS", "7"),
            ]),
        )
        .expect("environment loads");
        assert_eq!(settings.bind, "0.0.0.0:9000");
        assert_eq!(settings.public_url.as_str(), "https://bm.example.org/");
        assert_eq!(settings.database_url, "postgres://u@h/db");
        assert_eq!(settings.registration, web::RegistrationMode::Open);
        assert_eq!(
            settings.federation.mode,
            federation::FederationMode::LocalTest
        );
        assert_eq!(settings.session_days, 7);
    }

    #[test]
    fn intranet_settings_come_from_the_environment_too() {
        let settings = load_from(
            None,
            env(&[
                ("COMMONPLACE_FEDERATION__ALLOW_PRIVATE_ADDRESSES", "true"),
                (
                    "COMMONPLACE_FEDERATION__EXTRA_CA_CERTIFICATES",
                    "/etc/a.pem,/etc/b.pem",
                ),
            ]),
        )
        .expect("environment loads");
        assert!(settings.federation.allow_private_addresses);
        assert!(!settings.federation.allow_loopback_addresses);
        assert_eq!(
            settings.federation.extra_ca_certificates,
            vec!["/etc/a.pem", "/etc/b.pem"]
        );
        let proxies = load_from(
            None,
            env(&[("COMMONPLACE_TRUSTED_PROXIES", "127.0.0.1,::1")]),
        )
        .expect("proxies load");
        assert_eq!(proxies.trusted_proxies.len(), 2);
        let bad = load_from(None, env(&[("COMMONPLACE_TRUSTED_PROXIES", "proxy.local")]))
            .err()
            .unwrap_or_default();
        assert!(bad.contains("configuration error"), "{bad}");
    }

    #[test]
    fn unknown_keys_fail_naming_the_key() {
        let err = load_from(None, env(&[("COMMONPLACE_BINDD", "x")]))
            .err()
            .unwrap_or_default();
        assert!(err.contains("bindd"), "{err}");
        let err = load_from(None, env(&[("COMMONPLACE_FEDERATION__MOOD", "x")]))
            .err()
            .unwrap_or_default();
        assert!(err.contains("mood"), "{err}");
    }

    #[test]
    fn wrong_values_fail_with_a_message() {
        let err = load_from(None, env(&[("COMMONPLACE_REGISTRATION", "sometimes")]))
            .err()
            .unwrap_or_default();
        assert!(err.contains("sometimes"), "{err}");
        let err = load_from(
            None,
            env(&[("COMMONPLACE_PUBLIC_URL", "https://x.example/sub")]),
        )
        .err()
        .unwrap_or_default();
        assert!(err.contains("path"), "{err}");
    }

    #[test]
    fn a_config_file_is_layered_between_defaults_and_environment() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("office.toml");
        std::fs::write(&path, "instance_name = \"Office A\"\nbind = \"127.0.0.1:7000\"\n[federation]\nmode = \"local-test\"\n")
            .expect("write config");
        let settings =
            load_from(Some(&path), env(&[("COMMONPLACE_BIND", "127.0.0.1:7001")])).expect("loads");
        assert_eq!(settings.instance_name, "Office A");
        assert_eq!(settings.bind, "127.0.0.1:7001");
        assert_eq!(
            settings.federation.mode,
            federation::FederationMode::LocalTest
        );
        let missing = load_from(Some(&dir.path().join("nope.toml")), HashMap::new())
            .err()
            .unwrap_or_default();
        assert!(missing.contains("does not exist"));
        std::fs::write(&path, "colour = \"red\"\n").expect("write config");
        let err = load_from(Some(&path), HashMap::new())
            .err()
            .unwrap_or_default();
        assert!(err.contains("colour"), "{err}");
    }
}
