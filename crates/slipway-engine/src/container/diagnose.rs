//! Telling the failures a user can fix from the rest, by the engine's error text.
//!
//! Neither the Docker API nor the commands give these failures their own codes (a taken port is a
//! 500 from the API and exit status 125 from `podman start`), so the text is all there is. The
//! phrases are the ones Go's net package, Docker, Podman and containers/image write.

/// A failure with a fix of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Diagnosis {
    /// The host port to publish is taken.
    PortTaken,
    /// The image is not local, or not in the registry it would be pulled from.
    ImageNotFound,
    /// The container does not exist (any more).
    NoSuchContainer,
}

/// Phrases, in lower case, that mean a host port is taken: the kernel's EADDRINUSE as Go spells it
/// (Podman: "cannot listen on the TCP port: listen tcp4 127.0.0.1:8080: bind: address already in
/// use"), and Docker's own check for ports its containers hold ("Bind for 0.0.0.0:8080 failed:
/// port is already allocated").
const PORT_TAKEN: [&str; 2] = ["address already in use", "port is already allocated"];

/// Phrases that mean the image is missing: Podman's store ("image not known"), Docker's ("No such
/// image"), and a registry's answer to a pull ("manifest unknown", "name unknown", Docker Hub's
/// "pull access denied … repository does not exist").
const IMAGE_NOT_FOUND: [&str; 6] = [
    "image not known",
    "no such image",
    "manifest unknown",
    "name unknown",
    "repository does not exist",
    "pull access denied",
];

/// Podman: `no container with name or ID "x" found: no such container`; Docker: `No such
/// container: x`.
const NO_SUCH_CONTAINER: &str = "no such container";

/// What `message` (an API error's message, or a command's stderr) says went wrong, when it is one
/// of the failures with a fix.
pub(crate) fn diagnose(message: &str) -> Option<Diagnosis> {
    let message = message.to_lowercase();
    let says = |phrases: &[&str]| phrases.iter().any(|phrase| message.contains(phrase));
    if says(&PORT_TAKEN) {
        Some(Diagnosis::PortTaken)
    } else if says(&[NO_SUCH_CONTAINER]) {
        Some(Diagnosis::NoSuchContainer)
    } else if says(&IMAGE_NOT_FOUND) {
        Some(Diagnosis::ImageNotFound)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taken_ports_are_recognised_from_podman_and_docker() {
        for message in [
            "cannot listen on the TCP port: listen tcp4 127.0.0.1:18182: bind: address already \
             in use",
            "Error: unable to start container \"51ad\": cannot listen on the TCP port: listen \
             tcp4 127.0.0.1:18181: bind: address already in use",
            "rootlessport listen tcp 0.0.0.0:8080: bind: address already in use",
            "driver failed programming external connectivity on endpoint app (3f2e): Bind for \
             0.0.0.0:8080 failed: port is already allocated",
            "Error starting userland proxy: listen tcp4 0.0.0.0:8080: bind: Address already in use",
        ] {
            assert_eq!(diagnose(message), Some(Diagnosis::PortTaken), "{message}");
        }
    }

    #[test]
    fn missing_images_are_recognised_locally_and_in_registries() {
        for message in [
            // Podman's API and `podman create --pull=never`.
            "no such image: localhost/slipway-e2e/nope:1: image not known",
            "Error: localhost/slipway-e2e/nope:1: image not known",
            // Docker's API and `docker image inspect`.
            "No such image: app:latest",
            "Error: No such image: app:latest",
            // Pulls that found nothing.
            "Error: initializing source docker://quay.io/x/nope:1: reading manifest 1 in \
             quay.io/x/nope: manifest unknown",
            "reading manifest 1 in 127.0.0.1:5000/nope: name unknown: repository name not known \
             to registry",
            "pull access denied for nope, repository does not exist or may require 'docker login'",
        ] {
            assert_eq!(
                diagnose(message),
                Some(Diagnosis::ImageNotFound),
                "{message}"
            );
        }
    }

    #[test]
    fn missing_containers_are_recognised() {
        for message in [
            "no container with name or ID \"expapi1\" found: no such container",
            "Error response from daemon: No such container: 3f2e",
        ] {
            assert_eq!(
                diagnose(message),
                Some(Diagnosis::NoSuchContainer),
                "{message}"
            );
        }
    }

    #[test]
    fn other_failures_are_left_as_they_are() {
        for message in [
            "Error: creating container storage: the container name \"app\" is already in use",
            "OCI runtime error: runc: exec: \"/cnb/process/web\": no such file or directory",
            "permission denied while trying to connect to the Docker daemon socket",
            "",
        ] {
            assert_eq!(diagnose(message), None, "{message}");
        }
    }
}
