//! `akuersi-sim operator`: the citizen-service-centre side of the service's
//! operator API over HTTP: create an identity, issue an activation code,
//! freeze or unfreeze, set contact data, read the outbox of every channel
//! (SMS, e-mail, app) as an inbox, and register, list and revoke requesters.

use std::path::PathBuf;
use std::process::ExitCode;

use akuersi_core::http::HttpTransport;
use akuersi_core::transport::{call, Transport};
use akuersi_protocol::request::Action;
use akuersi_protocol::requester_key::{parse_public_key_pem, public_key_pem};
use akuersi_protocol::wire::{
    paths, Ack, ChannelMode, CodeChannel, CreateIdentity, CreateIdentityResponse,
    IssueActivationCode, IssueActivationCodeResponse, ListRequesters, NotificationItem,
    OperatorFreeze, OperatorOutbox, OperatorSetContact, OutboxResponse, RegisterRequester,
    RequesterInfo, RequesterList, RequesterNames, RevokeRequester, MAX_NOTIFICATION_PAGE,
};

use crate::error::SimError;
use crate::profile::{DEFAULT_DATA_DIR, DEFAULT_SERVICE_URL};
use crate::serve::TOKEN_FILE;
use crate::timefmt::utc;

/// `operator` options.
#[derive(Debug, clap::Args)]
pub struct OperatorArgs {
    /// The service's base URL.
    #[arg(long, value_name = "URL", default_value = DEFAULT_SERVICE_URL)]
    pub service: String,
    /// The operator token (also read from AKUERSI_OPERATOR_TOKEN). Default:
    /// the token `serve` saved in DIR/operator-token.
    #[arg(
        long,
        value_name = "T",
        env = "AKUERSI_OPERATOR_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// The data folder `serve` uses, to read its operator token file.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_DATA_DIR)]
    pub data: PathBuf,
    /// How to trust the service's certificate.
    #[command(flatten)]
    pub tls: crate::edge::ClientTlsArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: OperatorCommand,
}

/// Operator actions.
#[derive(Debug, clap::Subcommand)]
pub enum OperatorCommand {
    /// Create an identity for a new user ID.
    CreateIdentity {
        /// The owner's chosen user ID.
        user_id: String,
    },
    /// Issue a one-time activation code (paper: valid 48 hours; --sms: 30 minutes).
    IssueCode {
        /// The owner's user ID.
        user_id: String,
        /// Send it by SMS (to the phone number on file) instead of printing it on paper.
        #[arg(long)]
        sms: bool,
    },
    /// Freeze the identity: nothing can be approved until it is unfrozen.
    Freeze {
        /// The owner's user ID.
        user_id: String,
    },
    /// Lift a freeze (support route, after checking who calls).
    Unfreeze {
        /// The owner's user ID.
        user_id: String,
    },
    /// Set the phone number (SMS) and e-mail address notices go to.
    SetContact {
        /// The owner's user ID.
        user_id: String,
        /// Phone number: + and 7 to 15 digits, such as +299123456.
        #[arg(long)]
        phone: Option<String>,
        /// E-mail address.
        #[arg(long)]
        email: Option<String>,
    },
    /// Show what the service sent by SMS, e-mail and to the app, as inboxes.
    Inbox {
        /// Only this user ID's messages.
        user_id: Option<String>,
    },
    /// Register a requester (a service provider) with its P-256 key: it may
    /// then create, poll and cancel requests, each call signed with the key.
    RegisterRequester(RegisterRequesterArgs),
    /// List the registered requesters, revoked ones included.
    ListRequesters,
    /// Revoke a requester: its calls are refused from now on.
    RevokeRequester {
        /// The requester's id.
        requester_id: String,
    },
}

