//! Loading an image into the engine (`docker load` over the API), and looking images up and
//! removing them by name.
//!
//! The image is written as a docker-archive to an anonymous temp file and streamed to
//! `POST /images/load`, so that memory stays flat whatever the image's size. The engine's answer is
//! read to the end (an error can arrive in the middle of it), and then the image is looked up by
//! name, so that "loaded" means the engine can run it.

use std::io::{self, BufWriter, Seek, Write};
use std::path::Path;
use std::time::Duration;

use bollard::body_try_stream;
use bollard::query_parameters::{ImportImageOptionsBuilder, RemoveImageOptions};
use bytes::Bytes;
use futures_util::{StreamExt, stream};
use slipway_oci::docker_archive::write_docker_archive;
use slipway_oci::{BlobSource, Image};
use tokio::io::AsyncReadExt;

use crate::engine::Engine;
use crate::error::{EngineError, status_of};

/// How long a load may take: the engine answers only after it has read and unpacked the archive.
const LOAD_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Size of the pieces the archive is streamed in.
const CHUNK: usize = 256 * 1024;

/// What a finished load did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadReport {
    /// The engine's id for the image (`sha256:…`; for Docker's classic store and Podman, the
    /// config digest).
    pub image_id: String,
    /// The names the engine knows the image by, as it spells them (Podman puts `localhost/` before
    /// names without a registry).
    pub names: Vec<String>,
    /// What the engine said while loading, line by line (`Loaded image: …`).
    pub messages: Vec<String>,
}

impl Engine {
    /// Loads `image` (layers read from `blobs`) into the engine under `tags` (Docker-style names
    /// such as `app:latest` or `127.0.0.1:5000/app:v1`; a name without a tag gets `:latest`), and
    /// checks that the engine now knows it by the first tag, or by its config digest when there
    /// are no tags.
    ///
    /// The archive is written synchronously before the upload starts.
    pub async fn load_image(
        &self,
        image: &Image,
        blobs: &dyn BlobSource,
        tags: &[String],
    ) -> Result<LoadReport, EngineError> {
        let tags: Vec<String> = tags.iter().map(|t| with_tag(t)).collect();
        let archive =
            write_archive(image, blobs, &tags).map_err(|source| EngineError::Archive {
                image: image.digest.to_string(),
                source,
            })?;
        let shown = tags
            .first()
            .cloned()
            .unwrap_or_else(|| image.digest.to_string());
        let messages = self
            .import(archive, &format!("loading {shown} into the engine"))
            .await?;
        let name = tags
            .first()
            .cloned()
            .unwrap_or_else(|| image.config_descriptor().digest().to_string());
        let Some(inspect) = self.inspect(&name).await? else {
            return Err(EngineError::NotLoaded {
                host: self.host.clone(),
                name,
            });
        };
        Ok(LoadReport {
            image_id: inspect.id.unwrap_or_default(),
            names: inspect.repo_tags.unwrap_or_default(),
            messages,
        })
    }

    /// Loads the docker-archive at `path` (as `docker save` or `podman save` write it, or
    /// [`write_docker_archive`]) into the engine, under the names its `manifest.json` gives: for
    /// archives written earlier or by other tools, where [`Engine::load_image`] needs the image
    /// itself.
    pub async fn load_archive(&self, path: &Path) -> Result<(), EngineError> {
        let archive = std::fs::File::open(path).map_err(|source| EngineError::ReadArchive {
            path: path.to_owned(),
            source,
        })?;
        self.import(
            archive,
            &format!("loading {} into the engine", path.display()),
        )
        .await?;
        Ok(())
    }

    /// Streams the docker-archive `archive` to `POST /images/load` and reads the engine's answer to
    /// the end (an error can arrive in the middle of it); what the engine said, line by line.
    async fn import(
        &self,
        archive: std::fs::File,
        action: &str,
    ) -> Result<Vec<String>, EngineError> {
        let docker = self.docker.clone().with_timeout(LOAD_TIMEOUT);
        let options = ImportImageOptionsBuilder::default().quiet(true).build();
        let mut answers = docker.import_image(options, body_try_stream(chunks(archive)), None);
        let mut messages = Vec::new();
        while let Some(answer) = answers.next().await {
            let info = answer.map_err(|e| self.error(action, e))?;
            messages.extend(
                info.stream
                    .iter()
                    .chain(&info.status)
                    .map(|m| m.trim().to_owned())
                    .filter(|m| !m.is_empty()),
            );
        }
        Ok(messages)
    }

