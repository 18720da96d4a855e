//! Accept loop and per-connection request processing.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::control;
use crate::error::{error_type_header, ApiError, Shape};
use crate::faults::{self, Applied, FaultKind};
use crate::handlers::{
    authorize, device_authorization, register_client, respond, token, token_with_iam,
    verification_page,
};
use crate::http::{write_response, Connection, Limits, ReadError, Request, Response};
use crate::metadata;
use crate::portal;
use crate::reqlog::{self, LoggedRequest};
use crate::signin;
use crate::state::{lock, Ctx};
use crate::stats::Op;
use crate::sts;

/// Live connections, so shutdown can close idle keep-alive sockets.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    streams: Mutex<HashMap<u64, TcpStream>>,
    active: Mutex<usize>,
    idle: Condvar,
    next_id: AtomicU64,
}

impl Registry {
    fn add(&self, stream: &TcpStream) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        if let Ok(clone) = stream.try_clone() {
            lock(&self.streams).insert(id, clone);
        }
        *lock(&self.active) += 1;
        id
    }

    fn remove(&self, id: u64) {
        lock(&self.streams).remove(&id);
        let mut active = lock(&self.active);
        *active = active.saturating_sub(1);
        self.idle.notify_all();
    }

    fn shutdown_all(&self, how: Shutdown) {
        for s in lock(&self.streams).values() {
            let _ = s.shutdown(how);
        }
    }

    /// Waits until no connection thread is left or `timeout` passes.
    fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut active = lock(&self.active);
        while *active > 0 {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            active = match self.idle.wait_timeout(active, deadline - now) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
        true
    }
}

/// Runs the accept loop until `ctx.shutdown` is set.
pub(crate) fn spawn_acceptor(
    listener: TcpListener,
    ctx: Arc<Ctx>,
    registry: Arc<Registry>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("oidc-emulator-accept".into())
        .spawn(move || {
            for incoming in listener.incoming() {
                if ctx.shutdown.load(Ordering::SeqCst) {
                    break;
                }
                let stream = match incoming {
                    Ok(s) => s,
                    Err(_) => {
                        // E.g. out of file descriptors: back off briefly.
                        std::thread::sleep(Duration::from_millis(10));
                        continue;
                    }
                };
                let id = registry.add(&stream);
                let ctx2 = Arc::clone(&ctx);
                let reg2 = Arc::clone(&registry);
                let spawned = std::thread::Builder::new()
                    .name("oidc-emulator-conn".into())
                    .spawn(move || {
                        // A panic must not leave the connection counted as
                        // active (shutdown waits for the count).
                        let _ = catch_unwind(AssertUnwindSafe(|| serve_connection(&ctx2, stream)));
                        reg2.remove(id);
                    });
                if spawned.is_err() {
                    registry.remove(id);
                }
            }
        })
}

