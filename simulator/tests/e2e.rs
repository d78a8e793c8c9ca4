//! Multi-process end-to-end tests of the simulator: `akuersi-sim serve` on a
//! free loopback port, the `operator` and `app` commands as separate
//! processes, the Demo Bank page in headless Chromium (driven through
//! chromedriver's WebDriver API), and the terminal app driven through tmux.
//!
//! They need Debian's `chromium`, `chromium-driver` and `tmux`
//! (scripts/setup.d/40-chromium-tmux.sh), so they are `#[ignore]`d by default;
//! scripts/tests.d/40-simulator-e2e.sh runs them with `-- --ignored`. Every
//! wait is bounded, and everything listens on 127.0.0.1 only.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use akuersi_testkit::TempDir;
use serde_json::{json, Value};

const SIM: &str = env!("CARGO_BIN_EXE_akuersi-sim");
/// PBKDF2 iterations for test PINs (the real default takes ~0.5 s each).
const TEST_KDF: &str = "1000";
const PIN: &str = "482916";

// ------------------------------------------------------------------ helpers

/// Poll `f` every 100 ms until it gives `Some`, for at most `limit`.
fn wait_for<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A running `akuersi-sim serve`, killed on drop.
struct Serve {
    child: Child,
    base: String,
    data: PathBuf,
}

impl Serve {
    fn start(data: &Path, port: u16, ttl: Option<u32>) -> Self {
        let mut cmd = Command::new(SIM);
        cmd.args([
            "serve",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--min-kdf-iterations",
            TEST_KDF,
            "--data",
        ])
        .arg(data)
        .env_remove("AKUERSI_OPERATOR_TOKEN")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
        if let Some(t) = ttl {
            cmd.args(["--ttl", &t.to_string()]);
        }
        let mut child = cmd.spawn().expect("start akuersi-sim serve");
        let stdout = child.stdout.take().expect("serve's stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.trim().strip_prefix("Demo Bank web page:") {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        let page = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("serve printed its URLs");
        let base = page.trim_end_matches("/demo-bank/").to_owned();
        // HTTPS, with the development certificate `serve` made in its data
        // folder (the app and operator commands pin it from there).
        assert_eq!(base, format!("https://127.0.0.1:{port}"));
        Self {
            child,
            base,
            data: data.to_path_buf(),
        }
    }

    fn page(&self) -> String {
        format!("{}/demo-bank/", self.base)
    }

    /// Its data folder, as the `--data` argument.
    fn data_arg(&self) -> &str {
        self.data.to_str().expect("utf-8 temp path")
    }

    /// Run `akuersi-sim app --profile PROFILE … COMMAND` against it.
    fn app(&self, profile: &str, command: &[&str], stdin: &str) -> Output {
        let mut args = app_args(self, self.data_arg(), profile);
        args.extend_from_slice(command);
        sim(&args, stdin)
    }

    /// [`Serve::app`] that must succeed; its stdout and stderr.
    fn app_ok(&self, profile: &str, command: &[&str], stdin: &str) -> String {
        let mut args = app_args(self, self.data_arg(), profile);
        args.extend_from_slice(command);
        sim_ok(&args, stdin)
    }

    /// Start a Demo Bank log-in for `user` over the bank's JSON API.
    fn start_bank_login(&self, agent: &ureq::Agent, user: &str) -> Value {
        post_json(
            agent,
            &format!("{}/demo-bank/api/start", self.base),
            &json!({ "user_id": user }),
        )
    }

    /// Kill it hard (SIGKILL): nothing gets to shut down cleanly.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Run `akuersi-sim ARGS` with `stdin`, bounded to 60 s.
fn sim(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(SIM)
        .args(args)
        .env_remove("AKUERSI_OPERATOR_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run akuersi-sim");
    if let Some(mut i) = child.stdin.take() {
        let _ = i.write_all(stdin.as_bytes());
    }
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait for akuersi-sim").is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("akuersi-sim {args:?} did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("akuersi-sim output")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn sim_ok(args: &[&str], stdin: &str) -> String {
    let o = sim(args, stdin);
    let t = text(&o);
    assert!(o.status.success(), "akuersi-sim {args:?} failed:\n{t}");
    t
}

/// The `app --profile P --service URL --data DIR` prefix.
fn app_args<'a>(s: &'a Serve, data: &'a str, profile: &'a str) -> Vec<&'a str> {
    vec![
        "app",
        "--profile",
        profile,
        "--service",
        &s.base,
        "--data",
        data,
        "--kdf-iterations",
        TEST_KDF,
    ]
}

/// Create an identity and activate profile `profile` for it, as a person
/// would with the operator's printed code.
fn enroll(s: &Serve, user: &str, profile: &str) {
    let data = s.data_arg();
    let op = |args: &[&str]| {
        let mut all = vec!["operator", "--service", &s.base, "--data", data];
        all.extend_from_slice(args);
        sim_ok(&all, "")
    };
    let created = op(&["create-identity", user]);
    assert!(created.contains("Created the identity"), "{created}");
    let issued = op(&["issue-code", user]);
    let code = issued
        .lines()
        .find_map(|l| {
            l.split_once(": ")
                .filter(|(k, _)| k.starts_with("Activation code"))
        })
        .map(|(_, c)| c.trim().to_owned())
        .unwrap_or_else(|| panic!("no code in {issued}"));
    let out = s.app_ok(
        profile,
        &[
            "activate",
            "--user-id",
            user,
            "--code",
            &code,
            "--device-name",
            "Test phone",
            "--pin-stdin",
        ],
        &format!("{PIN}\n"),
    );
    assert!(out.contains("Activated"), "{out}");
    // The PIN was never echoed.
    assert!(!out.contains(PIN), "{out}");
}

/// `akuersi-sim serve` on `dir`, with `user` enrolled on profile "phone".
fn serve_enrolled(dir: &TempDir, port: u16, ttl: Option<u32>, user: &str) -> Serve {
    let s = Serve::start(&dir.0, port, ttl);
    enroll(&s, user, "phone");
    s
}

/// A client for the Demo Bank's JSON API on `serve` in `data`: it trusts
/// only the development certificate `serve` made there.
fn bank_agent(data: &Path) -> ureq::Agent {
    let pem = std::fs::read(data.join("tls-cert.pem")).expect("serve's development certificate");
    let certs: Vec<_> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    assert!(!certs.is_empty(), "no certificate in tls-cert.pem");
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .proxy(None)
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::new_with_certs(&certs))
                    .build(),
            )
            .build(),
    )
}

