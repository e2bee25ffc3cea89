//! Running a WAR on the run image's Tomcat 10.1: a Tomcat instance (`CATALINA_BASE`) made for the
//! app, and the command that starts Tomcat without a shell script.
//!
//! Tomcat itself (`CATALINA_HOME`, from Debian's packages) belongs to the run image's
//! `java-N-tomcat` flavor, so a Tomcat fix reaches apps by rebase. The instance holds only what
//! is the app's: `server.xml` (the port from `$PORT`, logs and access logs to stdout, the app
//! as the root context) and `logging.properties`. Tomcat's defaults (`web.xml`,
//! `catalina.properties`, `context.xml`) are links into the run image, so they follow rebases
//! too.

use slipway_oci::LayerBuilder;

use crate::java::APP_DIR;

/// Tomcat's installation in the run image (`CATALINA_HOME` of the tomcat flavors).
pub const CATALINA_HOME: &str = "/usr/share/tomcat10";
/// The app's Tomcat instance in the image.
pub const CATALINA_BASE: &str = "/layers/slipway_java/tomcat";
/// The run image's copy of Tomcat's default configuration.
const DEFAULT_CONF: &str = "/usr/share/tomcat10/etc";
/// Classes in the jars of `CATALINA_HOME/lib` (Debian's Tomcat 10.1.60: 2,681), for the memory
/// estimate at build time; the launcher counts the real jars at start.
pub const TOMCAT_CLASSES: u64 = 2_681;
/// The user the app runs as, who must be able to write Tomcat's work and temp directories.
const APP_USER: (u64, u64) = (1000, 1000);

/// `server.xml`: one HTTP connector on `$PORT`, no shutdown port, the app as the root context,
/// access log lines to stdout. `${PORT}` is read from the environment
/// (`EnvironmentPropertySource`, set on the command line).
const SERVER_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by slipway's Java buildpack: the app's Tomcat instance. -->
<Server port="-1" shutdown="SHUTDOWN">
  <Listener className="org.apache.catalina.startup.VersionLoggerListener" />
  <Listener className="org.apache.catalina.core.JreMemoryLeakPreventionListener" />
  <Listener className="org.apache.catalina.core.ThreadLocalLeakPreventionListener" />
  <Service name="Catalina">
    <Connector port="${PORT}" protocol="HTTP/1.1" connectionTimeout="20000"
               maxThreads="40" server="Apache Tomcat" />
    <Engine name="Catalina" defaultHost="localhost">
      <Host name="localhost" appBase="webapps" unpackWARs="false" autoDeploy="false"
            deployOnStartup="true">
        <Valve className="org.apache.catalina.valves.AccessLogValve" directory="/dev"
               prefix="stdout" suffix="" fileDateFormat="" rotatable="false" buffered="false"
               pattern="[ACCESS] %h %l %u %t &quot;%r&quot; %s %b %{ms}Tms" />
      </Host>
    </Engine>
  </Service>
</Server>
"#;

/// JULI's configuration: every logger to stdout, one line per record.
const LOGGING_PROPERTIES: &str = "\
# Written by slipway's Java buildpack: Tomcat's and the app's logs go to stdout.
handlers = org.apache.juli.FileHandler
.handlers = org.apache.juli.FileHandler
.level = INFO
org.apache.juli.FileHandler.level = INFO
org.apache.juli.FileHandler.directory = /dev
org.apache.juli.FileHandler.prefix = stdout
org.apache.juli.FileHandler.suffix =
org.apache.juli.FileHandler.rotatable = false
org.apache.juli.FileHandler.bufferSize = -1
org.apache.juli.FileHandler.formatter = org.apache.juli.OneLineFormatter
org.apache.juli.FileHandler.encoding = UTF-8
";

/// The app as Tomcat's root context, served from where its layers put it.
fn root_context() -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!-- Written by slipway's Java buildpack: the app is the root context. -->\n\
         <Context docBase=\"{APP_DIR}\" reloadable=\"false\" />\n"
    )
}

