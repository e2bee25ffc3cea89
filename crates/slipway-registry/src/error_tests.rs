use std::error::Error as _;
use std::net::TcpListener;

use oci_client::errors::OciEnvelope;

use super::*;

fn server_error(code: u16) -> OciDistributionError {
    OciDistributionError::ServerError {
        code,
        url: "http://127.0.0.1:5000/v2/app/blobs/uploads/".into(),
        message: String::new(),
    }
}

fn envelope_error(code: &str) -> OciDistributionError {
    let envelope: OciEnvelope = serde_json::from_str(&format!(
        r#"{{"errors":[{{"code":"{code}","message":"m"}}]}}"#
    ))
    .expect("envelope");
    OciDistributionError::RegistryError {
        envelope,
        url: "http://127.0.0.1:5000/v2/app/manifests/latest".into(),
    }
}

const PULL: Target<'static> = Target {
    registry: "127.0.0.1:5000",
    reference: Some("127.0.0.1:5000/app:latest"),
};
const PUSH: Target<'static> = Target {
    registry: "127.0.0.1:5000",
    reference: None,
};

#[test]
fn http_statuses_are_sorted_by_what_the_user_can_do() {
    assert_eq!(classify(&server_error(401)), Failure::Unauthorized);
    assert_eq!(classify(&server_error(403)), Failure::Unauthorized);
    assert_eq!(classify(&server_error(404)), Failure::NotFound);
    assert_eq!(classify(&server_error(429)), Failure::Transient);
    assert_eq!(classify(&server_error(502)), Failure::Transient);
    assert_eq!(classify(&server_error(400)), Failure::Other);
    assert_eq!(
        classify(&OciDistributionError::UnauthorizedError { url: String::new() }),
        Failure::Unauthorized
    );
    assert_eq!(
        classify(&OciDistributionError::AuthenticationFailure("no".into())),
        Failure::Unauthorized
    );
}

#[test]
fn registry_error_codes_are_sorted_too() {
    assert_eq!(classify(&envelope_error("DENIED")), Failure::Unauthorized);
    assert_eq!(
        classify(&envelope_error("UNAUTHORIZED")),
        Failure::Unauthorized
    );
    assert_eq!(
        classify(&envelope_error("MANIFEST_UNKNOWN")),
        Failure::NotFound
    );
    assert_eq!(classify(&envelope_error("NAME_UNKNOWN")), Failure::NotFound);
    assert_eq!(
        classify(&envelope_error("TOOMANYREQUESTS")),
        Failure::Transient
    );
    assert_eq!(
        classify(&envelope_error("MANIFEST_INVALID")),
        Failure::Other
    );
}

#[test]
fn only_passing_failures_are_retried() {
    assert!(Failure::Unreachable.is_retryable());
    assert!(Failure::Transient.is_retryable());
    assert!(!Failure::Unauthorized.is_retryable());
    assert!(!Failure::NotFound.is_retryable());
    assert!(!Failure::Other.is_retryable());
}

#[tokio::test]
async fn a_refused_connection_is_unreachable_with_the_cause_as_source() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let registry = format!("127.0.0.1:{port}");
    let reference: oci_client::Reference =
        format!("{registry}/app:latest").parse().expect("reference");
    let client =
        crate::RegistryClient::new(&reference, &crate::Keychain::anonymous()).expect("client");
    let digest = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let err = client
        .client
        .blob_exists(&reference, digest)
        .await
        .expect_err("nothing listens");
    assert_eq!(classify(&err), Failure::Unreachable, "{err:?}");

    let err = Target {
        registry: &registry,
        reference: None,
    }
    .error("checking for a blob".into(), err);
    assert!(matches!(err, RegistryError::Unreachable { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("checking for a blob: cannot reach the registry {registry}")
    );
    assert!(err.source().is_some());
    assert_eq!(
        err.hint(),
        Some("check that the registry is running and the address is right")
    );
}

#[test]
fn a_404_is_not_found_when_pulling_and_a_protocol_error_when_pushing() {
    let pulled = PULL.error("fetching the manifest".into(), server_error(404));
    assert!(
        matches!(&pulled, RegistryError::NotFound { reference, .. } if reference == "127.0.0.1:5000/app:latest")
    );
    assert_eq!(
        pulled.to_string(),
        "127.0.0.1:5000/app:latest was not found in its registry"
    );
    let pushed = PUSH.error("uploading a blob".into(), server_error(404));
    assert!(
        matches!(pushed, RegistryError::Protocol { .. }),
        "{pushed:?}"
    );
}

#[test]
fn messages_say_what_was_done_and_leave_the_cause_to_the_source() {
    let err = PUSH.error(
        "storing the manifest of 127.0.0.1:5000/app:latest".into(),
        server_error(401),
    );
    assert_eq!(
        err.to_string(),
        "storing the manifest of 127.0.0.1:5000/app:latest: the registry 127.0.0.1:5000 refused access"
    );
    assert!(err.hint().is_some_and(|h| h.contains("docker login")));
    let source = err.source().expect("the cause is kept").to_string();
    assert!(source.contains("401"), "{source}");
    assert!(!err.to_string().contains("401"));

    let err = PUSH.error("uploading blob x".into(), server_error(500));
    assert_eq!(err.to_string(), "uploading blob x");
    assert!(err.source().is_some());
}
