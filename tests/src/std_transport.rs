//! A third transport, as small as one can be: blocking HTTP/1.1 over
//! `std::net` for loopback endpoints (no TLS: an `https` endpoint fails as a
//! TLS failure), one kept-alive connection, `httparse` for the response
//! head. It drives every [`Flow`] (a call, a device flow, a session's
//! token, credentials) with the one drive loop, and passes the conformance
//! table beside `oidc-ureq` and `oidc-hyper`.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Mutex, PoisonError};
use std::time::{Instant, SystemTime};

use oidc_core::step::Step;
use oidc_core::{http, TimeoutPhase, TransportErrorKind as Kind};
use oidc_host::adapter::{loopback, ClientState, Failure, IoStage, RunOptions};
use oidc_host::{Config, Error, Event, Flow, Local, SignInPrompt};

/// A client: the shared client state and one idle connection.
#[derive(Debug)]
pub struct StdClient {
    state: ClientState,
    idle: Mutex<Option<(String, BufReader<TcpStream>)>>,
}

impl StdClient {
    /// A client for `config`.
    pub fn new(config: Config) -> Result<StdClient, Error> {
        let state = ClientState::new(config, "std-net", env!("CARGO_PKG_VERSION"))?;
        Ok(StdClient {
            state,
            idle: Mutex::new(None),
        })
    }

    /// What the client holds: it builds every flow.
    pub fn state(&self) -> &ClientState {
        &self.state
    }

    /// The drive loop.
    pub fn run<F: Flow>(
        &self,
        mut flow: F,
        mut prompt: impl FnMut(&SignInPrompt),
        options: &RunOptions,
    ) -> Result<F::Output, Error> {
        let mut listener = None;
        loop {
            options.check(Instant::now())?;
            let event = match flow.poll(Instant::now(), SystemTime::now()) {
                Step::Send(request) => match self.send(&request, options.send_deadline(&request)) {
                    Ok(response) => {
                        self.state
                            .deliver(&mut flow, Instant::now(), Event::Response(&response));
                        continue;
                    }
                    Err(failure) => Event::Failed(failure.into_error(&request)),
                },
                Step::WaitUntil(at) => {
                    options.cancel().wait_until(options.wait_target(at));
                    continue;
                }
                Step::Local(Local::Blocking(job)) => Event::Job(job.run()),
                Step::Local(Local::Prompt(p)) => {
                    prompt(&p);
                    continue;
                }
                Step::Local(Local::Listen) => match loopback::bind() {
                    Ok((l, port)) => {
                        listener = Some(l);
                        Event::Listening(port)
                    }
                    Err(e) => Event::ListenerFailed(e),
                },
                Step::Local(Local::AwaitRedirect { deadline, state }) => match listener.take() {
                    Some(l) => loopback::serve(&l, &state, deadline, options)?,
                    None => Event::ListenerFailed(io::Error::other("no listener is bound")),
                },
                Step::Done(result) => return result,
            };
            self.state.deliver(&mut flow, Instant::now(), event);
        }
    }

    /// One exchange, on the idle connection when it goes to the same place
    /// and is still open.
    fn send(
        &self,
        request: &http::Request<Vec<u8>>,
        deadline: Option<Instant>,
    ) -> Result<http::Response<Vec<u8>>, Failure> {
        let config = self.state.config();
        let uri = request.uri();
        let (host, port) = (uri.host().unwrap_or(""), uri.port_u16().unwrap_or(80));
        let key = format!("{}://{host}:{port}", uri.scheme_str().unwrap_or("http"));
        let call_deadline = Instant::now() + config.call_timeout;
        let deadline = deadline.map_or(call_deadline, |d| d.min(call_deadline));
        let pooled = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let mut conn = match pooled.filter(|(k, conn)| *k == key && is_open(conn.get_ref())) {
            Some((_, conn)) => conn,
            None => {
                let addr = (host, port)
                    .to_socket_addrs()
                    .map_err(|e| Failure::io(config, IoStage::Connect, e))?;
                let addr = addr
                    .into_iter()
                    .next()
                    .ok_or_else(|| Failure::new(Kind::Connect))?;
                let stream = TcpStream::connect_timeout(&addr, config.connect_timeout)
                    .map_err(|e| Failure::io(config, IoStage::Connect, e))?;
                if uri.scheme_str() == Some("https") {
                    // No TLS here: wait for the server's first bytes (as a
                    // handshake would) and fail as TLS fails, once.
                    let _ = stream.set_read_timeout(Some(config.read_timeout));
                    let _ = stream.peek(&mut [0]);
                    let no_tls = io::Error::other("this transport speaks no TLS");
                    return Err(Failure::new(Kind::Tls).with_source(no_tls));
                }
                BufReader::new(stream)
            }
        };
        let (response, reusable) = exchange(config, &mut conn, request, deadline)?;
        if reusable {
            *self.idle.lock().unwrap_or_else(PoisonError::into_inner) = Some((key, conn));
        }
        Ok(response)
    }
}