/// The layer holding the app's Tomcat instance.
#[must_use]
pub fn instance_layer() -> LayerBuilder {
    let mut layer = LayerBuilder::new();
    let conf = format!("{CATALINA_BASE}/conf");
    layer
        .file(&format!("{conf}/server.xml"), 0o644, SERVER_XML)
        .file(
            &format!("{conf}/logging.properties"),
            0o644,
            LOGGING_PROPERTIES,
        )
        .file(
            &format!("{conf}/Catalina/localhost/ROOT.xml"),
            0o644,
            root_context(),
        )
        .file(JVM_ARGS_FILE, 0o644, jvm_args());
    for name in ["web.xml", "catalina.properties", "context.xml"] {
        layer.symlink(&format!("{conf}/{name}"), &format!("{DEFAULT_CONF}/{name}"));
    }
    layer.dir(&format!("{CATALINA_BASE}/webapps"), 0o755);
    for dir in ["work", "temp", "logs"] {
        layer.dir_owned(&format!("{CATALINA_BASE}/{dir}"), 0o750, APP_USER);
    }
    layer
}

/// The JVM argument file (`java @FILE`) holding Tomcat's start options: the process command
/// stays one short line in the image's labels and in `slipway inspect`, and the options live
/// with the instance they configure.
pub const JVM_ARGS_FILE: &str = "/layers/slipway_java/tomcat/conf/jvm.args";

/// The command that starts Tomcat on the instance, with no shell: `java @ARGS`.
#[must_use]
pub fn command() -> Vec<String> {
    vec!["java".to_string(), format!("@{JVM_ARGS_FILE}")]
}

/// Tomcat's start options, as `catalina.sh run` passes them (its module openings for Java 9 and
/// later included), one per line as a JVM argument file takes them.
#[must_use]
pub fn jvm_args() -> String {
    let mut command: Vec<String> = Vec::new();
    command.extend(
        [
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.rmi/sun.rmi.transport=ALL-UNNAMED",
            "-Djava.util.logging.manager=org.apache.juli.ClassLoaderLogManager",
            "-Djdk.tls.ephemeralDHKeySize=2048",
            "-Djava.protocol.handler.pkgs=org.apache.catalina.webresources",
            "-Dorg.apache.catalina.security.SecurityListener.UMASK=0027",
            "-Dorg.apache.tomcat.util.digester.PROPERTY_SOURCE=\
             org.apache.tomcat.util.digester.EnvironmentPropertySource",
        ]
        .map(str::to_string),
    );
    command.extend([
        format!("-Djava.util.logging.config.file={CATALINA_BASE}/conf/logging.properties"),
        format!("-Dcatalina.home={CATALINA_HOME}"),
        format!("-Dcatalina.base={CATALINA_BASE}"),
        format!("-Djava.io.tmpdir={CATALINA_BASE}/temp"),
        "-classpath".to_string(),
        format!("{CATALINA_HOME}/bin/bootstrap.jar:{CATALINA_HOME}/bin/tomcat-juli.jar"),
        "org.apache.catalina.startup.Bootstrap".to_string(),
        "start".to_string(),
    ]);
    let mut text = command.join("\n");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_instance_reads_the_port_from_the_environment_and_links_tomcats_defaults() {
        let layer = instance_layer().build().unwrap();
        let mut archive = tar::Archive::new(layer.tar.as_slice());
        let mut entries = Vec::new();
        for entry in archive.entries().unwrap() {
            let entry = entry.unwrap();
            let path = entry.path().unwrap().display().to_string();
            let link = entry
                .link_name()
                .unwrap()
                .map(|l| format!(" -> {}", l.display()))
                .unwrap_or_default();
            entries.push(format!("{path}{link}"));
        }
        assert!(entries.contains(
            &"layers/slipway_java/tomcat/conf/web.xml -> /usr/share/tomcat10/etc/web.xml".into()
        ));
        assert!(entries.contains(&"layers/slipway_java/tomcat/work/".into()));
        assert!(SERVER_XML.contains("port=\"${PORT}\""));
        assert_eq!(
            command(),
            ["java", "@/layers/slipway_java/tomcat/conf/jvm.args"]
        );
        assert!(entries.contains(&"layers/slipway_java/tomcat/conf/jvm.args".into()));
        let args = jvm_args();
        assert!(args.contains("\n-Dorg.apache.tomcat.util.digester.PROPERTY_SOURCE=org.apache.tomcat.util.digester.EnvironmentPropertySource\n"));
        assert!(args.ends_with("org.apache.catalina.startup.Bootstrap\nstart\n"));
    }
}
