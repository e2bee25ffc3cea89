//! A tiny HTTP/1.1 client over `std::net::TcpStream` (and Unix sockets), enough to probe an app in
//! a container, a registry's `/v2/` API and Podman's `/_ping`.
//!
//! It is hand-written on purpose: the end-to-end tests should not share an HTTP stack with the
//! code they test, and a probe that sends `Connection: close` and reads to the end needs no more.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

/// How long one connection may wait for the peer before a request fails.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// A response as read off the wire: status, headers in order, and the body (decoded from chunked
/// transfer encoding when the server used it; invalid UTF-8 is replaced).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code, e.g. 200.
    pub status: u16,
    /// Header names and values as sent, in order.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
}

impl HttpResponse {
    /// The first header called `name` (case-insensitive), so tests can read e.g.
    /// `Docker-Content-Digest` without caring how the server spelled it.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// `GET url` once and return the status and body. `url` must be `http://HOST:PORT/PATH`.
///
/// Errors (as text, to put in a test's failure message) when the URL is not plain `http://`, the
/// connection fails, or the response cannot be parsed; any status, 404 or 500 included, is `Ok`.
pub fn http_get(url: &str) -> Result<(u16, String), String> {
    let response = http_request("GET", url, &[])?;
    Ok((response.status, response.body))
}

/// Send one request with extra `headers` and read the whole response. A `HEAD` request reads the
/// headers only. Used for registry calls that need `Accept` and read response headers.
pub fn http_request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
) -> Result<HttpResponse, String> {
    let (authority, path) = split_http_url(url)?;
    let stream = TcpStream::connect(authority).map_err(|e| format!("connecting to {url}: {e}"))?;
    stream
        .set_read_timeout(Some(IO_TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(IO_TIMEOUT)))
        .map_err(|e| format!("setting timeouts for {url}: {e}"))?;
    exchange(stream, authority, method, path, headers).map_err(|e| format!("{method} {url}: {e}"))
}

/// Send one request over the Unix socket at `socket` (e.g. Podman's API socket), with `localhost`
/// as the `Host` header.
pub fn unix_request(socket: &Path, method: &str, path: &str) -> Result<HttpResponse, String> {
    let shown = socket.display();
    let stream = UnixStream::connect(socket).map_err(|e| format!("connecting to {shown}: {e}"))?;
    stream
        .set_read_timeout(Some(IO_TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(IO_TIMEOUT)))
        .map_err(|e| format!("setting timeouts for {shown}: {e}"))?;
    exchange(stream, "localhost", method, path, &[])
        .map_err(|e| format!("{method} {path} on {shown}: {e}"))
}

/// Poll `url` until it answers 200 and return that status and body: for waiting on an app that
/// is still starting in a container.
///
/// # Panics
///
/// When `timeout` passes without a 200, with the last error or status and body seen.
#[must_use]
pub fn wait_for_http(url: &str, timeout: Duration) -> (u16, String) {
    let deadline = Instant::now() + timeout;
    loop {
        let last = match http_get(url) {
            Ok((200, body)) => return (200, body),
            Ok((status, body)) => format!("status {status}, body {body:?}"),
            Err(e) => e,
        };
        assert!(
            Instant::now() < deadline,
            "{url} did not answer 200 within {timeout:?}; last: {last}"
        );
        thread::sleep(Duration::from_millis(100));
    }
}

/// Split `http://HOST:PORT/PATH` into `HOST:PORT` and `/PATH`.
fn split_http_url(url: &str) -> Result<(&str, &str), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url:?} is not an http:// URL"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    if authority.is_empty() {
        return Err(format!("{url:?} has no host"));
    }
    Ok((authority, path))
}

fn exchange(
    mut stream: impl Read + Write,
    host: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<HttpResponse, String> {
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: slipway-testkit\r\nConnection: close\r\n"
    );
    for (name, value) in headers {
        for part in [name, ": ", value, "\r\n"] {
            request.push_str(part);
        }
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("sending request: {e}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("reading response: {e}"))?;
    parse_response(&raw, method == "HEAD")
}

/// Parse a whole response as read until the server closed the connection.
fn parse_response(raw: &[u8], head_only: bool) -> Result<HttpResponse, String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no end of headers in {:?}", String::from_utf8_lossy(raw)))?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut response = HttpResponse {
        status,
        headers,
        body: String::new(),
    };
    if head_only {
        return Ok(response);
    }
    let body = &raw[end + 4..];
    let chunked = response
        .header("Transfer-Encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    response.body = if chunked {
        String::from_utf8_lossy(&decode_chunked(body)?).into_owned()
    } else {
        String::from_utf8_lossy(body).into_owned()
    };
    Ok(response)
}

fn decode_chunked(mut body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("chunk size line without CRLF")?;
        let size_text = String::from_utf8_lossy(&body[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|e| format!("bad chunk size {size_text:?}: {e}"))?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = body.get(..size).ok_or("chunk shorter than its size")?;
        out.extend_from_slice(chunk);
        body = body.get(size + 2..).ok_or("chunk without trailing CRLF")?;
    }
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
