//! The HTTP/1 server: accepts connections and serves the router on each, within
//! [`Limits`](crate::edge::limits::Limits):
//!
//! - at most `max_connections` at once. The loop takes a slot before it accepts, so further
//!   connections wait in the kernel's listen backlog (not refused) and are served as slots free
//!   up; when the backlog is full the kernel drops new SYNs and clients retry.
//! - the request line and headers within `header_timeout` (hyper's HTTP/1 header-read timer). It
//!   runs from when the connection is ready for a request, so it also closes a kept-alive
//!   connection that sits idle between requests. It does not run while a response is streaming.
//! - no byte in either direction for `idle_timeout` closes the connection, mid-request too. Event
//!   streams send a keep-alive every 15 s and long polls answer within 30 s, so neither is cut.
//!
//! `axum::serve` can set none of these (hyper's header timer needs a timer, and axum's builder is
//! not reachable), so this is a small accept loop over hyper, like axum's own. Each request
//! carries [`ConnectInfo<SocketAddr>`] (the TCP peer), as `into_make_service_with_connect_info`
//! would give it.
//!
//! Stopping: when `stop` turns `true` (or its sender is gone) the loop stops accepting and every
//! connection shuts down gracefully: idle ones close at once, a request in flight finishes (event
//! streams and long polls end themselves on the same signal). [`serve`] returns when the last
//! connection has closed.

use crate::edge::limits::Limits;
use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt as _;

/// Serves `app` on `listener` until `stop` turns `true`; see the module docs.
pub async fn serve(listener: TcpListener, app: Router, limits: Limits, mut stop: watch::Receiver<bool>) -> io::Result<()> {
    if !limits.idle_timeout.is_zero() && limits.idle_timeout <= Duration::from_secs(30) {
        tracing::warn!(
            idle_timeout = ?limits.idle_timeout,
            "the idle timeout is not longer than a long poll (30 s): waiting web chat customers will be cut off"
        );
    }
    let max = limits.max_connections.max(1);
    let slots = Arc::new(Semaphore::new(max as usize));
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            _ = stop.wait_for(|s| *s) => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|s| *s) => break,
        };
        let (stream, peer) = match accepted {
            Ok(c) => c,
            Err(e) => {
                accept_failed(e, &mut stop).await;
                continue;
            }
        };
        // Each event and answer goes out when written: Nagle's algorithm would hold a small
        // write (an offer on a stream) until the peer acknowledged the last one.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, %peer, "could not turn Nagle's algorithm off");
        }
        tokio::spawn(connection(stream, peer, app.clone(), limits.clone(), stop.clone(), slot));
    }
    drop(listener);
    // Every open connection holds a slot: all slots back means all connections closed.
    let _all = slots.acquire_many(max).await;
    Ok(())
}

/// A failed accept: the client gave up (skip it), or the process is out of something (file
/// descriptors, most likely): say so and wait a second rather than spin.
async fn accept_failed(e: io::Error, stop: &mut watch::Receiver<bool>) {
    if matches!(e.kind(), io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionRefused) {
        return;
    }
    tracing::error!(error = %e, "cannot accept connections (out of file descriptors? raise `ulimit -n`); retrying in 1 s");
    tokio::select! {
        () = tokio::time::sleep(Duration::from_secs(1)) => {}
        _ = stop.wait_for(|s| *s) => {}
    }
}

/// Serves one connection until it ends, is idle too long, or the server stops. `_slot` is given
/// back when this returns.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let activity = Activity::new();
    let io = TokioIo::new(Watched { inner: stream, activity: activity.clone() });
    let service = TowerToHyperService::new(app.map_request(move |mut req: Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        req
    }));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new());
    if !limits.header_timeout.is_zero() {
        builder.header_read_timeout(limits.header_timeout);
    }
    let mut conn = pin!(builder.serve_connection(io, service));
    let idle = (!limits.idle_timeout.is_zero()).then_some(limits.idle_timeout);
    let check = tokio::time::sleep(idle.unwrap_or(Duration::MAX / 4));
    let mut check = pin!(check);
    let mut stopping = false;
    loop {
        tokio::select! {
            ended = conn.as_mut() => {
                if let Err(e) = ended {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                return;
            }
            _ = stop.wait_for(|s| *s), if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
            () = check.as_mut(), if idle.is_some() => {
                let (idle, quiet) = (idle.unwrap_or_default(), activity.quiet_for());
                if quiet >= idle {
                    tracing::debug!(%peer, ?idle, "closing a connection on which nothing moved");
                    return;
                }
                check.as_mut().reset(Instant::now() + (idle - quiet));
            }
        }
    }
}

/// When a connection last moved a byte.
#[derive(Clone, Debug)]
struct Activity {
    since: Instant,
    last_ms: Arc<AtomicU64>,
}

impl Activity {
    fn new() -> Self {
        Self { since: Instant::now(), last_ms: Arc::new(AtomicU64::new(0)) }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.since.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn quiet_for(&self) -> Duration {
        self.since.elapsed().saturating_sub(Duration::from_millis(self.last_ms.load(Ordering::Relaxed)))
    }
}

/// The TCP stream, noting every read and write that moved bytes.
#[derive(Debug)]
struct Watched {
    inner: TcpStream,
    activity: Activity,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
