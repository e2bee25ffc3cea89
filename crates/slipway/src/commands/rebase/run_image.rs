//! The run image an image is rebased onto: the one `--run-image` names, or by default the newest
//! of the stack and flavor the image's `io.slipway.run-image` label records, made from `-l FILE`
//! or the current resolution, exactly as `slipway stack build` would make it.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context, bail};
use slipway_debian::fetch::FetchEvent;
use slipway_debian::lockfile::Lockfile;
use slipway_lifecycle::metadata::{LIFECYCLE_METADATA_LABEL, RUN_IMAGE_LABEL, RunImageRecord};
use slipway_lifecycle::rebase::RebaseError;
use slipway_lifecycle::{ExportOptions, export_run_image};
use slipway_oci::tar_writer::reproducible_epoch;
use slipway_oci::{Compression, Image};
use slipway_registry::Keychain;
use slipway_stack::debian::{DebianSource, RunImageOptions};
use slipway_stack::debian_stacks::{DebianStack, debian_stack};
use slipway_stack::{RunImage, StackOptions};

use super::target::names_a_registry;
use crate::cli::{GlobalArgs, RebaseArgs};
use crate::commands::stack::{lockfile_or_resolve, report_fetch, source};
use crate::printer::Printer;
use crate::settings::Settings;
use crate::store::{NotInStore, Store, display_name, parse_name};

/// A run image to rebase onto, its layers in the local store.
#[derive(Clone)]
pub(super) struct NewRunImage {
    /// The name app images record for it (`slipway/debian-13-java-21-tomcat`).
    pub name: String,
    /// The image.
    pub image: Image,
}

/// Chooses run images, making each stack's lockfile and each (stack, flavor)'s run image once
/// however many images are rebased onto it.
pub(super) struct RunImages<'a> {
    args: &'a RebaseArgs,
    global: &'a GlobalArgs,
    settings: &'a Settings,
    store: &'a Store,
    printer: &'a Printer,
    source: Option<DebianSource>,
    lockfiles: HashMap<String, Lockfile>,
    made: HashMap<(String, String, &'static str), NewRunImage>,
    named: Option<NewRunImage>,
}

impl<'a> RunImages<'a> {
    /// A chooser for the images `args` names.
    pub(super) fn new(
        args: &'a RebaseArgs,
        global: &'a GlobalArgs,
        settings: &'a Settings,
        store: &'a Store,
        printer: &'a Printer,
    ) -> Self {
        Self {
            args,
            global,
            settings,
            store,
            printer,
            source: None,
            lockfiles: HashMap::new(),
            made: HashMap::new(),
            named: None,
        }
    }

    /// The Debian packages' source (made on first use: a scratch-only rebase needs none).
    pub(super) fn source(&mut self) -> anyhow::Result<&DebianSource> {
        if self.source.is_none() {
            self.source = Some(source(self.global, self.settings)?);
        }
        self.source
            .as_ref()
            .context("the Debian source was just made")
    }

    /// The run image `image` (named `name`) is to be rebased onto.
    pub(super) async fn for_image(
        &mut self,
        image: &Image,
        name: &str,
    ) -> anyhow::Result<NewRunImage> {
        if let Some(named) = &self.args.run_image {
            if self.named.is_none() {
                self.named = Some(self.named(named).await?);
            }
            return self.named.clone().context("the run image was just found");
        }
        let labels = image.labels();
        let Some(record) = labels
            .get(RUN_IMAGE_LABEL)
            .and_then(|l| serde_json::from_str::<RunImageRecord>(l).ok())
        else {
            if labels.contains_key(LIFECYCLE_METADATA_LABEL) {
                bail!(
                    "{name} was built by another Cloud Native Buildpacks platform, so slipway \
                     does not know its stack's newest run image: name one with --run-image"
                );
            }
            return Err(RebaseError::NotBuildpackBuilt { image: name.into() }.into());
        };
        // The new run image is compressed as the image's own base was (gzip or zstd), so the
        // rebased image reads where the old one did.
        let compression = image
            .layers()
            .first()
            .and_then(|l| Compression::from_media_type(&l.media_type))
            .unwrap_or(Compression::Gzip);
        let key = (
            format!("{} {}", record.stack, record.ca_certs.join(",")),
            record.flavor.clone(),
            compression.name(),
        );
        if let Some(made) = self.made.get(&key) {
            return Ok(made.clone());
        }
        let made = self.newest(&record, name, compression).await?;
        self.made.insert(key, made.clone());
        Ok(made)
    }

