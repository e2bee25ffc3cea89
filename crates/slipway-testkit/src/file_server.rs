//! A static file server on 127.0.0.1 for tests that need a mirror they control: it serves the
//! files under a directory (possibly modified copies of real ones) and counts the requests per
//! path, so a test can assert what was fetched and what came from a cache.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;

/// Serves `root` over HTTP/1.1 (GET and HEAD, `Connection: close`) until dropped with the test.
pub struct FileServer {
    port: u16,
    hits: Arc<Mutex<BTreeMap<String, usize>>>,
}

impl FileServer {
    /// Starts serving `root` on a free 127.0.0.1 port, one thread per connection.
    ///
    /// # Panics
    ///
    /// When 127.0.0.1 cannot be bound.
    #[must_use]
    pub fn start(root: &Path) -> FileServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("binding the file server: {e}"));
        let port = listener
            .local_addr()
            .map_or_else(|e| panic!("file server address: {e}"), |a| a.port());
        let hits = Arc::new(Mutex::new(BTreeMap::new()));
        let counter = Arc::clone(&hits);
        let root = root.to_path_buf();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (root, counter) = (root.clone(), Arc::clone(&counter));
                thread::spawn(move || serve(stream, &root, &counter));
            }
        });
        FileServer { port, hits }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// How many requests asked for `path` (e.g. `/debian/dists/trixie/InRelease`).
    ///
    /// # Panics
    ///
    /// When a serving thread panicked while counting.
    #[must_use]
    pub fn hits(&self, path: &str) -> usize {
        self.hits
            .lock()
            .expect("hit counter")
            .get(path)
            .copied()
            .unwrap_or_default()
    }
}

fn serve(mut stream: TcpStream, root: &Path, counter: &Mutex<BTreeMap<String, usize>>) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
        line.clear();
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("GET").to_string();
    let path = parts.next().unwrap_or("/").to_string();
    if let Ok(mut hits) = counter.lock() {
        *hits.entry(path.clone()).or_default() += 1;
    }
    let file: PathBuf = root.join(path.trim_start_matches('/'));
    let response = match std::fs::read(&file) {
        Ok(body) if file.is_file() => {
            let mut response = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .into_bytes();
            if method != "HEAD" {
                response.extend_from_slice(&body);
            }
            response
        }
        _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
    };
    let _ = stream.write_all(&response);
}
