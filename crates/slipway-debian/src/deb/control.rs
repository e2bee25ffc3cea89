//! Splitting a control paragraph into fields without changing a byte of any value.
//!
//! The dpkg status entries slipway writes must carry each value exactly as the package ships it
//! (a `Description`'s indented lines and ` .` separators included), so the generic deb822
//! parsers, which strip continuation lines' indentation, are not used here.

/// One field of a control paragraph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlField {
    /// The field name as written, e.g. `Pre-Depends`.
    pub name: String,
    /// Everything after the colon: the first line without its leading whitespace, then each
    /// continuation line verbatim (each starting with its space or tab), joined by `\n`, with no
    /// trailing newline.
    pub value: String,
}

impl ControlField {
    /// The field as dpkg writes it: `Name: value` (or `Name:` directly followed by the
    /// continuation lines when the first line is empty), ending with a newline.
    #[must_use]
    pub fn to_line(&self) -> String {
        if self.value.starts_with('\n') || self.value.is_empty() {
            format!("{}:{}\n", self.name, self.value)
        } else {
            format!("{}: {}\n", self.name, self.value)
        }
    }
}

/// The fields of the first paragraph of `text`, in order. Comment lines (`#`) are skipped, and a
/// line without a colon that is not a continuation is ignored: the control file was made by
/// dpkg-deb, which rejects malformed paragraphs, so this parser does not need to.
#[must_use]
pub fn control_fields(text: &str) -> Vec<ControlField> {
    let mut fields: Vec<ControlField> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if fields.is_empty() {
                continue;
            }
            break;
        }
        if line.starts_with('#') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = fields.last_mut() {
                last.value.push('\n');
                last.value.push_str(line.trim_end());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            fields.push(ControlField {
                name: name.trim().to_string(),
                value: value.trim().to_string(),
            });
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_continuation_lines_verbatim() {
        let text = "Package: a\nDescription: short\n long line\n .\n  indented\nVersion: 1\n\nPackage: b\n";
        let fields = control_fields(text);
        let names: Vec<_> = fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["Package", "Description", "Version"]);
        assert_eq!(fields[1].value, "short\n long line\n .\n  indented");
        assert_eq!(
            fields[1].to_line(),
            "Description: short\n long line\n .\n  indented\n"
        );
    }

    #[test]
    fn an_empty_first_line_stays_empty() {
        let fields = control_fields("Conffiles:\n /etc/a 123\n");
        assert_eq!(fields[0].to_line(), "Conffiles:\n /etc/a 123\n");
    }
}
