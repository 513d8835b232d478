//! `nova-act auth status` and `nova-act auth doctor`.

use std::process::ExitCode;
use std::time::Duration;

use nova_act::{Auth, AuthMode, Env, Identity, Link, RegionSource};
use serde_json::{Value, json};

use crate::Cli;
use crate::output::{Progress, mark};

fn expiry(identity: &Identity) -> Value {
    identity
        .expires_at
        .map(|at| json!(humantime::format_rfc3339_seconds(at).to_string()))
        .unwrap_or(Value::Null)
}

fn region_source(source: &RegionSource) -> String {
    source.to_string()
}

/// `auth status`: which credentials, from where, for which region, until when.
pub(crate) async fn status(cli: &Cli) -> Result<ExitCode, String> {
    let auth = cli
        .auth_builder()
        .build()
        .await
        .map_err(|err| crate::report(&err))?;
    let identity = auth.identity().await.map_err(|err| crate::report(&err))?;
    cli.mode_notice(&identity);
    // The chain takes the first configured source of the chosen mode.
    let used = identity
        .available
        .iter()
        .position(|found| found.mode == identity.mode);
    if cli.json {
        let available: Vec<Value> = identity
            .available
            .iter()
            .enumerate()
            .map(|(i, found)| {
                json!({
                    "mode": found.mode.as_str(),
                    "source": found.source,
                    "used": Some(i) == used,
                })
            })
            .collect();
        let out = json!({
            "available": available,
            "mode": identity.mode.as_str(),
            "selected_by": identity.selected_by.to_string(),
            "source": identity.source.to_string(),
            "via": identity.source.chain().iter().map(ToString::to_string).collect::<Vec<_>>(),
            "role_arn": identity.source.role_arn(),
            "key": identity.masked_id,
            "account_id": identity.account_id,
            "region": identity.region.name(),
            "region_source": region_source(identity.region.source()),
            "expires_at": expiry(&identity),
        });
        println!("{out:#}");
    } else {
        println!(
            "mode:     {} (chosen by {})",
            identity.mode, identity.selected_by
        );
        println!("source:   {}", identity.source);
        if identity.source.has_chain() {
            println!("via:      {}", Link::path(identity.source.chain()));
        }
        // A web identity's source line names its role already.
        if let Some(role) = identity
            .source
            .role_arn()
            .filter(|_| identity.source.has_chain())
        {
            println!("role:     {role}");
        }
        for (i, found) in identity.available.iter().enumerate() {
            let label = if i == 0 { "found:   " } else { "         " };
            let state = if Some(i) == used { "used" } else { "not used" };
            println!("{label} {found} ({state})");
        }
        let label = match identity.mode {
            AuthMode::ApiKey => "key:     ",
            AuthMode::Iam => "key id:  ",
        };
        println!("{label} {}", identity.masked_id);
        if let Some(account) = &identity.account_id {
            println!("account:  {account}");
        }
        println!("region:   {}", identity.region);
        match identity.expires_at {
            Some(at) => println!("expires:  {}", humantime::format_rfc3339_seconds(at)),
            None => println!("expires:  never"),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One line of the doctor's report.
struct Check {
    name: &'static str,
    /// `Some(true)` passed, `Some(false)` failed, `None` does not apply.
    passed: Option<bool>,
    detail: String,
    fix: Option<String>,
}

impl Check {
    fn pass(name: &'static str, detail: impl Into<String>) -> Self {
        Self {
            name,
            passed: Some(true),
            detail: detail.into(),
            fix: None,
        }
    }
    fn fail(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            name,
            passed: Some(false),
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
    fn skip(name: &'static str, detail: impl Into<String>) -> Self {
        Self {
            name,
            passed: None,
            detail: detail.into(),
            fix: None,
        }
    }
}

/// `auth doctor`: each item of the troubleshooting guide as a check.
pub(crate) async fn doctor(cli: &Cli) -> Result<ExitCode, String> {
    let checks = {
        let _progress = Progress::start("checking");
        run_checks(cli).await
    };
    let failed = checks.iter().any(|c| c.passed == Some(false));
    if cli.json {
        let out: Vec<Value> = checks
            .iter()
            .map(|c| {
                json!({
                    "check": c.name,
                    "status": match c.passed { Some(true) => "pass", Some(false) => "fail", None => "skip" },
                    "detail": c.detail,
                    "fix": c.fix,
                })
            })
            .collect();
        println!("{:#}", json!({ "ok": !failed, "checks": out }));
    } else {
        for check in &checks {
            anstream::println!("{} {:<22} {}", mark(check.passed), check.name, check.detail);
            if let Some(fix) = &check.fix {
                println!("       fix: {fix}");
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn run_checks(cli: &Cli) -> Vec<Check> {
    let mut checks = Vec::new();
    let loaded = async {
        // A store that refused the read names the permission; the hint, the policy to print.
        let auth = (cli.auth_builder().build().await).map_err(|err| {
            let mut fix = nova_act::Report(&err).to_string();
            if let Some(hint) = crate::hints::for_error(&err) {
                fix = format!("{fix}\n       hint: {hint}");
            }
            ("none usable", fix)
        })?;
        let identity = (auth.identity().await)
            .map_err(|err| ("could not load them", nova_act::Report(&err).to_string()))?;
        Ok::<_, (&str, String)>((auth, identity))
    };
    let (auth, identity) = match loaded.await {
        Ok(loaded) => loaded,
        Err((summary, detail)) => {
            checks.push(Check::fail("credentials", summary, detail));
            return checks;
        }
    };
    checks.push(Check::pass(
        "credentials",
        format!(
            "{} {} from {}",
            identity.mode, identity.masked_id, identity.source
        ),
    ));
    match identity.mode {
        AuthMode::ApiKey => checks.push(Check::pass("api key", "36 characters, well formed")),
        AuthMode::Iam => checks.push(expiry_check(&identity)),
    }
    checks.push(region_check(cli, &identity));
    match identity.mode {
        AuthMode::Iam => {
            checks.push(sts_check(&auth).await);
            checks.push(service_check(cli).await);
        }
        AuthMode::ApiKey => {
            checks.push(Check::skip("identity (sts)", "not used with an API key"));
            checks.push(api_key_check(cli).await);
        }
    }
    checks
}

fn expiry_check(identity: &Identity) -> Check {
    match identity.expires_at {
        None => Check::pass("not expired", "long-term credentials"),
        Some(at) => match at.duration_since(std::time::SystemTime::now()) {
            Ok(left) => Check::pass(
                "not expired",
                format!(
                    "valid for {}",
                    humantime::format_duration(Duration::from_secs(left.as_secs()))
                ),
            ),
            Err(_) => Check::fail(
                "not expired",
                format!("expired at {}", humantime::format_rfc3339_seconds(at)),
                "refresh them at their source (`aws sso login`, new keys, or the instance role)",
            ),
        },
    }
}

fn region_check(cli: &Cli, identity: &Identity) -> Check {
    let region = identity.region.name();
    if identity.mode == AuthMode::ApiKey {
        return Check::skip("region supported", "the API-key service has no regions");
    }
    if cli.endpoint_url.is_some() || Env::process().is_set("AWS_ENDPOINT_URL_NOVA_ACT") {
        return Check::pass("region supported", format!("{region} (custom endpoint)"));
    }
    if nova_act::endpoint::SUPPORTED_REGIONS.contains(&region) {
        Check::pass("region supported", identity.region.to_string())
    } else {
        Check::fail(
            "region supported",
            format!(
                "Nova Act is not known to be offered in {} (requests are sent there anyway)",
                identity.region
            ),
            format!(
                "if Nova Act does not answer there, set AWS_REGION (or --region) to one of: {}",
                nova_act::endpoint::SUPPORTED_REGIONS.join(", ")
            ),
        )
    }
}

/// STS GetCallerIdentity with the same credentials, honouring `AWS_ENDPOINT_URL_STS`.
async fn sts_check(auth: &Auth) -> Check {
    let env = Env::process();
    let mut config = aws_sdk_sts::Config::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_types::region::Region::new(
            auth.region().name().to_owned(),
        ))
        .credentials_provider(nova_act::IntoAwsProvider::new(auth.clone()).into_shared())
        .http_client(nova_act::https_client())
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(10))
                .build(),
        );
    if let Some(url) = env
        .get("AWS_ENDPOINT_URL_STS")
        .or_else(|| env.get("AWS_ENDPOINT_URL"))
    {
        // The same rule as Nova Act calls: no signed request in cleartext beyond loopback.
        if let Err(err) = nova_act::endpoint::transport(&url, env.allows_http()) {
            return Check::fail(
                "identity (sts)",
                format!("{err}; fix AWS_ENDPOINT_URL_STS"),
                "use an https:// STS endpoint",
            );
        }
        config = config.endpoint_url(url);
    }
    let client = aws_sdk_sts::Client::from_conf(config.build());
    match client.get_caller_identity().send().await {
        Ok(answer) => Check::pass(
            "identity (sts)",
            format!(
                "{} in account {}",
                answer.arn().unwrap_or("?"),
                answer.account().unwrap_or("?")
            ),
        ),
        Err(err) => {
            let refused = err.as_service_error().map(|e| e.to_string());
            match refused {
                Some(message) => Check::fail(
                    "identity (sts)",
                    format!("STS refused the credentials: {message}"),
                    "check that the key is active (IAM console) or sign in again",
                ),
                None => Check::fail(
                    "identity (sts)",
                    format!("could not reach STS: {}", nova_act::Report(&err)),
                    "check the network; set AWS_ENDPOINT_URL_STS if STS is reached through a \
                     private endpoint",
                ),
            }
        }
    }
}

/// The run id the API-key check asks about: a UUID no run is given (version 4 has random
/// bits where this one has zeros).
const NO_SUCH_RUN: &str = "00000000-0000-4000-8000-000000000000";

/// With an API key: is the service reachable, and does it accept the key? The API-key service
/// has no read-only operation, so this asks to finish a run that cannot exist, which changes
/// nothing: "not found" means the key was accepted, 401/403 that it was refused, and no answer
/// that the service cannot be reached.
async fn api_key_check(cli: &Cli) -> Check {
    const NAME: &str = "key accepted";
    let nova = match cli.nova().await {
        Ok(nova) => nova,
        Err(err) => return Check::fail(NAME, "no client", err),
    };
    let asked = nova
        .client()
        .update_workflow_run(nova_act::model::UpdateWorkflowRunInput {
            workflow_definition_name: nova_act::runtime::API_KEY_DEFINITION.to_owned(),
            workflow_run_id: NO_SUCH_RUN.to_owned(),
            status: nova_act::model::WorkflowRunStatus::Failed,
        })
        .await;
    let endpoint = nova.client().endpoint();
    match asked {
        Err(nova_act::Error::ResourceNotFound { .. }) | Ok(_) => Check::pass(
            NAME,
            format!("{endpoint} accepted the key (asked about a run that does not exist)"),
        ),
        Err(err @ nova_act::Error::ApiKeyRejected { .. }) => Check::fail(
            NAME,
            nova_act::Report(&err).to_string(),
            "create a new key at https://nova.amazon.com/act and set NOVA_ACT_API_KEY to it",
        ),
        Err(err @ (nova_act::Error::Transport { .. } | nova_act::Error::Timeout { .. })) => {
            Check::fail(
                NAME,
                format!("{endpoint} did not answer: {}", nova_act::Report(&err)),
                "check the network, a proxy, or --endpoint-url (NOVA_ACT_API_ENDPOINT)",
            )
        }
        Err(err) => Check::fail(
            NAME,
            format!("unexpected answer: {}", nova_act::Report(&err)),
            "see the message above",
        ),
    }
}

/// ListModels: reachable, and allowed.
async fn service_check(cli: &Cli) -> Check {
    let nova = match cli.nova().await {
        Ok(nova) => nova,
        Err(err) => return Check::fail("nova act reachable", "no client", err),
    };
    match nova
        .client()
        .list_models(nova_act::model::ListModelsInput::default())
        .await
    {
        Ok(models) => Check::pass(
            "nova act reachable",
            format!(
                "{} answered ListModels ({} models)",
                nova.client().endpoint(),
                models.model_summaries.len()
            ),
        ),
        Err(err) => {
            let fix = match &err {
                nova_act::Error::AccessDenied { .. } => {
                    "allow nova-act:ListModels: `nova-act permissions --for read` prints a policy that does (`--for run` to run workflows)"
                }
                nova_act::Error::Transport { .. } | nova_act::Error::Timeout { .. } => {
                    "check the network, a proxy, or --endpoint-url"
                }
                _ => "see the message above",
            };
            Check::fail(
                "nova act reachable",
                nova_act::Report(&err).to_string(),
                fix,
            )
        }
    }
}
