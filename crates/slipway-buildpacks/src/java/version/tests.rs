use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn major_from_env(pairs: &[(&str, &str)]) -> Option<(u32, VersionSource)> {
    from_env(&env(pairs)).unwrap().map(|r| (r.major, r.source))
}

fn pom(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  {body}
</project>"#
    )
}

fn major_from_pom(body: &str) -> Option<(u32, VersionSource)> {
    from_pom(&pom(body)).unwrap().map(|r| (r.major, r.source))
}

fn compiler_plugin(configuration: &str) -> String {
    format!(
        "<build><plugins><plugin><groupId>org.apache.maven.plugins</groupId>\
         <artifactId>maven-compiler-plugin</artifactId>\
         <configuration>{configuration}</configuration></plugin></plugins></build>"
    )
}

fn request(major: u32, value: &str, source: VersionSource) -> Requested {
    Requested {
        major,
        value: value.to_owned(),
        source,
    }
}

#[test]
fn bp_jvm_version_accepts_majors_wildcards_full_versions_and_the_old_1_x_form() {
    for (value, major) in [
        ("17", 17),
        ("17.*", 17),
        ("17.0.2", 17),
        ("17.0.2+8", 17),
        (" 21 ", 21),
        ("1.8", 8),
        ("1.8.0_292", 8),
        ("25-ea", 25),
    ] {
        let requested = from_env(&env(&[("BP_JVM_VERSION", value)]))
            .unwrap()
            .unwrap();
        assert_eq!(
            (requested.major, requested.source),
            (major, VersionSource::BpJvmVersion)
        );
    }
}

#[test]
fn bp_jvm_version_that_is_not_a_version_is_an_error_giving_the_accepted_forms() {
    for value in ["seventeen", "17abc", "1", "1.", ""] {
        let pairs = env(&[("BP_JVM_VERSION", value), ("JBP_CONFIG_OPEN_JDK_JRE", "{}")]);
        let result = from_env(&pairs);
        if value.is_empty() {
            assert!(
                result.unwrap().is_none(),
                "an empty variable counts as unset"
            );
            continue;
        }
        assert_eq!(
            result.unwrap_err().to_string(),
            format!(
                "BP_JVM_VERSION is \"{value}\", which is not a Java version; use a Java version \
                 such as 17, 17.*, 17.0.2 or 1.8"
            )
        );
    }
}

#[test]
fn jbp_config_reads_jre_version_in_the_forms_cloud_foundry_documents() {
    for (value, major) in [
        ("{ jre: { version: 17.+ } }", 17),
        ("'{jre: {version: 11.+}}'", 11),
        ("[jre: {version: 1.8.0_+}]", 8),
        ("[{jre: {version: 1.8.0_+}}]", 8),
        ("\"{ jre: { version: '21.+' } }\"", 21),
        ("jre: { version: 17.+ }", 17),
        (
            "{ jre: { version: \"21.+\" }, memory_calculator: { stack_threads: 25 } }",
            21,
        ),
        (
            "{ memory_calculator: { version: 3.+ }, jre: { version: 11.+ } }",
            11,
        ),
    ] {
        let found = major_from_env(&[("JBP_CONFIG_OPEN_JDK_JRE", value)]);
        assert_eq!(found, Some((major, VersionSource::JbpConfig)), "{value}");
    }
}

#[test]
fn jbp_config_without_a_jre_version_asks_for_none() {
    let value = "{ memory_calculator: { stack_threads: 25 } }";
    assert_eq!(major_from_env(&[("JBP_CONFIG_OPEN_JDK_JRE", value)]), None);
    assert_eq!(major_from_env(&[("PATH", "/bin")]), None);
}

#[test]
fn jbp_config_that_cannot_be_read_is_an_error_naming_the_variable_and_value() {
    for value in [
        "{ jre: { version: 17.+ }",
        "{ jre: { version: latest } }",
        "{ jre: { version: [17] } }",
    ] {
        let error = from_env(&env(&[("JBP_CONFIG_OPEN_JDK_JRE", value)])).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "JBP_CONFIG_OPEN_JDK_JRE is \"{value}\", which is not a Java version; use a YAML \
                 flow mapping such as '{{ jre: {{ version: 17.+ }} }}'"
            )
        );
    }
}

