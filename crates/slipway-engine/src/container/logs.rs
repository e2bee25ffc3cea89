//! Turning an engine's log output into [`LogLine`]s.
//!
//! Asked for timestamps, engines put one before each log message: `2024-05-01T12:00:00.123456789Z
//! text`. The API sends messages in frames that need not be whole lines (Docker splits lines
//! longer than 16 KiB into several messages, each with its own timestamp), so frames are put back
//! together into lines here, keeping the first timestamp of each line.

use futures_util::{Stream, stream};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

use super::{LogLine, LogStream};

/// Splits `line` into its leading engine timestamp, when it has one, and the rest.
pub(crate) fn split_timestamp(line: &str) -> (Option<&str>, &str) {
    let (first, rest) = line.split_once(' ').unwrap_or((line, ""));
    if looks_like_timestamp(first) {
        (Some(first), rest)
    } else {
        (None, line)
    }
}

/// Whether `word` is an RFC 3339 date and time (`2024-05-01T12:00:00Z`, with or without
/// fractions and with `Z` or an offset), as the engines write them.
fn looks_like_timestamp(word: &str) -> bool {
    let bytes = word.as_bytes();
    let digits =
        |range: std::ops::Range<usize>| range.into_iter().all(|i| bytes[i].is_ascii_digit());
    bytes.len() >= 20
        && digits(0..4)
        && bytes[4] == b'-'
        && digits(5..7)
        && bytes[7] == b'-'
        && digits(8..10)
        && bytes[10] == b'T'
        && digits(11..13)
        && bytes[13] == b':'
        && digits(14..16)
        && bytes[16] == b':'
        && digits(17..19)
        && (word.ends_with('Z') || bytes[19..].iter().any(|b| matches!(b, b'+' | b'-')))
}

/// The line `raw` (without its newline) printed on `stream`, its timestamp split off.
pub(crate) fn log_line(stream: LogStream, raw: &str) -> LogLine {
    let (timestamp, text) = split_timestamp(raw);
    LogLine {
        stream,
        text: text.to_owned(),
        timestamp: timestamp.map(str::to_owned),
    }
}

/// Puts one stream's timestamped messages back together into lines.
#[derive(Debug)]
pub(crate) struct LineAssembler {
    stream: LogStream,
    /// The line so far, when a message ended without a newline.
    partial: Option<(Option<String>, Vec<u8>)>,
}

impl LineAssembler {
    /// An assembler for the messages of `stream`.
    pub(crate) fn new(stream: LogStream) -> LineAssembler {
        LineAssembler {
            stream,
            partial: None,
        }
    }

    /// Takes one message as the engine framed it, and calls `emit` with each line it completes.
    pub(crate) fn push(&mut self, message: &[u8], emit: &mut impl FnMut(LogLine)) {
        let mut rest = message;
        while !rest.is_empty() {
            let (piece, finished) = match rest.iter().position(|b| *b == b'\n') {
                Some(end) => (&rest[..end], &rest[end + 1..]),
                None => (rest, &[][..]),
            };
            let text = String::from_utf8_lossy(piece);
            let (timestamp, text) = split_timestamp(&text);
            let (first_timestamp, line) = self
                .partial
                .get_or_insert_with(|| (timestamp.map(str::to_owned), Vec::new()));
            line.extend_from_slice(text.as_bytes());
            let complete = piece.len() < rest.len();
            if complete {
                let timestamp = first_timestamp.take();
                let text = String::from_utf8_lossy(line).into_owned();
                self.partial = None;
                emit(LogLine {
                    stream: self.stream,
                    text,
                    timestamp,
                });
            }
            rest = finished;
        }
    }

    /// Emits the last line when the output ended without a newline.
    pub(crate) fn finish(&mut self, emit: &mut impl FnMut(LogLine)) {
        if let Some((timestamp, line)) = self.partial.take() {
            emit(LogLine {
                stream: self.stream,
                text: String::from_utf8_lossy(&line).into_owned(),
                timestamp,
            });
        }
    }
}

