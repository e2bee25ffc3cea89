//! Checking that a host port is free before a container is started on it.
//!
//! The engines notice a taken port themselves, but only after the container's network is set up,
//! and Podman (4.3, with netavark) then tears down more than it set up: the localhost forwarding
//! rules it shares with the container already holding the port go too, so that container stops
//! answering on `127.0.0.1` ("No route to host"). Finding the port taken before asking the engine
//! keeps a failed `slipway run` from breaking a running one. The engine's own error is still
//! recognised, for the port taken between the check and the start.

use std::io;
use std::net::{IpAddr, Ipv4Addr, TcpListener};

use super::PortBinding;
use crate::error::EngineError;

/// [`EngineError::PortTaken`] when `binding`'s host port is in use on this machine. Only a port
/// that cannot be bound because it is in use counts: any other failure to bind (an address this
/// machine lacks, a privileged port) is left for the engine to judge, and so is port 0.
pub(crate) fn ensure_port_free(binding: &PortBinding) -> Result<(), EngineError> {
    if binding.host_port == 0 {
        return Ok(());
    }
    let ip = if binding.host_ip.is_empty() {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        match binding.host_ip.trim_matches(['[', ']']).parse() {
            Ok(ip) => ip,
            Err(_) => return Ok(()),
        }
    };
    match TcpListener::bind((ip, binding.host_port)) {
        Err(e) if e.kind() == io::ErrorKind::AddrInUse => Err(EngineError::PortTaken {
            port: binding.host_port,
        }),
        _ => Ok(()),
    }
}

/// Whether an engine at `docker_host` (as `DOCKER_HOST` spells it) publishes ports on this
/// machine, so that [`ensure_port_free`] means something for it.
pub(crate) fn is_local_host(docker_host: &str) -> bool {
    if docker_host.starts_with("unix://") {
        return true;
    }
    let Some(address) = docker_host
        .strip_prefix("tcp://")
        .or_else(|| docker_host.strip_prefix("http://"))
    else {
        return false;
    };
    let host = match address.rsplit_once(':') {
        Some((host, _port)) => host,
        None => address,
    };
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(host_ip: &str, host_port: u16) -> PortBinding {
        PortBinding {
            host_ip: host_ip.into(),
            host_port,
            container_port: 8080,
        }
    }

    #[test]
    fn a_port_someone_listens_on_is_taken() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let err = ensure_port_free(&binding("127.0.0.1", port)).expect_err("taken");
        assert!(matches!(err, EngineError::PortTaken { port: p } if p == port));
        // Every address includes 127.0.0.1.
        assert!(ensure_port_free(&binding("", port)).is_err());
        drop(listener);
        ensure_port_free(&binding("127.0.0.1", port)).expect("free again");
    }

    #[test]
    fn what_cannot_be_checked_is_left_to_the_engine() {
        ensure_port_free(&binding("127.0.0.1", 0)).expect("port 0 is always free");
        ensure_port_free(&binding("not-an-address", 8080)).expect("not checked");
        // TEST-NET-2: not an address of this machine, so binding fails, but not as "in use".
        ensure_port_free(&binding("198.51.100.7", 8080)).expect("not ours to judge");
    }

    #[test]
    fn only_engines_on_this_machine_are_checked_for() {
        assert!(is_local_host("unix:///run/podman/podman.sock"));
        assert!(is_local_host("tcp://127.0.0.1:2375"));
        assert!(is_local_host("tcp://localhost:2375"));
        assert!(is_local_host("tcp://[::1]:2375"));
        assert!(!is_local_host("tcp://build-host.internal:2375"));
        assert!(!is_local_host("ssh://user@host"));
    }
}
