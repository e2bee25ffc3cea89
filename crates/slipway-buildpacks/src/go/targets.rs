//! Which packages of a Go module are programs, what their binaries are called, and which one is
//! the default `web` process.

/// A `package main` found by `go list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MainPackage {
    /// Its import path, e.g. `example.com/app/cmd/api`.
    pub import_path: String,
    /// The path of the module it belongs to.
    pub module_path: String,
}

impl MainPackage {
    /// The name `go build -o DIR/` gives its binary.
    #[must_use]
    pub fn binary_name(&self) -> String {
        binary_name(&self.import_path)
    }
}

/// The binary name of an import path: its last element, or the one before a major-version suffix
/// (`example.com/tool/v2` builds `tool`), as the go command names it.
#[must_use]
pub fn binary_name(import_path: &str) -> String {
    let mut parts = import_path.rsplit('/');
    let last = parts.next().unwrap_or(import_path);
    let is_major =
        last.len() > 1 && last.starts_with('v') && last[1..].chars().all(|c| c.is_ascii_digit());
    match (is_major, parts.next()) {
        (true, Some(before)) => before.to_string(),
        _ => last.to_string(),
    }
}

/// Parses `go list -f '{{.Name}} {{.ImportPath}} {{.Module.Path}}'` output, keeping main packages.
#[must_use]
pub fn parse_go_list(stdout: &str) -> Vec<MainPackage> {
    let mut packages: Vec<MainPackage> = stdout
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            (fields.next()? == "main").then_some(())?;
            let import_path = fields.next()?.to_string();
            let module_path = fields.next().unwrap_or_default().to_string();
            Some(MainPackage {
                import_path,
                module_path,
            })
        })
        .collect();
    packages.sort_by(|a, b| a.import_path.cmp(&b.import_path));
    packages
}

/// The default process: the module's root package when it is a program, else the only program,
/// else the first in import-path order.
#[must_use]
pub fn default_process(packages: &[MainPackage]) -> Option<&MainPackage> {
    packages
        .iter()
        .find(|p| p.import_path == p.module_path)
        .or_else(|| packages.first())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_names_follow_the_go_command() {
        assert_eq!(binary_name("example.com/go-hello"), "go-hello");
        assert_eq!(binary_name("example.com/tool/v2"), "tool");
        assert_eq!(binary_name("example.com/app/cmd/v"), "v");
        assert_eq!(binary_name("hello"), "hello");
    }

    #[test]
    fn main_packages_and_the_default() {
        let out = "lib example.com/app/internal/x example.com/app\nmain example.com/app/cmd/worker example.com/app\nmain example.com/app example.com/app\n";
        let packages = parse_go_list(out);
        assert_eq!(packages.len(), 2);
        assert_eq!(default_process(&packages).unwrap().binary_name(), "app");
        let only_cmds = parse_go_list(
            "main example.com/app/cmd/b example.com/app\nmain example.com/app/cmd/a example.com/app\n",
        );
        assert_eq!(default_process(&only_cmds).unwrap().binary_name(), "a");
    }
}
