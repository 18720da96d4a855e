//! A minimal W3C WebDriver client for Debian's headless Chromium driven by
//! `chromedriver`, just enough for the browser tests: start a driver on a
//! free loopback port, open a session, navigate, find elements by CSS
//! selector, click them and read their text.
//!
//! Every step is bounded: the driver must report ready within
//! [`DRIVER_START_TIMEOUT`], every HTTP call to it has a global timeout
//! ([`CALL_TIMEOUT`]), and element look-ups use the session's implicit wait
//! ([`Session::find`] waits at most [`IMPLICIT_WAIT`]). Dropping a
//! [`Session`] deletes it (which quits Chromium); dropping a [`Driver`]
//! terminates the `chromedriver` process and its process group and removes
//! the temporary directory holding Chromium's profile and the driver log.
//!
//! ```no_run
//! use oidc_tests::webdriver::{BrowserPaths, Driver};
//!
//! let paths = BrowserPaths::locate()?;
//! let driver = Driver::start(&paths)?;
//! let session = driver.new_session()?;
//! session.navigate("http://127.0.0.1:8080/device")?;
//! let allow = session.find("#allow")?;
//! session.click(&allow)?;
//! println!("{}", session.text(&session.find("#result")?)?);
//! # Ok::<(), oidc_tests::webdriver::WebDriverError>(())
//! ```

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How long `chromedriver` may take to answer `GET /status` with `ready`.
pub const DRIVER_START_TIMEOUT: Duration = Duration::from_secs(20);
/// Upper bound of one HTTP call to `chromedriver` (session creation, which
/// launches Chromium, included).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(60);
/// The session's implicit wait: how long an element look-up keeps looking.
pub const IMPLICIT_WAIT: Duration = Duration::from_secs(10);
/// The session's page-load timeout.
pub const PAGE_LOAD_TIMEOUT: Duration = Duration::from_secs(30);

/// The W3C key under which an element reference is returned.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Default location of Debian's Chromium.
pub const DEFAULT_CHROMIUM: &str = "/usr/bin/chromium";
/// Default location of Debian's `chromedriver`.
pub const DEFAULT_CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Why a WebDriver step failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebDriverError {
    /// A required executable is not installed.
    #[error("{what} not found at {} (install Debian's chromium and chromium-driver, or set {env})", path.display())]
    Missing {
        /// `chromium` or `chromedriver`.
        what: &'static str,
        /// Where it was looked for.
        path: PathBuf,
        /// The environment variable that overrides the location.
        env: &'static str,
    },
    /// A local I/O operation (temp dir, free port, spawning) failed.
    #[error("{action}")]
    Io {
        /// What was being done.
        action: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// `chromedriver` exited or never became ready.
    #[error("chromedriver did not become ready: {reason}; log tail:\n{log_tail}")]
    DriverNotReady {
        /// Exit status or timeout.
        reason: String,
        /// The end of the driver's log file.
        log_tail: String,
    },
    /// The HTTP exchange with `chromedriver` failed (connection, timeout).
    #[error("{command}: HTTP exchange with chromedriver failed")]
    Transport {
        /// The WebDriver command, e.g. `POST /session`.
        command: String,
        /// The transport error.
        #[source]
        source: Box<ureq::Error>,
    },
    /// `chromedriver` answered with a W3C error.
    #[error("{command}: WebDriver error {status} `{error}`: {message}")]
    Command {
        /// The WebDriver command.
        command: String,
        /// HTTP status.
        status: u16,
        /// W3C error code, e.g. `no such element`.
        error: String,
        /// The driver's message (first line).
        message: String,
    },
    /// `chromedriver` answered with something that is not a W3C response.
    #[error("{command}: unexpected response from chromedriver: {what}")]
    BadResponse {
        /// The WebDriver command.
        command: String,
        /// What was wrong.
        what: String,
    },
}

impl WebDriverError {
    fn io(action: impl Into<String>, source: std::io::Error) -> Self {
        WebDriverError::Io {
            action: action.into(),
            source,
        }
    }

    /// Whether this is a W3C `no such element` error.
    pub fn is_no_such_element(&self) -> bool {
        matches!(self, WebDriverError::Command { error, .. } if error == "no such element")
    }
}

/// Where Chromium and `chromedriver` are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserPaths {
    /// The Chromium executable.
    pub chromium: PathBuf,
    /// The `chromedriver` executable.
    pub chromedriver: PathBuf,
}