/// Whether an idle connection is still open (the server may have closed it).
fn is_open(stream: &TcpStream) -> bool {
    let open = stream.set_nonblocking(true).is_ok()
        && matches!(stream.peek(&mut [0]), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
    open && stream.set_nonblocking(false).is_ok()
}

/// Writes `request` and reads the whole response (`Content-Length`, or up
/// to the end of the stream), each read bounded by the read timeout and by
/// `deadline`; whether the connection can be used again.
fn exchange(
    config: &Config,
    conn: &mut BufReader<TcpStream>,
    request: &http::Request<Vec<u8>>,
    deadline: Instant,
) -> Result<(http::Response<Vec<u8>>, bool), Failure> {
    let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
    let mut head = format!("{} {target} HTTP/1.1\r\n", request.method());
    if !request.headers().contains_key(http::header::HOST) {
        let authority = request.uri().authority().map_or("", |a| a.as_str());
        head.push_str(&format!("host: {authority}\r\n"));
    }
    for (name, value) in request.headers() {
        head.push_str(&format!(
            "{name}: {}\r\n",
            value.to_str().map_err(|_| Failure::new(Kind::Exchange))?
        ));
    }
    if !request.body().is_empty() && !request.headers().contains_key(http::header::CONTENT_LENGTH) {
        head.push_str(&format!("content-length: {}\r\n", request.body().len()));
    }
    let stream = conn.get_mut();
    let written = stream
        .write_all(format!("{head}\r\n").as_bytes())
        .and_then(|()| stream.write_all(request.body()));
    written.map_err(|e| Failure::io(config, IoStage::Exchange, e))?;
    let mut buf = Vec::new();
    let (status, headers, head_len) = loop {
        if !read_more(config, conn, &mut buf, deadline)? {
            return Err(Failure::new(Kind::Exchange)
                .with_source(io::Error::from(io::ErrorKind::UnexpectedEof)));
        }
        let mut storage = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Response::new(&mut storage);
        match parsed.parse(&buf) {
            Ok(httparse::Status::Complete(n)) => {
                let headers: Vec<(String, Vec<u8>)> = parsed
                    .headers
                    .iter()
                    .map(|h| (h.name.to_owned(), h.value.to_vec()))
                    .collect();
                break (parsed.code.unwrap_or(0), headers, n);
            }
            Ok(httparse::Status::Partial) => {}
            Err(e) => return Err(Failure::new(Kind::Exchange).with_source(e)),
        }
    };
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"));
    let length: Option<u64> =
        length.and_then(|(_, v)| std::str::from_utf8(v).ok()?.trim().parse().ok());
    let limit = config.max_body_bytes;
    let too_large = || Failure::new(Kind::BodyTooLarge { status, limit });
    if length.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let wanted = length.map(|n| head_len + n as usize);
    while wanted.is_none_or(|w| buf.len() < w) {
        if buf.len() - head_len > limit as usize {
            return Err(too_large());
        }
        if !read_more(config, conn, &mut buf, deadline)? {
            match wanted {
                None => break,
                Some(_) => {
                    return Err(Failure::new(Kind::Exchange)
                        .with_source(io::Error::from(io::ErrorKind::UnexpectedEof)))
                }
            }
        }
    }
    let end = wanted.unwrap_or(buf.len());
    let mut response = http::Response::builder().status(status);
    for (name, value) in &headers {
        response = response.header(name.as_str(), value.as_slice());
    }
    let response = response
        .body(buf[head_len..end].to_vec())
        .map_err(|e| Failure::new(Kind::Exchange).with_source(e))?;
    Ok((response, wanted.is_some() && buf.len() == end))
}

/// Reads more bytes into `buf`: `false` at the end of the stream.
fn read_more(
    config: &Config,
    conn: &mut BufReader<TcpStream>,
    buf: &mut Vec<u8>,
    deadline: Instant,
) -> Result<bool, Failure> {
    let left = deadline.saturating_duration_since(Instant::now());
    let phase = if left < config.read_timeout {
        TimeoutPhase::Call
    } else {
        TimeoutPhase::Read
    };
    if left.is_zero() {
        return Err(Failure::timeout(config, phase));
    }
    let set = conn
        .get_ref()
        .set_read_timeout(Some(left.min(config.read_timeout)));
    set.map_err(|e| Failure::io(config, IoStage::Exchange, e))?;
    match conn.fill_buf() {
        Ok(bytes) => {
            let n = bytes.len();
            buf.extend_from_slice(bytes);
            conn.consume(n);
            Ok(n > 0)
        }
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            Err(Failure::timeout(config, phase).with_source(e))
        }
        Err(e) => Err(Failure::io(config, IoStage::Exchange, e)),
    }
}