/// The lines `reader` yields, without their newlines, tagged with `stream`; ends at the end of
/// the output or at the first read error.
pub(crate) fn read_lines(
    reader: impl AsyncRead + Unpin,
    stream: LogStream,
) -> impl Stream<Item = (LogStream, Vec<u8>)> {
    stream::unfold(Some(BufReader::new(reader)), move |reader| async move {
        let mut reader = reader?;
        let mut line = Vec::new();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => None,
            Ok(_) => {
                if line.last() == Some(&b'\n') {
                    line.pop();
                }
                Some(((stream, line), Some(reader)))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_timestamps_are_split_off() {
        assert_eq!(
            split_timestamp("2026-12-04T22:20:03.475908286Z out"),
            (Some("2026-12-04T22:20:03.475908286Z"), "out")
        );
        assert_eq!(
            split_timestamp("2026-12-04T22:20:27Z ep"),
            (Some("2026-12-04T22:20:27Z"), "ep")
        );
        assert_eq!(
            split_timestamp("2023-01-01T10:00:00.5+01:00 with offset"),
            (Some("2023-01-01T10:00:00.5+01:00"), "with offset")
        );
        assert_eq!(
            split_timestamp("2026-12-04T22:20:27Z"),
            (Some("2026-12-04T22:20:27Z"), "")
        );
        assert_eq!(split_timestamp("plain text"), (None, "plain text"));
        assert_eq!(
            split_timestamp("2026-12-04 not a time"),
            (None, "2026-12-04 not a time")
        );
        assert_eq!(split_timestamp(""), (None, ""));
    }

    fn assemble(stream: LogStream, messages: &[&str]) -> Vec<LogLine> {
        let mut lines = Vec::new();
        let mut assembler = LineAssembler::new(stream);
        let mut emit = |line| lines.push(line);
        for message in messages {
            assembler.push(message.as_bytes(), &mut emit);
        }
        assembler.finish(&mut emit);
        lines
    }

    fn line(text: &str, timestamp: &str) -> LogLine {
        LogLine {
            stream: LogStream::Stdout,
            text: text.into(),
            timestamp: Some(timestamp.into()),
        }
    }

    #[test]
    fn one_message_per_line_gives_one_line_each() {
        assert_eq!(
            assemble(
                LogStream::Stdout,
                &["2026-01-01T00:00:01Z one\n", "2026-01-01T00:00:02Z two\n"]
            ),
            [
                line("one", "2026-01-01T00:00:01Z"),
                line("two", "2026-01-01T00:00:02Z")
            ]
        );
    }

    #[test]
    fn a_long_line_split_into_messages_is_joined_under_its_first_timestamp() {
        assert_eq!(
            assemble(
                LogStream::Stdout,
                &[
                    "2026-01-01T00:00:01Z first half, ",
                    "2026-01-01T00:00:02Z second half\n"
                ]
            ),
            [line("first half, second half", "2026-01-01T00:00:01Z")]
        );
    }

    #[test]
    fn several_lines_in_one_message_and_a_last_line_without_newline() {
        let lines = assemble(
            LogStream::Stderr,
            &["2026-01-01T00:00:01Z a\n2026-01-01T00:00:01Z b\n2026-01-01T00:00:02Z c"],
        );
        let texts: Vec<_> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["a", "b", "c"]);
        assert!(lines.iter().all(|l| l.stream == LogStream::Stderr));
        assert_eq!(lines[2].timestamp.as_deref(), Some("2026-01-01T00:00:02Z"));
    }

    #[test]
    fn empty_lines_are_kept_and_untimestamped_output_passes_through() {
        let lines = assemble(LogStream::Stdout, &["2026-01-01T00:00:01Z \n", "bare\n"]);
        assert_eq!(lines[0], line("", "2026-01-01T00:00:01Z"));
        assert_eq!(
            lines[1],
            LogLine {
                stream: LogStream::Stdout,
                text: "bare".into(),
                timestamp: None
            }
        );
    }
}
