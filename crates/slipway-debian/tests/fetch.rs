//! The `.deb` download cache against a small HTTP server on 127.0.0.1 that serves good,
//! tampered, missing and flaky files.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use slipway_debian::fetch::{DebCache, DebRef, FetchError, FetchEvent, MirrorBases};

/// What the server answers for a path: a list of (status, body), one per request; the last one
/// repeats.
type Routes = HashMap<String, Vec<(u16, Vec<u8>)>>;

struct Server {
    base: String,
    requests: Arc<Mutex<Vec<String>>>,
}

fn serve(routes: Routes) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&requests);
    let routes = Arc::new(Mutex::new(routes));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let routes = Arc::clone(&routes);
            let seen = Arc::clone(&seen);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut request_line = String::new();
                reader.read_line(&mut request_line).expect("request");
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).expect("header") == 0 || line == "\r\n" {
                        break;
                    }
                }
                let path = request_line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("/")
                    .to_string();
                seen.lock().expect("lock").push(path.clone());
                let (status, body) = {
                    let mut routes = routes.lock().expect("lock");
                    match routes.get_mut(&path) {
                        Some(answers) if answers.len() > 1 => answers.remove(0),
                        Some(answers) => answers[0].clone(),
                        None => (404, b"not found".to_vec()),
                    }
                };
                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            });
        }
    });
    Server { base, requests }
}

fn item(name: &str, body: &[u8], security: bool) -> DebRef {
    DebRef {
        name: name.to_string(),
        version: "1.0-1".to_string(),
        filename: format!("pool/main/{name}/{name}_1.0-1_amd64.deb"),
        size: body.len() as u64,
        sha256: hex::encode(Sha256::digest(body)),
        from_security: security,
    }
}

fn mirrors(server: &Server) -> MirrorBases {
    MirrorBases {
        archive: format!("{}/debian", server.base),
        security: format!("{}/debian-security/", server.base),
    }
}

fn route(base: &str, item: &DebRef, answers: Vec<(u16, Vec<u8>)>) -> (String, Vec<(u16, Vec<u8>)>) {
    (format!("/{base}/{}", item.filename), answers)
}

fn cache_files(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for sub in ["debs/sha256", "debs/tmp"] {
        if let Ok(read) = std::fs::read_dir(dir.join(sub)) {
            for entry in read.flatten() {
                files.push(format!("{sub}/{}", entry.file_name().to_string_lossy()));
            }
        }
    }
    files.sort();
    files
}

#[tokio::test]
async fn downloads_verifies_and_then_serves_from_the_cache() {
    let a = item("alpha", b"alpha package bytes", false);
    let b = item("beta", b"beta package bytes from security", true);
    let server = serve(Routes::from([
        route("debian", &a, vec![(200, b"alpha package bytes".to_vec())]),
        route(
            "debian-security",
            &b,
            vec![(200, b"beta package bytes from security".to_vec())],
        ),
    ]));
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = DebCache::new(dir.path());
    let events = Mutex::new(Vec::new());
    let record = |e: FetchEvent| events.lock().expect("lock").push(e);

    let paths = cache
        .fetch_all(&mirrors(&server), &[a.clone(), b.clone()], 4, &record)
        .await
        .expect("fetch");
    assert_eq!(paths[0], cache.path_for(&a.sha256));
    assert_eq!(paths[1], cache.path_for(&b.sha256));
    assert_eq!(
        std::fs::read(&paths[1]).expect("read"),
        b"beta package bytes from security"
    );
    assert_eq!(server.requests.lock().expect("lock").len(), 2);
    let done = events
        .lock()
        .expect("lock")
        .iter()
        .filter(|e| matches!(e, FetchEvent::Done { .. }))
        .count();
    assert_eq!(done, 2);

    events.lock().expect("lock").clear();
    let again = cache
        .fetch_all(&mirrors(&server), &[a, b], 4, &record)
        .await
        .expect("cached");
    assert_eq!(again, paths);
    assert_eq!(
        server.requests.lock().expect("lock").len(),
        2,
        "no new request"
    );
    assert!(
        events
            .lock()
            .expect("lock")
            .iter()
            .all(|e| matches!(e, FetchEvent::Cached { .. }))
    );
    assert_eq!(
        cache_files(dir.path()).len(),
        2,
        "{:?}",
        cache_files(dir.path())
    );
}

