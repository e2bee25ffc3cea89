//! Reading what a Distribution v2.8 registry (`docker-registry`) says it did, from its access log.
//!
//! Next to its logrus lines, the registry writes one Apache "combined" access-log line per
//! request. A blob upload ends with a `PUT` to the upload session, carrying the blob's digest in
//! the query, answered `201 Created`:
//!
//! ```text
//! 127.0.0.1 - - [04/Dec/2026:19:51:26 +0000] "PUT /v2/check/hello/blobs/uploads/4521be09-...?_state=...&digest=sha256%3Af455b0... HTTP/1.1" 201 0 "" "containers/5.23.1 (github.com/containers/image)"
//! ```
//!
//! A cross-repository mount is a `POST /v2/NAME/blobs/uploads/?mount=DIGEST&from=REPO` answered
//! 201: no bytes move, so it is reported apart from uploads. A monolithic `POST ...?digest=`
//! answered 201 is an upload.

/// One blob the registry stored or linked, as read from its access log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobTransfer {
    /// The repository, e.g. `check/hello`.
    pub repo: String,
    /// The blob's digest, e.g. `sha256:f455...`.
    pub digest: String,
}

/// The blobs whose upload completed (`201`), in log order.
#[must_use]
pub fn blob_uploads(log: &str) -> Vec<BlobTransfer> {
    log.lines()
        .filter_map(parse_access_line)
        .filter(|line| line.status == 201)
        .filter_map(|line| {
            let (repo, query) = upload_target(line.target)?;
            let is_put = line.method == "PUT";
            let is_monolithic_post = line.method == "POST" && query_param(query, "mount").is_none();
            if !(is_put || is_monolithic_post) {
                return None;
            }
            Some(BlobTransfer {
                repo: repo.to_owned(),
                digest: percent_decode(query_param(query, "digest")?),
            })
        })
        .collect()
}

/// The blobs mounted from another repository (`POST ...?mount=`, `201`), in log order.
#[must_use]
pub fn blob_mounts(log: &str) -> Vec<BlobTransfer> {
    log.lines()
        .filter_map(parse_access_line)
        .filter(|line| line.status == 201 && line.method == "POST")
        .filter_map(|line| {
            let (repo, query) = upload_target(line.target)?;
            Some(BlobTransfer {
                repo: repo.to_owned(),
                digest: percent_decode(query_param(query, "mount")?),
            })
        })
        .collect()
}

struct AccessLine<'a> {
    method: &'a str,
    target: &'a str,
    status: u16,
}

/// Parse `... "METHOD TARGET HTTP/1.1" STATUS ...`; other lines (logrus's) give `None`.
fn parse_access_line(line: &str) -> Option<AccessLine<'_>> {
    if line.starts_with("time=") {
        return None;
    }
    let (_, rest) = line.split_once("] \"")?;
    let (request, rest) = rest.split_once("\" ")?;
    let mut parts = request.split(' ');
    let method = parts.next()?;
    let target = parts.next()?;
    parts.next().filter(|v| v.starts_with("HTTP/"))?;
    let status = rest.split(' ').next()?.parse().ok()?;
    Some(AccessLine {
        method,
        target,
        status,
    })
}

/// For `/v2/NAME/blobs/uploads/[UUID][?QUERY]` return `NAME` and `QUERY`.
fn upload_target(target: &str) -> Option<(&str, &str)> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let name_and_rest = path.strip_prefix("/v2/")?;
    let (repo, _) = name_and_rest.split_once("/blobs/uploads/")?;
    Some((repo, query))
}

fn query_param<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// Decode `%XX` escapes (digests arrive as `sha256%3A...`); malformed escapes stay as they are.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        if let Some(byte) = hex {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines as `docker-registry` 2.8.2 printed them for `podman push` of a one-layer image
    /// (`_state` values shortened), then a mount and a repeated push that found both blobs.
    const PUSH_LOG: &str = r#"time="2026-12-04T19:51:26.851187825Z" level=info msg="response completed" http.request.method=PUT http.request.uri="/v2/check/hello/blobs/uploads/4521be09?_state=abc&digest=sha256%3Af455" http.response.status=201
