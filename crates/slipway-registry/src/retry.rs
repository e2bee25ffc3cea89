//! Trying a registry request again when the failure may be passing: a refused or dropped
//! connection, a 5xx, a 429. Anything else (401, 404, a bad manifest) fails at once.

use std::future::Future;
use std::time::Duration;

use oci_client::errors::OciDistributionError;

use crate::error::classify;

/// How often and how patiently a request is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    /// Retries after the first attempt.
    pub(crate) retries: u32,
    /// The wait before the first retry; it doubles before each further one.
    pub(crate) first_delay: Duration,
}

impl RetryPolicy {
    /// Three retries after 250 ms, 500 ms and 1 s: enough to ride out a registry restart or a
    /// brief rate limit, short enough that a registry that is really down is reported quickly.
    pub(crate) const DEFAULT: RetryPolicy = RetryPolicy {
        retries: 3,
        first_delay: Duration::from_millis(250),
    };

    /// Runs `request` until it succeeds, fails for good, or the retries are used up; `on_retry` is
    /// told of each retry (its number, from 1) before the wait.
    pub(crate) async fn run<T, F, Fut>(
        self,
        mut request: F,
        on_retry: impl Fn(u32, &OciDistributionError),
    ) -> Result<T, OciDistributionError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, OciDistributionError>>,
    {
        let mut retry = 0;
        loop {
            match request().await {
                Err(err) if retry < self.retries && classify(&err).is_retryable() => {
                    retry += 1;
                    tracing::debug!(retry, error = %err, "retrying a registry request");
                    on_retry(retry, &err);
                    tokio::time::sleep(self.first_delay * 2u32.pow(retry - 1)).await;
                }
                result => return result,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    const FAST: RetryPolicy = RetryPolicy {
        retries: 3,
        first_delay: Duration::ZERO,
    };

    fn server_error(code: u16) -> OciDistributionError {
        OciDistributionError::ServerError {
            code,
            url: "http://127.0.0.1/v2/".into(),
            message: String::new(),
        }
    }

    #[tokio::test]
    async fn a_5xx_is_retried_until_the_request_succeeds() {
        let calls = Cell::new(0);
        let retries = Cell::new(0);
        let result = FAST
            .run(
                || {
                    calls.set(calls.get() + 1);
                    let n = calls.get();
                    async move { if n < 3 { Err(server_error(503)) } else { Ok(n) } }
                },
                |_, _| retries.set(retries.get() + 1),
            )
            .await;
        assert_eq!(result.ok(), Some(3));
        assert_eq!(retries.get(), 2);
    }

    #[tokio::test]
    async fn a_4xx_is_not_retried() {
        let calls = Cell::new(0);
        let result: Result<(), _> = FAST
            .run(
                || {
                    calls.set(calls.get() + 1);
                    async { Err(server_error(400)) }
                },
                |_, _| {},
            )
            .await;
        assert!(result.is_err());
        assert_eq!(calls.get(), 1);
    }

    #[tokio::test]
    async fn retries_stop_after_the_policy_s_count() {
        let calls = Cell::new(0);
        let result: Result<(), _> = FAST
            .run(
                || {
                    calls.set(calls.get() + 1);
                    async { Err(server_error(429)) }
                },
                |_, _| {},
            )
            .await;
        assert!(result.is_err());
        assert_eq!(calls.get(), 4);
    }
}
