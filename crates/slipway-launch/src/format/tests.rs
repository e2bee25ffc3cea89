use crate::{LaunchConfig, ParseError, ParseErrorKind, Process};

fn web(command: &[&str]) -> Process {
    Process {
        process_type: "web".into(),
        command: command.iter().map(ToString::to_string).collect(),
        working_dir: None,
        jvm_memory: false,
    }
}

fn sample() -> LaunchConfig {
    LaunchConfig {
        env: vec![
            ("PORT".into(), "8080".into()),
            ("EMPTY".into(), String::new()),
        ],
        processes: vec![
            Process {
                working_dir: Some("/workspace".into()),
                ..web(&["/usr/bin/python3", "-m", "app"])
            },
            Process {
                process_type: "worker".into(),
                command: vec!["celery".into(), "worker".into()],
                working_dir: None,
                jvm_memory: false,
            },
        ],
        default_process: Some("web".into()),
    }
}

fn round_trip(config: &LaunchConfig) {
    let text = config.to_text();
    assert_eq!(LaunchConfig::parse(&text).as_ref(), Ok(config), "{text}");
}

fn error(text: &str) -> ParseError {
    LaunchConfig::parse(text).expect_err("the config should not parse")
}

#[test]
fn sample_has_a_readable_text_form() {
    let expected = "slipway-launch 1\n\
                    env\tPORT\t8080\n\
                    env\tEMPTY\t\n\
                    process\tweb\t/usr/bin/python3\t-m\tapp\n\
                    workdir\t/workspace\n\
                    process\tworker\tcelery\tworker\n\
                    default\tweb\n";
    assert_eq!(sample().to_text(), expected);
    round_trip(&sample());
}

#[test]
fn the_empty_config_round_trips() {
    assert_eq!(LaunchConfig::default().to_text(), "slipway-launch 1\n");
    round_trip(&LaunchConfig::default());
}

#[test]
fn awkward_strings_round_trip() {
    let awkward = [
        "tab\there",
        "new\nline",
        "back\\slash",
        "\\t is not a tab",
        "trailing\\",
        "\\",
        "\t\n\\",
        "ünïcødé ✓ 🚀",
        "carriage\rreturn",
        "",
        " spaces ",
    ];
    let config = LaunchConfig {
        env: awkward
            .iter()
            .map(|s| ((*s).to_owned(), (*s).to_owned()))
            .collect(),
        processes: awkward
            .iter()
            .map(|s| Process {
                process_type: (*s).to_owned(),
                command: awkward.iter().map(|s| (*s).to_owned()).collect(),
                working_dir: Some((*s).to_owned()),
                jvm_memory: false,
            })
            .collect(),
        default_process: Some("\t\n\\".into()),
    };
    round_trip(&config);
    assert_eq!(config.to_text().lines().count(), 1 + 11 + 2 * 11 + 1);
}

#[test]
fn empty_commands_and_empty_args_stay_apart() {
    round_trip(&LaunchConfig {
        processes: vec![web(&[]), web(&[""]), web(&["", ""])],
        ..LaunchConfig::default()
    });
}

#[test]
fn an_empty_working_dir_is_not_a_missing_one() {
    round_trip(&LaunchConfig {
        processes: vec![Process {
            working_dir: Some(String::new()),
            ..web(&["app"])
        }],
        ..LaunchConfig::default()
    });
}

#[test]
fn jvm_memory_follows_its_process_and_round_trips() {
    let config = LaunchConfig {
        processes: vec![
            Process {
                working_dir: Some("/workspace".into()),
                jvm_memory: true,
                ..web(&["java", "-jar", "app.jar"])
            },
            Process {
                process_type: "worker".into(),
                jvm_memory: true,
                ..web(&["java", "-cp", "app.jar", "Worker"])
            },
        ],
        ..LaunchConfig::default()
    };
    let expected = "slipway-launch 1\n\
                    process\tweb\tjava\t-jar\tapp.jar\n\
                    workdir\t/workspace\n\
                    jvm-memory\n\
                    process\tworker\tjava\t-cp\tapp.jar\tWorker\n\
                    jvm-memory\n";
    assert_eq!(config.to_text(), expected);
    round_trip(&config);
    let before_workdir = "slipway-launch 1\nprocess\tweb\tjava\njvm-memory\nworkdir\t/w\n";
    let parsed = LaunchConfig::parse(before_workdir).expect("either order parses");
    assert!(parsed.processes[0].jvm_memory);
}

