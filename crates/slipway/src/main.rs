//! `slipway`: source code to container image, with no Dockerfile and no daemon.
//!
//! This crate only wires: the command line ([`cli`]), one settings step ([`settings`]), one
//! printer for every line the user reads ([`printer`]), and one module per command.

mod app_manifest;
mod app_source;
mod build_env;
mod cli;
mod commands;
mod destinations;
mod errors;
mod printer;
mod settings;
mod store;
mod watch;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Before anything starts a thread: the sandbox helper must enter namespaces single-threaded.
    slipway_sandbox::helper_main_if_requested();
    let cli = cli::Cli::parse();
    let printer = printer::Printer::new(cli.global.output_mode());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            return errors::report(
                &anyhow::Error::new(err).context("starting the async runtime"),
                &printer,
            );
        }
    };
    match runtime.block_on(commands::run(cli, &printer)) {
        Ok(()) => ExitCode::SUCCESS,
        // `slipway run`: the app's exit status is slipway's, and the app said why itself.
        Err(err) if err.is::<commands::AppExited>() => {
            let status = err.downcast_ref::<commands::AppExited>().map_or(1, |e| e.0);
            ExitCode::from(u8::try_from(status).unwrap_or(1))
        }
        Err(err) => errors::report(&err, &printer),
    }
}