impl BrowserPaths {
    /// [`DEFAULT_CHROMIUM`] and [`DEFAULT_CHROMEDRIVER`], overridable with
    /// the `OIDC_TEST_CHROMIUM` and `OIDC_TEST_CHROMEDRIVER` environment
    /// variables; fails with [`WebDriverError::Missing`] if either file does
    /// not exist.
    pub fn locate() -> Result<BrowserPaths, WebDriverError> {
        let chromium = env_path("OIDC_TEST_CHROMIUM", DEFAULT_CHROMIUM);
        if !chromium.is_file() {
            return Err(WebDriverError::Missing {
                what: "chromium",
                path: chromium,
                env: "OIDC_TEST_CHROMIUM",
            });
        }
        let chromedriver = env_path("OIDC_TEST_CHROMEDRIVER", DEFAULT_CHROMEDRIVER);
        if !chromedriver.is_file() {
            return Err(WebDriverError::Missing {
                what: "chromedriver",
                path: chromedriver,
                env: "OIDC_TEST_CHROMEDRIVER",
            });
        }
        Ok(BrowserPaths {
            chromium,
            chromedriver,
        })
    }

    /// For tests: [`BrowserPaths::locate`], except that a missing browser
    /// outside CI returns `None` after printing why the test is skipped.
    /// Under CI (`CI=true`) a missing browser is a test failure (panic).
    pub fn require_or_skip(test: &str) -> Option<BrowserPaths> {
        match BrowserPaths::locate() {
            Ok(paths) => Some(paths),
            Err(e) if is_ci() => panic!("{test}: {e} (CI=true: the browser test must run)"),
            Err(e) => {
                eprintln!("skipping {test}: {e}");
                None
            }
        }
    }
}

fn env_path(var: &str, default: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => PathBuf::from(default),
    }
}

/// Whether the `CI` environment variable says we run under CI.
pub fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// A running `chromedriver` bound to `127.0.0.1:<free port>`.
#[derive(Debug)]
pub struct Driver {
    child: Child,
    base: String,
    agent: ureq::Agent,
    chromium: PathBuf,
    dir: tempfile::TempDir,
}

