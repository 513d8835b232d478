//! Every item of a listing as a stream, following `nextToken` page by page.

use futures_util::stream::{self, Stream, StreamExt, TryStreamExt};

use super::Client;
use crate::error::Error;
use crate::model::*;
use crate::operation::Operation;

/// The items of one page and the token of the next.
type Page<T> = (Vec<T>, Option<String>);

/// A stream of every item of a List operation, following `nextToken` page by page.
fn paginate<I, T>(
    client: &Client,
    input: I,
    set_token: fn(&mut I, Option<String>),
    split: fn(I::Output) -> Page<T>,
) -> impl Stream<Item = Result<T, Error>> + Send + 'static
where
    I: Operation + Clone + 'static,
    T: Send + 'static,
{
    let client = client.clone();
    stream::try_unfold(Some(input), move |next| {
        let client = client.clone();
        async move {
            let Some(input) = next else {
                return Ok::<_, Error>(None);
            };
            let page = client.send(input.clone()).await?;
            let (items, token) = split(page);
            let next = token.filter(|t| !t.is_empty()).map(|token| {
                let mut input = input;
                set_token(&mut input, Some(token));
                input
            });
            Ok(Some((
                stream::iter(items.into_iter().map(Ok::<T, Error>)),
                next,
            )))
        }
    })
    .try_flatten()
    .boxed()
}

/// The streams, one a List operation: method, input, item, and the output's list member.
macro_rules! streams {
    ($($(#[$doc:meta])* $method:ident($input:ty) -> $item:ty, $items:ident;)+) => {
        /// Every item of the List operations, as streams.
        impl Client {
            $(
                $(#[$doc])*
                pub fn $method(
                    &self,
                    input: $input,
                ) -> impl Stream<Item = Result<$item, Error>> + Send + 'static {
                    paginate(
                        self,
                        input,
                        |input, token| input.next_token = token,
                        |page| (page.$items, page.next_token),
                    )
                }
            )+
        }
    };
}

streams! {
    /// Every workflow definition.
    workflow_definitions(ListWorkflowDefinitionsInput) -> WorkflowDefinitionSummary,
        workflow_definition_summaries;
    /// Every run of a workflow definition.
    workflow_runs(ListWorkflowRunsInput) -> WorkflowRunSummary, workflow_run_summaries;
    /// Every session of a run.
    sessions(ListSessionsInput) -> SessionSummary, session_summaries;
    /// Every act matching the filters.
    acts(ListActsInput) -> ActSummary, act_summaries;
}