#[test]
fn configs_without_jvm_memory_leave_it_off() {
    let old = "slipway-launch 1\nprocess\tweb\tjava\nworkdir\t/w\n";
    let parsed = LaunchConfig::parse(old).expect("an older config parses");
    assert!(!parsed.processes[0].jvm_memory);
}

#[test]
fn output_is_deterministic() {
    assert_eq!(sample().to_text(), sample().clone().to_text());
}

#[test]
fn the_final_newline_is_optional() {
    let text = sample().to_text();
    let trimmed = text.strip_suffix('\n').expect("ends with a newline");
    assert_eq!(LaunchConfig::parse(trimmed), Ok(sample()));
}

#[test]
fn errors_name_the_line_and_the_problem() {
    let cases: &[(&str, usize, ParseErrorKind)] = &[
        ("", 1, ParseErrorKind::MissingHeader),
        ("env\tA\tB\n", 1, ParseErrorKind::MissingHeader),
        (
            "slipway-launch 2\n",
            1,
            ParseErrorKind::UnsupportedVersion("2".into()),
        ),
        (
            "slipway-launch 1\nenv\tA\tB\nfrobnicate\tx\n",
            3,
            ParseErrorKind::UnknownKeyword("frobnicate".into()),
        ),
        (
            "slipway-launch 1\n\n",
            2,
            ParseErrorKind::UnknownKeyword(String::new()),
        ),
        (
            "slipway-launch 1\nenv\tA\n",
            2,
            ParseErrorKind::WrongFieldCount {
                keyword: "env".into(),
                expected: 2,
                found: 1,
            },
        ),
        (
            "slipway-launch 1\nprocess\n",
            2,
            ParseErrorKind::MissingProcessType,
        ),
        (
            "slipway-launch 1\nworkdir\t/app\n",
            2,
            ParseErrorKind::WorkdirWithoutProcess,
        ),
        (
            "slipway-launch 1\nprocess\tweb\tapp\nworkdir\t/a\nworkdir\t/b\n",
            4,
            ParseErrorKind::DuplicateWorkdir("web".into()),
        ),
        (
            "slipway-launch 1\njvm-memory\n",
            2,
            ParseErrorKind::JvmMemoryWithoutProcess,
        ),
        (
            "slipway-launch 1\nprocess\tweb\tjava\njvm-memory\njvm-memory\n",
            4,
            ParseErrorKind::DuplicateJvmMemory("web".into()),
        ),
        (
            "slipway-launch 1\nprocess\tweb\tjava\njvm-memory\t1\n",
            3,
            ParseErrorKind::WrongFieldCount {
                keyword: "jvm-memory".into(),
                expected: 0,
                found: 1,
            },
        ),
        (
            "slipway-launch 1\ndefault\tweb\ndefault\tworker\n",
            3,
            ParseErrorKind::DuplicateDefault,
        ),
        (
            "slipway-launch 1\nenv\tA\t\\x\n",
            2,
            ParseErrorKind::UnknownEscape('x'),
        ),
        (
            "slipway-launch 1\nenv\tA\tB\\\n",
            2,
            ParseErrorKind::TrailingBackslash,
        ),
    ];
    for (text, line, kind) in cases {
        let expected = ParseError {
            line: *line,
            kind: kind.clone(),
        };
        assert_eq!(error(text), expected, "{text:?}");
    }
}

#[test]
fn error_messages_read_well() {
    let messages = [
        (
            "#!/bin/sh\n",
            "line 1: expected the header `slipway-launch 1`",
        ),
        (
            "slipway-launch 7\n",
            "line 1: format version \"7\" is not supported (this launcher reads version 1)",
        ),
        (
            "slipway-launch 1\nenv\tA\tB\tC\n",
            "line 2: `env` takes 2 field(s), found 3",
        ),
        (
            "slipway-launch 1\nprocess\tweb\tapp\\q\n",
            "line 2: unknown escape `\\q`",
        ),
    ];
    for (text, message) in messages {
        assert_eq!(error(text).to_string(), message);
    }
    let boxed: Box<dyn std::error::Error> = Box::new(error(""));
    assert!(boxed.source().is_none());
}
