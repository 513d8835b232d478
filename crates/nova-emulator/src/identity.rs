//! Who may sign: the emulator's own keys, and the temporary keys its STS and SSO portal issue.
//!
//! An emulator cannot know what a real identity provider issued, so unless [`Trust`] restricts
//! it, it accepts any web identity token and any SSO bearer token, and lets its own keys assume
//! any role of its account. Issued keys carry their role: a role given a policy is held to it.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::error::ServiceError;
use crate::policy::Policy;
use crate::sigv4::{self, AccessKey};

/// How long issued credentials last unless the request asks otherwise (STS's default).
const DEFAULT_SESSION: Duration = Duration::from_secs(3600);
/// The shortest and longest sessions STS grants for a role with the default maximum.
const SESSION_LIMITS: (u64, u64) = (900, 3600);

/// Limits on what the emulator's STS and SSO portal accept; by default, everything.
#[derive(Clone, Debug, Default)]
pub(crate) struct Trust {
    /// Roles with a policy that their sessions are held to.
    pub(crate) roles: Vec<(String, Policy)>,
    /// Refuse roles not in `roles`.
    pub(crate) only_named_roles: bool,
    /// When not empty, the only web identity tokens accepted.
    pub(crate) web_identity_tokens: Vec<String>,
    /// When not empty, the only SSO bearer tokens accepted.
    pub(crate) sso_tokens: Vec<String>,
}

/// The API keys accepted: those given at start, those added since, minus those revoked (a key
/// rotated in a store while workflows run).
#[derive(Debug)]
pub(crate) struct ApiKeys {
    initial: Vec<String>,
    changes: RwLock<(Vec<String>, Vec<String>)>,
}

impl ApiKeys {
    pub(crate) fn new(initial: Vec<String>) -> Self {
        Self {
            initial,
            changes: RwLock::default(),
        }
    }

    /// The first key given at start.
    pub(crate) fn first(&self) -> &str {
        &self.initial[0]
    }

    pub(crate) fn accepts(&self, key: &str) -> bool {
        let changes = self.changes.read().unwrap_or_else(PoisonError::into_inner);
        let (added, revoked) = &*changes;
        (self.initial.iter().any(|k| k == key) || added.iter().any(|k| k == key))
            && !revoked.iter().any(|k| k == key)
    }

    pub(crate) fn add(&self, key: &str) {
        let mut changes = self.changes.write().unwrap_or_else(PoisonError::into_inner);
        changes.1.retain(|k| k != key);
        changes.0.push(key.to_owned());
    }

    pub(crate) fn revoke(&self, key: &str) {
        let mut changes = self.changes.write().unwrap_or_else(PoisonError::into_inner);
        changes.0.retain(|k| k != key);
        changes.1.push(key.to_owned());
    }
}

/// Temporary credentials the emulator issued.
pub(crate) struct Issued {
    key: AccessKey,
    role: String,
    /// `ROLE_ID:SESSION`, as GetCallerIdentity names the caller.
    user_id: String,
    expires: SystemTime,
}

/// A key that signed a request: one of the emulator's own, or one it issued.
pub(crate) enum Signer<'a> {
    Own(&'a AccessKey),
    Issued(Arc<Issued>),
}

impl Deref for Signer<'_> {
    type Target = AccessKey;

    fn deref(&self) -> &AccessKey {
        match self {
            Self::Own(key) => key,
            Self::Issued(issued) => &issued.key,
        }
    }
}

impl Signer<'_> {
    /// The role whose session this is, for issued keys.
    pub(crate) fn role(&self) -> Option<&str> {
        match self {
            Self::Own(_) => None,
            Self::Issued(issued) => Some(&issued.role),
        }
    }

    /// The caller's unique id: the key id for a user, `ROLE_ID:SESSION` for a role session.
    fn user_id(&self) -> &str {
        match self {
            Self::Own(key) => &key.access_key_id,
            Self::Issued(issued) => &issued.user_id,
        }
    }
}

