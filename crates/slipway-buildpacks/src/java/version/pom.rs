//! A Maven project's `pom.xml`, read for the Java version it compiles for.

use std::collections::HashMap;

use roxmltree::{Document, Node};

use super::{Requested, VersionError, VersionSource, parse_major};

/// The namespace of a POM 4.0.0; poms use it as their default namespace, or no namespace at all.
const POM_NS: &str = "http://maven.apache.org/POM/4.0.0";
/// How many `${property}` substitutions one pom value may take; more means a cycle.
const MAX_EXPANSIONS: usize = 16;

/// Reads the Java version a Maven project compiles for, from its `pom.xml`, the way the
/// maven-compiler-plugin decides it:
///
/// 1. `release`: the plugin's `<configuration><release>`, else the `maven.compiler.release`
///    property (an explicit plugin setting overrides the property, which is only its default);
/// 2. else `source` and `target`, each from the plugin's configuration or else its property,
///    taking the higher of the two: the classes need at least the target, and a source above
///    the target fails to compile anyway, so the higher is never too low;
/// 3. else `java.version`, Spring Boot's property, which its parent pom maps to the above.
///
/// `${name}` references are replaced by the pom's own `<properties>`. A value whose reference
/// is not defined there (a parent pom or a profile may define it) is skipped rather than
/// refused, so that the next setting, or in the end the class files, decides. Returns `None`
/// when the pom sets none of these.
pub fn from_pom(pom_xml: &str) -> Result<Option<Requested>, VersionError> {
    let document = Document::parse(pom_xml).map_err(|source| {
        let position = source.pos();
        VersionError::MalformedPom {
            line: position.row,
            column: position.col,
            source,
        }
    })?;
    let pom = Pom::read(document.root_element());
    let release = pom.compiler_setting("release", VersionSource::MavenRelease)?;
    if release.is_some() {
        return Ok(release);
    }
    let source = pom.compiler_setting("source", VersionSource::MavenSource)?;
    let target = pom.compiler_setting("target", VersionSource::MavenTarget)?;
    match (source, target) {
        (Some(source), Some(target)) if source.major > target.major => Ok(Some(source)),
        (_, Some(target)) => Ok(Some(target)),
        (Some(source), None) => Ok(Some(source)),
        (None, None) => pom.first(&[(
            pom.property("java.version"),
            VersionSource::SpringBootJavaVersion,
        )]),
    }
}

/// The parts of a pom that say which Java it compiles for.
struct Pom<'a> {
    properties: HashMap<&'a str, &'a str>,
    compiler_configuration: Option<Node<'a, 'a>>,
}

impl<'a> Pom<'a> {
    fn read(project: Node<'a, 'a>) -> Self {
        let properties = child(project, "properties")
            .into_iter()
            .flat_map(|properties| properties.children().filter(is_pom_element))
            .map(|property| (property.tag_name().name(), property.text().unwrap_or("")))
            .collect();
        let build = child(project, "build");
        let managed = build.and_then(|build| child(build, "pluginManagement"));
        let compiler_configuration = [build, managed]
            .into_iter()
            .flatten()
            .filter_map(|parent| child(parent, "plugins"))
            .flat_map(|plugins| plugins.children().filter(is_pom_element))
            .find(|plugin| child_text(*plugin, "artifactId") == Some("maven-compiler-plugin"))
            .and_then(|plugin| child(plugin, "configuration"));
        Self {
            properties,
            compiler_configuration,
        }
    }

    fn property(&self, name: &str) -> Option<&'a str> {
        self.properties.get(name).copied()
    }

    fn plugin_setting(&self, element: &str) -> Option<&'a str> {
        self.compiler_configuration
            .and_then(|configuration| child_text(configuration, element))
    }

    /// The maven-compiler-plugin's `element`, else its `maven.compiler.<element>` property: an
    /// explicit plugin setting overrides the property, which is only the setting's default.
    fn compiler_setting(
        &self,
        element: &'static str,
        property: VersionSource,
    ) -> Result<Option<Requested>, VersionError> {
        self.first(&[
            (
                self.plugin_setting(element),
                VersionSource::CompilerPlugin { element },
            ),
            (
                self.property(&format!("maven.compiler.{element}")),
                property,
            ),
        ])
    }

    /// The first of the settings that is present and whose references resolve.
    fn first(
        &self,
        settings: &[(Option<&str>, VersionSource)],
    ) -> Result<Option<Requested>, VersionError> {
        for (raw, source) in settings {
            let Some(value) = raw.and_then(|raw| self.expand(raw)) else {
                continue;
            };
            let Some(major) = parse_major(&value) else {
                return Err(VersionError::InvalidPom {
                    origin: *source,
                    value,
                });
            };
            return Ok(Some(Requested {
                major,
                value,
                source: *source,
            }));
        }
        Ok(None)
    }

    /// Replaces `${name}` references with the pom's properties; `None` when one is undefined
    /// or the references loop.
    fn expand(&self, raw: &str) -> Option<String> {
        let mut text = raw.trim().to_owned();
        for _ in 0..MAX_EXPANSIONS {
            let Some(start) = text.find("${") else {
                return Some(text);
            };
            let end = start + text[start..].find('}')?;
            let value = self.property(&text[start + 2..end])?.trim().to_owned();
            text.replace_range(start..=end, &value);
        }
        None
    }
}

/// Whether a node is an element of a pom: in the POM namespace, or in none.
fn is_pom_element(node: &Node<'_, '_>) -> bool {
    node.is_element() && matches!(node.tag_name().namespace(), None | Some(POM_NS))
}

fn child<'a>(parent: Node<'a, 'a>, name: &str) -> Option<Node<'a, 'a>> {
    parent
        .children()
        .find(|node| is_pom_element(node) && node.tag_name().name() == name)
}

fn child_text<'a>(parent: Node<'a, 'a>, name: &str) -> Option<&'a str> {
    child(parent, name)
        .and_then(|node| node.text())
        .map(str::trim)
}