    /// The run image `--run-image` names: in the local store, else pulled from its registry
    /// into the store.
    async fn named(&self, named: &str) -> anyhow::Result<NewRunImage> {
        let (reference, image) = match self.store.resolve(named) {
            Ok(found) => found,
            Err(err) if err.is::<NotInStore>() && names_a_registry(named) => {
                let reference = parse_name(named)?;
                let step = self.printer.step(format!("Pulling the run image {named}"));
                let image = slipway_registry::pull_image(
                    &reference,
                    &Keychain::from_env(),
                    &self.store.layout,
                )
                .await?;
                self.store.tag(&image, &reference)?;
                step.done();
                (reference, image)
            }
            Err(err) => return Err(err.context("finding the run image given with --run-image")),
        };
        Ok(NewRunImage {
            name: recorded_name(&display_name(&reference)),
            image,
        })
    }

    /// The newest run image of the stack and flavor `record` names.
    async fn newest(
        &mut self,
        record: &RunImageRecord,
        name: &str,
        compression: Compression,
    ) -> anyhow::Result<NewRunImage> {
        let Some(stack) = debian_stack(&record.stack) else {
            let run_image = slipway_stack::run_image(&record.stack, &StackOptions::default())
                .with_context(|| format!("{name} was built on stack {}", record.stack))?;
            return self.export(&run_image, compression);
        };
        let flavor = stack.flavor(&record.flavor).map_err(|known| {
            anyhow::anyhow!(
                "{name} runs on the {} flavor of {}, which this slipway does not have (flavors: \
                 {known})",
                record.flavor,
                stack.name
            )
        })?;
        let lockfile = self.lockfile(stack).await?;
        let step = self.printer.step(format!(
            "Making the run image of {} ({})",
            stack.name, flavor.name
        ));
        let (printer, store) = (self.printer, self.store);
        let progress = |event: FetchEvent| report_fetch(printer, &event);
        let ca_certs = self.ca_certs(record, name)?;
        let options = RunImageOptions {
            ca_certs,
            compression,
        };
        let run_image = self
            .source()?
            .run_image(
                stack,
                &flavor,
                &lockfile,
                &store.layout,
                &options,
                &progress,
            )
            .await?;
        let made = self.export(&run_image, compression)?;
        step.done();
        Ok(made)
    }

    /// The extra CA files the image's run image was made with (`--ca-certs`), kept by digest in
    /// the Debian cache: the new run image gets them too.
    fn ca_certs(&mut self, record: &RunImageRecord, name: &str) -> anyhow::Result<Vec<PathBuf>> {
        let source = self.source()?;
        record
            .ca_certs
            .iter()
            .map(|digest| {
                let path = source.ca_cert_path(digest);
                if path.is_file() {
                    Ok(path)
                } else {
                    bail!(
                        "{name} was built with extra CA certificates (--ca-certs, {digest}) that \
                         this cache does not have: rebuild it with the same --ca-certs"
                    )
                }
            })
            .collect()
    }

    /// `-l FILE`, else the current resolution of `stack` (once per stack).
    async fn lockfile(&mut self, stack: &DebianStack) -> anyhow::Result<Lockfile> {
        if let Some(lockfile) = self.lockfiles.get(stack.name) {
            return Ok(lockfile.clone());
        }
        let (path, refresh) = (self.args.lockfile.clone(), self.global.refresh);
        let lockfile = lockfile_or_resolve(self.source()?, stack, path.as_deref(), refresh).await?;
        if lockfile.stack != stack.name {
            bail!(
                "the lockfile {} is for stack {}, and the image was built on {}",
                path.unwrap_or_default().display(),
                lockfile.stack,
                stack.name
            );
        }
        self.lockfiles
            .insert(stack.name.to_string(), lockfile.clone());
        Ok(lockfile)
    }

    /// The run image as `slipway stack build` writes it (same options, so the same digest).
    fn export(
        &self,
        run_image: &RunImage,
        compression: Compression,
    ) -> anyhow::Result<NewRunImage> {
        let options = ExportOptions {
            compression,
            os: "linux",
            arch: "amd64",
            created: reproducible_epoch(),
            reuse_layers: true,
        };
        let exported = export_run_image(&self.store.layout, run_image, &options)
            .with_context(|| format!("writing the run image {}", run_image.name))?;
        Ok(NewRunImage {
            name: run_image.name.clone(),
            image: exported.image,
        })
    }
}

/// The name an image records for its run image: Docker Hub's `docker.io/` and a `:latest` tag
/// left out, as `slipway stack build` names them (`slipway/debian-13-java-21-tomcat`).
fn recorded_name(shown: &str) -> String {
    let name = shown.strip_prefix("docker.io/").unwrap_or(shown);
    name.strip_suffix(":latest").unwrap_or(name).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_images_are_recorded_by_their_short_names() {
        assert_eq!(
            recorded_name("docker.io/slipway/debian-13-java-21-tomcat:latest"),
            "slipway/debian-13-java-21-tomcat"
        );
        assert_eq!(recorded_name("base:v2"), "base:v2");
        assert_eq!(
            recorded_name("127.0.0.1:5000/run:java-21-tomcat"),
            "127.0.0.1:5000/run:java-21-tomcat"
        );
    }
}
