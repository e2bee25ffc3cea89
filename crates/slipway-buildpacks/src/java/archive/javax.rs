//! Whether a WAR was written for the `javax.servlet` API, which Tomcat 10 and later no longer
//! provide (Jakarta EE 9 renamed it `jakarta.servlet`).

use std::io::Read;
use std::path::Path;

use super::tree::{is_class_file, regular_files_under};
use super::{ArchiveError, io_error, open_zip, zip_error};

/// How a class file refers to the javax servlet API: its constant pool stores class names and
/// descriptors (`Ljavax/servlet/http/HttpServletRequest;`) as UTF-8 with `/` separators.
const JAVAX_SERVLET_INTERNAL: &[u8] = b"javax/servlet/";

/// How JSP source refers to it (`<%@ page import="javax.servlet.http.*" %>`).
const JAVAX_SERVLET_SOURCE: &[u8] = b"javax.servlet";

/// Marks of a javax-era `web.xml`: the Java EE namespaces (Servlet 2.4 to 4.0) and the DTD of
/// Servlet 2.2 and 2.3. Jakarta EE 9 and later use `https://jakarta.ee/xml/ns/jakartaee`.
const JAVAX_WEB_XML_MARKERS: [&str; 4] = [
    "http://java.sun.com/xml/ns/j2ee",
    "http://java.sun.com/xml/ns/javaee",
    "http://xmlns.jcp.org/xml/ns/javaee",
    "<!DOCTYPE web-app",
];

/// File extensions of JSP pages, fragments and tag files, which Tomcat compiles at run time.
const JSP_EXTENSIONS: [&str; 5] = ["jsp", "jspx", "jspf", "tag", "tagx"];

/// Whether the exploded WAR at `exploded_war` uses the `javax.servlet` API, and so must run on
/// Tomcat 9 or be migrated to `jakarta.servlet` (Tomcat's migration tool) before Tomcat 10+.
///
/// True when any of these holds, checked cheapest first:
/// - `WEB-INF/web.xml` declares a Java EE namespace or the Servlet 2.x DTD;
/// - a class under `WEB-INF/classes` mentions `javax/servlet/` (a byte search: the constant
///   pool holds referenced class names in UTF-8);
/// - a JSP or tag file imports `javax.servlet`;
/// - a JAR in `WEB-INF/lib` has a class mentioning `javax/servlet/`, or ships the API itself
///   (entries under `javax/servlet/`, as a bundled `servlet-api.jar` does).
///
/// This errs towards true: a jakarta app with a library that merely *can* integrate with javax
/// servlets is migrated needlessly, which is harmless, whereas a missed javax app fails to deploy.
/// A WAR that uses only `jakarta.servlet` gives false.
pub fn uses_javax_servlet(exploded_war: &Path) -> Result<bool, ArchiveError> {
    Ok(web_xml_is_javax(exploded_war)?
        || classes_use_javax(&exploded_war.join("WEB-INF/classes"))?
        || jsps_use_javax(exploded_war)?
        || libraries_use_javax(&exploded_war.join("WEB-INF/lib"))?)
}

/// Whether `WEB-INF/web.xml` (if any) is a javax-era deployment descriptor.
fn web_xml_is_javax(exploded_war: &Path) -> Result<bool, ArchiveError> {
    let path = exploded_war.join("WEB-INF/web.xml");
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(error) => return Err(io_error("reading", &path)(error)),
    };
    let text = String::from_utf8_lossy(&bytes);
    Ok(JAVAX_WEB_XML_MARKERS
        .iter()
        .any(|marker| text.contains(marker)))
}

/// Whether any class file under `classes` refers to the javax servlet API.
fn classes_use_javax(classes: &Path) -> Result<bool, ArchiveError> {
    any_file_contains(classes, is_class_file, JAVAX_SERVLET_INTERNAL)
}

/// Whether any JSP or tag file in the WAR imports the javax servlet API.
fn jsps_use_javax(exploded_war: &Path) -> Result<bool, ArchiveError> {
    let is_jsp = |path: &Path| {
        path.extension()
            .and_then(|extension| extension.to_str())
            .is_some_and(|extension| JSP_EXTENSIONS.contains(&extension))
    };
    any_file_contains(exploded_war, is_jsp, JAVAX_SERVLET_SOURCE)
}

/// Whether any regular file under `root` that `select` picks contains `needle`.
fn any_file_contains(
    root: &Path,
    select: impl Fn(&Path) -> bool,
    needle: &[u8],
) -> Result<bool, ArchiveError> {
    for relative in regular_files_under(root)? {
        if !select(&relative) {
            continue;
        }
        let path = root.join(&relative);
        let bytes = std::fs::read(&path).map_err(io_error("reading", &path))?;
        if contains(&bytes, needle) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether any JAR under `lib` ships or refers to the javax servlet API.
fn libraries_use_javax(lib: &Path) -> Result<bool, ArchiveError> {
    for relative in regular_files_under(lib)? {
        let is_jar = relative
            .extension()
            .is_some_and(|extension| extension.eq_ignore_ascii_case("jar"));
        if is_jar && jar_uses_javax(&lib.join(relative))? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether the JAR at `path` has entries under `javax/servlet/` or classes referring to them.
fn jar_uses_javax(path: &Path) -> Result<bool, ArchiveError> {
    let mut archive = open_zip(path, "JAR")?;
    let mut bytes = Vec::new();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(zip_error(path))?;
        let name = entry.name().map_err(zip_error(path))?;
        if name.starts_with("javax/servlet/") {
            return Ok(true);
        }
        if !name.ends_with(".class") {
            continue;
        }
        bytes.clear();
        entry
            .read_to_end(&mut bytes)
            .map_err(io_error("reading a class in", path))?;
        if contains(&bytes, JAVAX_SERVLET_INTERNAL) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether `needle` occurs in `haystack`: plain search, enough for class files and JSPs.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}