fn http_agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .proxy(None)
            .build(),
    )
}

/// A response's body, which must be JSON.
fn json_body(mut r: ureq::http::Response<ureq::Body>, url: &str) -> Value {
    let mut s = String::new();
    r.body_mut()
        .as_reader()
        .read_to_string(&mut s)
        .expect("read body");
    serde_json::from_str(&s).unwrap_or_else(|_| panic!("not JSON from {url}: {s}"))
}

fn post_json(agent: &ureq::Agent, url: &str, body: &Value) -> Value {
    let r = agent
        .post(url)
        .header("content-type", "application/json")
        .send(body.to_string().as_bytes())
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    json_body(r, url)
}

fn get_json(agent: &ureq::Agent, url: &str) -> Value {
    let r = agent
        .get(url)
        .call()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    json_body(r, url)
}

// ---------------------------------------------------------------- WebDriver

/// chromedriver with one headless Chromium session; both ended on drop.
struct Browser {
    driver: Child,
    url: String,
    agent: ureq::Agent,
    _profile: TempDir,
}

impl Browser {
    fn start() -> Self {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver (install chromium-driver: scripts/setup)");
        let agent = http_agent();
        let base = format!("http://127.0.0.1:{port}");
        wait_for("chromedriver", Duration::from_secs(20), || {
            let mut r = agent.get(&format!("{base}/status")).call().ok()?;
            let mut s = String::new();
            r.body_mut().as_reader().read_to_string(&mut s).ok()?;
            let v: Value = serde_json::from_str(&s).ok()?;
            v["value"]["ready"].as_bool().filter(|r| *r)
        });
        let profile = TempDir::new("chromium");
        let args = vec![
            "--headless".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--window-size=900,1000".into(),
            format!("--user-data-dir={}", profile.0.display()),
        ];
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": { "binary": "/usr/bin/chromium", "args": args },
                    // The page is served over HTTPS with `serve`'s
                    // self-signed development certificate.
                    "acceptInsecureCerts": true,
                    "goog:loggingPrefs": { "browser": "ALL" }
                }
            }
        });
        let session = post_json(&agent, &format!("{base}/session"), &caps);
        let id = session["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {session}"))
            .to_owned();
        Self {
            driver,
            url: format!("{base}/session/{id}"),
            agent,
            _profile: profile,
        }
    }

    fn cmd(&self, path: &str, body: Value) -> Value {
        let v = post_json(&self.agent, &format!("{}{path}", self.url), &body);
        assert!(
            v["value"].get("error").is_none(),
            "WebDriver {path} failed: {v}"
        );
        v["value"].clone()
    }

    fn goto(&self, url: &str) {
        self.cmd("/url", json!({ "url": url }));
    }

    fn element(&self, css: &str) -> String {
        let v = self.cmd("/element", json!({ "using": "css selector", "value": css }));
        v.as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_owned()
    }

    fn type_into(&self, css: &str, text: &str) {
        let e = self.element(css);
        self.cmd(&format!("/element/{e}/value"), json!({ "text": text }));
    }

    fn click(&self, css: &str) {
        let e = self.element(css);
        self.cmd(&format!("/element/{e}/click"), json!({}));
    }

    fn script(&self, js: &str) -> Value {
        self.cmd("/execute/sync", json!({ "script": js, "args": [] }))
    }

    /// The page's visible status: (data-status, title, text).
    fn status(&self) -> (String, String, String) {
        let v = self.script(
            "var b = document.getElementById('status');\
             return [b.hidden ? '' : (b.getAttribute('data-status') || ''),\
                     document.getElementById('status-title').textContent,\
                     document.getElementById('status-text').textContent];",
        );
        let s = |i: usize| v[i].as_str().unwrap_or_default().to_owned();
        (s(0), s(1), s(2))
    }

    fn wait_status(&self, want: &str, limit: Duration) -> (String, String) {
        wait_for(&format!("the page to show '{want}'"), limit, || {
            let (kind, title, text) = self.status();
            (kind == want).then_some((title, text))
        })
    }

    /// Console errors and uncaught exceptions Chromium logged.
    fn severe_logs(&self) -> Vec<String> {
        let v = post_json(
            &self.agent,
            &format!("{}/se/log", self.url),
            &json!({ "type": "browser" }),
        );
        v["value"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|e| e["level"] == "SEVERE")
                    .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Type the user ID, press Continue and wait for "Open the Akuersi app";
    /// returns the reference the page says to look for.
    fn start_login(&self, page: &str, user: &str) -> String {
        self.goto(page);
        let title = self.script("return document.title;");
        assert_eq!(title, "Log in to Demo Bank");
        self.type_into("#user-id", user);
        self.click("#start");
        wait_for("the waiting panel", Duration::from_secs(15), || {
            let v = self.script(
                "var w = document.getElementById('waiting');\
                 return w.hidden ? null : document.getElementById('w-ref').textContent;",
            );
            v.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
        })
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.agent.delete(&self.url).call();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// The waiting panel's texts and countdown, as the person reads them.
fn waiting_panel(b: &Browser) -> (String, String, String) {
    let v = b.script(
        "return [document.getElementById('w-requester').textContent + ' · ' +\
                 document.getElementById('w-action').textContent,\
                 document.getElementById('w-texts').textContent,\
                 document.getElementById('countdown').textContent];",
    );
    let s = |i: usize| v[i].as_str().unwrap_or_default().to_owned();
    (s(0), s(1), s(2))
}

// -------------------------------------------------------------------- tests

/// A person logs in to Demo Bank in the browser and approves in the app.
#[test]
#[ignore = "needs chromium and chromedriver; run by scripts/tests.d/40-simulator-e2e.sh"]
fn browser_login_approved_in_the_app() {
    let dir = TempDir::new("approve");
    let s = serve_enrolled(&dir, free_port(), None, "Aviaja-Nuuk");
    let b = Browser::start();
    let reference = b.start_login(&s.page(), "aviaja-nuuk");
    let (who, texts, left) = waiting_panel(&b);
    assert_eq!(who, "Demo Bank · Log on");
    assert!(
        texts.contains(&format!("Log on to Demo Bank ({reference})")),
        "{texts}"
    );
    assert!(
        left.starts_with("4:5") || left == "5:00",
        "countdown {left}"
    );

    let pending = s.app_ok("phone", &["pending"], "");
    assert!(
        pending.contains(&format!("Log on to Demo Bank ({reference})")),
        "{pending}"
    );

    let out = s.app_ok("phone", &["approve", "--pin-stdin"], &format!("{PIN}\n"));
    assert!(out.contains("Approved: Demo Bank – Log on"), "{out}");

    let (title, text) = b.wait_status("approved", Duration::from_secs(15));
    assert_eq!(title, "You are logged in");
    assert!(
        text.contains("Demo Bank checked the app's signature"),
        "{text}"
    );
    assert_eq!(b.severe_logs(), Vec::<String>::new(), "JavaScript errors");
}

/// A payment with a 4-digit code on the page: the app refuses to approve
/// without it, counts a wrong code, and approves with the right one.
#[test]
#[ignore = "needs chromium and chromedriver; run by scripts/tests.d/40-simulator-e2e.sh"]
fn browser_payment_bound_by_code() {
    let dir = TempDir::new("bound");
    let s = serve_enrolled(&dir, free_port(), None, "Aviaja-Nuuk");
    let b = Browser::start();
    b.goto(&s.page());
    b.type_into("#user-id", "aviaja-nuuk");
    b.script(
        "document.getElementById('binding').value = 'code';\
         document.getElementById('payment').checked = true; return null;",
    );
    b.click("#start");
    let code = wait_for("the code on the page", Duration::from_secs(15), || {
        let v = b.script(
            "var w = document.getElementById('bind-code-box');\
             return w.hidden ? null : document.getElementById('bind-code').textContent;",
        );
        v.as_str().filter(|s| s.len() == 4).map(str::to_owned)
    });
    let amount = b.script("return document.getElementById('w-amount').textContent;");
    assert_eq!(amount, "9.000,00 DKK");

    let out = s.app("phone", &["approve", "--pin-stdin"], &format!("{PIN}\n"));
    assert!(!out.status.success());
    assert!(text(&out).contains("needs the code"), "{}", text(&out));

    let wrong = if code == "1234" { "4321" } else { "1234" };
    let out = s.app("phone", &["channel", "--code", wrong], "");
    assert!(text(&out).contains("2 tries left"), "{}", text(&out));

    let out = s.app_ok(
        "phone",
        &["approve", "--code", &code, "--pin-stdin"],
        &format!("{PIN}\n"),
    );
    assert!(out.contains("Amount:"), "{out}");
    assert!(out.contains("Code accepted"), "{out}");
    assert!(out.contains("Approved: Demo Bank – Approve"), "{out}");

    let (title, _) = b.wait_status("approved", Duration::from_secs(15));
    assert_eq!(title, "Payment approved");
    assert_eq!(b.severe_logs(), Vec::<String>::new(), "JavaScript errors");
}

/// A log-in started in the browser and answered in the app with `command`
/// (`reject` or `report`): the app says `said`, the page shows status
/// `status` with `title` and a text containing `page_says`.
fn login_answered_in_the_app(
    tag: &str,
    user: &str,
    command: &str,
    said: &str,
    status: &str,
    title_want: &str,
    page_says: &str,
) {
    let dir = TempDir::new(tag);
    let s = serve_enrolled(&dir, free_port(), None, user);
    let b = Browser::start();
    b.start_login(&s.page(), user);
    let out = s.app_ok("phone", &[command], "");
    assert!(out.contains(said), "{out}");
    let (title, text) = b.wait_status(status, Duration::from_secs(15));
    assert_eq!(title, title_want);
    assert!(text.contains(page_says), "{text}");
    assert_eq!(b.severe_logs(), Vec::<String>::new(), "JavaScript errors");
}

/// The same, rejected in the app.
#[test]
#[ignore = "needs chromium and chromedriver; run by scripts/tests.d/40-simulator-e2e.sh"]
fn browser_login_rejected_in_the_app() {
    login_answered_in_the_app(
        "reject",
        "Malik.Sisimiut",
        "reject",
        "Rejected",
        "rejected",
        "Log-in rejected",
        "You are not logged in",
    );
}

/// "I did not start this" in the app: the page says it was reported.
#[test]
#[ignore = "needs chromium and chromedriver; run by scripts/tests.d/40-simulator-e2e.sh"]
fn browser_login_reported_in_the_app() {
    login_answered_in_the_app(
        "report",
        "Nivi-Ilulissat",
        "report",
        "Reported",
        "reported",
        "Log-in stopped and reported",
        "+45 00 00 00 00 (example number)",
    );
}

/// Nobody answers: with `serve --ttl 30` the page counts down (red, under a
/// minute) and then says the request expired; the app has nothing to show.
#[test]
#[ignore = "needs chromium and chromedriver; run by scripts/tests.d/40-simulator-e2e.sh"]
fn browser_login_expires_unanswered() {
    let dir = TempDir::new("expire");
    let s = serve_enrolled(&dir, free_port(), Some(30), "Pipaluk-Qaqortoq");
    let b = Browser::start();
    let started = Instant::now();
    b.start_login(&s.page(), "Pipaluk-Qaqortoq");
    let (_, _, left) = waiting_panel(&b);
    assert!(left.starts_with("0:"), "countdown {left}");
    let low = b.script("return document.getElementById('countdown').classList.contains('low');");
    assert_eq!(
        low,
        Value::Bool(true),
        "the countdown is red under a minute"
    );
    let (title, text) = b.wait_status("expired", Duration::from_secs(40));
    assert!(
        started.elapsed() >= Duration::from_secs(29),
        "expired too early"
    );
    assert_eq!(title, "The request expired");
    assert!(text.contains("You are not logged in"), "{text}");
    let pending = s.app_ok("phone", &["pending"], "");
    assert!(pending.contains("No requests"), "{pending}");
    assert_eq!(b.severe_logs(), Vec::<String>::new(), "JavaScript errors");
}

/// The service is killed (SIGKILL) mid-flow: the app says "service
/// unreachable"; after a restart on the same data the request is still
/// there and can be approved; killed again right after the approval was
/// answered, the approval is still recorded.
#[test]
#[ignore = "multi-process; run by scripts/tests.d/40-simulator-e2e.sh"]
fn service_killed_and_restarted_mid_flow() {
    let dir = TempDir::new("restart");
    let port = free_port();
    let mut s = serve_enrolled(&dir, port, None, "Hans.Aasiaat");
    let agent = bank_agent(&dir.0);
    let started = s.start_bank_login(&agent, "Hans.Aasiaat");
    let login = started["login_id"].as_str().expect("a login id").to_owned();

    s.kill();
    let o = s.app("phone", &["pending"], "");
    assert!(!o.status.success());
    assert!(text(&o).contains("service unreachable"), "{}", text(&o));

    let mut s = Serve::start(&dir.0, port, None);
    let out = s.app_ok("phone", &["approve", "--pin-stdin"], &format!("{PIN}\n"));
    assert!(out.contains("Approved"), "{out}");
    // The bank's own memory died with the process; the service's did not.
    let status = get_json(&agent, &format!("{}/demo-bank/api/status/{login}", s.base));
    assert!(status["error"].is_string(), "{status}");

    s.kill();
    let s = Serve::start(&dir.0, port, None);
    let log = s.app_ok("phone", &["log"], "");
    assert!(log.contains("request_approved"), "{log}");
}

// ---------------------------------------------------------------- terminal

/// A tmux server of its own (its own socket), killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(cmd: &str) -> Self {
        let socket = format!("akuersi-e2e-{}", std::process::id());
        let ok = Command::new("tmux")
            .args([
                "-u",
                "-L",
                &socket,
                "new-session",
                "-d",
                "-x",
                "80",
                "-y",
                "42",
                "-s",
                "app",
            ])
            .arg(cmd)
            .env("TERM", "xterm-256color")
            .status()
            .expect("start tmux (install tmux: scripts/setup)");
        assert!(ok.success(), "tmux new-session failed");
        Self { socket }
    }

    fn keys(&self, keys: &[&str]) {
        let ok = Command::new("tmux")
            .args(["-u", "-L", &self.socket, "send-keys", "-t", "app"])
            .args(keys)
            .status()
            .expect("tmux send-keys");
        assert!(ok.success());
    }

    fn screen(&self) -> String {
        let o = Command::new("tmux")
            .args(["-u", "-L", &self.socket, "capture-pane", "-p", "-t", "app"])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn wait_screen(&self, what: &str, limit: Duration) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(what) {
                return s;
            }
            if start.elapsed() > limit {
                panic!("timed out waiting for {what:?} on the screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(150));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-u", "-L", &self.socket, "kill-server"])
            .status();
    }
}

