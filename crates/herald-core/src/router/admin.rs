//! Administration: agents and roles (R30: supervisors and admins hear about the team), templates
//! (R20), settings (R24, R26–R28 switches, R31 custom presences), workstreams, queues and
//! contacts (R22). A spec without an id creates the record; the router hands out the id.

use super::{AgentSpec, ContactSpec, CoreError, QueueSpec, Reply, Router, WorkstreamSpec};
use crate::config::{Contact, Invalid, Queue, Settings, Template, Workstream, check_name};
use crate::ids::{AgentId, ContactId, QueueId, Timestamp, WorkstreamId};
use crate::model::{Agent, Saved};
use std::collections::BTreeSet;

impl Router {
    pub(super) fn upsert_agent(&mut self, spec: AgentSpec) -> Result<Reply, CoreError> {
        check_name("name", &spec.name)?;
        let id = match spec.id {
            Some(id) => {
                let a = self.agents.get_mut(&id).ok_or(CoreError::UnknownAgent(id))?;
                a.name = spec.name;
                a.role = spec.role;
                id
            }
            None => {
                let id = AgentId(self.alloc());
                self.agents.insert(id, Agent::new(id, spec.name, spec.role));
                id
            }
        };
        if spec.role.supervises() {
            self.supervisors.insert(id);
        } else {
            self.supervisors.remove(&id);
        }
        self.touch_agent(id);
        Ok(Reply::Agent(id))
    }

    pub(super) fn put_template(&mut self, t: Template) -> Result<Reply, CoreError> {
        t.validate()?;
        self.templates.insert(t.scenario, t.clone());
        self.out.saves.push(Saved::Template(t));
        Ok(Reply::Done)
    }

    pub(super) fn put_settings(&mut self, now: Timestamp, s: Settings) -> Result<Reply, CoreError> {
        s.validate()?;
        self.settings = s.clone();
        self.out.saves.push(Saved::Settings(s));
        self.drain_all(now);
        Ok(Reply::Done)
    }

    pub(super) fn upsert_workstream(&mut self, now: Timestamp, spec: WorkstreamSpec) -> Result<Reply, CoreError> {
        let WorkstreamSpec { id, name, mode, allowed_presences } = spec;
        // A new workstream is checked under the id it will get; nothing changes unless it passes.
        let w = Workstream { id: id.unwrap_or(WorkstreamId(self.next_id())), name, mode, allowed_presences };
        w.validate()?;
        match id {
            None => {
                self.alloc();
            }
            Some(id) if !self.workstreams.contains_key(&id) => return Err(CoreError::UnknownWorkstream(id)),
            Some(_) => {}
        }
        let id = w.id;
        self.workstreams.insert(id, w.clone());
        self.out.saves.push(Saved::Workstream(w));
        self.drain_all(now);
        Ok(Reply::Workstream(id))
    }

    pub(super) fn upsert_queue(&mut self, now: Timestamp, spec: QueueSpec) -> Result<Reply, CoreError> {
        let QueueSpec { id, name, workstream, mut members } = spec;
        check_name("name", &name)?;
        if !self.workstreams.contains_key(&workstream) {
            return Err(CoreError::UnknownWorkstream(workstream));
        }
        for m in &members {
            self.agent_ref(*m)?;
        }
        let mut seen = BTreeSet::new();
        members.retain(|m| seen.insert(*m));
        let id = match id {
            None => QueueId(self.alloc()),
            Some(id) if self.queues.contains_key(&id) => id,
            Some(id) => return Err(CoreError::UnknownQueue(id)),
        };
        let q = Queue { id, name, workstream, members };
        self.queues.insert(id, q.clone());
        self.out.saves.push(Saved::Queue(q));
        self.drain_queue(now, id);
        Ok(Reply::Queue(id))
    }

    pub(super) fn upsert_contact(&mut self, spec: ContactSpec) -> Result<Reply, CoreError> {
        let ContactSpec { id, name, mobile_phone } = spec;
        check_name("name", &name)?;
        if let Some(id) = id {
            if !self.contacts.contains_key(&id) {
                return Err(CoreError::UnknownContact(id));
            }
        }
        if let Some(p) = &mobile_phone {
            if let Some(other) = self.contacts_by_phone.get(p) {
                if Some(*other) != id {
                    return Err(Invalid::new("mobile_phone", format!("{p} already belongs to {other}")).into());
                }
            }
        }
        let id = match id {
            Some(id) => id,
            None => ContactId(self.alloc()),
        };
        if let Some(old) = self.contacts.get(&id).and_then(|o| o.mobile_phone.clone()) {
            self.contacts_by_phone.remove(&old);
        }
        if let Some(p) = &mobile_phone {
            self.contacts_by_phone.insert(p.clone(), id);
        }
        let c = Contact { id, name, mobile_phone };
        self.contacts.insert(id, c.clone());
        self.out.saves.push(Saved::Contact(c));
        Ok(Reply::Contact(id))
    }
}