#[test]
fn bp_jvm_version_wins_over_jbp_config_and_the_last_duplicate_wins() {
    let pairs = [
        ("JBP_CONFIG_OPEN_JDK_JRE", "{ jre: { version: 11.+ } }"),
        ("BP_JVM_VERSION", "17"),
        ("BP_JVM_VERSION", "21"),
    ];
    assert_eq!(
        major_from_env(&pairs),
        Some((21, VersionSource::BpJvmVersion))
    );
}

#[test]
fn pom_release_property_in_the_pom_namespace_or_none() {
    let body = "<properties><maven.compiler.release>17</maven.compiler.release></properties>";
    assert_eq!(
        major_from_pom(body),
        Some((17, VersionSource::MavenRelease))
    );
    let bare = format!("<project>{body}</project>");
    let found = from_pom(&bare).unwrap().unwrap();
    assert_eq!(
        (found.major, found.source),
        (17, VersionSource::MavenRelease)
    );
}

#[test]
fn pom_release_wins_over_source_and_target() {
    let body = "<properties><maven.compiler.source>1.8</maven.compiler.source>\
        <maven.compiler.target>1.8</maven.compiler.target>\
        <maven.compiler.release>11</maven.compiler.release></properties>";
    assert_eq!(
        major_from_pom(body),
        Some((11, VersionSource::MavenRelease))
    );
}

#[test]
fn pom_source_and_target_take_the_higher_and_target_on_a_tie() {
    let both = |source: &str, target: &str| {
        major_from_pom(&format!(
            "<properties><maven.compiler.source>{source}</maven.compiler.source>\
             <maven.compiler.target>{target}</maven.compiler.target></properties>"
        ))
    };
    assert_eq!(both("1.8", "11"), Some((11, VersionSource::MavenTarget)));
    assert_eq!(both("17", "11"), Some((17, VersionSource::MavenSource)));
    assert_eq!(both("1.8", "8"), Some((8, VersionSource::MavenTarget)));
    let body = "<properties><maven.compiler.source>1.7</maven.compiler.source></properties>";
    assert_eq!(major_from_pom(body), Some((7, VersionSource::MavenSource)));
}

#[test]
fn pom_java_version_is_the_last_resort_for_spring_boot_apps() {
    let body = "<properties><java.version>21</java.version></properties>";
    assert_eq!(
        major_from_pom(body),
        Some((21, VersionSource::SpringBootJavaVersion))
    );
    let body = "<properties><java.version>21</java.version>\
        <maven.compiler.target>17</maven.compiler.target></properties>";
    assert_eq!(major_from_pom(body), Some((17, VersionSource::MavenTarget)));
}

#[test]
fn compiler_plugin_configuration_overrides_the_properties_and_resolves_references() {
    let body = format!(
        "<properties><maven.compiler.release>11</maven.compiler.release>\
         <java.level>${{java.version}}</java.level><java.version>17</java.version></properties>{}",
        compiler_plugin("<release>${java.level}</release>")
    );
    let found = from_pom(&pom(&body)).unwrap().unwrap();
    assert_eq!(
        found,
        request(
            17,
            "17",
            VersionSource::CompilerPlugin { element: "release" }
        )
    );
    assert_eq!(
        found.to_string(),
        "the maven-compiler-plugin's <release> 17 in pom.xml"
    );
}

#[test]
fn compiler_plugin_in_plugin_management_counts_too() {
    let body = "<build><pluginManagement><plugins><plugin>\
        <artifactId>maven-compiler-plugin</artifactId>\
        <configuration><source>1.8</source><target>1.8</target></configuration>\
        </plugin></plugins></pluginManagement></build>";
    let target = VersionSource::CompilerPlugin { element: "target" };
    assert_eq!(major_from_pom(body), Some((8, target)));
}

#[test]
fn pom_reference_to_a_property_it_does_not_define_is_skipped() {
    let body = "<properties><maven.compiler.release>${parent.java}</maven.compiler.release>\
        <maven.compiler.target>${a}</maven.compiler.target><a>${b}</a><b>${a}</b>\
        <java.version>17</java.version></properties>";
    assert_eq!(
        major_from_pom(body),
        Some((17, VersionSource::SpringBootJavaVersion))
    );
    assert_eq!(major_from_pom("<properties><x>1</x></properties>"), None);
}

#[test]
fn pom_value_that_is_not_a_version_is_an_error_naming_the_setting() {
    let body = "<properties><maven.compiler.release>${v}</maven.compiler.release>\
        <v>seventeen</v></properties>";
    let error = from_pom(&pom(body)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "maven.compiler.release in pom.xml is \"seventeen\", which is not a Java version such as \
         17 or 1.8"
    );
}

