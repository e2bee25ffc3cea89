//! The one printer every command writes through: progress on stderr (a spinner on a terminal,
//! plain lines otherwise), results on stdout, `--quiet` for just the result, `--json` for one JSON
//! event per line on stdout.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

/// How output is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputMode {
    /// Progress and results for a person.
    Human,
    /// The result only.
    Quiet,
    /// JSON events, one per line.
    Json,
}

/// Writes everything the user reads.
pub struct Printer {
    mode: OutputMode,
    terminal: bool,
    spinner: Mutex<Option<ProgressBar>>,
}

/// A step in progress; [`Step::done`] reports its duration.
pub struct Step<'a> {
    printer: &'a Printer,
    title: String,
    started: Instant,
}

impl Printer {
    /// A printer for `mode`; spinners only when stderr is a terminal.
    pub fn new(mode: OutputMode) -> Self {
        Self {
            mode,
            terminal: std::io::stderr().is_terminal(),
            spinner: Mutex::new(None),
        }
    }

    /// Starts a step: `==> title`.
    pub fn step(&self, title: impl Into<String>) -> Step<'_> {
        let title = title.into();
        match self.mode {
            OutputMode::Human if self.terminal => {
                let bar = ProgressBar::new_spinner();
                bar.set_style(
                    ProgressStyle::with_template("{spinner:.cyan} {msg} {elapsed:.dim}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.set_message(title.clone());
                bar.enable_steady_tick(Duration::from_millis(100));
                self.replace_spinner(Some(bar));
            }
            OutputMode::Human => eprintln!("==> {title}"),
            OutputMode::Json => emit(&json!({"event": "step_started", "step": title})),
            OutputMode::Quiet => {}
        }
        Step {
            printer: self,
            title,
            started: Instant::now(),
        }
    }

    /// A detail line of the current step.
    pub fn detail(&self, text: &str) {
        match self.mode {
            OutputMode::Human => self.above_spinner(&format!("    {text}")),
            OutputMode::Json => emit(&json!({"event": "log", "message": text})),
            OutputMode::Quiet => {}
        }
    }

    /// A structured event: shown as `text` to a person, as `event` in JSON.
    pub fn event(&self, text: &str, event: &Value) {
        match self.mode {
            OutputMode::Human => self.above_spinner(&format!("    {text}")),
            OutputMode::Json => emit(event),
            OutputMode::Quiet => {}
        }
    }

    /// A line of another program's output (`stack exec`), passed through as it is in every mode.
    pub fn passthrough(&self, line: &str, stderr: bool) {
        // A spinner would draw over the program's lines.
        self.replace_spinner(None);
        if stderr {
            eprintln!("{line}");
        } else {
            write_stdout(line);
        }
    }

    /// A line of a running app's log (`slipway run`): `text` on stdout for a person (with
    /// `--quiet` too: the app's output is what is asked for), `event` with `--json`.
    pub fn app_line(&self, text: &str, event: &Value) {
        self.replace_spinner(None);
        match self.mode {
            OutputMode::Json => emit(event),
            OutputMode::Human | OutputMode::Quiet => write_stdout(text),
        }
    }

    /// The command's result: `human` for a person, `quiet` with `--quiet`, `json` with `--json`.
    pub fn result(&self, human: &str, quiet: &str, json: &Value) {
        self.replace_spinner(None);
        let text = match self.mode {
            OutputMode::Human => human.to_string(),
            OutputMode::Quiet => quiet.to_string(),
            OutputMode::Json => json!({"event": "result", "result": json}).to_string(),
        };
        if !text.is_empty() {
            write_stdout(&text);
        }
    }

    /// An error, on stderr in every mode (and as a JSON event with `--json`).
    pub fn error(&self, message: &str, detail: Option<&str>, hint: Option<&str>) {
        self.replace_spinner(None);
        if self.mode == OutputMode::Json {
            emit(&json!({"event": "error", "message": message, "detail": detail, "hint": hint}));
        }
        let mut text = format!("error: {message}\n");
        if let Some(detail) = detail.filter(|d| !d.trim().is_empty()) {
            for line in detail.trim_end().lines() {
                let _ = writeln!(text, "  | {line}");
            }
        }
        if let Some(hint) = hint {
            let _ = writeln!(text, "hint: {hint}");
        }
        let _ = std::io::stderr().write_all(text.as_bytes());
    }

    fn above_spinner(&self, line: &str) {
        match self.spinner.lock().ok().as_deref() {
            Some(Some(bar)) => bar.println(line),
            _ => eprintln!("{line}"),
        }
    }

    fn replace_spinner(&self, next: Option<ProgressBar>) {
        if let Ok(mut slot) = self.spinner.lock() {
            if let Some(old) = slot.take() {
                old.finish_and_clear();
            }
            *slot = next;
        }
    }
}

/// Writes one JSON event line to stdout.
fn emit(value: &Value) {
    write_stdout(&value.to_string());
}

/// Writes one line to stdout; a closed pipe (`slipway images | head`) ends quietly.
fn write_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{text}").and_then(|()| out.flush()).is_err() {
        std::process::exit(0);
    }
}

impl Step<'_> {
    /// Ends the step, reporting its duration.
    pub fn done(self) -> Duration {
        let elapsed = self.started.elapsed();
        let printer = self.printer;
        match printer.mode {
            OutputMode::Human if printer.terminal => {
                printer.replace_spinner(None);
                eprintln!("==> {} ({})", self.title, seconds(elapsed));
            }
            OutputMode::Human => eprintln!("    done in {}", seconds(elapsed)),
            OutputMode::Json => emit(&json!({
                "event": "step_finished", "step": self.title, "seconds": elapsed.as_secs_f64(),
            })),
            OutputMode::Quiet => {}
        }
        elapsed
    }
}

/// A duration as people read it: `0.42s`, `12.3s`.
pub fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 10.0 {
        format!("{s:.2}s")
    } else {
        format!("{s:.1}s")
    }
}

/// A byte count as people read it: `93.4 KiB`.
pub fn size(bytes: u64) -> String {
    indicatif::HumanBytes(bytes).to_string()
}
