//! Scans of compiled code: the Java version classes need, and javax servlet use.

use super::super::{highest_class_major_version, java_version_of_class_major, uses_javax_servlet};
use super::{class_bytes, write_tree, write_zip};

#[test]
fn the_highest_class_major_version_wins() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            ("com/example/Old.class", &class_bytes(52, b"")),
            ("com/example/deep/New.class", &class_bytes(61, b"body")),
            (
                "META-INF/versions/21/com/example/Mr.class",
                &class_bytes(65, b""),
            ),
            ("com/example/Garbage.class", b"not a class file at all"),
            ("com/example/Short.class", b"\xca\xfe"),
            ("com/example/notes.txt", &class_bytes(70, b"")),
        ],
    );
    assert_eq!(highest_class_major_version(dir.path()).unwrap(), Some(61));
}

#[test]
fn no_classes_means_no_version() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(highest_class_major_version(dir.path()).unwrap(), None);
    let missing = dir.path().join("WEB-INF/classes");
    assert_eq!(highest_class_major_version(&missing).unwrap(), None);
}

#[test]
fn class_majors_map_to_java_releases() {
    assert_eq!(java_version_of_class_major(52), 8);
    assert_eq!(java_version_of_class_major(55), 11);
    assert_eq!(java_version_of_class_major(61), 17);
    assert_eq!(java_version_of_class_major(65), 21);
    assert_eq!(java_version_of_class_major(49), 5);
    assert_eq!(java_version_of_class_major(0), 0);
}

/// A `web.xml` of the given era.
fn web_xml(namespace: &str) -> Vec<u8> {
    format!("<?xml version=\"1.0\"?>\n<web-app xmlns=\"{namespace}\" version=\"x\"></web-app>\n")
        .into_bytes()
}

#[test]
fn a_jakarta_only_war_does_not_use_javax() {
    let dir = tempfile::tempdir().unwrap();
    let servlet = class_bytes(61, b"\x01\x00\x1ejakarta/servlet/http/HttpServlet");
    write_tree(
        dir.path(),
        &[
            (
                "WEB-INF/web.xml",
                &web_xml("https://jakarta.ee/xml/ns/jakartaee"),
            ),
            ("WEB-INF/classes/com/example/Hello.class", &servlet),
            (
                "index.jsp",
                b"<%@ page import=\"jakarta.servlet.http.*\" %>",
            ),
        ],
    );
    write_zip(
        &dir.path().join("WEB-INF/lib/helper-1.0.jar"),
        &[("com/helper/Filter.class", &servlet)],
    );
    assert!(!uses_javax_servlet(dir.path()).unwrap());
}

#[test]
fn javax_is_found_in_the_apps_classes() {
    let dir = tempfile::tempdir().unwrap();
    let servlet = class_bytes(52, b"\x01\x00\x1dLjavax/servlet/http/HttpServletRequest;");
    write_tree(
        dir.path(),
        &[("WEB-INF/classes/com/example/Hello.class", &servlet)],
    );
    assert!(uses_javax_servlet(dir.path()).unwrap());
}

#[test]
fn javax_is_found_in_web_xml() {
    for marker in [
        "http://xmlns.jcp.org/xml/ns/javaee",
        "http://java.sun.com/xml/ns/javaee",
    ] {
        let dir = tempfile::tempdir().unwrap();
        write_tree(dir.path(), &[("WEB-INF/web.xml", &web_xml(marker))]);
        assert!(uses_javax_servlet(dir.path()).unwrap(), "{marker}");
    }
    let dir = tempfile::tempdir().unwrap();
    let doctype = b"<!DOCTYPE web-app PUBLIC \"-//Sun Microsystems, Inc.//DTD Web Application \
                    2.3//EN\" \"http://java.sun.com/dtd/web-app_2_3.dtd\">\n<web-app/>";
    write_tree(dir.path(), &[("WEB-INF/web.xml", doctype)]);
    assert!(uses_javax_servlet(dir.path()).unwrap());
}

#[test]
fn javax_is_found_in_a_library_that_uses_it() {
    let dir = tempfile::tempdir().unwrap();
    let filter = class_bytes(52, b"javax/servlet/Filter");
    write_zip(
        &dir.path().join("WEB-INF/lib/legacy-filter-2.1.jar"),
        &[
            ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
            ("com/legacy/F.class", &filter),
        ],
    );
    assert!(uses_javax_servlet(dir.path()).unwrap());
}

#[test]
fn javax_is_found_in_a_bundled_servlet_api() {
    let dir = tempfile::tempdir().unwrap();
    write_zip(
        &dir.path().join("WEB-INF/lib/servlet-api-2.5.jar"),
        &[("javax/servlet/Servlet.class", b"opaque")],
    );
    assert!(uses_javax_servlet(dir.path()).unwrap());
}

#[test]
fn javax_is_found_in_a_jsp_import() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[(
            "pages/hello.jsp",
            b"<%@ page import=\"javax.servlet.http.Cookie\" %>",
        )],
    );
    assert!(uses_javax_servlet(dir.path()).unwrap());
}

#[test]
fn a_broken_library_jar_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let jar = dir.path().join("WEB-INF/lib/broken.jar");
    write_tree(dir.path(), &[("WEB-INF/lib/broken.jar", b"truncated")]);
    let error = uses_javax_servlet(dir.path()).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with(&format!("{} is not a JAR", jar.display())),
        "{error}"
    );
}
