//! Named profiles in `~/.aws/credentials` and `~/.aws/config`.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use async_trait::async_trait;
use aws_config::profile::{Profile, ProfileFileCredentialsProvider, ProfileSet};
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};

use super::{aws_env, provider_config};
use crate::credentials::{AwsCredentials, Credentials};
use crate::env::{self, Env};
use crate::error::CredentialsError;
use crate::provider::CredentialProvider;
use crate::secret::Secret;
use crate::source::{Link, Source};

const NAME: &str = "profile file";

/// Settings that make a profile more than static keys; aws-config resolves those.
const DYNAMIC_KEYS: &[&str] = &[
    "role_arn",
    "credential_process",
    "credential_source",
    "sso_session",
    "sso_start_url",
    "sso_account_id",
    "web_identity_token_file",
    "login_session",
];

/// Credentials from a named profile of the shared AWS files.
///
/// The profile is the one named in code, else `AWS_PROFILE`, else `default`. The files are
/// `AWS_SHARED_CREDENTIALS_FILE` (else `~/.aws/credentials`) and `AWS_CONFIG_FILE` (else
/// `~/.aws/config`). Static keys are read directly; role chaining (`role_arn` +
/// `source_profile`), SSO, `credential_process` and web identity are resolved by `aws-config`,
/// exactly as the AWS SDKs do. A profile named in code or `AWS_PROFILE` that does not exist is an
/// error listing the profiles that do; a missing `default` profile just means "not configured".
#[derive(Debug)]
pub struct ProfileProvider {
    env: Env,
    /// The profile asked for, and who asked (`code`, `--profile`, …).
    name: Option<(String, &'static str)>,
    delegate: OnceLock<ProfileFileCredentialsProvider>,
}

impl ProfileProvider {
    /// The profile chosen by the process environment.
    pub fn new() -> Self {
        Self::with_env(Env::process())
    }

    /// The profile chosen by `env`, read from the files `env` points at.
    pub fn with_env(env: Env) -> Self {
        Self {
            env,
            name: None,
            delegate: OnceLock::new(),
        }
    }