/// tmux drives the terminal app: it opens, shows the request only after
/// fetching, opens the card, takes the PIN masked and approves on →→.
#[test]
#[ignore = "needs tmux; run by scripts/tests.d/40-simulator-e2e.sh"]
fn terminal_app_opens_a_request_and_approves_with_pin() {
    let dir = TempDir::new("tui");
    let s = serve_enrolled(&dir, free_port(), None, "Aviaja-Nuuk");
    let agent = bank_agent(&dir.0);
    let started = s.start_bank_login(&agent, "Aviaja-Nuuk");
    let login = started["login_id"].as_str().expect("a login id").to_owned();
    let reference = started["reference"]
        .as_str()
        .expect("a reference")
        .to_owned();

    let cmd = format!(
        "{SIM} app --profile phone --service {} --data {}",
        s.base,
        s.data_arg()
    );
    let t = Tmux::start(&cmd);
    let home = t.wait_screen("1 request waits for you", Duration::from_secs(20));
    assert!(home.contains("Aviaja-Nuuk · Test phone"), "{home}");
    assert!(home.contains("DEMO BANK"), "{home}");

    t.keys(&["Enter"]);
    let card = t.wait_screen("a Approve with PIN", Duration::from_secs(10));
    assert!(
        card.contains(&format!("Log on to Demo Bank ({reference})")),
        "{card}"
    );
    assert!(card.contains("left"), "{card}");
    assert!(card.contains("text in en (also da, kl)"), "{card}");

    t.keys(&["a"]);
    // Before the first approval: the five security rules.
    let rules = t.wait_screen("the five security rules", Duration::from_secs(10));
    assert!(rules.contains("Never show your codes"), "{rules}");
    t.keys(&["Enter"]);
    t.wait_screen("Enter your PIN", Duration::from_secs(10));
    // A wrong PIN first (two digits swapped): counted, and the pad clears.
    t.keys(&["4", "8", "2", "9", "6", "1"]);
    t.wait_screen("● ● ● ● ● ●", Duration::from_secs(10));
    t.keys(&["Right", "Right"]);
    let wrong = t.wait_screen("Wrong PIN.", Duration::from_secs(20));
    assert!(wrong.contains("9 attempts left"), "{wrong}");
    assert!(wrong.contains("○ ○ ○ ○ ○ ○"), "{wrong}");
    t.keys(&["4", "8", "2"]);
    let half = t.wait_screen("● ● ● ○ ○ ○", Duration::from_secs(10));
    assert!(!half.contains("482"), "digits shown:\n{half}");
    t.keys(&["9", "1", "6"]);
    let full = t.wait_screen("● ● ● ● ● ●", Duration::from_secs(10));
    assert!(!full.contains(PIN), "PIN shown:\n{full}");
    assert!(full.contains("press → twice within a second"), "{full}");

    t.keys(&["Right", "Right"]);
    let done = t.wait_screen("✓ Approved", Duration::from_secs(20));
    assert!(done.contains("Demo Bank – Log on"), "{done}");

    let status = get_json(&agent, &format!("{}/demo-bank/api/status/{login}", s.base));
    assert_eq!(status["status"], "approved", "{status}");
    assert_eq!(status["verified"], true, "{status}");

    // Home again: nothing waits any more.
    t.keys(&["Enter"]);
    t.wait_screen(
        "No requests. Nothing waits for you.",
        Duration::from_secs(10),
    );
    t.keys(&["q"]);
}
