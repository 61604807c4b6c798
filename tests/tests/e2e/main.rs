//! The story suite: every end-to-end test, as one test binary (one link instead of twenty — the
//! debug binaries of this suite each carry the whole workspace, server, client and desktop app).
//! nextest still runs every test in its own process; a module here is what a file under
//! `tests/` was before.

mod accounts;
mod board;
mod bot_escalation;
mod cluster;
mod console_browser;
mod demo;
mod durability;
mod limits;
mod messages;
mod metrics;
mod notify;
mod openapi;
mod realtime;
mod resync;
mod revocation;
mod roles;
mod store;
mod stories;
mod stranded;
mod strictness;
mod timeline;
mod tls;
mod twilio_sms;
mod twilio_voice;
mod webchat;
mod webchat_browser;