    crate::setters! {
        /// Uses the profile `name`, whatever `AWS_PROFILE` says.
        profile_name(name: impl Into<String>) => name = Some((name.into(), "code"));
        /// [`ProfileProvider::profile_name`] chosen by `origin` (`--profile`), which errors name.
        #[doc(hidden)]
        profile_name_from(name: impl Into<String>, origin: &'static str)
            => name = Some((name.into(), origin));
    }
}

/// The shared files and the profile selected in them.
pub(crate) struct Profiles {
    pub(crate) name: String,
    /// Who chose the name: `code`, `AWS_PROFILE`, or `default`.
    pub(crate) origin: &'static str,
    credentials_file: PathBuf,
    config_file: PathBuf,
    set: ProfileSet,
}

impl Profiles {
    /// Locates and parses the files. `Ok(None)` when there is no home folder to find them in.
    pub(crate) async fn load(
        env: &Env,
        chosen: Option<(&str, &'static str)>,
    ) -> Result<Option<Self>, CredentialsError> {
        let (name, origin) = match (chosen, env.get(env::PROFILE)) {
            (Some((name, origin)), _) => (name.to_owned(), origin),
            (None, Some(name)) => (name, env::PROFILE),
            (None, None) => ("default".to_owned(), "default"),
        };
        let file = |var: &str, default: &str| match env.get(var) {
            Some(path) => Some(env.expand_home(&path)),
            None => env.home_dir().map(|home| home.join(".aws").join(default)),
        };
        let (Some(credentials_file), Some(config_file)) = (
            file(env::SHARED_CREDENTIALS_FILE, "credentials"),
            file(env::CONFIG_FILE, "config"),
        ) else {
            return Ok(None);
        };
        let files = config_files(&credentials_file, &config_file);
        let set = aws_config::profile::load(
            &aws_types::os_shim_internal::Fs::real(),
            &aws_env(env),
            &files,
            Some(Cow::Owned(name.clone())),
        )
        .await
        .map_err(|err| {
            CredentialsError::provider_with_cause(
                NAME,
                "could not read the AWS profile files; fix the file or point AWS_CONFIG_FILE / \
                 AWS_SHARED_CREDENTIALS_FILE elsewhere",
                err,
            )
        })?;
        Ok(Some(Self {
            name,
            origin,
            credentials_file,
            config_file,
            set,
        }))
    }

    pub(crate) fn selected(&self) -> Option<&Profile> {
        self.set.get_profile(&self.name)
    }

    fn files(&self) -> Vec<PathBuf> {
        vec![self.credentials_file.clone(), self.config_file.clone()]
    }

    /// The file that holds the selected profile's credentials: the credentials file when the
    /// profile's keys are there, else the config file.
    fn defining_file(&self, profile: &Profile) -> &Path {
        let in_credentials_file = profile.get("aws_access_key_id").is_some()
            && std::fs::read_to_string(&self.credentials_file)
                .is_ok_and(|text| defines_section(&text, &self.name));
        if in_credentials_file {
            &self.credentials_file
        } else {
            &self.config_file
        }
    }

    fn not_found(&self) -> CredentialsError {
        if self.origin == "default" {
            let files: Vec<String> = self
                .files()
                .iter()
                .map(|f| f.display().to_string())
                .collect();
            return CredentialsError::not_configured(
                NAME,
                format!("no `default` profile in {}", files.join(" or ")),
            );
        }
        let mut available: Vec<String> = self.set.profiles().map(str::to_owned).collect();
        available.sort_unstable();
        CredentialsError::ProfileNotFound {
            name: self.name.clone(),
            origin: self.origin,
            files: self.files(),
            available,
        }
    }
}

/// The shared files that exist, for aws-config's loader (which refuses a named file that is
/// missing, while a missing file just means "no profiles there").
fn config_files(credentials_file: &Path, config_file: &Path) -> EnvConfigFiles {
    let mut files = EnvConfigFiles::builder()
        .include_default_credentials_file(false)
        .include_default_config_file(false);
    if credentials_file.is_file() {
        files = files.with_file(EnvConfigFileKind::Credentials, credentials_file);
    }
    if config_file.is_file() {
        files = files.with_file(EnvConfigFileKind::Config, config_file);
    } else if !credentials_file.is_file() {
        // The loader wants at least one file; an empty one stands for "no profiles".
        files = files.with_contents(EnvConfigFileKind::Config, "");
    }
    files.build()
}

/// Whether the credentials-file text has a `[name]` section (the file's only section syntax).
fn defines_section(text: &str, name: &str) -> bool {
    text.lines().any(|line| {
        line.trim()
            .strip_prefix('[')
            .and_then(|rest| rest.split(']').next())
            .is_some_and(|section| section.trim() == name)
    })
}

/// What the settings and the list of configured credentials need from the selected profile,
/// read with one load of the files; `None` when there is no such profile.
pub(crate) async fn profile_facts(
    env: &Env,
    chosen: Option<(&str, &'static str)>,
    keys: &[&str],
) -> Option<crate::settings::ProfileFacts> {
    let profiles = Profiles::load(env, chosen).await.ok()??;
    let profile = profiles.selected()?;
    Some(crate::settings::ProfileFacts {
        name: profiles.name.clone(),
        config_file: profiles.config_file.clone(),
        defining_file: profiles.defining_file(profile).to_path_buf(),
        values: keys
            .iter()
            .map(|key| profile.get(key).map(str::to_owned))
            .collect(),
    })
}

/// Static keys of a profile that needs nothing else resolved.
fn static_keys(profile: &Profile) -> Option<(&str, &str, Option<&str>)> {
    if DYNAMIC_KEYS.iter().any(|key| profile.get(key).is_some()) {
        return None;
    }
    Some((
        profile.get("aws_access_key_id")?,
        profile.get("aws_secret_access_key")?,
        profile.get("aws_session_token"),
    ))
}

/// How the profile `name` obtains credentials, first link first, following `source_profile`
/// as the AWS SDKs do. A loop or a missing profile ends the walk (aws-config reports those).
fn chain(set: &ProfileSet, name: &str) -> Vec<Link> {
    let mut links = Vec::new();
    let mut current = name.to_owned();
    let mut seen = Vec::new();
    while let Some(profile) = set.get_profile(&current) {
        if seen.contains(&current) {
            break;
        }
        seen.push(current.clone());
        let Some(role_arn) = profile.get("role_arn") else {
            links.push(base_link(profile, &current));
            break;
        };
        if profile.get("web_identity_token_file").is_some() {
            links.push(Link::WebIdentity {
                profile: current,
                role_arn: role_arn.to_owned(),
            });
            break;
        }
        links.push(Link::Role {
            profile: current.clone(),
            role_arn: role_arn.to_owned(),
        });
        if let Some(source) = profile.get("credential_source") {
            links.push(Link::CredentialSource {
                profile: current,
                source: source.to_owned(),
            });
            break;
        }
        match profile.get("source_profile") {
            // A profile that is its own source assumes its role with its own keys.
            Some(source) if source == current => {
                links.push(Link::Keys { profile: current });
                break;
            }
            Some(source) => current = source.to_owned(),
            None => break,
        }
    }
    links.reverse();
    links
}

/// The first link of a chain: what a profile without `role_arn` uses.
fn base_link(profile: &Profile, name: &str) -> Link {
    let sso = profile
        .get("sso_session")
        .or_else(|| profile.get("sso_start_url"));
    if let Some(session) = sso {
        Link::Sso {
            profile: name.to_owned(),
            account_id: profile.get("sso_account_id").unwrap_or("?").to_owned(),
            role_name: profile.get("sso_role_name").unwrap_or("?").to_owned(),
            session: session.to_owned(),
        }
    } else if profile.get("credential_process").is_some() {
        Link::Process {
            profile: name.to_owned(),
        }
    } else {
        Link::Keys {
            profile: name.to_owned(),
        }
    }
}

/// What to do when aws-config could not resolve a profile, by the chain it follows: the fix
/// of the first link when the user controls it, and the trust policies when roles are assumed.
fn fix(chain: &[Link], name: &str) -> String {
    let roles = chain.iter().any(|link| matches!(link, Link::Role { .. }));
    let first = match chain.first() {
        Some(Link::Sso { profile, .. }) => {
            format!("sign in with `aws sso login --profile {profile}` and try again")
        }
        Some(Link::Process { profile }) => {
            format!("run the credential_process of profile {profile} yourself to see why it fails")
        }
        Some(Link::WebIdentity { profile, .. }) => format!(
            "check the web_identity_token_file of profile {profile}, and that the role trusts \
             the identity provider that issued the token"
        ),
        _ if roles => String::new(),
        _ => format!("check the profile with `aws configure list --profile {name}`"),
    };
    if !roles {
        return first;
    }
    let role = format!(
        "each role's trust policy must let the identity before it call sts:AssumeRole, and that \
         identity's own policy must allow sts:AssumeRole on the role (chain: {})",
        Link::path(chain)
    );
    if first.is_empty() {
        role
    } else {
        format!("{first}; {role}")
    }
}

fn has_credentials(profile: &Profile) -> bool {
    profile.get("aws_access_key_id").is_some()
        || profile.get("aws_secret_access_key").is_some()
        || DYNAMIC_KEYS.iter().any(|key| profile.get(key).is_some())
}

#[async_trait]
impl CredentialProvider for ProfileProvider {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let chosen = self.name.as_ref().map(|(n, origin)| (n.as_str(), *origin));
        let Some(profiles) = Profiles::load(&self.env, chosen).await? else {
            return Err(CredentialsError::not_configured(
                NAME,
                "HOME is not set, so there are no AWS profile files to read",
            ));
        };
        let Some(profile) = profiles.selected() else {
            return Err(profiles.not_found());
        };
        let chain = chain(&profiles.set, &profiles.name);
        let source = Source::Profile {
            name: profiles.name.clone(),
            file: profiles.defining_file(profile).to_path_buf(),
            chain: chain.clone(),
        };
        if let Some((id, secret, token)) = static_keys(profile) {
            return Ok(
                AwsCredentials::new(id, secret, token.map(Secret::new), source)
                    .with_account_id(profile.get("aws_account_id").map(str::to_owned))
                    .into(),
            );
        }
        if !has_credentials(profile) {
            let reason = format!(
                "profile `{}` has no credentials (no aws_access_key_id, role_arn, sso_session, \
                 credential_process or web_identity_token_file)",
                profiles.name
            );
            return Err(if profiles.origin == "default" {
                CredentialsError::not_configured(NAME, reason)
            } else {
                CredentialsError::provider(NAME, reason)
            });
        }
        super::refuse_cleartext(NAME, &self.env)?;
        let region = self
            .env
            .get(env::REGION)
            .or_else(|| self.env.get(env::DEFAULT_REGION))
            .or_else(|| profile.get("region").map(str::to_owned))
            .unwrap_or_else(|| crate::region::DEFAULT_REGION.to_owned());
        let delegate = self.delegate.get_or_init(|| {
            ProfileFileCredentialsProvider::builder()
                .profile_files(config_files(
                    &profiles.credentials_file,
                    &profiles.config_file,
                ))
                .profile_name(profiles.name.clone())
                .configure(&provider_config(&region))
                .build()
        });
        // A profile that is there but does not resolve is broken, not absent.
        super::delegated(delegate, source, NAME, || {
            format!(
                "profile `{}` gave no credentials; {}",
                profiles.name,
                fix(&chain, &profiles.name)
            )
        })
        .await
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(NAME)
    }

    fn mode(&self) -> Option<crate::AuthMode> {
        Some(crate::AuthMode::Iam)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn profiles(config: &str) -> ProfileSet {
        let files = EnvConfigFiles::builder()
            .include_default_credentials_file(false)
            .include_default_config_file(false)
            .with_contents(EnvConfigFileKind::Config, config)
            .build();
        aws_config::profile::load(
            &aws_types::os_shim_internal::Fs::from_slice(&[]),
            &aws_types::os_shim_internal::Env::from_slice(&[]),
            &files,
            None,
        )
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn chains_follow_source_profiles_to_their_first_link() {
        let set = profiles(
            "[profile base]\naws_access_key_id = A\naws_secret_access_key = B\n\
             [profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = base\n\
             [profile b]\nrole_arn = arn:aws:iam::1:role/B\nsource_profile = a\n\
             [profile self]\nrole_arn = arn:aws:iam::1:role/S\nsource_profile = self\n\
             aws_access_key_id = A\naws_secret_access_key = B\n\
             [profile ec2]\nrole_arn = arn:aws:iam::1:role/E\ncredential_source = Ec2InstanceMetadata\n\
             [profile pod]\nrole_arn = arn:aws:iam::1:role/P\nweb_identity_token_file = /t\n\
             [profile sso]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = Dev\n\
             [profile proc]\ncredential_process = vault\n\
             [profile loop1]\nrole_arn = arn:aws:iam::1:role/L1\nsource_profile = loop2\n\
             [profile loop2]\nrole_arn = arn:aws:iam::1:role/L2\nsource_profile = loop1\n",
        )
        .await;
        let cases = [
            ("base", "keys of profile base"),
            (
                "b",
                "keys of profile base → role arn:aws:iam::1:role/A (profile a) → role \
                 arn:aws:iam::1:role/B (profile b)",
            ),
            (
                "self",
                "keys of profile self → role arn:aws:iam::1:role/S (profile self)",
            ),
            (
                "ec2",
                "credential_source Ec2InstanceMetadata (profile ec2) → role \
                 arn:aws:iam::1:role/E (profile ec2)",
            ),
            (
                "pod",
                "role arn:aws:iam::1:role/P by web identity (profile pod)",
            ),
            (
                "sso",
                "SSO role Dev in account 1 (profile sso, sign-in corp)",
            ),
            ("proc", "credential_process of profile proc"),
            (
                "loop1",
                "role arn:aws:iam::1:role/L2 (profile loop2) → role arn:aws:iam::1:role/L1 \
                 (profile loop1)",
            ),
        ];
        for (name, expected) in cases {
            assert_eq!(Link::path(&chain(&set, name)), expected, "{name}");
        }
    }

    #[test]
    fn fixes_name_the_first_link_and_every_trust_policy() {
        let sso = Link::Sso {
            profile: "dev".into(),
            account_id: "1".into(),
            role_name: "Dev".into(),
            session: "corp".into(),
        };
        let role = Link::Role {
            profile: "admin".into(),
            role_arn: "arn:aws:iam::1:role/Admin".into(),
        };
        assert_eq!(
            fix(std::slice::from_ref(&sso), "dev"),
            "sign in with `aws sso login --profile dev` and try again"
        );
        let both = fix(&[sso, role], "admin");
        assert!(
            both.starts_with("sign in with `aws sso login --profile dev`"),
            "{both}"
        );
        assert!(both.contains("trust policy"), "{both}");
        assert!(
            both.contains("arn:aws:iam::1:role/Admin (profile admin)"),
            "{both}"
        );
    }

    #[test]
    fn finds_sections_of_the_credentials_file() {
        let text = "[default]\naws_access_key_id = A\n\n[ dev ]\nx = y\n";
        assert!(defines_section(text, "default"));
        assert!(defines_section(text, "dev"));
        assert!(!defines_section(text, "prod"));
    }
}
