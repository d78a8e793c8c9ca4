//! akuersi-server: the reference identity service (verifier) for Akuersi.
//!
//! [`service::Service`] holds identities, devices, requests and PIN verifiers
//! in SQLite and checks every device signature and SPAKE2+ proof; every SQL
//! statement it runs sits behind the `storage` module.
//! [`api::handle`] is its JSON front; [`transport::InProcessTransport`]
//! connects an app installation to it inside one process.

pub mod api;
#[cfg(feature = "bench")]
pub mod bench_support;
pub mod error;
pub mod http;
pub mod jobs;
pub mod keys;
pub mod lockout;
pub mod notify;
pub mod service;
mod storage;
pub mod tls;
pub mod transport;

// The service's parts kept their old paths (`akuersi_server::channel::…`).
pub use service::{channel, devices, enrollment, freeze, settings};

pub use error::ServiceError;
pub use service::{Service, ServiceConfig};
pub use transport::InProcessTransport;

#[cfg(test)]
mod tests {
    /// The service must not run the device's state machine, store or key
    /// store: of akuersi-core it may use the notification texts only
    /// (server/README.md says why).
    #[test]
    fn server_uses_only_the_display_part_of_core() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        assert!(files.len() > 10, "found the sources");
        let mut seen = 0;
        for file in files {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            if name == "tests.rs" || name == "test_support.rs" || name == "lib.rs" {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            for line in text.lines() {
                let code = line.split("//").next().unwrap_or("");
                for (at, _) in code.match_indices("akuersi_core::") {
                    seen += 1;
                    assert!(
                        code[at..].starts_with("akuersi_core::display::i18n"),
                        "{}: {line}",
                        file.display()
                    );
                }
            }
        }
        assert!(seen >= 1, "the notification texts come from the core");
    }
}
