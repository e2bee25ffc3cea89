//! The arguments of `create` for a [`ContainerSpec`], spelled so that podman and docker both
//! take them.

use std::ffi::OsString;

use super::{ContainerSpec, PortBinding, local_only};

/// The `create` arguments for `spec`. The entrypoint's first word goes to `--entrypoint` and the
/// rest after the image, as the command: docker's `--entrypoint` takes one word, and with an
/// entrypoint given both engines drop the image's command, so the container runs exactly the
/// entrypoint, as through the API.
pub(crate) fn create_args(spec: &ContainerSpec) -> Vec<OsString> {
    let mut args = os_args(&["create", "--quiet"]);
    if local_only(&spec.image) {
        // A `localhost/` name is not in any registry: never reach out for one.
        args.push("--pull=never".into());
    }
    let mut flag = |name: &str, value: String| args.extend([name.into(), value.into()]);
    if !spec.name.is_empty() {
        flag("--name", spec.name.clone());
    }
    for (key, value) in &spec.env {
        flag("--env", format!("{key}={value}"));
    }
    for (key, value) in &spec.labels {
        flag("--label", format!("{key}={value}"));
    }
    if let Some(bytes) = spec.memory {
        flag("--memory", bytes.to_string());
    }
    if let Some(publish) = &spec.publish {
        flag("--publish", publish_arg(publish));
    }
    let entrypoint = spec.entrypoint.as_deref().unwrap_or_default();
    if let Some(first) = entrypoint.first() {
        flag("--entrypoint", first.clone());
    }
    args.push(spec.image.clone().into());
    args.extend(entrypoint.iter().skip(1).map(OsString::from));
    args
}

/// `-p`'s value: `127.0.0.1:8080:8080/tcp`, `[::1]:8080:8080/tcp`, and for port 0
/// `127.0.0.1::8080/tcp` (podman refuses a host port of 0; an empty one means "any").
fn publish_arg(publish: &PortBinding) -> String {
    let host_port = match publish.host_port {
        0 => String::new(),
        port => port.to_string(),
    };
    let container = format!("{}/tcp", publish.container_port);
    match publish.host_ip.as_str() {
        "" if host_port.is_empty() => container,
        "" => format!("{host_port}:{container}"),
        ip if ip.contains(':') => format!("[{ip}]:{host_port}:{container}"),
        ip => format!("{ip}:{host_port}:{container}"),
    }
}

/// `args` as a command's arguments.
pub(crate) fn os_args(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
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
    fn published_ports_are_spelled_as_both_commands_take_them() {
        assert_eq!(
            publish_arg(&binding("127.0.0.1", 9000)),
            "127.0.0.1:9000:8080/tcp"
        );
        assert_eq!(publish_arg(&binding("127.0.0.1", 0)), "127.0.0.1::8080/tcp");
        assert_eq!(publish_arg(&binding("::1", 9000)), "[::1]:9000:8080/tcp");
        assert_eq!(publish_arg(&binding("", 9000)), "9000:8080/tcp");
        assert_eq!(publish_arg(&binding("", 0)), "8080/tcp");
    }

    fn strings(args: &[OsString]) -> Vec<String> {
        args.iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn create_carries_the_whole_spec_and_never_pulls_localhost_names() {
        let spec = ContainerSpec {
            image: "localhost/app:1".into(),
            name: "app-1".into(),
            env: vec![("PORT".into(), "8080".into())],
            memory: Some(64 << 20),
            publish: Some(binding("127.0.0.1", 9000)),
            entrypoint: Some(vec!["/bin/busybox".into(), "httpd".into(), "-f".into()]),
            labels: vec![("io.slipway.run".into(), "app".into())],
        };
        assert_eq!(
            strings(&create_args(&spec)),
            [
                "create",
                "--quiet",
                "--pull=never",
                "--name",
                "app-1",
                "--env",
                "PORT=8080",
                "--label",
                "io.slipway.run=app",
                "--memory",
                "67108864",
                "--publish",
                "127.0.0.1:9000:8080/tcp",
                "--entrypoint",
                "/bin/busybox",
                "localhost/app:1",
                "httpd",
                "-f",
            ]
        );
    }

    #[test]
    fn other_names_are_pulled_when_missing_and_unset_fields_add_nothing() {
        let spec = ContainerSpec::new("127.0.0.1:5000/app:v1", "");
        assert_eq!(
            strings(&create_args(&spec)),
            ["create", "--quiet", "127.0.0.1:5000/app:v1"]
        );
    }
}
