//! Twilio: webhook signatures, what every Twilio webhook handler shares ([`verify`], [`param`],
//! [`required`], [`twiml`]), and TwiML helpers. The SMS and voice webhooks live in their own
//! channel modules and use these.
//!
//! Signatures follow Twilio's `RequestValidator` (twilio-python `request_validator.py`): the
//! full URL Twilio requested, then every POST parameter sorted by name (values of a repeated name
//! sorted too), each name immediately followed by its value; HMAC-SHA1 with the account's auth
//! token, base64. When the request carries `X-Twilio-Webhooks-Signature-Settings`
//! (`key=<sharedKeyId>,algorithm=HMAC_SHA256`) the algorithm comes from there and the secret is
//! that shared key's (configured by id), else the auth token. Like the SDK, the URL is tried with
//! and without its default port, because Twilio is not consistent about it. The compare is
//! constant-time.

use super::Channels;
use crate::edge::error::AppError;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use herald_protocol::ErrorCode;
use hmac::{Hmac, Mac};
use std::collections::BTreeMap;
use subtle::ConstantTimeEq;

pub const SIGNATURE_HEADER: &str = "x-twilio-signature";
pub const SIGNATURE_SETTINGS_HEADER: &str = "x-twilio-webhooks-signature-settings";

/// How a webhook was signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    HmacSha1,
    HmacSha256,
}

/// What `X-Twilio-Webhooks-Signature-Settings` says: the algorithm (SHA-1 when absent) and the
/// shared key's id, if any. `None` for an algorithm we do not know (the request is refused).
pub fn signature_settings(header: Option<&str>) -> Option<(Algorithm, Option<String>)> {
    let mut algorithm = Algorithm::HmacSha1;
    let mut key = None;
    for part in header.unwrap_or("").split(',') {
        let Some((name, value)) = part.split_once('=') else { continue };
        let value = value.trim();
        match name.trim() {
            "algorithm" if !value.is_empty() => {
                algorithm = match value.to_ascii_uppercase().as_str() {
                    "HMAC_SHA1" => Algorithm::HmacSha1,
                    "HMAC_SHA256" => Algorithm::HmacSha256,
                    _ => return None,
                }
            }
            "key" if !value.is_empty() => key = Some(value.to_string()),
            _ => {}
        }
    }
    Some((algorithm, key))
}

/// The signature Twilio computes for `url` and `params` with `secret`.
pub fn signature(secret: &str, url: &str, params: &[(String, String)], algorithm: Algorithm) -> String {
    let mut by_name: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (k, v) in params {
        by_name.entry(k).or_default().push(v);
    }
    let mut data = String::from(url);
    for (name, mut values) in by_name {
        values.sort_unstable();
        values.dedup();
        for v in values {
            data.push_str(name);
            data.push_str(v);
        }
    }
    let mac = match algorithm {
        Algorithm::HmacSha1 => {
            let mut m = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
            m.update(data.as_bytes());
            m.finalize().into_bytes().to_vec()
        }
        Algorithm::HmacSha256 => {
            let mut m = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
            m.update(data.as_bytes());
            m.finalize().into_bytes().to_vec()
        }
    };
    base64::engine::general_purpose::STANDARD.encode(mac)
}

