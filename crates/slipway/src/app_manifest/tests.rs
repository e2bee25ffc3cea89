use std::fs;

use super::*;

const MIB: u64 = 1 << 20;

/// A tempdir holding `manifest.yml` with this text.
fn manifest_dir(yaml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("manifest.yml"), yaml).unwrap();
    dir
}

fn parse_str(yaml: &str) -> Result<AppManifest, ManifestError> {
    parse(Path::new("app/manifest.yml"), yaml, None)
}

#[test]
fn parse_memory_reads_cf_sizes() {
    for (text, bytes) in [
        ("256M", 256 * MIB),
        ("256m", 256 * MIB),
        ("512MB", 512 * MIB),
        ("1G", 1024 * MIB),
        ("2gb", 2048 * MIB),
        ("1024", 1024 * MIB),
        (" 128 M ", 128 * MIB),
        ("512K", 512 * 1024),
        ("1T", 1024 * 1024 * MIB),
    ] {
        assert_eq!(parse_memory(text), Some(bytes), "{text}");
    }
    for text in [
        "lots",
        "",
        "M",
        "1.5G",
        "0",
        "0M",
        "-1M",
        "1GiB",
        "18446744073709551615G",
    ] {
        assert_eq!(parse_memory(text), None, "{text}");
    }
}

#[test]
fn finds_the_manifest_in_the_app_directory_and_reads_every_field() {
    let dir = manifest_dir(
        "---
applications:
- name: web
  memory: 1G
  instances: 3
  random-route: true
  path: ./target/web.jar
  buildpacks:
  - java_buildpack
  command: java -jar web.jar
  env:
    SPRING_PROFILES_ACTIVE: cloud
    PORT: 8080
    DEBUG: false
    RATIO: 1.50
    EMPTY:
  routes:
  - route: web.example.invalid
  x-other-tool: {keep: me}
",
    );
    let (path, app) = find(dir.path()).unwrap().unwrap();
    assert_eq!(path, dir.path().join("manifest.yml"));
    let env = [
        ("DEBUG", "false"),
        ("EMPTY", ""),
        ("PORT", "8080"),
        ("RATIO", "1.50"),
    ]
    .into_iter()
    .chain([("SPRING_PROFILES_ACTIVE", "cloud")]);
    let expected = AppManifest {
        name: Some("web".to_owned()),
        memory: Some(1024 * MIB),
        path: Some(dir.path().join("target/web.jar")),
        buildpacks: vec!["java_buildpack".to_owned()],
        command: Some("java -jar web.jar".to_owned()),
        env: env.map(|(k, v)| (k.to_owned(), v.to_owned())).collect(),
    };
    assert_eq!(app, expected);
}

#[test]
fn finds_the_manifest_beside_an_artifact_and_falls_back_to_manifest_yaml() {
    let dir = tempfile::tempdir().unwrap();
    let jar = dir.path().join("app.jar");
    fs::write(&jar, b"PK").unwrap();
    assert!(find(&jar).unwrap().is_none());
    fs::write(
        dir.path().join("manifest.yaml"),
        "name: api\nmemory: 512M\n",
    )
    .unwrap();
    let (path, app) = find(&jar).unwrap().unwrap();
    assert_eq!(path, dir.path().join("manifest.yaml"));
    assert_eq!(
        (app.name.as_deref(), app.memory),
        (Some("api"), Some(512 * MIB))
    );
    fs::write(dir.path().join("manifest.yml"), "name: preferred\n").unwrap();
    let (_, app) = find(dir.path()).unwrap().unwrap();
    assert_eq!(app.name.as_deref(), Some("preferred"));
}

#[test]
fn legacy_top_level_form_and_legacy_buildpack() {
    let app =
        parse_str("name: old\nmemory: 256\nbuildpack: python_buildpack\npath: src\n").unwrap();
    assert_eq!(app.name.as_deref(), Some("old"));
    assert_eq!(app.memory, Some(256 * MIB));
    assert_eq!(app.buildpacks, ["python_buildpack"]);
    assert_eq!(app.path, Some(PathBuf::from("app/src")));
    let app = parse_str("buildpack: default\n").unwrap();
    assert!(app.buildpacks.is_empty());
    assert_eq!(parse_str("").unwrap(), AppManifest::default());
    let app = parse(Path::new("./manifest.yml"), "path: .\n", None).unwrap();
    assert_eq!(app.path, Some(PathBuf::from(".")));
    let app = parse(Path::new("manifest.yml"), "path: /srv/app.jar\n", None).unwrap();
    assert_eq!(app.path, Some(PathBuf::from("/srv/app.jar")));
}

#[test]
fn top_level_fields_apply_to_listed_apps_which_override_them() {
    let yaml = "memory: 1G
env: {A: top, B: top}
applications:
- name: web
  env: {B: web}
";
    let app = parse_str(yaml).unwrap();
    assert_eq!(app.memory, Some(1024 * MIB));
    let env = [("A", "top"), ("B", "web")].map(|(k, v)| (k.to_owned(), v.to_owned()));
    assert_eq!(app.env, env);
}

#[test]
fn several_applications_need_a_name() {
    let dir =
        manifest_dir("applications:\n- name: web\n  memory: 1G\n- name: worker\n  memory: 2G\n");
    let manifest = dir.path().join("manifest.yml");
    let error = find(dir.path()).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "{}: lists several applications (web, worker), but slipway builds one app per \
             manifest: name the one to build",
            manifest.display()
        )
    );
    let (_, app) = find_named(dir.path(), Some("worker")).unwrap().unwrap();
    assert_eq!(app.memory, Some(2048 * MIB));
    let error = find_named(dir.path(), Some("api")).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "{}: has no application named \"api\" (it lists web, worker)",
            manifest.display()
        )
    );
}

#[test]
fn empty_applications_is_an_error() {
    let error = parse_str("applications: []\n").unwrap_err();
    assert_eq!(
        error.to_string(),
        "app/manifest.yml: `applications` is empty, so there is no app to build"
    );
}

#[test]
fn memory_that_is_not_a_size_is_an_error_naming_file_and_field() {
    let dir = manifest_dir("applications:\n- name: web\n  memory: lots\n");
    let error = find(dir.path()).unwrap_err();
    let manifest = dir.path().join("manifest.yml");
    assert_eq!(
        error.to_string(),
        format!(
            "{}: memory \"lots\" is not a size such as 256M or 1G",
            manifest.display()
        )
    );
}

#[test]
fn bad_yaml_is_an_error_with_line_and_column() {
    let error = parse_str("applications:\n- name: web\n  env: [oops\n").unwrap_err();
    assert!(
        matches!(error, ManifestError::Yaml { line: 3, .. }),
        "{error:?}"
    );
    let error = parse_str("applications:\n- name: web\n  env:\n    A: [1, 2]\n").unwrap_err();
    assert_eq!(
        error.to_string(),
        "app/manifest.yml: not a valid manifest (line 4, column 8)"
    );
    assert!(std::error::Error::source(&error).is_some());
}