/// The keys the emulator accepts and the policies they are held to.
pub(crate) struct Identities {
    own: Vec<AccessKey>,
    /// Policies of own keys, by access key id.
    policies: Vec<(String, Policy)>,
    trust: Trust,
    issued: RwLock<HashMap<String, Arc<Issued>>>,
}

impl Identities {
    pub(crate) fn new(own: Vec<AccessKey>, policies: Vec<(String, Policy)>, trust: Trust) -> Self {
        Self {
            own,
            policies,
            trust,
            issued: RwLock::default(),
        }
    }

    pub(crate) fn own(&self) -> &[AccessKey] {
        &self.own
    }

    /// The key with this id, if it is known and has not expired.
    pub(crate) fn find(
        &self,
        access_key_id: &str,
        now: SystemTime,
    ) -> Result<Option<Signer<'_>>, ServiceError> {
        if let Some(key) = self.own.iter().find(|k| k.access_key_id == access_key_id) {
            return Ok(Some(Signer::Own(key)));
        }
        let issued = self
            .issued
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(access_key_id)
            .cloned();
        match issued {
            Some(issued) if issued.expires <= now => Err(ServiceError::auth(
                "ExpiredTokenException",
                "The security token included in the request is expired",
            )),
            Some(issued) => Ok(Some(Signer::Issued(issued))),
            None => Ok(None),
        }
    }

    /// The policy `signer` is held to: its key's, else its role's; `None` means unlimited.
    pub(crate) fn policy(&self, signer: &Signer<'_>) -> Option<&Policy> {
        if let Some((_, policy)) = self
            .policies
            .iter()
            .find(|(id, _)| *id == signer.access_key_id)
        {
            return Some(policy);
        }
        let role = signer.role()?;
        self.trust
            .roles
            .iter()
            .find(|(name, _)| name == role)
            .map(|(_, policy)| policy)
    }

    /// Keys for a session of `role`, valid for `duration`.
    fn issue(
        &self,
        role: &Role,
        session: &str,
        duration: Duration,
        now: SystemTime,
    ) -> Arc<Issued> {
        let key = AccessKey {
            access_key_id: format!("ASIA{}", random_upper(16)),
            secret_access_key: random_hex(40),
            session_token: Some(format!("IQoJ{}", random_hex(160))),
            arn: format!(
                "arn:aws:sts::{}:assumed-role/{}/{session}",
                role.account, role.name
            ),
        };
        let issued = Arc::new(Issued {
            key,
            role: role.name.clone(),
            user_id: format!("{}:{session}", role.id()),
            expires: now + duration,
        });
        let mut all = self.issued.write().unwrap_or_else(PoisonError::into_inner);
        // Expired keys are forgotten as new ones are issued, so the map stays small.
        all.retain(|_, issued| issued.expires > now);
        all.insert(issued.key.access_key_id.clone(), issued.clone());
        issued
    }

    /// Whether sessions of `role` may be started at all: it is a role of `account` (the
    /// emulator's), and a named one when only those are trusted.
    fn may_assume(&self, role: &Role, account: &str) -> bool {
        role.account == account
            && (!self.trust.only_named_roles
                || self.trust.roles.iter().any(|(n, _)| *n == role.name))
    }
}

/// Whether `token` is accepted: any is, unless the emulator was given the ones to trust.
fn trusted(tokens: &[String], token: &str) -> bool {
    tokens.is_empty() || tokens.iter().any(|t| t == token)
}

