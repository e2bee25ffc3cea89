//! A registry connection for one image reference: its credentials, its protocol (plain HTTP for a
//! registry on this machine, HTTPS for every other), and the requests push and pull share.

use std::net::IpAddr;
use std::time::Duration;

use oci_client::client::{ClientConfig, ClientProtocol, linux_amd64_resolver};
use oci_client::errors::OciDistributionError;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference, RegistryOperation};
use slipway_oci::Digest;

use crate::error::{RegistryError, Target};
use crate::keychain::{Credential, Keychain};
use crate::retry::RetryPolicy;

/// How long connecting to a registry may take before it counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a registry may stay silent in the middle of an answer.
const READ_TIMEOUT: Duration = Duration::from_secs(120);

/// A client for the registry and repository of one image reference.
///
/// Registries on a loopback address (`127.0.0.0/8`, `::1`, `localhost`, with or without a port)
/// are spoken to over plain HTTP, as Docker does: that is where local test registries run, and
/// they rarely have certificates. Every other registry gets HTTPS.
pub struct RegistryClient {
    pub(crate) client: Client,
    pub(crate) reference: Reference,
    pub(crate) auth: RegistryAuth,
    pub(crate) retry: RetryPolicy,
    plain_http: bool,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("reference", &self.reference.whole())
            .field("auth", &self.auth)
            .field("plain_http", &self.plain_http)
            .finish_non_exhaustive()
    }
}

impl RegistryClient {
    /// A client for `reference`, with the credentials `keychain` has for its registry. Nothing is
    /// sent until the first request.
    pub fn new(
        reference: &Reference,
        keychain: &Keychain,
    ) -> Result<RegistryClient, RegistryError> {
        install_crypto_provider();
        let registry = reference.resolve_registry().to_owned();
        let credential = keychain
            .credential(reference.registry())
            .map_err(|source| RegistryError::Credentials {
                registry: registry.clone(),
                source,
            })?;
        let auth = match credential {
            None => RegistryAuth::Anonymous,
            Some(Credential::UsernamePassword { username, password }) => {
                RegistryAuth::Basic(username, password)
            }
            Some(Credential::IdentityToken(token)) => RegistryAuth::Bearer(token),
        };
        let plain_http = is_loopback_registry(&registry);
        let client = Client::try_from(client_config(&registry, plain_http)).map_err(|source| {
            RegistryError::Protocol {
                action: format!("setting up a client for {registry}"),
                source,
            }
        })?;
        Ok(RegistryClient {
            client,
            reference: reference.clone(),
            auth,
            retry: RetryPolicy::DEFAULT,
            plain_http,
        })
    }

    /// The reference this client was made for.
    #[must_use]
    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    /// The registry host requests go to (Docker Hub's `docker.io` resolves to `index.docker.io`).
    #[must_use]
    pub fn registry(&self) -> &str {
        self.reference.resolve_registry()
    }

    /// Whether requests go over plain HTTP (a loopback registry) rather than HTTPS.
    #[must_use]
    pub fn uses_plain_http(&self) -> bool {
        self.plain_http
    }

    /// The digest the registry holds for the reference, from a `HEAD` of its manifest.
    pub async fn manifest_digest(&self) -> Result<Digest, RegistryError> {
        let reference = self.reference.whole();
        let action = || format!("asking the registry for the digest of {reference}");
        let text = self
            .retry
            .run(
                || {
                    self.client
                        .fetch_manifest_digest(&self.reference, &self.auth)
                },
                |_, _| {},
            )
            .await
            .map_err(|e| self.target(Some(&reference)).error(action(), e))?;
        text.parse().map_err(|_| RegistryError::Protocol {
            action: action(),
            source: OciDistributionError::GenericError(Some(format!(
                "the registry answered with digest {text:?}"
            ))),
        })
    }