/// `operator register-requester` options.
#[derive(Debug, clap::Args)]
pub struct RegisterRequesterArgs {
    /// The requester's id: a-z, 0-9, '.', '_' and '-', at most 64.
    pub requester_id: String,
    /// The name the owner reads, in every language unless --name-kl,
    /// --name-da or --name-en gives another.
    #[arg(long)]
    pub name: String,
    /// The name in Kalaallisut.
    #[arg(long)]
    pub name_kl: Option<String>,
    /// The name in Danish.
    #[arg(long)]
    pub name_da: Option<String>,
    /// The name in English.
    #[arg(long)]
    pub name_en: Option<String>,
    /// The actions it may ask for, comma-separated (log_on, approve,
    /// confirm, accept, sign).
    #[arg(long, value_delimiter = ',', default_value = "log_on")]
    pub actions: Vec<String>,
    /// The channel-binding modes it may use, comma-separated (none, code, qr).
    #[arg(long, value_delimiter = ',', default_value = "none,code,qr")]
    pub channel_binding: Vec<String>,
    /// Most creates in any 60 seconds.
    #[arg(long, default_value_t = 60)]
    pub per_minute: u32,
    /// Most creates in any hour.
    #[arg(long, default_value_t = 1000)]
    pub per_hour: u32,
    /// Its public key: a P-256 `PUBLIC KEY` PEM file (as `openssl ec -pubout` writes).
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "generate_key",
        required_unless_present = "generate_key"
    )]
    pub public_key: Option<PathBuf>,
    /// Make a new key pair instead: the private key goes to FILE (PKCS#8
    /// PEM, mode 0600, never over an existing file), for the requester.
    #[arg(long, value_name = "FILE")]
    pub generate_key: Option<PathBuf>,
}

/// Run one operator command.
pub fn main(args: OperatorArgs) -> ExitCode {
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("akuersi-sim operator: {e}");
            ExitCode::FAILURE
        }
    }
}

fn token(args: &OperatorArgs) -> Result<String, SimError> {
    if let Some(t) = &args.token {
        return Ok(t.trim().to_owned());
    }
    let file = args.data.join(TOKEN_FILE);
    match std::fs::read_to_string(&file) {
        Ok(t) if !t.trim().is_empty() => Ok(t.trim().to_owned()),
        _ => Err(SimError::Demo(format!(
            "no operator token: pass --token, set AKUERSI_OPERATOR_TOKEN, or point --data at the \
             folder `serve` uses ({} was not found)",
            file.display()
        ))),
    }
}

fn run(args: OperatorArgs) -> Result<(), SimError> {
    let token = token(&args)?;
    let config = args.tls.transport_config(&args.service, &args.data)?;
    let transport = HttpTransport::with_config(config)
        .map_err(|e| SimError::Demo(format!("bad service URL: {}", e.reason)))?;
    let t: &dyn Transport = &transport;
    match args.command {
        OperatorCommand::CreateIdentity { user_id } => {
            let r: CreateIdentityResponse = call(
                t,
                paths::OPERATOR_CREATE_IDENTITY,
                &CreateIdentity {
                    token,
                    user_id: user_id.clone(),
                },
            )?;
            println!(
                "Created the identity for user ID {user_id} (identity {}).",
                r.identity_id
            );
            println!("Next: issue-code {user_id}");
        }
        OperatorCommand::IssueCode { user_id, sms } => {
            let channel = if sms {
                CodeChannel::Sms
            } else {
                CodeChannel::Paper
            };
            let r: IssueActivationCodeResponse = call(
                t,
                paths::OPERATOR_ISSUE_CODE,
                &IssueActivationCode {
                    token,
                    user_id: user_id.clone(),
                    channel,
                },
            )?;
            // The code is what the operator hands over; printing it is the
            // point of this command (like the paper letter).
            println!("Activation code for {user_id}: {}", r.code);
            println!(
                "Valid until {} ({}); it works once, and 3 wrong tries block it.",
                utc(r.expires_at_ms),
                if sms {
                    "sent by SMS: 30 minutes"
                } else {
                    "on paper: 48 hours"
                }
            );
        }
        OperatorCommand::Freeze { user_id } => {
            set_frozen(t, token, &user_id, true)?;
            println!(
                "Froze the identity of {user_id}: nothing can be approved until it is unfrozen."
            );
        }
        OperatorCommand::Unfreeze { user_id } => {
            set_frozen(t, token, &user_id, false)?;
            println!("Unfroze the identity of {user_id}.");
        }
        OperatorCommand::SetContact {
            user_id,
            phone,
            email,
        } => {
            let _: Ack = call(
                t,
                paths::OPERATOR_SET_CONTACT,
                &OperatorSetContact {
                    token,
                    user_id: user_id.clone(),
                    phone: phone.clone(),
                    email: email.clone(),
                },
            )?;
            println!(
                "Contact data of {user_id}: phone {}, e-mail {}.",
                phone.as_deref().unwrap_or("(none)"),
                email.as_deref().unwrap_or("(none)")
            );
        }
        OperatorCommand::Inbox { user_id } => {
            let items = read_outbox(t, &token, user_id.as_deref(), 0)?;
            print!("{}", render_inbox(&items));
        }
        OperatorCommand::RegisterRequester(r) => register_requester(t, token, r)?,
        OperatorCommand::ListRequesters => {
            let r: RequesterList = call(
                t,
                paths::OPERATOR_LIST_REQUESTERS,
                &ListRequesters { token },
            )?;
            print!("{}", render_requesters(&r.requesters));
        }
        OperatorCommand::RevokeRequester { requester_id } => {
            let _: Ack = call(
                t,
                paths::OPERATOR_REVOKE_REQUESTER,
                &RevokeRequester {
                    token,
                    requester_id: requester_id.clone(),
                },
            )?;
            println!("Revoked requester {requester_id}: its calls are refused from now on.");
        }
    }
    Ok(())
}