impl Driver {
    /// Starts `chromedriver` on a free loopback port in its own process
    /// group and waits (at most [`DRIVER_START_TIMEOUT`]) until it reports
    /// ready.
    pub fn start(paths: &BrowserPaths) -> Result<Driver, WebDriverError> {
        let dir = tempfile::Builder::new()
            .prefix("oidc-webdriver-")
            .tempdir()
            .map_err(|e| WebDriverError::io("creating a temporary directory", e))?;
        let port = free_port()?;
        let log_path = dir.path().join("chromedriver.log");
        let log = File::create(&log_path)
            .map_err(|e| WebDriverError::io(format!("creating {}", log_path.display()), e))?;
        let log_err = log
            .try_clone()
            .map_err(|e| WebDriverError::io("duplicating the log handle", e))?;
        let mut cmd = Command::new(&paths.chromedriver);
        cmd.arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .arg(format!("--log-path={}", log_path.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err));
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let child = cmd.spawn().map_err(|e| {
            WebDriverError::io(format!("starting {}", paths.chromedriver.display()), e)
        })?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .timeout_global(Some(CALL_TIMEOUT))
            .build()
            .into();
        let mut driver = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
            agent,
            chromium: paths.chromium.clone(),
            dir,
        };
        driver.wait_ready()?;
        Ok(driver)
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir.path().join("chromedriver.log"))
            .unwrap_or_else(|e| format!("(log unreadable: {e})"));
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    fn wait_ready(&mut self) -> Result<(), WebDriverError> {
        let deadline = Instant::now() + DRIVER_START_TIMEOUT;
        let status_agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(2)))
            .build()
            .into();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(WebDriverError::DriverNotReady {
                    reason: format!("chromedriver exited with {status}"),
                    log_tail: self.log_tail(),
                });
            }
            let ready = status_agent
                .get(format!("{}/status", self.base))
                .call()
                .ok()
                .and_then(|mut r| r.body_mut().read_to_string().ok())
                .and_then(|s| serde_json::from_str::<Value>(&s).ok())
                .is_some_and(|v| v["value"]["ready"] == Value::Bool(true));
            if ready {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(WebDriverError::DriverNotReady {
                    reason: format!("not ready after {DRIVER_START_TIMEOUT:?}"),
                    log_tail: self.log_tail(),
                });
            }
            // Waiting on another process to bind its port: nothing to
            // advance, so poll.
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The driver's base URL, e.g. `http://127.0.0.1:9515`.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The directory holding the driver log and Chromium profiles.
    pub fn temp_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Opens a headless Chromium session with a fresh profile directory.
    pub fn new_session(&self) -> Result<Session<'_>, WebDriverError> {
        let profile = tempfile::Builder::new()
            .prefix("profile-")
            .tempdir_in(self.dir.path())
            .map_err(|e| WebDriverError::io("creating a Chromium profile directory", e))?;
        let args = [
            "--headless=new".to_string(),
            "--no-sandbox".to_string(),
            "--disable-gpu".to_string(),
            "--disable-quic".to_string(),
            "--no-first-run".to_string(),
            "--no-proxy-server".to_string(),
            "--disable-background-networking".to_string(),
            "--disable-component-update".to_string(),
            "--disable-sync".to_string(),
            "--disable-dev-shm-usage".to_string(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let body = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "pageLoadStrategy": "normal",
                    "timeouts": {
                        "implicit": IMPLICIT_WAIT.as_millis() as u64,
                        "pageLoad": PAGE_LOAD_TIMEOUT.as_millis() as u64,
                        "script": 10_000,
                    },
                    "goog:chromeOptions": {
                        "binary": self.chromium.display().to_string(),
                        "args": args,
                    },
                }
            }
        });
        let command = "POST /session";
        let value = self.command(command, "POST", "/session", Some(&body))?;
        let id = value["sessionId"]
            .as_str()
            .ok_or_else(|| WebDriverError::BadResponse {
                command: command.to_string(),
                what: "no `sessionId` string in the answer".to_string(),
            })?
            .to_string();
        Ok(Session {
            driver: self,
            id,
            _profile: profile,
        })
    }

    /// Sends one WebDriver command and returns the `value` member of a
    /// successful answer.
    fn command(
        &self,
        command: &str,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, WebDriverError> {
        let url = format!("{}{}", self.base, path);
        let transport = |e: ureq::Error| WebDriverError::Transport {
            command: command.to_string(),
            source: Box::new(e),
        };
        let mut resp = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, body) => self
                .agent
                .post(&url)
                .header("content-type", "application/json; charset=utf-8")
                .send(body.unwrap_or(&json!({})).to_string()),
        }
        .map_err(transport)?;
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().map_err(transport)?;
        let parsed: Value =
            serde_json::from_str(&text).map_err(|e| WebDriverError::BadResponse {
                command: command.to_string(),
                what: format!("status {status}, body is not JSON ({e})"),
            })?;
        let value = parsed.get("value").cloned().unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            return Ok(value);
        }
        Err(WebDriverError::Command {
            command: command.to_string(),
            status,
            error: value["error"]
                .as_str()
                .unwrap_or("unknown error")
                .to_string(),
            message: value["message"]
                .as_str()
                .unwrap_or("")
                .lines()
                .next()
                .unwrap_or("")
                .to_string(),
        })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The driver runs in its own process group (pgid = its pid); end the
        // whole group so no Chromium helper outlives the test.
        #[cfg(unix)]
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: kill(2) with a negative pid signals the process group
            // we created for this child; it has no memory-safety
            // preconditions.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free TCP port on 127.0.0.1 (bound, read and released).