fn random_hex(len: usize) -> String {
    let mut out = String::with_capacity(len + 32);
    while out.len() < len {
        out.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    out.truncate(len);
    out
}

fn random_upper(len: usize) -> String {
    random_hex(len).to_uppercase()
}

/// A role, from its ARN: `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`.
struct Role {
    arn: String,
    account: String,
    name: String,
}

impl Role {
    fn parse(arn: &str) -> Option<Self> {
        let mut parts = arn.splitn(6, ':');
        let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let path = resource.strip_prefix("role/")?;
        let name = path.rsplit('/').next()?;
        let valid_name = |s: &str| {
            !s.is_empty()
                && s.len() <= 64
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
        };
        let ok = partition.starts_with("aws")
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && valid_name(name)
            && path
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-/".contains(&b));
        ok.then(|| Self {
            arn: arn.to_owned(),
            account: account.to_owned(),
            name: name.to_owned(),
        })
    }

    /// The role's unique id, stable for its name, as STS shows it (`AROA…`).
    fn id(&self) -> String {
        let digest = Sha256::digest(self.arn.as_bytes());
        let hex: String = digest.iter().take(8).map(|b| format!("{b:02X}")).collect();
        format!("AROA{hex}")
    }
}

/// `application/x-www-form-urlencoded` pairs.
fn form(body: &[u8]) -> HashMap<String, String> {
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| crate::server::decode(&s.replace('+', " "));
            (decode(k), decode(v))
        })
        .collect()
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STS_NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

fn xml_error(status: u16, code: &str, message: &str, request_id: &str) -> Response {
    let body = format!(
        "<ErrorResponse xmlns=\"{STS_NS}\"><Error><Type>Sender</Type><Code>{code}</Code>\
         <Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
        xml_escape(message)
    );
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN),
        [("content-type", "text/xml")],
        body,
    )
        .into_response()
}

fn xml_ok(action: &str, result: &str, request_id: &str) -> Response {
    let body = format!(
        "<{action}Response xmlns=\"{STS_NS}\"><{action}Result>{result}</{action}Result>\
         <ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>"
    );
    ([("content-type", "text/xml")], body).into_response()
}