#[test]
fn malformed_pom_is_an_error_with_the_parser_position() {
    let error = from_pom("<project>\n  <properties>\n</project>").unwrap_err();
    assert_eq!(
        error.to_string(),
        "pom.xml is not well-formed XML (line 3, column 1)"
    );
    assert!(std::error::Error::source(&error).is_some());
}

#[test]
fn class_files_ask_for_their_java() {
    let requested = from_class_major(65);
    assert_eq!(
        requested,
        request(21, "65", VersionSource::ClassFiles { major: 65 })
    );
    assert_eq!(requested.to_string(), "class files of major version 65");
}

#[test]
fn resolve_takes_the_requested_major_when_the_stack_has_it() {
    let asked = request(17, "17.*", VersionSource::BpJvmVersion);
    let resolved = resolve(Some(&asked), &[17], "debian-12").unwrap();
    assert_eq!(resolved, (17, "Java 17 (BP_JVM_VERSION=17.*)".to_owned()));
}

#[test]
fn resolve_takes_the_lowest_newer_major_otherwise() {
    let asked = request(17, "17", VersionSource::MavenRelease);
    let resolved = resolve(Some(&asked), &[25, 21], "debian-13").unwrap();
    let why = "Java 21 (maven.compiler.release 17 in pom.xml; debian-13's nearest is 21)";
    assert_eq!(resolved, (21, why.to_owned()));
    let asked = request(22, "22", VersionSource::JbpConfig);
    let resolved = resolve(Some(&asked), &[21, 25], "debian-13").unwrap();
    let why = "Java 25 (JBP_CONFIG_OPEN_JDK_JRE version 22; debian-13's nearest is 25)";
    assert_eq!(resolved, (25, why.to_owned()));
}

#[test]
fn resolve_without_a_request_takes_the_newest_lts_else_the_newest() {
    let pick = |available: &[u32]| resolve(None, available, "s").unwrap();
    let why = "Java 25 (nothing asks for a version; s's newest LTS)";
    assert_eq!(pick(&[21, 25]), (25, why.to_owned()));
    assert_eq!(pick(&[21, 22]).0, 21);
    let why = "Java 23 (nothing asks for a version; s's newest)";
    assert_eq!(pick(&[22, 23]), (23, why.to_owned()));
    assert!([8, 11, 17, 21, 25, 29].into_iter().all(is_lts));
    assert!(![9, 16, 22, 26].into_iter().any(is_lts));
}

#[test]
fn resolve_refuses_a_java_newer_than_the_stack_has_with_a_hint() {
    let asked = request(26, "26", VersionSource::BpJvmVersion);
    let error = resolve(Some(&asked), &[25, 21], "debian-13").unwrap_err();
    assert_eq!(
        error.to_string(),
        "the app asks for Java 26 (BP_JVM_VERSION) but debian-13 has Java 21 and 25"
    );
    assert_eq!(
        error.hint().unwrap(),
        "set BP_JVM_VERSION to 21 or 25, or build with --stack <other> naming a stack that has \
         Java 26 (`slipway stack list` shows them)"
    );
}

#[test]
fn unavailable_hint_names_the_setting_to_lower() {
    let hint = |source, available: &[u32]| {
        let error = resolve(Some(&request(26, "26", source)), available, "st").unwrap_err();
        error.hint().unwrap()
    };
    let fix = hint(VersionSource::MavenRelease, &[17, 21, 25]);
    assert!(
        fix.starts_with("lower maven.compiler.release in pom.xml to 25 or below, or "),
        "{fix}"
    );
    let fix = hint(VersionSource::ClassFiles { major: 70 }, &[17]);
    assert!(
        fix.starts_with("compile the app for Java 17 or lower, or "),
        "{fix}"
    );
    let asked = from_class_major(70);
    let error = resolve(Some(&asked), &[17, 21, 25], "debian-13").unwrap_err();
    assert_eq!(
        error.to_string(),
        "the app asks for Java 26 (class files of major version 70) but debian-13 has Java 17, \
         21 and 25"
    );
}

#[test]
fn resolve_on_a_stack_without_java_is_an_error() {
    let error = resolve(None, &[], "debian-13").unwrap_err();
    assert_eq!(error.to_string(), "debian-13 has no Java to run the app on");
    assert_eq!(error.hint(), None);
}