/// Stops the server: sets the flag, wakes the acceptor, closes idle
/// connections and waits (bounded) for connection threads.
pub(crate) fn stop(
    ctx: &Ctx,
    registry: &Registry,
    addr: SocketAddr,
    acceptor: Option<JoinHandle<()>>,
) {
    ctx.shutdown.store(true, Ordering::SeqCst);
    if let Some(handle) = acceptor {
        let deadline = Instant::now() + Duration::from_secs(3);
        while !handle.is_finished() && Instant::now() < deadline {
            // Wake the blocking accept() with a throw-away connection.
            let _ = TcpStream::connect_timeout(&addr, Duration::from_millis(200));
            let until = Instant::now() + Duration::from_millis(100);
            while !handle.is_finished() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        if handle.is_finished() {
            let _ = handle.join();
        }
    }
    // Idle keep-alive connections block in read(): end them. Requests being
    // processed still get their response written.
    registry.shutdown_all(Shutdown::Read);
    if !registry.wait_idle(Duration::from_millis(1500)) {
        registry.shutdown_all(Shutdown::Both);
        registry.wait_idle(Duration::from_millis(1000));
    }
}

fn limits(ctx: &Ctx) -> Limits {
    Limits {
        max_header_bytes: ctx.config.max_header_bytes,
        max_body_bytes: ctx.config.max_body_bytes,
    }
}

fn serve_connection(ctx: &Ctx, stream: TcpStream) {
    let nonzero = |d: Duration| Some(d.max(Duration::from_millis(1)));
    let _ = stream.set_read_timeout(nonzero(ctx.config.read_timeout));
    let _ = stream.set_write_timeout(nonzero(ctx.config.write_timeout));
    let _ = stream.set_nodelay(true);
    let mut conn = Connection::new(stream);
    loop {
        if ctx.shutdown.load(Ordering::SeqCst) {
            break;
        }
        let req = match conn.read_request(limits(ctx)) {
            Ok(r) => r,
            Err(ReadError::Closed) | Err(ReadError::Io) => break,
            Err(ReadError::Reject(status, msg)) => {
                if let Some(head) = conn.take_rejected() {
                    let mut entry = LoggedRequest::new(&head, None);
                    entry.status = status;
                    lock(&ctx.requests).push(entry);
                }
                reject(ctx, conn.stream(), status, msg);
                break;
            }
        };
        let request_id = ctx.ids.uuid();
        let keep_alive = req.wants_keep_alive() && !ctx.shutdown.load(Ordering::SeqCst);

        let route = classify(ctx, &req);
        let mut entry = LoggedRequest::new(
            &req,
            match route {
                Route::Control => Some("Control".to_string()),
                Route::Favicon => None,
                Route::Service(op) => reqlog::operation_name(op),
            },
        );
        if matches!(route, Route::Service(Op::Sts(_))) {
            entry = entry.with_form_body(&req);
        }
        // Every entry is logged before its answer is written: a client that
        // has its answer finds its request in the log.
        let mut entry = Some(entry);
        let mut log = |status: u16| {
            if let Some(mut entry) = entry.take() {
                entry.status = status;
                lock(&ctx.requests).push(entry);
            }
        };
        let resp = match route {
            Route::Control => control::handle(ctx, &req),
            Route::Favicon => Response::empty(404),
            Route::Service(op) => {
                lock(&ctx.stats).record(op);
                let fault = faults::take_matching(&mut lock(&ctx.faults), op, &req.path);
                if let Some(kind) = fault {
                    // A delay may go on to the normal answer, logged then.
                    if !matches!(kind, FaultKind::Delay { .. }) {
                        log(faults::response_status(&kind).unwrap_or(0));
                    }
                    let applied = faults::apply(
                        op,
                        &kind,
                        conn.stream(),
                        &request_id,
                        keep_alive,
                        &ctx.shutdown,
                    );
                    match applied {
                        Applied::Proceed => {}
                        done => {
                            log(faults::response_status(&kind).unwrap_or(0));
                            if done == Applied::Responded && keep_alive {
                                continue;
                            }
                            break;
                        }
                    }
                }
                catch_unwind(AssertUnwindSafe(|| dispatch(ctx, op, &req, &request_id)))
                    .unwrap_or_else(|_| match op {
                        Op::Sts(_) => sts::error_response(
                            500,
                            "InternalFailure",
                            "Internal error in the emulator",
                            &request_id,
                        ),
                        _ => ApiError::new(Shape::InternalServer, "Internal error in the emulator")
                            .to_response(),
                    })
            }
        };
        log(resp.status);
        if write_response(conn.stream(), &resp, &request_id, keep_alive).is_err() || !keep_alive {
            break;
        }
    }
}

/// Sends an error for an unreadable request, then closes gracefully
/// (draining briefly so the client sees the response rather than a reset).
fn reject(ctx: &Ctx, stream: &mut TcpStream, status: u16, msg: &str) {
    let mut resp = Response::json(
        status,
        &json!({"error": "invalid_request", "error_description": msg}),
    );
    if status == 400 {
        resp = resp.with_header(
            "x-amzn-ErrorType",
            error_type_header("InvalidRequestException"),
        );
    }
    if write_response(stream, &resp, &ctx.ids.uuid(), false).is_err() {
        return;
    }
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut sink = [0u8; 8192];
    let mut drained = 0usize;
    while Instant::now() < deadline && drained < 4 * 1024 * 1024 {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
    let _ = stream.flush();
}

#[derive(Debug, Clone, Copy)]
enum Route {
    Control,
    Favicon,
    Service(Op),
}

fn classify(ctx: &Ctx, req: &Request) -> Route {
    if ctx.config.control_api && req.path.starts_with("/_emulator/") {
        return Route::Control;
    }
    if req.path == "/favicon.ico" {
        // Browsers fetch it on their own; keep it out of stats and faults.
        return Route::Favicon;
    }
    let path = normalized_path(req);
    let m = req.method.as_str();
    let op = match (path, m) {
        ("/client/register", "POST") => Op::RegisterClient,
        ("/device_authorization", "POST") => Op::StartDeviceAuthorization,
        ("/token", "POST") if is_iam(req) => Op::CreateTokenWithIam,
        ("/token", "POST") => token::classify(req),
        ("/authorize", "GET" | "POST") => Op::Authorize,
        ("/device", "GET" | "POST") => Op::VerificationPage,
        ("/federation/credentials", "GET") => Op::GetRoleCredentials,
        ("/federation", "GET") if is_get_signin_token(req) => Op::GetSigninToken,
        ("/federation", "GET") => Op::FederationLogin,
        ("/assignment/accounts", "GET") => Op::ListAccounts,
        ("/assignment/roles", "GET") => Op::ListAccountRoles,
        ("/logout", "POST") => Op::Logout,
        ("/", "POST") => sts::classify(req),
        ("/container-credentials", _) => Op::ContainerCredentials,
        ("/latest/api/token", _) if ctx.config.imds => Op::ImdsPutToken,
        ("/latest/meta-data/iam/security-credentials", _) if ctx.config.imds => Op::ImdsGetRoleName,
        (p, _) if ctx.config.imds && p.starts_with(IMDS_CREDENTIALS_PREFIX) => {
            Op::ImdsGetCredentials
        }
        _ => Op::Unknown,
    };
    Route::Service(op)
}

/// Path prefix of IMDS role credentials.
const IMDS_CREDENTIALS_PREFIX: &str = "/latest/meta-data/iam/security-credentials/";

fn normalized_path(req: &Request) -> &str {
    let p = req.path.as_str();
    if p.len() > 1 {
        p.strip_suffix('/').unwrap_or(p)
    } else {
        p
    }
}

fn is_get_signin_token(req: &Request) -> bool {
    req.query.split('&').any(|kv| kv == "Action=getSigninToken")
}

fn is_iam(req: &Request) -> bool {
    req.query
        .split('&')
        .any(|kv| kv == "aws_iam=t" || kv == "aws_iam=true")
}

fn allowed_methods(path: &str) -> Option<&'static str> {
    Some(match path {
        "/client/register" | "/device_authorization" | "/token" | "/logout" | "/" => "POST",
        "/authorize" | "/device" => "GET, POST",
        "/federation/credentials"
        | "/federation"
        | "/assignment/accounts"
        | "/assignment/roles" => "GET",
        _ => return None,
    })
}

fn not_routed(req: &Request) -> Response {
    let path = normalized_path(req);
    match allowed_methods(path) {
        Some(allow) => {
            let msg = format!(
                "Method {} is not allowed on {path}; use {allow}",
                req.method
            );
            Response::json(
                405,
                &json!({"error": "method_not_allowed", "error_description": msg, "message": msg}),
            )
            .with_header(
                "x-amzn-ErrorType",
                error_type_header("MethodNotAllowedException"),
            )
            .with_header("Allow", allow)
        }
        None => {
            let msg = format!("No operation matches {} {path}", req.method);
            Response::json(
                404,
                &json!({"error": "not_found", "error_description": msg, "message": msg}),
            )
            .with_header(
                "x-amzn-ErrorType",
                error_type_header("UnknownOperationException"),
            )
        }
    }
}

fn dispatch(ctx: &Ctx, op: Op, req: &Request, request_id: &str) -> Response {
    match op {
        Op::RegisterClient => respond(register_client::handle(ctx, req)),
        Op::StartDeviceAuthorization => respond(device_authorization::handle(ctx, req)),
        Op::CreateTokenDeviceCode
        | Op::CreateTokenRefresh
        | Op::CreateTokenAuthorizationCode
        | Op::CreateTokenOther => respond(token::handle(ctx, req)),
        Op::CreateTokenWithIam => token_with_iam::handle(ctx, req),
        Op::Authorize if req.method == "GET" => authorize::get(ctx, req),
        Op::Authorize => authorize::post(ctx, req),
        Op::VerificationPage if req.method == "GET" => verification_page::get(ctx, req),
        Op::VerificationPage => verification_page::post(ctx, req),
        Op::GetRoleCredentials => portal::get_role_credentials(ctx, req),
        Op::ListAccounts => portal::list_accounts(ctx, req),
        Op::ListAccountRoles => portal::list_account_roles(ctx, req),
        Op::Logout => portal::logout(ctx, req),
        Op::ImdsPutToken => metadata::put_token(ctx, req),
        Op::ImdsGetRoleName => metadata::get_role_name(ctx, req),
        Op::ImdsGetCredentials => metadata::get_credentials(ctx, req),
        Op::ContainerCredentials => metadata::container_credentials(ctx, req),
        Op::GetSigninToken | Op::FederationLogin => signin::handle(ctx, req),
        Op::Sts(sts_op) => sts::handle(ctx, sts_op, req, request_id),
        Op::Unknown => not_routed(req),
    }
}
