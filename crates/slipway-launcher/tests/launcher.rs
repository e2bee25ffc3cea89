//! Runs the built launcher the way an image does: through a symlink named after
//! the process type, with a launch config, and checks what the process sees.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use slipway_launch::{LaunchConfig, Process};

/// A fresh directory holding a launch config and symlinks to the launcher.
struct Fixture {
    dir: PathBuf,
}

impl Fixture {
    /// Creates the directory for `name` (one per test, as tests run in
    /// parallel) and writes `config` into it.
    fn new(name: &str, config: &LaunchConfig) -> Fixture {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("launcher-{name}"));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).expect("removing an old fixture");
        }
        std::fs::create_dir_all(&dir).expect("creating the fixture directory");
        std::fs::write(dir.join("launch.conf"), config.to_text()).expect("writing the config");
        Fixture { dir }
    }

    /// Runs the launcher through a symlink called `link_name`, with a clean
    /// environment apart from `env`.
    fn run(&self, link_name: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
        let link = self.dir.join(link_name);
        if !link.exists() {
            std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_slipway-launcher"), &link)
                .expect("linking to the launcher");
        }
        Command::new(&link)
            .args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("SLIPWAY_LAUNCH_CONFIG", self.dir.join("launch.conf"))
            .envs(env.iter().copied())
            .output()
            .expect("running the launcher")
    }
}

fn process(process_type: &str, command: &[&str]) -> Process {
    Process {
        process_type: process_type.into(),
        command: command.iter().map(ToString::to_string).collect(),
        working_dir: None,
        jvm_memory: false,
    }
}

