//! oidc-hyper on [smol]: the runtime parts a caller brings when it does not
//! use tokio, and the proof (in `tests/`) that the full device flow (and
//! PKCE) runs on smol's executor with no tokio runtime, reactor or timer in
//! this package's dependency tree.
//!
//! One caveat that no hyper 1.x user can avoid: hyper itself depends on
//! `tokio` unconditionally, with only the `sync` feature (the channels
//! between `SendRequest` and the connection task). That feature is plain
//! data structures: no runtime, no I/O driver, no timer, no `mio`. Check it
//! with `cargo tree -p oidc-hyper-smol-test -e normal,dev,features -i tokio`:
//! the only tokio features listed are `sync` (and tokio's empty `default`).
//!
//! * [`SmolConnector`], TCP via `smol::net`, adapted to hyper's I/O traits
//!   with `smol-hyper`'s `FuturesIo`. Plain TCP only: an `https` target is
//!   refused (a real application would wrap the stream with a
//!   futures-io TLS crate such as `futures-rustls`).
//! * [`SmolTimer`], on `smol::Timer`.
//! * [`SmolExecutor`], on `smol::spawn` (the global executor).
//! * [`SmolListener`], a loopback listener for the PKCE redirect.
//!
//! ```no_run
//! use oidc_hyper::{Client, Config};
//! use oidc_hyper_smol_test::{SmolConnector, SmolExecutor, SmolTimer};
//!
//! smol::block_on(async {
//!     let config = Config::for_region("us-east-1").with_endpoint_url("http://127.0.0.1:8080");
//!     let client = Client::new(config, SmolConnector, SmolTimer, SmolExecutor)?;
//!     let registration = client
//!         .call(&oidc_hyper::oidc_core::sso_oidc::register_client::RegisterClientInput::new("tool"))
//!         .await?;
//!     # let _ = registration;
//!     Ok::<(), oidc_hyper::Error>(())
//! })
//! .unwrap();
//! ```
#![forbid(unsafe_code)]

use std::io;
use std::time::Duration;

use oidc_hyper::rt::{Bind, BoxFuture, BoxIo, Connector, Executor, Listener, Target, Timer};
use smol_hyper::rt::FuturesIo;

/// Opens plain TCP connections with `smol::net`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SmolConnector;

impl Connector for SmolConnector {
    fn connect<'a>(&'a self, target: &'a Target) -> BoxFuture<'a, io::Result<BoxIo>> {
        Box::pin(async move {
            if target.tls {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    format!("SmolConnector speaks plain TCP only; cannot open TLS to {target}"),
                ));
            }
            let stream = smol::net::TcpStream::connect((target.host.as_str(), target.port)).await?;
            stream.set_nodelay(true)?;
            Ok(Box::new(FuturesIo::new(stream)) as BoxIo)
        })
    }
}

/// `smol::Timer`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SmolTimer;

impl Timer for SmolTimer {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            smol::Timer::after(duration).await;
        })
    }
}

/// `smol::spawn` on the global executor.
#[derive(Debug, Clone, Copy, Default)]
pub struct SmolExecutor;

impl Executor for SmolExecutor {
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        smol::spawn(task).detach();
    }

    fn spawn_blocking(&self, work: Box<dyn FnOnce() + Send + 'static>) {
        smol::spawn(smol::unblock(work)).detach();
    }
}

/// Binds [`SmolListener`]s for authorization-code sign-ins.
#[derive(Debug, Clone, Copy, Default)]
pub struct SmolBind;

impl Bind for SmolBind {
    fn bind_loopback(&self) -> BoxFuture<'_, io::Result<Box<dyn Listener>>> {
        Box::pin(async {
            let listener = SmolListener::bind_loopback().await?;
            Ok(Box::new(listener) as Box<dyn Listener>)
        })
    }
}

/// A `smol::net` listener on `127.0.0.1`, for the PKCE redirect.
#[derive(Debug)]
pub struct SmolListener {
    listener: smol::net::TcpListener,
    port: u16,
}

impl SmolListener {
    /// Binds `127.0.0.1:0` (an ephemeral port).
    ///
    /// # Errors
    ///
    /// The bind error.
    pub async fn bind_loopback() -> io::Result<SmolListener> {
        let listener = smol::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        Ok(SmolListener { listener, port })
    }
}

impl Listener for SmolListener {
    fn port(&self) -> u16 {
        self.port
    }

    fn accept(&mut self) -> BoxFuture<'_, io::Result<BoxIo>> {
        Box::pin(async move {
            let (stream, _) = self.listener.accept().await?;
            Ok(Box::new(FuturesIo::new(stream)) as BoxIo)
        })
    }
}