    /// Obtains a token for `operation` on the repository (or checks that none is needed), so that
    /// a missing login is reported before any blob is read.
    pub(crate) async fn authenticate(
        &self,
        operation: RegistryOperation,
    ) -> Result<(), RegistryError> {
        let verb = match operation {
            RegistryOperation::Push => "pushing",
            RegistryOperation::Pull => "pulling",
        };
        self.retry
            .run(
                || self.client.auth(&self.reference, &self.auth, operation),
                |_, _| {},
            )
            .await
            .map_err(|e| {
                self.target(None)
                    .error(format!("{verb} {}", self.reference.whole()), e)
            })?;
        Ok(())
    }

    /// Where errors of this client's requests happened.
    pub(crate) fn target<'a>(&'a self, reference: Option<&'a str>) -> Target<'a> {
        Target {
            registry: self.reference.resolve_registry(),
            reference,
        }
    }
}

fn client_config(registry: &str, plain_http: bool) -> ClientConfig {
    ClientConfig {
        protocol: if plain_http {
            ClientProtocol::HttpsExcept(vec![registry.to_owned()])
        } else {
            ClientProtocol::Https
        },
        // One PUT per blob: fewer round trips than chunks, and every registry accepts it.
        use_monolithic_push: true,
        platform_resolver: Some(Box::new(linux_amd64_resolver)),
        connect_timeout: Some(CONNECT_TIMEOUT),
        read_timeout: Some(READ_TIMEOUT),
        user_agent: concat!("slipway/", env!("CARGO_PKG_VERSION")),
        ..ClientConfig::default()
    }
}

/// Installs ring as rustls' process-wide crypto provider, which reqwest (built without one) needs
/// before any client is made. Another crate having installed one already is fine.
fn install_crypto_provider() {
    // An Err only says a provider is already installed: which one does not matter here.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Whether `registry` (a host with an optional port, as in an image reference) is this machine:
/// `localhost`, an address in `127.0.0.0/8`, or `::1` (bracketed or not).
#[must_use]
pub fn is_loopback_registry(registry: &str) -> bool {
    let host = host_of(registry);
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

/// The host part of `host[:port]`, `[v6]:port` or a bare IPv6 address.
fn host_of(registry: &str) -> &str {
    if let Some(rest) = registry.strip_prefix('[') {
        return rest.split_once(']').map_or(rest, |(host, _)| host);
    }
    if registry.parse::<IpAddr>().is_ok() {
        return registry;
    }
    registry.rsplit_once(':').map_or(registry, |(host, _)| host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_registries_are_recognised_with_and_without_ports() {
        for registry in [
            "localhost",
            "LocalHost:5000",
            "127.0.0.1",
            "127.0.0.1:5000",
            "127.1.2.3:443",
            "::1",
            "[::1]",
            "[::1]:5000",
            "[::ffff:127.0.0.1]:5000",
        ] {
            assert!(is_loopback_registry(registry), "{registry}");
        }
    }

    #[test]
    fn other_registries_are_not_loopback() {
        for registry in [
            "registry.test",
            "registry.test:5000",
            "localhost.test",
            "mylocalhost:5000",
            "10.0.0.1:5000",
            "128.0.0.1",
            "[2001:db8::1]:5000",
            "2001:db8::1",
            "index.docker.io",
        ] {
            assert!(!is_loopback_registry(registry), "{registry}");
        }
    }

    #[test]
    fn loopback_references_use_plain_http_and_others_https() {
        let local: Reference = "127.0.0.1:5000/app:latest".parse().expect("reference");
        let client = RegistryClient::new(&local, &Keychain::anonymous()).expect("client");
        assert!(client.uses_plain_http());
        assert_eq!(client.registry(), "127.0.0.1:5000");

        let remote: Reference = "registry.test/app:latest".parse().expect("reference");
        assert!(
            !RegistryClient::new(&remote, &Keychain::anonymous())
                .expect("client")
                .uses_plain_http()
        );

        let hub: Reference = "app".parse().expect("reference");
        let client = RegistryClient::new(&hub, &Keychain::anonymous()).expect("client");
        assert_eq!(client.registry(), "index.docker.io");
        assert!(!client.uses_plain_http());
    }
}
