//! The testkit's own end-to-end check: a real `docker-registry` starts, answers, and is gone
//! after drop.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use slipway_testkit::{Registry, http_get, process_exists, require_tools};

#[test]
#[ignore = "end-to-end: needs docker-registry"]
fn registry_answers_v2_and_stops_on_drop() {
    require_tools();
    let registry = Registry::start();
    let host = registry.host();
    let pid = registry.pid();
    assert!(host.starts_with("127.0.0.1:"), "{host}");

    let (status, body) = http_get(&format!("http://{host}/v2/")).expect("GET /v2/");
    assert_eq!((status, body.as_str()), (200, "{}"));
    assert_eq!(registry.manifest_digest("nothing/here", "latest"), None);
    assert_eq!(registry.uploaded_blob_count(), 0);
    assert!(
        registry.log().contains("\"GET /v2/ HTTP/1.1\" 200"),
        "{}",
        registry.log()
    );

    drop(registry);
    assert!(
        !process_exists(pid),
        "registry process {pid} still exists after drop"
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(&host).is_ok() {
        assert!(
            Instant::now() < deadline,
            "{host} still accepts connections after drop"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