fn free_port() -> Result<u16, WebDriverError> {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .map_err(|e| WebDriverError::io("binding 127.0.0.1:0 to find a free port", e))?;
    let port = listener
        .local_addr()
        .map_err(|e| WebDriverError::io("reading the bound port", e))?
        .port();
    Ok(port)
}

/// An element reference returned by [`Session::find`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    id: String,
}

/// An open browser session; deleted (Chromium quit) on drop.
#[derive(Debug)]
pub struct Session<'d> {
    driver: &'d Driver,
    id: String,
    _profile: tempfile::TempDir,
}

impl Session<'_> {
    /// Navigates to `url` and waits for the page load (bounded by
    /// [`PAGE_LOAD_TIMEOUT`]).
    pub fn navigate(&self, url: &str) -> Result<(), WebDriverError> {
        self.driver
            .command(
                "POST /session/{id}/url",
                "POST",
                &format!("/session/{}/url", self.id),
                Some(&json!({ "url": url })),
            )
            .map(drop)
    }

    /// The current page's URL.
    pub fn current_url(&self) -> Result<String, WebDriverError> {
        let command = "GET /session/{id}/url";
        let v = self
            .driver
            .command(command, "GET", &format!("/session/{}/url", self.id), None)?;
        string_value(command, v)
    }

    /// Finds the first element matching a CSS selector, waiting up to
    /// [`IMPLICIT_WAIT`] for it to appear.
    pub fn find(&self, css: &str) -> Result<Element, WebDriverError> {
        let command = format!("POST /session/{{id}}/element ({css})");
        let v = self.driver.command(
            &command,
            "POST",
            &format!("/session/{}/element", self.id),
            Some(&json!({ "using": "css selector", "value": css })),
        )?;
        let id = v[ELEMENT_KEY]
            .as_str()
            .ok_or_else(|| WebDriverError::BadResponse {
                command: command.clone(),
                what: format!("no element reference in the answer {v}"),
            })?;
        Ok(Element { id: id.to_string() })
    }

    /// Clicks an element (for a submit button, the driver waits for the
    /// resulting navigation).
    pub fn click(&self, element: &Element) -> Result<(), WebDriverError> {
        self.driver
            .command(
                "POST /session/{id}/element/{eid}/click",
                "POST",
                &format!("/session/{}/element/{}/click", self.id, element.id),
                Some(&json!({})),
            )
            .map(drop)
    }

    /// The rendered text of an element.
    pub fn text(&self, element: &Element) -> Result<String, WebDriverError> {
        let command = "GET /session/{id}/element/{eid}/text";
        let v = self.driver.command(
            command,
            "GET",
            &format!("/session/{}/element/{}/text", self.id, element.id),
            None,
        )?;
        string_value(command, v)
    }

    /// Value of an element's property (e.g. `value` of an input).
    pub fn property(&self, element: &Element, name: &str) -> Result<Value, WebDriverError> {
        self.driver.command(
            "GET /session/{id}/element/{eid}/property/{name}",
            "GET",
            &format!(
                "/session/{}/element/{}/property/{}",
                self.id, element.id, name
            ),
            None,
        )
    }
}

fn string_value(command: &str, v: Value) -> Result<String, WebDriverError> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(WebDriverError::BadResponse {
            command: command.to_string(),
            what: format!("expected a string value, got {other}"),
        }),
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        // Quits Chromium; errors (driver already gone) are irrelevant here.
        let _ = self.driver.command(
            "DELETE /session/{id}",
            "DELETE",
            &format!("/session/{}", self.id),
            None,
        );
    }
}
