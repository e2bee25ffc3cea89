//! Test support for slipway's end-to-end suite, used only as a dev-dependency.
//!
//! slipway's promises are about real registries and real container engines, so its end-to-end
//! tests run the real ones (see `shared/TESTING.md`): a [`Registry`] (Debian's
//! `docker-registry`) on a free 127.0.0.1 port, [`Podman`] to pull, load and run the images slipway
//! makes, and a [`PodmanService`] serving the Docker Engine API. Around them: a small HTTP client
//! ([`http_get`], [`wait_for_http`]) to read what an app serves, and fixture helpers
//! ([`copy_dir`], [`touch_all`]).
//!
//! Tests that need these tools are marked `#[ignore = "end-to-end: ..."]` and run by
//! `scripts/test`, which installs the tools; [`require_tools`] says so when they are missing.
//! Every helper panics with a message naming what it was doing: they are steps of a test, not
//! code under test.

mod file_server;
mod fixtures;
mod http;
mod images;
mod podman;
mod process;
mod registry;
pub mod registry_log;

use std::net::TcpListener;

pub use file_server::FileServer;
pub use fixtures::{copy_dir, relative_files, touch_all};
pub use http::{HttpResponse, http_get, http_request, unix_request, wait_for_http};
pub use images::tiny_image;
pub use podman::{Container, Podman, PodmanService};
pub use process::{find_tool, process_exists};
pub use registry::{LOGIN_PASSWORD, LOGIN_USER, Registry};
pub use registry_log::BlobTransfer;

/// The tools the end-to-end tests run; `scripts/test` installs them.
pub const REQUIRED_TOOLS: [&str; 2] = ["podman", "docker-registry"];

/// A TCP port on 127.0.0.1 that was free a moment ago: bind port 0 and let the listener go. For
/// the registry and published container ports; another process may take it in between, which
/// [`Registry::start`] handles by retrying.
///
/// # Panics
///
/// When 127.0.0.1 cannot be bound at all.
#[must_use]
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0")
        .unwrap_or_else(|e| panic!("binding 127.0.0.1:0 for a free port: {e}"));
    listener
        .local_addr()
        .unwrap_or_else(|e| panic!("reading the bound port: {e}"))
        .port()
}

/// Check that podman and docker-registry are installed, so an end-to-end test run without them
/// fails with the fix rather than with a confusing spawn error.
///
/// # Panics
///
/// When a tool is missing, naming it and `scripts/test`.
pub fn require_tools() {
    let missing = missing_tools(&REQUIRED_TOOLS, |tool| find_tool(tool).is_some());
    assert!(missing.is_empty(), "{}", missing_tools_message(&missing));
}

fn missing_tools<'a>(tools: &[&'a str], installed: impl Fn(&str) -> bool) -> Vec<&'a str> {
    tools
        .iter()
        .copied()
        .filter(|tool| !installed(tool))
        .collect()
}

fn missing_tools_message(missing: &[&str]) -> String {
    let verb = if missing.len() == 1 {
        "it is"
    } else {
        "they are"
    };
    format!(
        "the end-to-end tests need {} but {verb} not installed; run `bash scripts/test` from the \
         repository root, which installs podman, runc and docker-registry, configures podman and \
         runs the whole suite",
        missing.join(" and ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_port_is_bindable_on_loopback() {
        let port = free_port();
        assert_ne!(port, 0);
        TcpListener::bind(("127.0.0.1", port)).expect("the port is free");
    }

    #[test]
    fn missing_tools_are_named_with_the_fix() {
        let missing = missing_tools(&REQUIRED_TOOLS, |tool| tool == "podman");
        assert_eq!(missing, ["docker-registry"]);
        let message = missing_tools_message(&missing);
        assert!(message.contains("need docker-registry but"), "{message}");
        assert!(message.contains("scripts/test"), "{message}");
    }
}
