use std::sync::Mutex;

use super::*;

fn on_path(names: &[&str]) -> impl Fn(&str) -> Option<PathBuf> {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    move |name| {
        names
            .iter()
            .any(|n| n == name)
            .then(|| PathBuf::from(format!("/usr/bin/{name}")))
    }
}

#[test]
fn docker_host_comes_first_then_sockets_then_podman_then_docker_commands() {
    assert_eq!(
        candidates(
            Some("tcp://127.0.0.1:2375"),
            Some(Path::new("/run/user/1000")),
            on_path(&["podman", "docker"])
        ),
        [
            Candidate::Api("tcp://127.0.0.1:2375".into()),
            Candidate::Api("unix:///var/run/docker.sock".into()),
            Candidate::Api("unix:///run/podman/podman.sock".into()),
            Candidate::Api("unix:///run/user/1000/podman/podman.sock".into()),
            Candidate::Command(CliKind::Podman, Some("/usr/bin/podman".into())),
            Candidate::Command(CliKind::Docker, Some("/usr/bin/docker".into())),
        ]
    );
}

#[test]
fn unset_or_empty_variables_and_missing_commands_leave_the_defaults() {
    let expected = [
        Candidate::Api("unix:///var/run/docker.sock".into()),
        Candidate::Api("unix:///run/podman/podman.sock".into()),
        Candidate::Command(CliKind::Podman, None),
        Candidate::Command(CliKind::Docker, None),
    ];
    assert_eq!(candidates(None, None, on_path(&[])), expected);
    assert_eq!(candidates(Some(""), None, on_path(&[])), expected);
}

/// A probe that answers only for the hosts and programs it is told to, and records what it was
/// asked, in order.
#[derive(Default)]
struct FakeProbe {
    answering: Vec<String>,
    asked: Mutex<Vec<String>>,
}

impl FakeProbe {
    fn answering(places: &[&str]) -> FakeProbe {
        FakeProbe {
            answering: places.iter().map(|p| (*p).to_owned()).collect(),
            ..FakeProbe::default()
        }
    }

    fn record(&self, place: &str) -> bool {
        self.asked
            .lock()
            .expect("not poisoned")
            .push(place.to_owned());
        self.answering.iter().any(|p| p == place)
    }

    fn asked(&self) -> Vec<String> {
        self.asked.lock().expect("not poisoned").clone()
    }
}

impl Probe for FakeProbe {
    async fn api(&self, host: &str) -> Result<Engine, EngineError> {
        if !self.record(host) {
            return Err(EngineError::NotFound {
                tried: vec![format!("{host} (no such socket)")],
            });
        }
        Ok(Engine::unconnected(host))
    }

    async fn command(&self, kind: CliKind, program: &Path) -> Result<CliEngine, EngineError> {
        if self.record(&program.display().to_string()) {
            Ok(CliEngine::with_version(kind, program, "4.3.1"))
        } else {
            Err(EngineError::Command {
                action: format!("asking {} for its version", program.display()),
                source: CommandError::Failed {
                    program: format!("{kind} version"),
                    status: std::process::ExitStatus::default(),
                    stderr: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. \
                             Is the docker daemon running?\nmore"
                        .into(),
                },
            })
        }
    }
}

fn everything() -> Vec<Candidate> {
    candidates(
        Some("tcp://127.0.0.1:2375"),
        Some(Path::new("/run/user/1000")),
        on_path(&["podman", "docker"]),
    )
}

#[tokio::test]
async fn the_first_engine_that_answers_is_used_and_the_rest_are_not_asked() {
    let probe = FakeProbe::answering(&["unix:///run/podman/podman.sock", "/usr/bin/podman"]);
    let engine = first_answering(&everything(), &probe)
        .await
        .expect("rootful podman's socket answers");
    assert_eq!(
        engine.describe(),
        "Podman 4.3.1 at unix:///run/podman/podman.sock"
    );
    assert_eq!(
        probe.asked(),
        [
            "tcp://127.0.0.1:2375",
            "unix:///var/run/docker.sock",
            "unix:///run/podman/podman.sock"
        ]
    );
}

#[tokio::test]
async fn without_sockets_the_podman_command_is_used() {
    let probe = FakeProbe::answering(&["/usr/bin/podman", "/usr/bin/docker"]);
    let engine = first_answering(&everything(), &probe)
        .await
        .expect("the podman command answers");
    assert_eq!(engine.describe(), "podman 4.3.1 (command)");
    assert!(matches!(
        engine,
        ContainerEngine::Cli(cli) if cli.kind() == CliKind::Podman
    ));
}