/// Every outbox entry after `after_id` (of `user_id`, or everyone's), read
/// page by page: the service sends at most `MAX_NOTIFICATION_PAGE` at once.
pub(crate) fn read_outbox(
    t: &dyn Transport,
    token: &str,
    user_id: Option<&str>,
    after_id: u64,
) -> akuersi_core::Result<Vec<NotificationItem>> {
    let mut items: Vec<NotificationItem> = Vec::new();
    let mut after = after_id;
    loop {
        let r: OutboxResponse = call(
            t,
            paths::OPERATOR_OUTBOX,
            &OperatorOutbox {
                token: token.to_owned(),
                user_id: user_id.map(str::to_owned),
                after_id: after,
            },
        )?;
        let full = r.items.len() >= MAX_NOTIFICATION_PAGE as usize;
        match r.items.last() {
            Some(last) if last.id > after => after = last.id,
            _ => break,
        }
        items.extend(r.items);
        if !full {
            break;
        }
    }
    Ok(items)
}

/// Parse comma-separated wire names with `parse`.
fn names_of<T>(
    what: &str,
    items: &[String],
    parse: fn(&str) -> Option<T>,
) -> Result<Vec<T>, SimError> {
    items
        .iter()
        .map(|i| parse(i.trim()).ok_or_else(|| SimError::Demo(format!("unknown {what}: {i:?}"))))
        .collect()
}

/// Register a requester: read its public key, or make a key pair and keep
/// the private key in a new 0600 file. Writes that file; one operator call.
fn register_requester(
    t: &dyn Transport,
    token: String,
    args: RegisterRequesterArgs,
) -> Result<(), SimError> {
    let actions = names_of("action", &args.actions, Action::from_wire)?;
    let channel_modes = names_of(
        "channel-binding mode",
        &args.channel_binding,
        ChannelMode::from_wire,
    )?;
    let (public_key, written) = match (&args.public_key, &args.generate_key) {
        (Some(file), _) => {
            let pem = std::fs::read_to_string(file)
                .map_err(|e| SimError::Demo(format!("cannot read {}: {e}", file.display())))?;
            let key = parse_public_key_pem(&pem)
                .map_err(|e| SimError::Demo(format!("{}: {e}", file.display())))?;
            (key, None)
        }
        (None, Some(file)) => {
            let key = crate::requesters::generate_key_file(&args.requester_id, file)?;
            (key.public_key(), Some(file))
        }
        (None, None) => {
            return Err(SimError::Demo(
                "give --public-key FILE or --generate-key FILE".into(),
            ))
        }
    };
    let name = |n: &Option<String>| n.clone().unwrap_or_else(|| args.name.clone());
    let info = RequesterInfo {
        requester_id: args.requester_id.clone(),
        names: RequesterNames {
            kl: name(&args.name_kl),
            da: name(&args.name_da),
            en: name(&args.name_en),
        },
        actions,
        channel_modes,
        max_per_minute: args.per_minute,
        max_per_hour: args.per_hour,
        public_key,
        registered_at_ms: 0,
        revoked_at_ms: None,
    };
    let stored: RequesterInfo = call(
        t,
        paths::OPERATOR_REGISTER_REQUESTER,
        &RegisterRequester {
            token,
            requester: info,
        },
    )?;
    println!("Registered requester {}.", stored.requester_id);
    print!("{}", render_requesters(std::slice::from_ref(&stored)));
    if let Some(file) = written {
        println!(
            "Its private key is in {} (mode 0600): give it to the requester, and only to it.",
            file.display()
        );
    }
    Ok(())
}