/// A `web` process that prints its environment, arguments and directory.
fn config() -> LaunchConfig {
    let script = r#"echo "$GREETING $PORT $0 $1 $(pwd)""#;
    LaunchConfig {
        env: vec![
            ("GREETING".into(), "hello".into()),
            ("PORT".into(), "8080".into()),
        ],
        processes: vec![
            Process {
                working_dir: Some("/tmp".into()),
                ..process("web", &["/bin/sh", "-c", script, "extra"])
            },
            process("worker", &["echo", "working"]),
        ],
        default_process: None,
    }
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

#[test]
fn a_process_symlink_runs_its_command_with_env_args_and_dir() {
    let fixture = Fixture::new("web", &config());
    let output = fixture.run("web", &["more"], &[]);
    assert_eq!(stdout(&output), "hello 8080 extra more /tmp\n");
}

#[test]
fn the_container_env_wins_over_the_config() {
    let fixture = Fixture::new("env", &config());
    let output = fixture.run("web", &[], &[("PORT", "9000")]);
    assert_eq!(stdout(&output), "hello 9000 extra  /tmp\n");
}

#[test]
fn launcher_runs_a_named_type_a_default_or_a_command() {
    let fixture = Fixture::new("launcher", &config());
    let named = fixture.run("launcher", &["worker", "hard"], &[]);
    assert_eq!(stdout(&named), "working hard\n");
    let from_env = fixture.run("launcher", &[], &[("CNB_PROCESS_TYPE", "worker")]);
    assert_eq!(stdout(&from_env), "working\n");
    let default = fixture.run("launcher", &[], &[]);
    assert_eq!(stdout(&default), "hello 8080 extra  /tmp\n");
    let direct = fixture.run("launcher", &["printenv", "GREETING"], &[]);
    assert_eq!(stdout(&direct), "hello\n");
}

#[test]
fn an_unknown_process_type_names_the_known_ones() {
    let fixture = Fixture::new("unknown", &config());
    let output = fixture.run("cron", &[], &[]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "launcher: unknown process type \"cron\" (known: web, worker)\n"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn a_missing_program_exits_127() {
    let config = LaunchConfig {
        processes: vec![process("web", &["no-such-program-anywhere"])],
        ..LaunchConfig::default()
    };
    let output = Fixture::new("missing", &config).run("web", &[], &[]);
    assert_eq!(output.status.code(), Some(127));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "launcher: \"no-such-program-anywhere\": command not found in PATH\n"
    );
}

#[test]
fn a_missing_config_is_reported_with_its_path() {
    let fixture = Fixture::new("no-config", &config());
    std::fs::remove_file(fixture.dir.join("launch.conf")).expect("removing the config");
    let output = fixture.run("web", &[], &[]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("launcher: reading launch config /"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("launch.conf: No such file or directory (os error 2)\n"),
        "{stderr}"
    );
}

/// A config whose `web` process sizes the JVM and prints `JAVA_TOOL_OPTIONS`,
/// and a fixture cgroup whose `memory.max` is `limit`.
fn jvm_fixture(name: &str, limit: &str) -> Fixture {
    let config = LaunchConfig {
        processes: vec![Process {
            jvm_memory: true,
            ..process("web", &["/bin/sh", "-c", r#"echo "$JAVA_TOOL_OPTIONS""#])
        }],
        ..LaunchConfig::default()
    };
    let fixture = Fixture::new(name, &config);
    std::fs::create_dir_all(fixture.dir.join("cgroup")).expect("creating the cgroup");
    std::fs::write(fixture.dir.join("cgroup/memory.max"), limit).expect("writing memory.max");
    fixture
}

impl Fixture {
    /// Runs the `web` process with the fixture cgroup and `env`.
    fn run_jvm(&self, env: &[(&str, &str)]) -> Output {
        let cgroup = self.dir.join("cgroup");
        let cgroup = cgroup.to_str().expect("a UTF-8 path");
        let mut all = vec![
            ("SLIPWAY_CGROUP_ROOT", cgroup),
            ("SLIPWAY_PROC_MEMINFO", "/nonexistent"),
            ("BPL_JVM_LOADED_CLASS_COUNT", "10000"),
        ];
        all.extend(env);
        self.run("web", &[], &all)
    }
}

#[test]
fn a_jvm_process_gets_memory_flags_from_the_cgroup_limit() {
    // 1G; metaspace (10000 × 5800 + 14000000) / 1024 = 70312K; heap 1048576 −
    // 70312 − 245760 − 256000 − 10240 = 466264K.
    let output = jvm_fixture("jvm-1g", "1073741824\n").run_jvm(&[("JAVA_TOOL_OPTIONS", "-Dx=1")]);
    assert_eq!(
        stdout(&output),
        "JVM Memory Configuration: -Xmx466264K -Xss1M -XX:ReservedCodeCacheSize=240M \
         -XX:MaxDirectMemorySize=10M -XX:MaxMetaspaceSize=70312K\n\
         -Dx=1 -XX:MaxDirectMemorySize=10M -Xmx466264K -XX:MaxMetaspaceSize=70312K \
         -XX:ReservedCodeCacheSize=240M -Xss1M\n"
    );
}

#[test]
fn a_256m_jvm_fits_with_the_users_code_cache_and_thread_count() {
    // Heap 262144 − 70312 − 32768 − 50 × 1024 − 10240 = 97624K.
    let output = jvm_fixture("jvm-256m", "268435456\n").run_jvm(&[
        ("JAVA_OPTS", "-XX:ReservedCodeCacheSize=32M"),
        ("BPL_JVM_THREAD_COUNT", "50"),
    ]);
    assert_eq!(
        stdout(&output),
        "JVM Memory Configuration: -Xmx97624K -Xss1M -XX:ReservedCodeCacheSize=32M \
         -XX:MaxDirectMemorySize=10M -XX:MaxMetaspaceSize=70312K\n\
         -XX:ReservedCodeCacheSize=32M \
         -XX:MaxDirectMemorySize=10M -Xmx97624K -XX:MaxMetaspaceSize=70312K -Xss1M\n"
    );
}

#[test]
fn the_images_code_cache_default_applies_unless_the_user_sets_one() {
    // Heap 262144 − 70312 − 65536 − 50 × 1024 − 10240 = 64856K.
    let output = jvm_fixture("jvm-image-default", "268435456\n").run_jvm(&[
        ("SLIPWAY_JVM_CODE_CACHE", "64M"),
        ("BPL_JVM_THREAD_COUNT", "50"),
    ]);
    assert_eq!(
        stdout(&output),
        "JVM Memory Configuration: -Xmx64856K -Xss1M -XX:ReservedCodeCacheSize=64M \
         -XX:MaxDirectMemorySize=10M -XX:MaxMetaspaceSize=70312K\n\
         -XX:MaxDirectMemorySize=10M -Xmx64856K -XX:MaxMetaspaceSize=70312K \
         -XX:ReservedCodeCacheSize=64M -Xss1M\n"
    );
}

#[test]
fn a_limit_too_small_for_the_jvm_says_what_would_do() {
    let output = jvm_fixture("jvm-64m", "67108864\n").run_jvm(&[]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "launcher: the container's memory limit 64M is too small for this JVM: it needs at \
         least 585M (heap 16M + metaspace 70312K + code cache 240M + thread stacks 250×1M + \
         direct 10M); raise the limit with -m\n"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn an_unlimited_cgroup_falls_back_to_meminfo() {
    let fixture = jvm_fixture("jvm-max", "max\n");
    let meminfo = fixture.dir.join("meminfo");
    std::fs::write(&meminfo, "MemTotal:        2097152 kB\n").expect("writing meminfo");
    let meminfo = meminfo.to_str().expect("a UTF-8 path");
    let output = fixture.run_jvm(&[("SLIPWAY_PROC_MEMINFO", meminfo)]);
    // 2G: heap 2097152 − 582312 = 1514840K.
    assert!(
        stdout(&output).starts_with("JVM Memory Configuration: -Xmx1514840K "),
        "{output:?}"
    );
}

#[test]
fn processes_without_jvm_memory_are_left_alone() {
    let output = jvm_fixture("jvm-off", "67108864\n").run(
        "launcher",
        &["printenv", "JAVA_TOOL_OPTIONS"],
        &[],
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(output.stdout.is_empty());
}