#[tokio::test]
async fn a_tampered_deb_is_refused_and_nothing_is_cached() {
    let good = item("gamma", b"the real package", false);
    let server = serve(Routes::from([route(
        "debian",
        &good,
        vec![(200, b"the evil package".to_vec())],
    )]));
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = DebCache::new(dir.path());
    let err = cache
        .fetch_all(&mirrors(&server), std::slice::from_ref(&good), 4, &|_| {})
        .await
        .expect_err("tampered");
    assert!(matches!(err, FetchError::Mismatch { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with("the mirror served a different file for gamma 1.0-1: expected sha256 "),
        "{text}"
    );
    assert!(text.ends_with("nothing was cached"), "{text}");
    assert_eq!(cache_files(dir.path()), Vec::<String>::new());
    assert_eq!(server.requests.lock().expect("lock").len(), 1, "no retry");

    // A longer body is cut off and refused the same way.
    let short = item("delta", b"short", false);
    let server = serve(Routes::from([route(
        "debian",
        &short,
        vec![(200, b"short and then some".to_vec())],
    )]));
    let err = cache
        .fetch_all(&mirrors(&server), &[short], 4, &|_| {})
        .await
        .expect_err("too long");
    assert!(
        err.to_string()
            .contains("expected 5 bytes, got more than 5 bytes"),
        "{err}"
    );
    assert_eq!(cache_files(dir.path()), Vec::<String>::new());
}

#[tokio::test]
async fn a_missing_deb_names_the_fix() {
    let gone = item("epsilon", b"old version", false);
    let server = serve(Routes::new());
    let dir = tempfile::tempdir().expect("tempdir");
    let err = DebCache::new(dir.path())
        .fetch_all(&mirrors(&server), &[gone], 4, &|_| {})
        .await
        .expect_err("404");
    assert_eq!(
        err.to_string(),
        "the mirror no longer serves epsilon 1.0-1 (pool/main/epsilon/epsilon_1.0-1_amd64.deb); run `slipway stack update`"
    );
    assert_eq!(
        server.requests.lock().expect("lock").len(),
        1,
        "404 is not retried"
    );
}

#[tokio::test]
async fn transient_errors_are_retried_twice() {
    let flaky = item("zeta", b"zeta bytes", false);
    let server = serve(Routes::from([route(
        "debian",
        &flaky,
        vec![
            (503, Vec::new()),
            (502, Vec::new()),
            (200, b"zeta bytes".to_vec()),
        ],
    )]));
    let dir = tempfile::tempdir().expect("tempdir");
    let events = Mutex::new(Vec::new());
    let paths = DebCache::new(dir.path())
        .fetch_all(&mirrors(&server), &[flaky], 1, &|e| {
            events.lock().expect("lock").push(e);
        })
        .await
        .expect("third attempt succeeds");
    assert_eq!(paths.len(), 1);
    let retries = events
        .lock()
        .expect("lock")
        .iter()
        .filter(|e| matches!(e, FetchEvent::Retrying { .. }))
        .count();
    assert_eq!(retries, 2);

    let broken = item("eta", b"eta bytes", false);
    let server = serve(Routes::from([route(
        "debian",
        &broken,
        vec![(500, Vec::new())],
    )]));
    let err = DebCache::new(dir.path())
        .fetch_all(&mirrors(&server), &[broken], 1, &|_| {})
        .await
        .expect_err("always 500");
    assert!(
        matches!(err, FetchError::Status { status: 500, .. }),
        "{err:?}"
    );
    assert_eq!(server.requests.lock().expect("lock").len(), 3);
}

#[tokio::test]
async fn an_unreachable_mirror_is_named() {
    // A port that was just free: nothing listens on it.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let bases = MirrorBases {
        archive: format!("http://127.0.0.1:{port}/debian"),
        security: format!("http://127.0.0.1:{port}/debian-security"),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let err = DebCache::new(dir.path())
        .fetch_all(&bases, &[item("theta", b"x", false)], 4, &|_| {})
        .await
        .expect_err("unreachable");
    assert!(matches!(err, FetchError::Unreachable { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("could not download theta from http://127.0.0.1:")
    );
}

#[tokio::test]
async fn a_damaged_checksum_is_refused_before_any_download() {
    let mut bad = item("iota", b"x", false);
    bad.sha256 = "../../etc/passwd".to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let bases = MirrorBases {
        archive: "http://127.0.0.1:9/debian".to_string(),
        security: "http://127.0.0.1:9/debian-security".to_string(),
    };
    let err = DebCache::new(dir.path())
        .fetch_all(&bases, &[bad], 4, &|_| {})
        .await
        .expect_err("bad checksum");
    assert!(matches!(err, FetchError::BadChecksum { .. }), "{err:?}");
}
