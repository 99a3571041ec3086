//! What the fault drill (`scripts/drill`) judges, apart from how it gets the facts: which
//! refusals an outage explains, and what the api's metrics say.

/// One submission of the load: when it was answered (seconds from the start), how, which index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Submission {
    pub second: u64,
    /// 0 when no answer came at all.
    pub status: u16,
    pub index: u64,
}

/// A service down from `down` to `up` (seconds from the start), both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outage {
    pub down: u64,
    pub up: u64,
}

/// The refusals no outage explains: a refusal is fine only as a 503 from a second before a
/// service went down to `grace` seconds after it was back (reconnection backoff).
pub fn unexpected_refusals(
    submissions: &[Submission],
    outages: &[Outage],
    grace: u64,
) -> Vec<Submission> {
    submissions
        .iter()
        .filter(|submission| submission.status != 200)
        .filter(|submission| {
            !(submission.status == 503
                && outages.iter().any(|outage| {
                    (outage.down.saturating_sub(1)..=outage.up + grace).contains(&submission.second)
                }))
        })
        .copied()
        .collect()
}

/// The value of an unlabelled metric in Prometheus text: `fibstack_<name> <value>`.
pub fn metric(text: &str, name: &str) -> Option<u64> {
    let prefix = format!("fibstack_{name} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|value| value.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(second: u64, status: u16) -> Submission {
        Submission {
            second,
            status,
            index: 1000 + second,
        }
    }

    #[test]
    fn a_503_during_an_outage_or_its_grace_is_expected() {
        let outages = [Outage { down: 10, up: 15 }];
        let load = [
            answered(9, 503),
            answered(12, 503),
            answered(25, 503),
            answered(30, 200),
        ];
        assert!(unexpected_refusals(&load, &outages, 10).is_empty());
    }

    #[test]
    fn a_503_outside_every_outage_is_not() {
        let outages = [Outage { down: 10, up: 15 }];
        let load = [answered(8, 503), answered(26, 503)];
        assert_eq!(unexpected_refusals(&load, &outages, 10), load);
    }

    #[test]
    fn any_other_refusal_is_unexpected_even_in_an_outage() {
        let outages = [Outage { down: 10, up: 15 }];
        let load = [answered(12, 500), answered(12, 0), answered(12, 429)];
        assert_eq!(unexpected_refusals(&load, &outages, 10).len(), 3);
    }

    #[test]
    fn metrics_are_read_by_their_exact_name() {
        let text = "# HELP fibstack_job_redeliveries Jobs\nfibstack_job_redeliveries 3\nfibstack_job_redeliveries_total 9\n";
        assert_eq!(metric(text, "job_redeliveries"), Some(3));
        assert_eq!(metric(text, "values_stored_again"), None);
    }
}
