//! Ringing: the app plays a request's sound itself (a notification daemon's `sound-name` hint
//! plays nothing on many desktops) and repeats it until the request is answered, withdrawn or
//! expires — or plays it once, as the agent chose ([`crate::view::RingSettings`]).
//!
//! The sounds are ours: tones generated here at start (sine waves with short fades, so nothing
//! clicks), under the project's licence; no files are shipped or decoded. A voice call rings
//! like a phone (400 + 450 Hz, two short rings and a pause).
//!
//! [`Speaker`] plays through the default output device ([`rodio`], on cpal: ALSA on Linux, which
//! reaches PulseAudio or PipeWire when they run). It opens the device only while something plays
//! and closes it when the ring stops, so no silent stream stays open. A machine without an
//! output device still works: the first failure is reported once ([`Speaker::start`]).

use herald_protocol::{Channel, Offer, OfferAction, OfferId, Scenario};
use serde::{Deserialize, Serialize};
use std::num::NonZero;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use ts_rs::TS;

/// The sound of a kind of request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Sound {
    Chat,
    Sms,
    /// A voice call: rings like a phone.
    Phone,
    /// A case or another work item.
    Case,
    /// A transfer or an escalation from a colleague or a bot.
    Transfer,
}

impl Sound {
    /// The sound of an offer: by its channel for a call, otherwise by why it was offered.
    pub fn of(offer: &Offer) -> Self {
        match (offer.channel, offer.scenario) {
            (Channel::Voice, _) | (_, Scenario::Voice) => Sound::Phone,
            (_, Scenario::Transfer | Scenario::Escalation | Scenario::BotEscalation) => Sound::Transfer,
            (_, Scenario::Sms) => Sound::Sms,
            (_, Scenario::Case | Scenario::WorkItem) => Sound::Case,
            (_, Scenario::Chat) => Sound::Chat,
        }
    }

    /// One cycle: tones (frequencies in Hz, none for silence) and how long each lasts in ms.
    fn cadence(self) -> &'static [(&'static [f32], u32)] {
        const PHONE: &[f32] = &[400.0, 450.0];
        match self {
            Sound::Phone => &[(PHONE, 400), (&[], 200), (PHONE, 400), (&[], 2000)],
            Sound::Chat => &[(&[1318.5], 120), (&[], 40), (&[987.8], 180), (&[], 1600)],
            Sound::Sms => &[(&[1046.5], 90), (&[], 60), (&[1046.5], 90), (&[], 60), (&[1046.5], 90), (&[], 1600)],
            Sound::Case => &[(&[659.3], 300), (&[], 2200)],
            Sound::Transfer => &[(&[523.3], 120), (&[659.3], 120), (&[784.0], 220), (&[], 1500)],
        }
    }

    /// One cycle as mono samples at `rate` Hz, at `volume` (0.0–1.0).
    pub fn samples(self, rate: u32, volume: f32) -> Vec<f32> {
        let fade = (rate / 200) as usize; // 5 ms in and out
        let mut out = Vec::new();
        for (freqs, ms) in self.cadence() {
            let n = (rate as u64 * u64::from(*ms) / 1000) as usize;
            for i in 0..n {
                if freqs.is_empty() {
                    out.push(0.0);
                    continue;
                }
                let t = i as f32 / rate as f32;
                let wave: f32 = freqs.iter().map(|f| (std::f32::consts::TAU * f * t).sin()).sum::<f32>() / freqs.len() as f32;
                let edge = (i.min(n - 1 - i) as f32 / fade as f32).min(1.0);
                out.push(wave * edge * volume * 0.6);
            }
        }
        out
    }
}

/// Whether an offer waits for an answer the agent gives (an informational one does not ring).
pub fn wants_answer(offer: &Offer) -> bool {
    offer.actions.iter().any(|a| matches!(a, OfferAction::Accept | OfferAction::Reject | OfferAction::OpenItem))
}

/// What should be heard now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ring {
    /// The offer it rings for; `None` for the test button in Settings.
    pub offer: Option<OfferId>,
    pub sound: Sound,
    /// 0–100.
    pub volume: u8,
    /// Until it is stopped, or one cycle.
    pub repeat: bool,
}

