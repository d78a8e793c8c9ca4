//! `akuersi-sim operator register-requester`, `list-requesters` and
//! `revoke-requester` against a service over real HTTP: the generated key
//! file is private and signs calls the service accepts, until revoked.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use akuersi_core::http::HttpTransport;
use akuersi_core::transport::call;
use akuersi_core::Error;
use akuersi_protocol::clock::{Clock, SystemClock};
use akuersi_protocol::requester_key::{public_key_pem, RequesterKey};
use akuersi_protocol::wire::{paths, CreateRequestResponse, ErrorCode};
use akuersi_server::http::{self, ServerHandle};
use akuersi_server::{Service, ServiceConfig};
use akuersi_sim::requesters::read_key_file;
use akuersi_testkit::{log_on, TempDir};

const TOKEN: &str = "cli-test-token";

fn start() -> ServerHandle {
    let service = Arc::new(
        Service::open(
            ":memory:",
            Arc::new(SystemClock),
            ServiceConfig {
                operator_token: Some(TOKEN.into()),
                ..ServiceConfig::default()
            },
        )
        .expect("an in-memory service"),
    );
    ServerHandle::start(http::router(service), "127.0.0.1:0".parse().unwrap()).expect("serve")
}

fn operator(base: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_akuersi-sim"))
        .args(["operator", "--service", base, "--token", TOKEN])
        .args(args)
        .output()
        .expect("run akuersi-sim")
}

fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn create_as(base: &str, key: &RequesterKey) -> Result<CreateRequestResponse, Error> {
    let t = HttpTransport::new(base).unwrap();
    let msg = key
        .sign(log_on("Aviaja-Nuuk"), SystemClock.now_ms())
        .unwrap();
    call(&t, paths::CREATE_REQUEST, &msg)
}

#[test]
fn register_list_and_revoke_round_trip() {
    let server = start();
    let base = server.base_url();
    let dir = TempDir::new("operator-requesters");
    let key_file = dir.0.join("fjord.pem");
    let key_path = key_file.to_str().unwrap();

    let out = ok(operator(
        &base,
        &[
            "register-requester",
            "fjord-bank",
            "--name",
            "Fjord Bank",
            "--name-da",
            "Fjordbanken",
            "--actions",
            "log_on,approve",
            "--channel-binding",
            "none,qr",
            "--generate-key",
            key_path,
        ],
    ));
    assert!(out.contains("Registered requester fjord-bank."), "{out}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The generated key never overwrites a file.
    let again = operator(
        &base,
        &[
            "register-requester",
            "other",
            "--name",
            "Other",
            "--generate-key",
            key_path,
        ],
    );
    assert!(!again.status.success());

    // A second requester from a public-key PEM, as openssl writes it.
    let (shop, _) = RequesterKey::generate("fish-shop").unwrap();
    let pem = dir.0.join("shop.pub.pem");
    std::fs::write(&pem, public_key_pem(&shop.public_key())).unwrap();
    ok(operator(
        &base,
        &[
            "register-requester",
            "fish-shop",
            "--name",
            "Fish Shop",
            "--public-key",
            pem.to_str().unwrap(),
        ],
    ));

    let list = ok(operator(&base, &["list-requesters"]));
    assert!(list.contains("fish-shop\n"), "{list}");
    assert!(list.contains("fjord-bank\n"), "{list}");
    assert!(
        list.contains(r#"names: kl "Fjord Bank", da "Fjordbanken", en "Fjord Bank""#),
        "{list}"
    );
    assert!(
        list.contains("actions: approve, log_on; channel binding: none, qr"),
        "{list}"
    );
    assert!(list.contains(public_key_pem(&shop.public_key()).lines().nth(1).unwrap()));

    // The key file signs calls the service accepts…
    let bank = read_key_file("fjord-bank", Path::new(key_path)).unwrap();
    create_as(&base, &bank).expect("a registered requester creates");
    // …until the requester is revoked.
    let out = ok(operator(&base, &["revoke-requester", "fjord-bank"]));
    assert!(out.contains("Revoked requester fjord-bank"), "{out}");
    match create_as(&base, &bank) {
        Err(Error::Service { code, .. }) => assert_eq!(code, ErrorCode::RequesterRevoked),
        other => panic!("a revoked requester was not refused: {other:?}"),
    }
    let list = ok(operator(&base, &["list-requesters"]));
    assert!(list.contains("fjord-bank (REVOKED "), "{list}");
    // A wrong token, a bad key file: refused, with a message.
    let bad = Command::new(env!("CARGO_BIN_EXE_akuersi-sim"))
        .args([
            "operator",
            "--service",
            &base,
            "--token",
            "wrong",
            "list-requesters",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    std::fs::write(&pem, "not a key").unwrap();
    let bad = operator(
        &base,
        &[
            "register-requester",
            "x",
            "--name",
            "X",
            "--public-key",
            pem.to_str().unwrap(),
        ],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("PUBLIC KEY"));
}