pub(crate) fn rfc3339(at: SystemTime) -> String {
    let secs = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    time::OffsetDateTime::from_unix_timestamp(i64::try_from(secs).unwrap_or(0))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// The `<Credentials>` and `<AssumedRoleUser>` of an AssumeRole* answer.
fn credentials_xml(issued: &Issued) -> String {
    format!(
        "<Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey>\
         <SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials>\
         <AssumedRoleUser><AssumedRoleId>{}</AssumedRoleId><Arn>{}</Arn>\
         </AssumedRoleUser>",
        issued.key.access_key_id,
        issued.key.secret_access_key,
        issued.key.session_token.as_deref().unwrap_or_default(),
        rfc3339(issued.expires),
        issued.user_id,
        xml_escape(&issued.key.arn),
    )
}

/// What an AssumeRole* request asks for, checked as STS checks it.
struct Assume {
    role: Role,
    session: String,
    duration: Duration,
}

fn assume_params(params: &HashMap<String, String>) -> Result<Assume, (u16, &'static str, String)> {
    let invalid = |message: String| (400, "ValidationError", message);
    let role_arn = params
        .get("RoleArn")
        .ok_or_else(|| invalid("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null".to_owned()))?;
    let role = Role::parse(role_arn).ok_or_else(|| {
        invalid(format!(
            "{role_arn} is invalid: expected arn:aws:iam::ACCOUNT:role/NAME"
        ))
    })?;
    let session = params.get("RoleSessionName").cloned().unwrap_or_default();
    let session_ok = (2..=64).contains(&session.len())
        && session
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
    if !session_ok {
        return Err(invalid(format!(
            "1 validation error detected: Value '{session}' at 'roleSessionName' failed to \
             satisfy constraint: Member must have length between 2 and 64 and match [\\w+=,.@-]*"
        )));
    }
    let duration = match params.get("DurationSeconds") {
        None => DEFAULT_SESSION,
        Some(text) => match text.parse::<u64>() {
            Ok(secs) if (SESSION_LIMITS.0..=SESSION_LIMITS.1).contains(&secs) => {
                Duration::from_secs(secs)
            }
            _ => {
                return Err(invalid(format!(
                    "The requested DurationSeconds ({text}) is outside {}..{} seconds, the \
                     limits of this role's MaxSessionDuration",
                    SESSION_LIMITS.0, SESSION_LIMITS.1
                )));
            }
        },
    };
    Ok(Assume {
        role,
        session,
        duration,
    })
}

/// STS at `POST /` (form body, XML answers): GetCallerIdentity, AssumeRole and
/// AssumeRoleWithWebIdentity.
pub(crate) fn sts(
    shared: &crate::server::Shared,
    request: &sigv4::Received<'_>,
    request_id: &str,
) -> Response {
    let params = form(request.body);
    let now = SystemTime::now();
    let ids = &shared.identities;
    let error = |(status, code, message): (u16, &str, String)| {
        xml_error(status, code, &message, request_id)
    };
    let verify = || {
        sigv4::verify(
            |id| ids.find(id, now),
            &shared.sigv4,
            request,
            ("sts", &shared.region),
            now,
        )
        .map_err(|err| {
            let message = err.body["message"].as_str().unwrap_or("denied").to_owned();
            (err.status, err.name, message)
        })
    };
    let action = params.get("Action").map(String::as_str).unwrap_or_default();
    let outcome = match action {
        "GetCallerIdentity" => verify().map(|key| {
            xml_ok(
                "GetCallerIdentity",
                &format!(
                    "<Arn>{}</Arn><UserId>{}</UserId><Account>{}</Account>",
                    xml_escape(&key.arn),
                    key.user_id(),
                    shared.account
                ),
                request_id,
            )
        }),
        "AssumeRole" => verify().and_then(|caller| {
            let assume = assume_params(&params)?;
            let refused = || {
                (
                    403,
                    "AccessDenied",
                    format!(
                        "User: {} is not authorized to perform: sts:AssumeRole on resource: {}",
                        caller.arn, assume.role.arn
                    ),
                )
            };
            let allowed_by_caller = ids
                .policy(&caller)
                .is_none_or(|p| p.allows("sts:AssumeRole", std::slice::from_ref(&assume.role.arn)));
            if !ids.may_assume(&assume.role, &shared.account) || !allowed_by_caller {
                return Err(refused());
            }
            let issued = ids.issue(&assume.role, &assume.session, assume.duration, now);
            tracing::info!(role = %assume.role.arn, by = %caller.arn, "AssumeRole");
            Ok(xml_ok("AssumeRole", &credentials_xml(&issued), request_id))
        }),
        "AssumeRoleWithWebIdentity" => (|| {
            let assume = assume_params(&params)?;
            let token = params.get("WebIdentityToken").cloned().unwrap_or_default();
            if token.len() < 4 {
                return Err((
                    400,
                    "ValidationError",
                    "1 validation error detected: Value at 'webIdentityToken' failed to satisfy \
                     constraint: Member must have length greater than or equal to 4"
                        .to_owned(),
                ));
            }
            let tokens = &ids.trust.web_identity_tokens;
            if !trusted(tokens, &token) {
                return Err((
                    400,
                    "InvalidIdentityToken",
                    "The web identity token is not one this emulator was told to trust".to_owned(),
                ));
            }
            if !ids.may_assume(&assume.role, &shared.account) {
                return Err((
                    403,
                    "AccessDenied",
                    format!(
                        "Not authorized to perform sts:AssumeRoleWithWebIdentity on {}",
                        assume.role.arn
                    ),
                ));
            }
            let issued = ids.issue(&assume.role, &assume.session, assume.duration, now);
            tracing::info!(role = %assume.role.arn, "AssumeRoleWithWebIdentity");
            Ok(xml_ok(
                "AssumeRoleWithWebIdentity",
                &format!(
                    "{}<SubjectFromWebIdentityToken>system:serviceaccount:emulator</SubjectFromWebIdentityToken>\
                     <Provider>nova-emulator</Provider><Audience>sts.amazonaws.com</Audience>",
                    credentials_xml(&issued)
                ),
                request_id,
            ))
        })(),
        other => Err((
            400,
            "InvalidAction",
            format!(
                "`{other}` is not emulated; the emulator's STS has GetCallerIdentity, AssumeRole \
                 and AssumeRoleWithWebIdentity"
            ),
        )),
    };
    outcome.unwrap_or_else(error)
}

/// The SSO portal's GetRoleCredentials: `GET /federation/credentials?role_name=&account_id=`
/// with the bearer token in `x-amz-sso_bearer_token`.
pub(crate) fn sso(
    shared: &crate::server::Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    request_id: &str,
) -> Response {
    let outcome = (|| {
        if method != Method::GET {
            return Err(ServiceError::unknown_operation(method.as_str(), uri.path()));
        }
        let ids = &shared.identities;
        let token = headers
            .get("x-amz-sso_bearer_token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let tokens = &ids.trust.sso_tokens;
        if token.is_empty() || !trusted(tokens, token) {
            return Err(ServiceError::other(
                401,
                "UnauthorizedException",
                "Session token not found or invalid",
            ));
        }
        let role_name = crate::server::query(uri, "role_name").unwrap_or_default();
        let account = crate::server::query(uri, "account_id").unwrap_or_default();
        let role = Role::parse(&format!("arn:aws:iam::{account}:role/{role_name}"));
        let Some(role) = role.filter(|r| ids.may_assume(r, &shared.account)) else {
            return Err(ServiceError::other(
                403,
                "ForbiddenException",
                format!("No access to role {role_name} in account {account}"),
            ));
        };
        let now = SystemTime::now();
        let issued = ids.issue(&role, "sso-user", DEFAULT_SESSION, now);
        tracing::info!(role = %role.arn, "GetRoleCredentials");
        let expiration = issued
            .expires
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        Ok(serde_json::json!({
            "roleCredentials": {
                "accessKeyId": issued.key.access_key_id,
                "secretAccessKey": issued.key.secret_access_key,
                "sessionToken": issued.key.session_token,
                "expiration": expiration,
            }
        }))
    })();
    match outcome {
        Ok(body) => {
            let mut response = axum::Json(body).into_response();
            crate::error::set_request_id(&mut response, request_id, false);
            response
        }
        Err(err) => err.into_response_with(request_id, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_parse_as_iam_names_them() {
        let role = Role::parse("arn:aws:iam::123456789012:role/team/Runner").unwrap();
        assert_eq!(
            (role.account.as_str(), role.name.as_str()),
            ("123456789012", "Runner")
        );
        assert!(role.id().starts_with("AROA") && role.id().len() == 20);
        for bad in [
            "arn:aws:iam::12345:role/R",
            "arn:aws:iam::123456789012:user/R",
            "arn:aws:s3::123456789012:role/R",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:role/a b",
            "role/R",
        ] {
            assert!(Role::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn issued_keys_are_found_until_they_expire() {
        let ids = Identities::new(Vec::new(), Vec::new(), Trust::default());
        let role = Role::parse("arn:aws:iam::123456789012:role/Runner").unwrap();
        let now = SystemTime::now();
        let issued = ids.issue(&role, "s1", Duration::from_secs(900), now);
        let id = issued.key.access_key_id.clone();
        let found = ids.find(&id, now).unwrap().unwrap();
        assert_eq!(found.role(), Some("Runner"));
        assert!(found.user_id().ends_with(":s1"));
        let later = now + Duration::from_secs(901);
        let err = ids.find(&id, later).err().unwrap();
        assert_eq!(err.name, "ExpiredTokenException");
        // Issuing later forgets what expired.
        ids.issue(&role, "s2", Duration::from_secs(900), later);
        assert!(ids.find(&id, later).unwrap().is_none());
        assert!(ids.find("AKIAUNKNOWN", now).unwrap().is_none());
    }

    #[test]
    fn forms_decode_plus_and_percent() {
        let params = form(b"Action=AssumeRole&RoleSessionName=a%2Bb&X=c+d");
        assert_eq!(params["RoleSessionName"], "a+b");
        assert_eq!(params["X"], "c d");
    }
}