/// `url` with its default port written out, and without any port.
fn port_variants(url: &str) -> Vec<String> {
    let Ok(parsed) = url::Url::parse(url) else { return vec![url.to_string()] };
    let mut out = vec![url.to_string()];
    let Some(host) = parsed.host_str() else { return out };
    let default = match parsed.scheme() {
        "https" => 443,
        _ => 80,
    };
    // The URL as written, then with no port, then with the default port written out.
    let authority = |port: Option<u16>| match port {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    };
    let rest = &url[parsed.scheme().len() + 3..];
    let after_authority = rest.find(['/', '?', '#']).map_or("", |i| &rest[i..]);
    let userinfo = match (parsed.username(), parsed.password()) {
        ("", None) => String::new(),
        (u, None) => format!("{u}@"),
        (u, Some(p)) => format!("{u}:{p}@"),
    };
    for port in [None, Some(parsed.port().unwrap_or(default))] {
        let v = format!("{}://{userinfo}{}{after_authority}", parsed.scheme(), authority(port));
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// Whether `given` is the signature of this request (constant-time compare per candidate URL).
pub fn valid(secret: &str, url: &str, params: &[(String, String)], given: &str, algorithm: Algorithm) -> bool {
    let given = given.trim().as_bytes();
    let mut ok = subtle::Choice::from(0);
    for candidate in port_variants(url) {
        let expected = signature(secret, &candidate, params, algorithm);
        ok |= expected.as_bytes().ct_eq(given);
    }
    bool::from(ok)
}

/// Empty TwiML: "received, nothing to say".
pub const EMPTY_TWIML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>";

/// Escapes text for TwiML element content and attribute values.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

// ----- what every Twilio webhook handler shares -----

/// Checks the Twilio signature of a form-encoded webhook and returns its parameters.
/// 404 when Twilio is not configured; 403 when the signature is missing or wrong.
pub fn verify(channels: &Channels, headers: &HeaderMap, uri: &Uri, body: &[u8]) -> Result<Vec<(String, String)>, AppError> {
    let Some(cfg) = &channels.config.twilio else {
        return Err(AppError::new(ErrorCode::NotFound, "the Twilio channel is not configured"));
    };
    let params: Vec<(String, String)> = url::form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let given =
        headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).ok_or_else(|| AppError::forbidden("missing X-Twilio-Signature"))?;
    let settings = headers.get(SIGNATURE_SETTINGS_HEADER).and_then(|v| v.to_str().ok());
    let (algorithm, key) = signature_settings(settings)
        .ok_or_else(|| AppError::forbidden("unsupported signature algorithm in X-Twilio-Webhooks-Signature-Settings"))?;
    let secret = match &key {
        Some(k) => cfg.shared_keys.get(k).unwrap_or(&cfg.auth_token),
        None => &cfg.auth_token,
    };
    let url = channels.public_url_of(headers, uri);
    if !valid(secret, &url, &params, given, algorithm) {
        tracing::warn!(%url, "refused a Twilio webhook with a bad signature");
        return Err(AppError::forbidden("bad X-Twilio-Signature"));
    }
    Ok(params)
}

/// The first value of a form parameter.
pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

pub fn required<'a>(params: &'a [(String, String)], name: &str) -> Result<&'a str, AppError> {
    param(params, name).map(str::trim).filter(|v| !v.is_empty()).ok_or_else(|| AppError::invalid(name, format!("{name} is required")))
}

/// TwiML with the right content type.
pub fn twiml(body: String) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

/// `GET /v1/admin/twilio`: the Twilio configuration as a read-only status for the console.
pub fn routes() -> axum::Router<crate::edge::AppState> {
    axum::Router::new().route("/v1/admin/twilio", axum::routing::get(status))
}

/// The Twilio status's part of the OpenAPI document.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(paths(status))]
pub struct Api;

#[utoipa::path(get, path = "/v1/admin/twilio", tag = "admin", security(("bearer" = [])),
    description = "The Twilio channel as the workspace was started with it (environment), nothing secret: read-only.",
    responses((status = 200, body = herald_protocol::TwilioStatus)))]
pub async fn status(
    axum::extract::State(s): axum::extract::State<crate::edge::AppState>,
    caller: crate::edge::extract::Caller,
) -> Result<axum::Json<herald_protocol::TwilioStatus>, AppError> {
    caller.require(herald_protocol::Role::Admin)?;
    Ok(axum::Json(status_of(&s.channels.config)))
}