/// The registered requesters, one block each.
pub fn render_requesters(requesters: &[RequesterInfo]) -> String {
    let mut out = String::new();
    if requesters.is_empty() {
        out.push_str("(no requesters registered)\n");
    }
    for r in requesters {
        let list = |v: Vec<&str>| v.join(", ");
        out.push_str(&format!(
            "{}{}\n   names: kl {:?}, da {:?}, en {:?}\n   actions: {}; channel binding: {}\n   \
             limits: {} a minute, {} an hour; registered {}\n",
            r.requester_id,
            match r.revoked_at_ms {
                Some(at) => format!(" (REVOKED {})", utc(at)),
                None => String::new(),
            },
            r.names.kl,
            r.names.da,
            r.names.en,
            list(r.actions.iter().map(|a| a.as_str()).collect()),
            list(r.channel_modes.iter().map(|m| m.as_str()).collect()),
            r.max_per_minute,
            r.max_per_hour,
            utc(r.registered_at_ms),
        ));
        for line in public_key_pem(&r.public_key).lines() {
            out.push_str(&format!("   {line}\n"));
        }
    }
    out
}

/// Freeze or unfreeze `user_id`'s identity (one operator call, both ways).
fn set_frozen(
    t: &dyn Transport,
    token: String,
    user_id: &str,
    frozen: bool,
) -> Result<(), SimError> {
    let _: Ack = call(
        t,
        paths::OPERATOR_FREEZE,
        &OperatorFreeze {
            token,
            user_id: user_id.to_owned(),
            frozen,
        },
    )?;
    Ok(())
}

/// The outbox as three inboxes: SMS, e-mail and app, oldest first.
pub fn render_inbox(items: &[NotificationItem]) -> String {
    let mut out = String::new();
    for (channel, title) in [("sms", "SMS"), ("email", "E-mail"), ("app", "App")] {
        let mine: Vec<&NotificationItem> = items
            .iter()
            .filter(|i| i.channel.as_str() == channel)
            .collect();
        out.push_str(&format!("== {title} ({}) ==\n", mine.len()));
        if mine.is_empty() {
            out.push_str("   (empty)\n");
        }
        for i in mine {
            let to = if i.address.is_empty() {
                String::new()
            } else {
                format!(" to {}", i.address)
            };
            out.push_str(&format!(
                "#{} {}{to} [{}]\n   {}\n",
                i.id,
                utc(i.at_ms),
                i.event,
                i.text
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inbox_groups_by_channel() {
        let item = |id, channel, address: &str| NotificationItem {
            id,
            at_ms: 0,
            channel,
            address: address.into(),
            event: "device_activated".into(),
            text: "A new device was activated.".into(),
        };
        let text = render_inbox(&[
            item(1, akuersi_protocol::wire::Channel::App, ""),
            item(2, akuersi_protocol::wire::Channel::Sms, "+299 123456"),
        ]);
        assert!(text.contains("== SMS (1) ==\n#2 1970-01-01 00:00:00 UTC to +299 123456"));
        assert!(text.contains("== E-mail (0) ==\n   (empty)"));
        assert!(text.contains("== App (1) =="));
    }
}
