use super::*;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::sync::mpsc;

/// Serve the canned `responses` one per connection on 127.0.0.1, sending each request's head
/// (request line and headers) back through the returned channel.
fn serve(responses: Vec<&'static str>) -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for response in responses {
            let (mut stream, _) = listener.accept().expect("accept");
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut head = String::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).expect("read");
                if line == "\r\n" || line.is_empty() {
                    break;
                }
                head.push_str(&line);
            }
            tx.send(head).expect("send");
            stream.write_all(response.as_bytes()).expect("write");
        }
    });
    (url, rx)
}

#[test]
fn get_reads_status_and_body_and_sends_connection_close() {
    let (url, requests) = serve(vec![
        "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\nHello from slipway!\n",
    ]);
    let got = http_get(&format!("{url}/hello?x=1"));
    assert_eq!(got, Ok((200, "Hello from slipway!\n".to_owned())));
    let head = requests.recv().expect("request");
    assert!(head.starts_with("GET /hello?x=1 HTTP/1.1\r\n"), "{head}");
    assert!(head.contains("Connection: close\r\n"), "{head}");
    assert!(
        head.contains(&format!("Host: {}\r\n", &url["http://".len()..])),
        "{head}"
    );
}

#[test]
fn a_url_without_a_path_requests_the_root() {
    let (url, requests) = serve(vec!["HTTP/1.1 404 Not Found\r\n\r\n"]);
    assert_eq!(http_get(&url), Ok((404, String::new())));
    assert!(
        requests
            .recv()
            .expect("request")
            .starts_with("GET / HTTP/1.1\r\n")
    );
}

#[test]
fn chunked_bodies_are_decoded() {
    let (url, _requests) = serve(vec![
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6;ext=1\r\nHello \r\ne\r\nfrom slipway!\n\r\n0\r\n\r\n",
    ]);
    assert_eq!(
        http_get(&url),
        Ok((200, "Hello from slipway!\n".to_owned()))
    );
}

#[test]
fn head_requests_send_headers_and_read_response_headers_case_insensitively() {
    let (url, requests) = serve(vec![
        "HTTP/1.1 200 OK\r\nDocker-Content-Digest: sha256:abc\r\nContent-Length: 5\r\n\r\n",
    ]);
    let response =
        http_request("HEAD", &format!("{url}/v2/"), &[("Accept", "a/b")]).expect("response");
    assert_eq!(response.status, 200);
    assert_eq!(response.header("docker-content-digest"), Some("sha256:abc"));
    assert_eq!(response.body, "");
    assert!(
        requests
            .recv()
            .expect("request")
            .contains("Accept: a/b\r\n")
    );
}

#[test]
fn errors_name_what_failed() {
    let err = http_get("https://127.0.0.1/").expect_err("https is refused");
    assert!(err.contains("not an http:// URL"), "{err}");
    let port = crate::free_port();
    let err = http_get(&format!("http://127.0.0.1:{port}/")).expect_err("nothing listens");
    assert!(
        err.contains(&format!("connecting to http://127.0.0.1:{port}/")),
        "{err}"
    );
}

#[test]
fn wait_for_http_retries_until_200() {
    let (url, _requests) = serve(vec![
        "HTTP/1.1 503 Service Unavailable\r\n\r\nstarting",
        "HTTP/1.1 200 OK\r\n\r\nready",
    ]);
    assert_eq!(
        wait_for_http(&url, Duration::from_secs(10)),
        (200, "ready".to_owned())
    );
}

#[test]
#[should_panic(expected = "did not answer 200 within")]
fn wait_for_http_panics_with_the_last_error() {
    let port = crate::free_port();
    let _ = wait_for_http(
        &format!("http://127.0.0.1:{port}/"),
        Duration::from_millis(300),
    );
}

#[test]
fn unix_request_talks_over_a_socket() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("api.sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).expect("bind");
    thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        let mut buf = [0u8; 1024];
        let n = stream.read(&mut buf).expect("read");
        assert!(buf[..n].starts_with(b"GET /_ping HTTP/1.1\r\n"));
        stream
            .write_all(b"HTTP/1.1 200 OK\r\n\r\nOK")
            .expect("write");
    });
    let response = unix_request(&socket, "GET", "/_ping").expect("response");
    assert_eq!((response.status, response.body.as_str()), (200, "OK"));
}