/// Plays rings: the one that should be heard now replaces what plays; `None` stops at once.
pub trait Ringer: Send + Sync {
    fn ring(&self, ring: Option<Ring>);
}

/// What the player reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Heard {
    /// The device plays this ring now.
    Playing(Ring),
    /// Nothing can be played, and why, in the audio library's words (reported once).
    Unavailable(String),
}

/// The default output device, on a thread of its own (the device is not `Send`).
#[derive(Debug)]
pub struct Speaker {
    tx: mpsc::Sender<Option<Ring>>,
}

const RATE: u32 = 48_000;

impl Speaker {
    /// Starts the player thread; `report` hears each ring the device starts playing, and, once,
    /// why nothing can be played.
    pub fn start(report: impl Fn(Heard) + Send + 'static) -> Self {
        let (tx, rx) = mpsc::channel::<Option<Ring>>();
        let spawned = std::thread::Builder::new().name("herald-sound".into()).spawn(move || {
            let mut playing: Option<rodio::MixerDeviceSink> = None;
            let mut until: Option<Instant> = None;
            let mut told = false;
            loop {
                let next = match until {
                    Some(at) => match rx.recv_timeout(at.saturating_duration_since(Instant::now())) {
                        Ok(r) => r,
                        Err(mpsc::RecvTimeoutError::Timeout) => None,
                        Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    },
                    None => match rx.recv() {
                        Ok(r) => r,
                        Err(_) => return,
                    },
                };
                // Whatever played stops here: the device closes with it.
                drop(playing.take());
                until = None;
                let Some(ring) = next else { continue };
                // Stream errors (an underrun, a daemon gone) are logged once per ring, not per period.
                let noted = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
                let opened = rodio::DeviceSinkBuilder::from_default_device().and_then(|b| {
                    b.with_error_callback(move |e| {
                        if !noted.swap(true, std::sync::atomic::Ordering::Relaxed) {
                            tracing::warn!(error = %e, "the sound device reported an error");
                        }
                    })
                    .open_sink_or_fallback()
                });
                match opened {
                    Ok(mut device) => {
                        device.log_on_drop(false);
                        let samples = ring.sound.samples(RATE, f32::from(ring.volume.min(100)) / 100.0);
                        let one = Duration::from_secs_f64(samples.len() as f64 / f64::from(RATE));
                        let buffer = rodio::buffer::SamplesBuffer::new(NonZero::<u16>::MIN, NonZero::new(RATE).expect("not zero"), samples);
                        if ring.repeat {
                            device.mixer().add(rodio::Source::repeat_infinite(buffer));
                        } else {
                            device.mixer().add(buffer);
                            until = Some(Instant::now() + one + Duration::from_millis(200));
                        }
                        tracing::debug!(?ring, "ringing");
                        playing = Some(device);
                        report(Heard::Playing(ring));
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "no sound device: requests will not ring");
                        if !told {
                            told = true;
                            report(Heard::Unavailable(e.to_string()));
                        }
                    }
                }
            }
        });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "could not start the sound thread");
        }
        Self { tx }
    }
}

impl Ringer for Speaker {
    fn ring(&self, ring: Option<Ring>) {
        let _ = self.tx.send(ring);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_sound_is_a_cycle_of_tones_and_silence_within_volume() {
        for sound in [Sound::Chat, Sound::Sms, Sound::Phone, Sound::Case, Sound::Transfer] {
            let s = sound.samples(8_000, 1.0);
            let secs = s.len() as f32 / 8_000.0;
            assert!((1.5..4.0).contains(&secs), "{sound:?}: {secs} s");
            let peak = s.iter().fold(0.0f32, |m, x| m.max(x.abs()));
            assert!(peak > 0.3 && peak <= 0.6, "{sound:?}: peak {peak}");
            assert!(s.iter().filter(|x| **x == 0.0).count() > s.len() / 3, "{sound:?} has its pause");
            assert_eq!(sound.samples(8_000, 0.0).iter().fold(0.0f32, |m, x| m.max(x.abs())), 0.0, "volume 0 is silent");
        }
    }
}
