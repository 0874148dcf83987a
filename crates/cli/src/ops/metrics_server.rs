//! A minimal HTTP/1.1 server that serves `GET /metrics` in the Prometheus text format.
//!
//! One accept thread; each connection is served on a short-lived thread, at most
//! [`MAX_CONNECTIONS`] at a time (more are closed at once). A request head larger than
//! [`MAX_REQUEST_BYTES`] is rejected, and a connection whose whole request head has not
//! arrived within [`IO_TIMEOUT`] is closed, however slowly its bytes trickle in. Every
//! response closes the connection.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tracing::{debug, info, warn};

use super::metrics::Registry;
use crate::exit::usage_error;

/// Connections served at the same time.
pub const MAX_CONNECTIONS: usize = 4;
/// The largest request head accepted, in bytes.
pub const MAX_REQUEST_BYTES: usize = 8192;
/// Time allowed for a whole request head to arrive, and for each write of the response.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// A bound listener, not yet serving.
#[derive(Debug)]
pub struct MetricsServer {
    listener: TcpListener,
}

impl MetricsServer {
    /// Binds `address`. A non-loopback address is a usage error unless `allow_remote` is set.
    pub fn bind(address: SocketAddr, allow_remote: bool) -> anyhow::Result<MetricsServer> {
        if !address.ip().is_loopback() && !allow_remote {
            return Err(usage_error(anyhow::anyhow!(
                "--metrics-listen {address} is not a loopback address; add \
                 --metrics-allow-remote to serve metrics beyond this host"
            )));
        }
        let listener = TcpListener::bind(address)
            .with_context(|| format!("failed to listen for metrics on {address}"))?;
        Ok(MetricsServer { listener })
    }

    /// Returns the address actually bound (port 0 picks a free port).
    pub fn local_address(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Starts the accept thread. It runs until the process exits.
    pub fn spawn(self, registry: Arc<Registry>) -> anyhow::Result<()> {
        let address = self.local_address()?;
        std::thread::Builder::new()
            .name("metrics".to_owned())
            .spawn(move || accept_loop(self.listener, registry))
            .context("failed to start the metrics thread")?;
        info!(%address, "metrics endpoint listening");
        Ok(())
    }
}

fn accept_loop(listener: TcpListener, registry: Arc<Registry>) {
    let active = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(stream) => stream,
            Err(error) => {
                warn!(%error, "failed to accept a metrics connection");
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        if active.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
            active.fetch_sub(1, Ordering::AcqRel);
            debug!("metrics connection closed: too many open connections");
            continue;
        }
        let registry = Arc::clone(&registry);
        let done = Arc::clone(&active);
        let spawned = std::thread::Builder::new()
            .name("metrics-conn".to_owned())
            .spawn(move || {
                if let Err(error) = serve(stream, &registry) {
                    debug!(%error, "metrics connection failed");
                }
                done.fetch_sub(1, Ordering::AcqRel);
            });
        if let Err(error) = spawned {
            active.fetch_sub(1, Ordering::AcqRel);
            warn!(%error, "failed to start a metrics connection thread");
        }
    }
}

fn serve(mut stream: TcpStream, registry: &Registry) -> std::io::Result<()> {
    let deadline = Instant::now() + IO_TIMEOUT;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let response = match read_head(&mut stream, deadline)? {
        Some(head) => respond(&head, registry),
        None => plain(
            431,
            "Request Header Fields Too Large",
            "request too large\n",
        ),
    };
    stream.write_all(response.as_bytes())?;
    stream.flush()
}

/// Reads up to the blank line that ends the request head. Returns `None` when the head is
/// larger than [`MAX_REQUEST_BYTES`], and a `TimedOut` error when it has not ended by
/// `deadline`.
fn read_head(stream: &mut TcpStream, deadline: Instant) -> std::io::Result<Option<String>> {
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    loop {
        if let Some(end) = head_end(&head) {
            if end > MAX_REQUEST_BYTES {
                return Ok(None);
            }
            return Ok(Some(String::from_utf8_lossy(&head[..end]).into_owned()));
        }
        if head.len() > MAX_REQUEST_BYTES {
            return Ok(None);
        }
        // A timeout per read would let a client that sends one byte every few seconds hold
        // a connection slot for hours, so each read gets only the time left.
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(head_timed_out());
        }
        stream.set_read_timeout(Some(left))?;
        let read = match stream.read(&mut chunk) {
            Ok(read) => read,
            // Linux reports an expired read timeout as EAGAIN, which is `WouldBlock`.
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(head_timed_out());
            }
            Err(error) => return Err(error),
        };
        if read == 0 {
            return Ok(Some(String::from_utf8_lossy(&head).into_owned()));
        }
        head.extend_from_slice(&chunk[..read]);
    }
}

fn head_timed_out() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!("request head not complete within {IO_TIMEOUT:?}"),
    )
}