#[tokio::test]
async fn the_docker_command_is_used_only_when_its_daemon_answers() {
    let probe = FakeProbe::answering(&["/usr/bin/docker"]);
    let list = candidates(None, None, on_path(&["docker"]));
    let engine = first_answering(&list, &probe)
        .await
        .expect("docker's daemon answers");
    assert_eq!(engine.describe(), "docker 4.3.1 (command)");
}

#[tokio::test]
async fn when_nothing_answers_every_place_tried_is_listed_with_why() {
    let probe = FakeProbe::default();
    let list = candidates(
        None,
        Some(Path::new("/run/user/1000")),
        on_path(&["docker"]),
    );
    let err = first_answering(&list, &probe)
        .await
        .expect_err("nothing answers");
    let EngineError::NoEngine { tried } = &err else {
        panic!("not NoEngine: {err:?}");
    };
    assert_eq!(
        tried,
        &[
            "/var/run/docker.sock (no such socket)",
            "/run/podman/podman.sock (no such socket)",
            "/run/user/1000/podman/podman.sock (no such socket)",
            "the podman command (not on PATH)",
            "/usr/bin/docker (Cannot connect to the Docker daemon at \
             unix:///var/run/docker.sock. Is the docker daemon running?)",
        ]
    );
    assert!(
        err.to_string()
            .starts_with("no container engine found (tried ")
    );
    assert!(
        err.hint()
            .is_some_and(|h| h.contains("sudo apt install podman"))
    );
}

#[test]
fn programs_are_found_only_as_executable_files_on_path() {
    use std::os::unix::fs::PermissionsExt;
    let first = tempfile::tempdir().expect("tempdir");
    let second = tempfile::tempdir().expect("tempdir");
    let not_executable = first.path().join("podman");
    std::fs::write(&not_executable, "").expect("write");
    let executable = second.path().join("podman");
    std::fs::write(&executable, "").expect("write");
    std::fs::set_permissions(&executable, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::create_dir(first.path().join("docker")).expect("a directory named docker");
    let path = env::join_paths([first.path(), second.path()]).expect("join");
    assert_eq!(find_program("podman", Some(&path)), Some(executable));
    assert_eq!(find_program("docker", Some(&path)), None);
    assert_eq!(find_program("podman", None), None);
}

#[tokio::test]
#[ignore = "end-to-end: needs podman"]
async fn real_podman_is_found_by_its_socket_or_else_by_its_command() {
    let service = slipway_testkit::PodmanService::start();
    let podman = slipway_testkit::find_tool("podman").expect("podman is installed");
    let dead = tempfile::tempdir().expect("tempdir");
    let dead_socket = format!("unix://{}", dead.path().join("none.sock").display());
    let version = String::from_utf8(
        std::process::Command::new(&podman)
            .arg("--version")
            .output()
            .expect("podman --version")
            .stdout,
    )
    .expect("utf-8");
    let version = version.split_whitespace().last().expect("a version");

    let through_socket = [
        Candidate::Api(dead_socket.clone()),
        Candidate::Api(service.docker_host()),
        Candidate::Command(CliKind::Podman, Some(podman.clone())),
    ];
    let engine = first_answering(&through_socket, &RealProbe)
        .await
        .expect("the service answers");
    assert_eq!(
        engine.describe(),
        format!("Podman {version} at {}", service.docker_host())
    );

    let through_command = [
        Candidate::Api(dead_socket),
        Candidate::Command(CliKind::Podman, Some(podman)),
    ];
    let engine = first_answering(&through_command, &RealProbe)
        .await
        .expect("the podman command answers");
    assert_eq!(engine.describe(), format!("podman {version} (command)"));
}

#[tokio::test]
#[ignore = "end-to-end: needs podman"]
async fn the_docker_command_counts_only_when_its_daemon_answers() {
    // On these machines the docker command is only a client, with no daemon to answer it.
    let Some(docker) = slipway_testkit::find_tool("docker") else {
        return;
    };
    let daemon_answers = std::process::Command::new(&docker)
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
        .is_ok_and(|o| o.status.success());
    let found = first_answering(
        &[Candidate::Command(CliKind::Docker, Some(docker))],
        &RealProbe,
    )
    .await;
    match found {
        Ok(engine) => {
            assert!(
                daemon_answers,
                "used without a daemon: {}",
                engine.describe()
            );
            assert!(engine.describe().starts_with("docker "));
        }
        Err(EngineError::NoEngine { tried }) => {
            assert!(!daemon_answers, "passed over: {tried:?}");
            assert_eq!(tried.len(), 1, "{tried:?}");
        }
        Err(e) => panic!("{e:?}"),
    }
}