127.0.0.1 - - [04/Dec/2026:19:51:26 +0000] "GET /v2/ HTTP/1.1" 200 2 "" "containers/5.23.1 (github.com/containers/image)"
127.0.0.1 - - [04/Dec/2026:19:51:26 +0000] "HEAD /v2/check/hello/blobs/sha256:f455 HTTP/1.1" 404 157 "" "containers/5.23.1 (github.com/containers/image)"
127.0.0.1 - - [04/Dec/2026:19:51:26 +0000] "POST /v2/check/hello/blobs/uploads/ HTTP/1.1" 202 0 "" "containers/5.23.1 (github.com/containers/image)"
127.0.0.1 - - [04/Dec/2026:19:51:26 +0000] "PATCH /v2/check/hello/blobs/uploads/4521be09?_state=abc HTTP/1.1" 202 0 "" "containers/5.23.1 (github.com/containers/image)"
127.0.0.1 - - [04/Dec/2026:19:51:26 +0000] "PUT /v2/check/hello/blobs/uploads/4521be09?_state=def&digest=sha256%3Af455 HTTP/1.1" 201 0 "" "containers/5.23.1 (github.com/containers/image)"
127.0.0.1 - - [04/Dec/2026:19:51:26 +0000] "PUT /v2/check/hello/blobs/uploads/627d1cb4?_state=ghi&digest=sha256%3A8101 HTTP/1.1" 201 0 "" "containers/5.23.1 (github.com/containers/image)"
127.0.0.1 - - [04/Dec/2026:19:51:26 +0000] "PUT /v2/check/hello/manifests/v1 HTTP/1.1" 201 0 "" "containers/5.23.1 (github.com/containers/image)"
127.0.0.1 - - [04/Dec/2026:19:51:27 +0000] "POST /v2/other/app/blobs/uploads/?mount=sha256%3Af455&from=check%2Fhello HTTP/1.1" 201 0 "" "slipway"
127.0.0.1 - - [04/Dec/2026:19:51:27 +0000] "PUT /v2/check/hello/blobs/uploads/99?digest=sha256:bad HTTP/1.1" 400 0 "" "slipway"
127.0.0.1 - - [04/Dec/2026:19:51:28 +0000] "POST /v2/mono/blobs/uploads/?digest=sha256:abcd HTTP/1.1" 201 0 "" "slipway"
127.0.0.1 - - [04/Dec/2026:19:51:29 +0000] "HEAD /v2/check/hello/blobs/sha256:f455 HTTP/1.1" 200 4943989 "" "containers/5.23.1 (github.com/containers/image)"
"#;

    fn transfer(repo: &str, digest: &str) -> BlobTransfer {
        BlobTransfer {
            repo: repo.to_owned(),
            digest: digest.to_owned(),
        }
    }

    #[test]
    fn completed_uploads_are_puts_and_monolithic_posts_answered_201() {
        assert_eq!(
            blob_uploads(PUSH_LOG),
            vec![
                transfer("check/hello", "sha256:f455"),
                transfer("check/hello", "sha256:8101"),
                transfer("mono", "sha256:abcd"),
            ]
        );
    }

    #[test]
    fn mounts_are_reported_apart() {
        assert_eq!(
            blob_mounts(PUSH_LOG),
            vec![transfer("other/app", "sha256:f455")]
        );
    }

    #[test]
    fn an_empty_log_has_no_uploads() {
        assert!(blob_uploads("").is_empty());
        assert!(blob_mounts("garbage\n\"PUT\n] \"PUT x\" y").is_empty());
    }

    #[test]
    fn percent_decoding_keeps_malformed_escapes() {
        assert_eq!(percent_decode("sha256%3Aab%2"), "sha256:ab%2");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
    }
}