    /// Whether the engine has an image by this name (or id).
    pub async fn image_exists(&self, name: &str) -> Result<bool, EngineError> {
        Ok(self.inspect(name).await?.is_some())
    }

    /// Removes the image name `name` (and the image, when no other name or container holds it);
    /// whether there was one.
    pub async fn remove_image(&self, name: &str) -> Result<bool, EngineError> {
        for candidate in lookup_names(name) {
            match self
                .docker
                .remove_image(&candidate, None::<RemoveImageOptions>, None)
                .await
            {
                Ok(_) => return Ok(true),
                Err(e) if status_of(&e) == Some(404) => {}
                Err(e) => return Err(self.error(&format!("removing the image {name}"), e)),
            }
        }
        Ok(false)
    }

    /// The engine's record of `name`, trying Podman's `localhost/` spelling too; `None` when
    /// neither is known.
    async fn inspect(
        &self,
        name: &str,
    ) -> Result<Option<bollard::models::ImageInspect>, EngineError> {
        for candidate in lookup_names(name) {
            match self.docker.inspect_image(&candidate).await {
                Ok(inspect) => return Ok(Some(inspect)),
                Err(e) if status_of(&e) == Some(404) => {}
                Err(e) => return Err(self.error(&format!("looking up the image {name}"), e)),
            }
        }
        Ok(None)
    }
}

/// `name` with `:latest` when it has no tag (and no digest): the engines need a tag in an
/// archive's `RepoTags`.
fn with_tag(name: &str) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    if last.contains(':') || last.contains('@') {
        name.to_owned()
    } else {
        format!("{name}:latest")
    }
}

/// The names to look `name` up by: itself, then (for a name without a registry, which Podman
/// stores under `localhost/`) the `localhost/` one. Ids are looked up as they are.
fn lookup_names(name: &str) -> Vec<String> {
    let first = name.split('/').next().unwrap_or(name);
    let has_registry =
        name.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    if has_registry || name.starts_with("sha256:") {
        vec![name.to_owned()]
    } else {
        vec![name.to_owned(), format!("localhost/{name}")]
    }
}

/// Writes the docker-archive of `image` to an anonymous temp file, ready to be read from the start.
fn write_archive(
    image: &Image,
    blobs: &dyn BlobSource,
    tags: &[String],
) -> io::Result<std::fs::File> {
    let mut file = tempfile::tempfile()?;
    let mut writer = BufWriter::new(&mut file);
    write_docker_archive(image, blobs, tags, &mut writer)?;
    writer.flush()?;
    drop(writer);
    file.rewind()?;
    Ok(file)
}

/// The file's bytes as a stream of chunks, for a request body.
fn chunks(
    file: std::fs::File,
) -> impl futures_util::Stream<Item = io::Result<Bytes>> + Send + 'static {
    stream::try_unfold(tokio::fs::File::from_std(file), |mut file| async move {
        let mut buffer = vec![0; CHUNK];
        let read = file.read(&mut buffer).await?;
        if read == 0 {
            return Ok(None);
        }
        buffer.truncate(read);
        Ok(Some((Bytes::from(buffer), file)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_without_a_tag_get_latest() {
        assert_eq!(with_tag("app"), "app:latest");
        assert_eq!(with_tag("app:v1"), "app:v1");
        assert_eq!(with_tag("127.0.0.1:5000/app"), "127.0.0.1:5000/app:latest");
        assert_eq!(with_tag("127.0.0.1:5000/app:v1"), "127.0.0.1:5000/app:v1");
    }

    #[test]
    fn short_names_are_also_looked_up_under_podman_s_localhost() {
        assert_eq!(
            lookup_names("app:latest"),
            ["app:latest", "localhost/app:latest"]
        );
        assert_eq!(
            lookup_names("team/app:latest"),
            ["team/app:latest", "localhost/team/app:latest"]
        );
        assert_eq!(
            lookup_names("localhost/app:latest"),
            ["localhost/app:latest"]
        );
        assert_eq!(
            lookup_names("127.0.0.1:5000/app:v1"),
            ["127.0.0.1:5000/app:v1"]
        );
        assert_eq!(
            lookup_names("registry.test/app:v1"),
            ["registry.test/app:v1"]
        );
        assert_eq!(lookup_names("sha256:abc"), ["sha256:abc"]);
    }
}
