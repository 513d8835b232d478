//! The IAM policy a program needs to run acts on remote browsers.

use serde_json::{Value, json};

/// What running acts on AgentCore Browser sessions needs: starting, reading, listing and
/// stopping sessions, and the automation stream. Creating custom browsers, the live view and
/// taking the stream's control away from the agent are left out: an act does none of them.
pub const BROWSER_ACTIONS: [&str; 5] = [
    "bedrock-agentcore:StartBrowserSession",
    "bedrock-agentcore:GetBrowserSession",
    "bedrock-agentcore:ListBrowserSessions",
    "bedrock-agentcore:StopBrowserSession",
    "bedrock-agentcore:ConnectBrowserAutomationStream",
];

/// The policy document for remote browsers in `region` of `account` (`*` where unknown), on
/// `arn:aws:bedrock-agentcore:REGION:ACCOUNT:browser/*`.
///
/// ```
/// let policy = nova_agentcore::browser_policy(Some("us-east-1"), Some("123456789012"));
/// assert_eq!(
///     policy["Statement"][0]["Resource"][0],
///     "arn:aws:bedrock-agentcore:us-east-1:123456789012:browser/*"
/// );
/// ```
pub fn browser_policy(region: Option<&str>, account: Option<&str>) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "NovaActRemoteBrowser",
            "Effect": "Allow",
            "Action": BROWSER_ACTIONS,
            "Resource": [format!(
                "arn:aws:bedrock-agentcore:{}:{}:browser/*",
                region.unwrap_or("*"),
                account.unwrap_or("*")
            )],
        }]
    })
}