/// What [`status`] answers for a configuration.
pub fn status_of(config: &super::ChannelsConfig) -> herald_protocol::TwilioStatus {
    let twilio = config.twilio.as_ref();
    let sid = twilio.map_or("", |t| t.account_sid.as_str());
    let account_sid = match sid.char_indices().rev().nth(3) {
        Some((i, _)) if sid.len() > 6 => format!("{}…{}", &sid[..2], &sid[i..]),
        _ if sid.is_empty() => String::new(),
        _ => "…".into(),
    };
    let base = config.public_url.as_deref().map(|u| u.trim_end_matches('/').to_owned());
    let webhooks = match (&base, twilio) {
        (Some(b), Some(_)) => {
            ["/channels/twilio/sms", "/channels/twilio/voice", "/channels/twilio/voice/status"].iter().map(|p| format!("{b}{p}")).collect()
        }
        _ => Vec::new(),
    };
    herald_protocol::TwilioStatus {
        enabled: twilio.is_some(),
        account_sid,
        public_url: config.public_url.clone(),
        sms_queue: config.sms_queue,
        voice_queue: config.voice_queue,
        can_send_sms: twilio.is_some_and(|t| !t.account_sid.is_empty()),
        webhooks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vectors from twilio-python's tests/unit/test_request_validator.py (token "12345").
    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    fn params() -> Vec<(String, String)> {
        [("CallSid", "CA1234567890ABCDE"), ("Digits", "1234"), ("From", "+14158675309"), ("To", "+18005551212"), ("Caller", "+14158675309")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn matches_twilios_documented_signature() {
        assert_eq!(signature("12345", URL, &params(), Algorithm::HmacSha1), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        assert!(valid("12345", URL, &params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8=", Algorithm::HmacSha1));
        assert!(!valid("12346", URL, &params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8=", Algorithm::HmacSha1));
        let mut tampered = params();
        tampered[1].1 = "9999".into();
        assert!(!valid("12345", URL, &tampered, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", Algorithm::HmacSha1));
    }

    #[test]
    fn repeated_parameters_are_sorted_and_deduplicated() {
        let p: Vec<(String, String)> = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(signature("12345", URL, &p, Algorithm::HmacSha1), "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
    }

    #[test]
    fn ports_are_tried_with_and_without() {
        let with_port = URL.replace(".com", ".com:1234");
        assert!(valid("12345", &with_port, &params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8=", Algorithm::HmacSha1));
        let http_port = with_port.replace("https", "http");
        assert!(valid("12345", &http_port, &params(), "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=", Algorithm::HmacSha1));
        assert!(valid("12345", URL, &params(), "kvajT1Ptam85bY51eRf/AJRuM3w=", Algorithm::HmacSha1));
        assert!(valid("12345", &URL.replace("https", "http"), &params(), "0ZXoZLH/DfblKGATFgpif+LLRf4=", Algorithm::HmacSha1));
    }

    #[test]
    fn settings_header_names_the_algorithm_and_key() {
        assert_eq!(signature_settings(None), Some((Algorithm::HmacSha1, None)));
        assert_eq!(
            signature_settings(Some("key=webhooks_sharedkey_1,algorithm=HMAC_SHA256")),
            Some((Algorithm::HmacSha256, Some("webhooks_sharedkey_1".into())))
        );
        assert_eq!(signature_settings(Some("algorithm=HMAC_MD5")), None);
        let s = signature("secret", URL, &params(), Algorithm::HmacSha256);
        assert!(valid("secret", URL, &params(), &s, Algorithm::HmacSha256));
        assert!(!valid("secret", URL, &params(), &s, Algorithm::HmacSha1));
    }

    #[test]
    fn the_console_sees_the_twilio_setup_without_its_secrets() {
        use super::super::{ChannelsConfig, TwilioConfig};
        let off = status_of(&ChannelsConfig::default());
        assert!(!off.enabled && !off.can_send_sms && off.webhooks.is_empty() && off.account_sid.is_empty());
        let config = ChannelsConfig {
            public_url: Some("https://herald.example.com/".into()),
            twilio: Some(TwilioConfig {
                account_sid: "AC0123456789abcdef0123456789ab1234".into(),
                auth_token: "secret-token".into(),
                shared_keys: [("HK1".to_string(), "shared-secret".to_string())].into_iter().collect(),
                api_base: "https://api.twilio.com".into(),
            }),
            ..Default::default()
        };
        let on = status_of(&config);
        assert!(on.enabled && on.can_send_sms);
        assert_eq!(on.account_sid, "AC…1234");
        assert_eq!(on.webhooks[0], "https://herald.example.com/channels/twilio/sms");
        assert_eq!(on.webhooks.len(), 3);
        let json = serde_json::to_string(&on).unwrap();
        assert!(!json.contains("secret") && !json.contains("0123456789"), "{json}");
    }
}
