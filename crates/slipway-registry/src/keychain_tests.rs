use std::fs;

use super::*;

/// base64("ci-user:s3cret")
const CI_USER_AUTH: &str = "Y2ktdXNlcjpzM2NyZXQ=";

fn ci_user() -> Credential {
    Credential::UsernamePassword {
        username: "ci-user".into(),
        password: "s3cret".into(),
    }
}

fn write(dir: &Path, name: &str, json: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, json).expect("writing a test config");
    path
}

#[test]
fn base64_auth_in_auths_is_decoded_for_its_registry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write(
        dir.path(),
        "config.json",
        &format!(r#"{{"auths": {{"127.0.0.1:5000": {{"auth": "{CI_USER_AUTH}"}}}}}}"#),
    );
    let keychain = Keychain::from_files([config]);
    assert_eq!(
        keychain.credential("127.0.0.1:5000").expect("lookup"),
        Some(ci_user())
    );
    assert_eq!(keychain.credential("127.0.0.1:5001").expect("lookup"), None);
}

#[test]
fn docker_hub_is_found_under_docker_s_url_key_and_podman_s_host_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let docker = write(
        dir.path(),
        "docker.json",
        &format!(r#"{{"auths": {{"{DOCKER_HUB_KEY}": {{"auth": "{CI_USER_AUTH}"}}}}}}"#),
    );
    let podman = write(
        dir.path(),
        "podman.json",
        &format!(r#"{{"auths": {{"docker.io": {{"auth": "{CI_USER_AUTH}"}}}}}}"#),
    );
    for file in [docker, podman] {
        let keychain = Keychain::from_files([file.clone()]);
        for registry in ["docker.io", "index.docker.io"] {
            assert_eq!(
                keychain.credential(registry).expect("lookup"),
                Some(ci_user()),
                "{registry} in {}",
                file.display()
            );
        }
    }
}

#[test]
fn later_files_are_read_when_earlier_ones_lack_the_registry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("no-such-config.json");
    let empty = write(dir.path(), "config.json", r#"{"auths": {}}"#);
    let podman = write(
        dir.path(),
        "auth.json",
        &format!(r#"{{"auths": {{"localhost:5000": {{"auth": "{CI_USER_AUTH}"}}}}}}"#),
    );
    let keychain = Keychain::from_files([missing, empty, podman]);
    assert_eq!(
        keychain.credential("localhost:5000").expect("lookup"),
        Some(ci_user())
    );
}

#[test]
fn identity_tokens_and_plain_fields_are_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write(
        dir.path(),
        "config.json",
        r#"{"auths": {
            "tokens.test": {"identitytoken": "tok"},
            "plain.test": {"username": "u", "password": "p"}
        }}"#,
    );
    let keychain = Keychain::from_files([config]);
    assert_eq!(
        keychain.credential("tokens.test").expect("lookup"),
        Some(Credential::IdentityToken("tok".into()))
    );
    assert_eq!(
        keychain.credential("plain.test").expect("lookup"),
        Some(Credential::UsernamePassword {
            username: "u".into(),
            password: "p".into()
        })
    );
}

#[test]
fn a_missing_credential_helper_is_an_error_not_anonymous() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write(
        dir.path(),
        "config.json",
        r#"{"credHelpers": {"helped.test": "slipway-no-such-helper"}}"#,
    );
    let keychain = Keychain::from_files([config.clone()]);
    let err = keychain
        .credential("helped.test")
        .expect_err("the helper cannot run");
    assert!(
        matches!(&err, KeychainError::Lookup { path, .. } if *path == config),
        "{err:?}"
    );
    assert_eq!(keychain.credential("other.test").expect("lookup"), None);
}

#[test]
fn a_malformed_config_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write(dir.path(), "config.json", "{not json");
    let err = Keychain::from_files([config])
        .credential("127.0.0.1:5000")
        .expect_err("malformed");
    assert!(matches!(err, KeychainError::Lookup { .. }), "{err:?}");
}

#[test]
fn a_helper_saying_credentials_not_found_means_anonymous() {
    let not_found = CredentialRetrievalError::HelperFailure {
        helper: "docker-credential-pass".into(),
        stdout: "credentials not found in native keychain\n".into(),
        stderr: String::new(),
    };
    assert!(is_absent(&not_found));
    assert!(is_absent(&CredentialRetrievalError::NoCredentialConfigured));
    assert!(!is_absent(
        &CredentialRetrievalError::HelperCommunicationError
    ));
}

#[test]
fn debug_output_hides_secrets() {
    let shown = format!(
        "{:?} {:?}",
        ci_user(),
        Credential::IdentityToken("tok-secret".into())
    );
    assert!(shown.contains("ci-user"), "{shown}");
    assert!(
        !shown.contains("s3cret") && !shown.contains("tok-secret"),
        "{shown}"
    );
}

#[test]
fn an_anonymous_keychain_has_no_credentials() {
    assert_eq!(
        Keychain::anonymous()
            .credential("127.0.0.1:5000")
            .expect("lookup"),
        None
    );
}
