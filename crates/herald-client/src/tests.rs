//! The client against hand-written HTTP servers: one URL or several, moving on from an instance
//! that cannot be reached.

use super::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

/// A workspace instance that answers every request with `status` and a health body.
fn instance(status: u16) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let mut reader = BufReader::new(stream);
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let answer = r#"{"status":"ok","version":"test"}"#;
            let mut stream = reader.into_inner();
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    url
}

/// A workspace instance that holds every request open as an event stream, and passes on
/// the request's head.
fn stream_instance() -> (String, std::sync::mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (heads, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let mut reader = BufReader::new(stream);
            let mut head = String::new();
            while reader.read_line(&mut head).unwrap_or(0) > 0 && !head.ends_with("\r\n\r\n") {}
            let _ = heads.send(head.to_ascii_lowercase());
            let mut stream = reader.into_inner();
            let _ = write!(stream, "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n");
            let _ = stream.flush();
            open.push(stream);
        }
    });
    (url, rx)
}

/// A URL where nothing listens.
fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

#[test]
fn parses_one_url_or_a_comma_list() {
    let one = Client::new("http://127.0.0.1:8780", None).unwrap();
    assert_eq!(one.urls(), vec![url("http://127.0.0.1:8780/")]);
    assert_eq!(one.base(), url("http://127.0.0.1:8780/"));

    let two = Client::new(" http://10.0.0.1:8780 ,http://10.0.0.2:8780/herald\t", Some("t")).unwrap();
    assert_eq!(two.urls(), vec![url("http://10.0.0.1:8780/"), url("http://10.0.0.2:8780/herald/")]);
    assert_eq!(two.base(), url("http://10.0.0.1:8780/"));
}

#[test]
fn rejects_an_empty_list_or_a_bad_entry() {
    for bad in ["", " ", "http://10.0.0.1:8780,", "http://10.0.0.1:8780, ,http://10.0.0.2:8780", "http://10.0.0.1:8780, not a url"] {
        assert!(matches!(Client::new(bad, None), Err(ClientError::Url(_))), "{bad:?}");
    }
}

#[test]
fn clones_share_the_instance_in_use() {
    let a = Client::new("http://10.0.0.1:8780,http://10.0.0.2:8780,http://10.0.0.3:8780", None).unwrap();
    let b = a.with_token("t");
    a.rotate_from(0);
    assert_eq!(b.base(), url("http://10.0.0.2:8780/"));
    // Another request moved on already: no second move.
    b.rotate_from(0);
    assert_eq!(a.base(), url("http://10.0.0.2:8780/"));
    a.rotate_from(1);
    a.rotate_from(2);
    assert_eq!(b.base(), url("http://10.0.0.1:8780/"));
}

#[tokio::test]
async fn moves_past_an_instance_that_cannot_be_reached() {
    let live = instance(200);
    let client = Client::new(&format!("{}, {live}", closed_port()), None).unwrap();
    let other = client.with_token("t");
    let health = client.health().await.unwrap();
    assert_eq!(health.status, "ok");
    assert_eq!(client.base(), url(&format!("{live}/")));
    assert_eq!(other.base(), url(&format!("{live}/")));

    // A command that never left is sent to the next instance too.
    let client = Client::new(&format!("{}, {live}", closed_port()), None).unwrap();
    let (status, _) = client.raw(reqwest::Method::POST, "/v1/x", Some("{}")).await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(client.base(), url(&format!("{live}/")));
}

#[tokio::test]
async fn a_subscription_moves_to_the_next_instance_and_resumes_there() {
    let (live, heads) = stream_instance();
    let client = Client::new(&format!("{}, {live}", closed_port()), Some("t")).unwrap();
    let opts = SubscribeOptions { initial_backoff: Duration::from_millis(1), ..SubscribeOptions::default() };
    let mut sub = client.subscribe(7, opts);
    sub.wait_for_transport(Transport::Streaming).await;
    assert_eq!(client.base(), url(&format!("{live}/")));
    let head = heads.recv().unwrap();
    assert!(head.starts_with("get /v1/events "), "{head}");
    assert!(head.contains("last-event-id: 7\r\n"), "{head}");
}

#[tokio::test]
async fn only_a_get_moves_past_an_unavailable_answer() {
    let unavailable = instance(503);
    let live = instance(200);
    let client = Client::new(&format!("{unavailable},{live}"), None).unwrap();
    let (status, _) = client.raw(reqwest::Method::POST, "/v1/x", Some("{}")).await.unwrap();
    assert_eq!(status, 503, "a command the instance may have applied is not sent again");
    assert_eq!(client.base(), url(&format!("{unavailable}/")));
    assert_eq!(client.health().await.unwrap().status, "ok");
    assert_eq!(client.base(), url(&format!("{live}/")));

    // Every instance tried: the answer is returned.
    let client = Client::new(&format!("{},{unavailable}", closed_port()), None).unwrap();
    assert_eq!(client.health().await.unwrap_err().status(), Some(503));
}
