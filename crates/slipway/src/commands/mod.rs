//! One module per command; [`run`] dispatches.

mod build;
mod cache;
mod export;
mod images;
mod inspect;
mod push;
mod rebase;
mod rm;
mod run;
mod sbom;
mod stack;
mod version;

pub use run::{AppExited, UNKNOWN_ENGINE_HINT, UnknownEngine};

use crate::cli::{CacheCommand, Cli, Command, StackCommand};
use crate::printer::Printer;
use crate::settings::Settings;

/// Runs the command `cli` names.
pub async fn run(cli: Cli, printer: &Printer) -> anyhow::Result<()> {
    let settings = Settings::resolve(&cli.global)?;
    match cli.command {
        Command::Build(args) => build::run(&args, &cli.global, &settings, printer).await,
        Command::Run(args) => run::run(&args, &cli.global, &settings, printer).await,
        Command::Images => images::run(&settings, printer),
        Command::Rm(args) => rm::run(&args, &settings, printer),
        Command::Cache(CacheCommand::Prune(args)) => cache::prune(&args, &settings, printer),
        Command::Export(args) => export::run(&args, &settings, printer).await,
        Command::Push(args) => push::run(&args, &settings, printer).await,
        Command::Inspect(args) => inspect::run(&args, &settings, printer),
        Command::Sbom(args) => sbom::run(&args, &settings, printer),
        Command::Rebase(args) => rebase::run(&args, &cli.global, &settings, printer).await,
        Command::Stack(StackCommand::List) => {
            stack::list(printer);
            Ok(())
        }
        Command::Stack(StackCommand::Resolve(args)) => {
            stack::resolve(&args, &cli.global, &settings, printer).await
        }
        Command::Stack(StackCommand::Update(args)) => {
            stack::update(&args, &cli.global, &settings, printer).await
        }
        Command::Stack(StackCommand::Exec(args)) => {
            stack::exec(&args, &cli.global, &settings, printer).await
        }
        Command::Stack(StackCommand::Build(args)) => {
            stack::build(&args, &cli.global, &settings, printer).await
        }
        Command::Version => {
            version::run(printer);
            Ok(())
        }
    }
}
