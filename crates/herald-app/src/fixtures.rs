//! Values for the unit tests: an offer, a session, an agent, a model as it starts.

use crate::model::{Model, Setup};
use crate::view::{DesktopSettings, NotificationMode, ToastSupport};
use herald_protocol::{
    AgentId, AgentSummary, BasePresence, Customer, DesktopMode, NotificationKind, Offer, OfferAction, OfferField, OfferId, OfferState,
    Presence, Role, Scenario, Session, SessionId, SessionState, Timestamp, WorkItemId,
};

/// A pending chat offer created at 1 s with a deadline at 91 s (workspace clock).
pub fn offer(id: u64) -> Offer {
    Offer {
        id: OfferId(id),
        work_item: WorkItemId(100 + id),
        agent: AgentId(1),
        scenario: Scenario::Chat,
        channel: herald_protocol::Channel::Chat,
        kind: NotificationKind::Alert,
        title: "Chat with Ada".into(),
        fields: vec![OfferField { label: "Customer".into(), value: "Ada Lovelace".into() }],
        actions: vec![OfferAction::Accept, OfferAction::Reject],
        customer: Customer { name: "Ada Lovelace".into(), phone: None, contact: None },
        created_at: Timestamp(1_000),
        deadline: Some(Timestamp(91_000)),
        show_timeout: true,
        desktop_mode: DesktopMode::Background,
        displayed_at: None,
        hold_until: None,
        state: OfferState::Pending,
        ended_at: None,
    }
}

pub fn session(id: u64, item: u64) -> Session {
    Session {
        id: SessionId(id),
        work_item: WorkItemId(item),
        agent: AgentId(1),
        scenario: Scenario::Chat,
        channel: herald_protocol::Channel::Chat,
        customer: Customer { name: "Ada Lovelace".into(), phone: None, contact: None },
        title: "Chat with Ada".into(),
        fields: Vec::new(),
        context: Default::default(),
        state: SessionState::Open,
        created_at: Timestamp(1_000),
        opened_at: Some(Timestamp(2_000)),
        closed_at: None,
        call: None,
        conversation: None,
    }
}

pub fn agent(name: &str, base: BasePresence) -> AgentSummary {
    AgentSummary {
        id: AgentId(1),
        name: name.into(),
        role: Role::Agent,
        presence: Presence { base, custom: None },
        banner: None,
        open_sessions: 0,
        pending_offer: false,
        missed_count: 0,
        rejected_count: 0,
        connected: true,
    }
}

/// A model as the app starts it, with toasts available and the given mode, linked to a
/// remote workspace.
pub fn model(mode: NotificationMode) -> Model {
    let settings = DesktopSettings { workspace_url: "https://herald.example.com".into(), notifications: mode, ..Default::default() };
    Model::new(Setup {
        settings,
        data_dir: "/tmp/herald".into(),
        toasts: ToastSupport { available: true, actions: true, server: None, detail: None },
        icon: None,
        language: crate::i18n::Language::En,
    })
}