/// Returns the length of the request head in `bytes` up to and including the blank line that
/// ends it (CRLF CRLF, or LF LF from lenient clients), if that line has arrived.
fn head_end(bytes: &[u8]) -> Option<usize> {
    let crlf = bytes
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .map(|start| start + 4);
    let lf = bytes
        .windows(2)
        .position(|window| window == b"\n\n")
        .map(|start| start + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Builds the response to a request head. HEAD gets the headers GET would get, without the
/// body, as HTTP requires of every server that supports GET.
fn respond(head: &str, registry: &Registry) -> String {
    let mut request_line = head.lines().next().unwrap_or("").split_whitespace();
    let method = request_line.next().unwrap_or("");
    let target = request_line.next().unwrap_or("");
    let path = target.split('?').next().unwrap_or("");
    let response = match (method, path) {
        ("GET" | "HEAD", "/metrics") => {
            let body = registry.snapshot().to_prometheus();
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
        }
        ("GET" | "HEAD", _) => plain(404, "Not Found", "only /metrics is served\n"),
        _ => plain(
            405,
            "Method Not Allowed",
            "only GET and HEAD are supported\n",
        ),
    };
    if method != "HEAD" {
        return response;
    }
    match response.find("\r\n\r\n") {
        Some(end) => response[..end + 4].to_owned(),
        None => response,
    }
}

fn plain(code: u16, reason: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::metrics::SensorCounters;

    fn get(address: SocketAddr, request: &str) -> String {
        let mut stream = TcpStream::connect(address).expect("connect");
        stream.write_all(request.as_bytes()).expect("send");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        response
    }

    #[test]
    fn server_answers_metrics_and_errors() {
        let registry = Registry::shared();
        registry.publish_sensor(SensorCounters {
            packets: 42,
            ..SensorCounters::default()
        });
        let server = MetricsServer::bind("127.0.0.1:0".parse().expect("address"), false)
            .expect("bind loopback");
        let address = server.local_address().expect("local address");
        server.spawn(registry).expect("spawn");

        let metrics = get(address, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(metrics.starts_with("HTTP/1.1 200 OK\r\n"), "{metrics}");
        assert!(
            metrics.contains("\r\n\r\n# HELP dnstel_packets_total"),
            "{metrics}"
        );
        assert!(metrics.contains("\ndnstel_packets_total 42\n"), "{metrics}");

        let missing = get(address, "GET /other HTTP/1.1\r\n\r\n");
        assert!(missing.starts_with("HTTP/1.1 404 "), "{missing}");
        let post = get(address, "POST /metrics HTTP/1.1\r\n\r\n");
        assert!(post.starts_with("HTTP/1.1 405 "), "{post}");
        let head = get(address, "HEAD /metrics HTTP/1.1\r\n\r\n");
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert!(head.contains("Content-Length: "), "{head}");
        assert!(head.ends_with("\r\n\r\n"), "no body: {head}");
        // Larger than the limit, and small enough that the server reads all of it before it
        // responds, so closing the connection does not reset it.
        let huge = format!(
            "GET /metrics HTTP/1.1\r\nX: {}",
            "a".repeat(MAX_REQUEST_BYTES + 100)
        );
        let mut stream = TcpStream::connect(address).expect("connect");
        stream.write_all(huge.as_bytes()).expect("send");
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        assert!(response.starts_with("HTTP/1.1 431 "), "{response}");
    }

    /// A GET request head of exactly `length` bytes, terminator included.
    fn head_of_length(length: usize) -> String {
        let start = "GET /metrics HTTP/1.1\r\nX: ";
        let end = "\r\n\r\n";
        format!(
            "{start}{}{end}",
            "a".repeat(length - start.len() - end.len())
        )
    }

    #[test]
    fn head_size_limit_exact() {
        let server = MetricsServer::bind("127.0.0.1:0".parse().expect("address"), false)
            .expect("bind loopback");
        let address = server.local_address().expect("local address");
        server.spawn(Registry::shared()).expect("spawn");

        let at_limit = get(address, &head_of_length(MAX_REQUEST_BYTES));
        assert!(at_limit.starts_with("HTTP/1.1 200 "), "{at_limit}");
        let over_limit = get(address, &head_of_length(MAX_REQUEST_BYTES + 1));
        assert!(over_limit.starts_with("HTTP/1.1 431 "), "{over_limit}");
    }

    #[test]
    fn trickling_head_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let address = listener.local_addr().expect("local address");
        let client = std::thread::spawn(move || {
            let mut stream = TcpStream::connect(address).expect("connect");
            // One byte every 10 ms never leaves a single read waiting long.
            while stream.write_all(b"G").is_ok() {
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        let (mut server_side, _) = listener.accept().expect("accept");
        let deadline = Instant::now() + Duration::from_millis(200);
        let error = read_head(&mut server_side, deadline).expect_err("deadline reached");
        assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
        drop(server_side);
        client.join().expect("client thread");
    }

    #[test]
    fn remote_address_needs_opt_in() {
        let error = MetricsServer::bind("0.0.0.0:0".parse().expect("address"), false)
            .expect_err("non-loopback rejected");
        assert!(
            error.to_string().contains("--metrics-allow-remote"),
            "{error}"
        );
    }
}
