//! The tokio runtime parts (feature `tokio`, on by default): TCP via
//! tokio, TLS via rustls (ring provider, webpki-roots trust anchors),
//! tokio's timer and `tokio::spawn`.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio_rustls::TlsConnector;

use crate::client::Client;
use crate::rt::{Bind, BoxFuture, BoxIo, Connector, Executor, Listener, Target, Timer};
use oidc_host::{Config, Error};

/// Opens TCP connections with tokio and wraps `https` targets in rustls.
#[derive(Clone)]
pub struct TokioConnector {
    tls: TlsConnector,
}

impl std::fmt::Debug for TokioConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokioConnector").finish_non_exhaustive()
    }
}

impl TokioConnector {
    /// A connector trusting the Mozilla roots of `webpki-roots`, TLS 1.2 and
    /// 1.3, with rustls' ring provider.
    ///
    /// # Errors
    ///
    /// [`Error::Local`] if rustls rejects the configuration.
    pub fn new() -> Result<TokioConnector, Error> {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Local {
            context: "cannot configure TLS",
            source: io::Error::other(e),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
        Ok(TokioConnector::with_tls_config(Arc::new(config)))
    }

    /// A connector with the caller's rustls configuration (own trust
    /// anchors, client certificates, ...).
    pub fn with_tls_config(config: Arc<rustls::ClientConfig>) -> TokioConnector {
        TokioConnector {
            tls: TlsConnector::from(config),
        }
    }
}

impl Connector for TokioConnector {
    fn connect<'a>(&'a self, target: &'a Target) -> BoxFuture<'a, io::Result<BoxIo>> {
        Box::pin(async move {
            let tcp = tokio::net::TcpStream::connect((target.host.as_str(), target.port)).await?;
            tcp.set_nodelay(true)?;
            if !target.tls {
                return Ok(Box::new(TokioIo::new(tcp)) as BoxIo);
            }
            let name = ServerName::try_from(target.host.clone()).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("`{}` is not a valid TLS server name: {e}", target.host),
                )
            })?;
            let tls = self.tls.connect(name, tcp).await?;
            Ok(Box::new(TokioIo::new(tls)) as BoxIo)
        })
    }
}

/// tokio's timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioTimer;

impl Timer for TokioTimer {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// `tokio::spawn` (the client must be used inside a tokio runtime).
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioExecutor;

impl Executor for TokioExecutor {
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        drop(tokio::spawn(task));
    }

    fn spawn_blocking(&self, work: Box<dyn FnOnce() + Send + 'static>) {
        drop(tokio::task::spawn_blocking(work));
    }
}

/// Binds [`TokioListener`]s.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioBind;

impl Bind for TokioBind {
    fn bind_loopback(&self) -> BoxFuture<'_, io::Result<Box<dyn Listener>>> {
        Box::pin(async {
            let listener = TokioListener::bind_loopback().await?;
            Ok(Box::new(listener) as Box<dyn Listener>)
        })
    }
}

/// A tokio TCP listener on `127.0.0.1`, for the PKCE redirect.
#[derive(Debug)]
pub struct TokioListener {
    listener: tokio::net::TcpListener,
    port: u16,
}

impl TokioListener {
    /// Binds `127.0.0.1:0` (an ephemeral port).
    ///
    /// # Errors
    ///
    /// The bind error.
    pub async fn bind_loopback() -> io::Result<TokioListener> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        Ok(TokioListener { listener, port })
    }
}

impl Listener for TokioListener {
    fn port(&self) -> u16 {
        self.port
    }

    fn accept(&mut self) -> BoxFuture<'_, io::Result<BoxIo>> {
        Box::pin(async move {
            let (stream, _) = self.listener.accept().await?;
            Ok(Box::new(TokioIo::new(stream)) as BoxIo)
        })
    }
}

impl Client {
    /// A client on tokio: [`TokioConnector`] (rustls with webpki roots),
    /// [`TokioTimer`], [`TokioExecutor`] and [`TokioBind`]. Call it
    /// anywhere; use the client inside a tokio runtime.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), oidc_hyper::Error> {
    /// let client = oidc_hyper::Client::tokio(oidc_hyper::Config::for_region("us-east-1"))?;
    /// # let _ = client;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Client::new`], and [`Error::Local`] for TLS set-up.
    pub fn tokio(config: Config) -> Result<Client, Error> {
        Ok(
            Client::new(config, TokioConnector::new()?, TokioTimer, TokioExecutor)?
                .with_loopback(TokioBind),
        )
    }
}
