//! HTTP GETs against a mirror: retried when the failure is transient, bounded in size so that a
//! misbehaving server cannot fill memory.

use std::time::Duration;

use super::ArchiveError;

/// Attempts per request: a connection reset or a 5xx from a busy mirror is retried.
const ATTEMPTS: u32 = 3;

/// What a GET found.
pub(super) enum Fetched {
    /// The body.
    Body(Vec<u8>),
    /// The server answered 404 (or 410).
    NotFound,
}

/// The HTTP client every archive request goes through.
pub(super) fn client() -> Result<reqwest::Client, ArchiveError> {
    // reqwest is built without a default TLS crypto provider; ring is the workspace's. Another
    // part of the process may have installed it already, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(concat!("slipway/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(20))
        .read_timeout(Duration::from_secs(60))
        .build()
        .map_err(ArchiveError::Client)
}

/// GETs `url`, reading at most `limit` bytes of body.
pub(super) async fn get(
    client: &reqwest::Client,
    url: &str,
    limit: u64,
) -> Result<Fetched, ArchiveError> {
    let mut attempt = 1;
    loop {
        match get_once(client, url, limit).await {
            Err(Transient::Retry(error)) if attempt < ATTEMPTS => {
                tracing::debug!(%url, attempt, "retrying after a transient failure: {error}");
                tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt))).await;
                attempt += 1;
            }
            Err(Transient::Retry(error) | Transient::Final(error)) => return Err(error),
            Ok(fetched) => return Ok(fetched),
        }
    }
}

/// A failure, and whether another attempt could help.
enum Transient {
    Retry(ArchiveError),
    Final(ArchiveError),
}

async fn get_once(client: &reqwest::Client, url: &str, limit: u64) -> Result<Fetched, Transient> {
    let unreachable = |source| ArchiveError::Unreachable {
        url: url.to_owned(),
        source,
    };
    let mut response = client
        .get(url)
        .send()
        .await
        .map_err(|e| Transient::Retry(unreachable(e)))?;
    let status = response.status();
    if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE {
        return Ok(Fetched::NotFound);
    }
    if !status.is_success() {
        let error = ArchiveError::Http {
            url: url.to_owned(),
            status: status.as_u16(),
        };
        return Err(if status.is_server_error() {
            Transient::Retry(error)
        } else {
            Transient::Final(error)
        });
    }
    let too_large = || {
        Transient::Final(ArchiveError::TooLarge {
            url: url.to_owned(),
            limit,
        })
    };
    if response
        .content_length()
        .is_some_and(|length| length > limit)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| Transient::Retry(unreachable(e)))?
    {
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched::Body(body))
}
