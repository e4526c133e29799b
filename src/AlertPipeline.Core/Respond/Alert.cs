using AlertPipeline.Core.Detect;

namespace AlertPipeline.Core.Respond;

/// <summary>
/// A rule firing for one sandbox within one time bucket. Its id is deterministic
/// (<see cref="AlertIds"/>), so a redelivered batch updates the same alert instead of creating another.
/// Text fields copied from events are attacker-controlled: renderers escape and truncate them.
/// </summary>
public sealed class Alert
{
    /// <summary>Deterministic id: hash of rule, sandbox and time bucket.</summary>
    public required string AlertId { get; init; }

    /// <summary>The rule's id.</summary>
    public required string RuleId { get; init; }

    /// <summary>The rule pack the rule came from.</summary>
    public required string RulePack { get; init; }

    /// <summary>The rule's title.</summary>
    public required string Title { get; set; }

    /// <summary>The rule's level.</summary>
    public required AlertLevel Level { get; set; }

    /// <summary>The rule's tags (ATT&amp;CK techniques among them).</summary>
    public IReadOnlyList<string> Tags { get; set; } = [];

    /// <summary>The rule's references and runbook links.</summary>
    public IReadOnlyList<string> References { get; set; } = [];

    /// <summary>The rule's description.</summary>
    public string? Description { get; set; }

    /// <summary>The sandbox the events belong to, or <c>unattributed</c>.</summary>
    public required string SandboxId { get; init; }

    /// <summary>Whether actions were carried out or only recorded.</summary>
    public RuleMode Mode { get; set; }

    /// <summary>Event time of the earliest matching event.</summary>
    public DateTimeOffset FirstSeen { get; set; }

    /// <summary>Event time of the latest matching event.</summary>
    public DateTimeOffset LastSeen { get; set; }

    /// <summary>Distinct matching events counted (redelivered events are not counted twice).</summary>
    public long EventCount { get; set; }

    /// <summary>Field name to value, taken from the first matching event (truncated).</summary>
    public Dictionary<string, string> Evidence { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Per source stream, the last (sequence, record) counted: the basis of duplicate suppression.</summary>
    public Dictionary<string, EventCursor> Cursors { get; set; } = new(StringComparer.Ordinal);

    /// <summary>One record per channel the policy asked for, with its outcome.</summary>
    public List<ActionRecord> Actions { get; set; } = [];

    /// <summary>When the alert was first written.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When the alert was last written.</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Where a human has taken the alert: open until acknowledged, dismissed or resolved.</summary>
    public AlertStatus Status { get; set; } = AlertStatus.Open;

    /// <summary>Who last changed <see cref="Status"/> (an approver's name from a signed link, or an operator); null while open.</summary>
    public string? StatusBy { get; set; }

    /// <summary>When <see cref="Status"/> last changed; null while open.</summary>
    public DateTimeOffset? StatusAt { get; set; }

    /// <summary>How many times the still-open alert was re-notified (quiet escalation); 0 until then.</summary>
    public int Escalations { get; set; }

    /// <summary>When the last escalation was queued; null until the first.</summary>
    public DateTimeOffset? EscalatedAt { get; set; }

    /// <summary>The incident the alert joined (<c>Incidents.Incident</c>); null until incident tracking has placed it.</summary>
    public string? IncidentId { get; set; }

    /// <summary>The store's concurrency token; null until stored.</summary>
    public string? ETag { get; set; }

    /// <summary>The action record of <paramref name="channel"/>, or null.</summary>
    public ActionRecord? ActionFor(string channel) => Actions.Find(a => a.Channel == channel);
}

/// <summary>Where a human has taken an alert.</summary>
public enum AlertStatus
{
    /// <summary>Nobody has acted on it yet: escalation may re-notify.</summary>
    Open,

    /// <summary>A human has seen it and owns it.</summary>
    Acknowledged,

    /// <summary>A human judged it a false positive; a pending shutdown approval is void.</summary>
    Dismissed,

    /// <summary>Handled and closed.</summary>
    Resolved,
}

/// <summary>A position in a source stream, ordered by sequence then record.</summary>
public readonly record struct EventCursor(long Sequence, int Record) : IComparable<EventCursor>
{
    /// <inheritdoc />
    public int CompareTo(EventCursor other)
        => Sequence != other.Sequence ? Sequence.CompareTo(other.Sequence) : Record.CompareTo(other.Record);
}

/// <summary>Outcome of one channel for one alert.</summary>
public enum ActionStatus
{
    /// <summary>Not yet attempted.</summary>
    Pending,

    /// <summary>Delivered (email accepted, card posted, command queued).</summary>
    Sent,

    /// <summary>Attempted and failed; retried while attempts remain.</summary>
    Failed,

    /// <summary>The rule is in dry-run mode: recorded what would have been done.</summary>
    DryRun,

    /// <summary>Deliberately not done (guardrail, protected sandbox, channel not configured).</summary>
    Skipped,

    /// <summary>Rendered to the console instead of sent (<c>alertpipe replay</c> without <c>--send</c>).</summary>
    Printed,

    /// <summary>Held back by the channel's rate cap (an alert flood); counted, not sent.</summary>
    Suppressed,

    /// <summary>
    /// A command a guardrail or the response policy holds for a human: nothing was sent; an approval sends it, a
    /// dismissal voids it.
    /// </summary>
    AwaitingApproval,
}

/// <summary>What happened on one channel for an alert.</summary>
public sealed class ActionRecord
{
    /// <summary>The channel name (<c>email</c>, <c>teams</c>, <c>shutdown</c>).</summary>
    public required string Channel { get; init; }

    /// <summary>The latest outcome.</summary>
    public ActionStatus Status { get; set; }

    /// <summary>How many times delivery was attempted.</summary>
    public int Attempts { get; set; }

    /// <summary>Why it failed or was skipped, or a delivery reference.</summary>
    public string? Detail { get; set; }

    /// <summary>When this record last changed.</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>
    /// Set by the dispatcher before it sends (under the alert's ETag) and cleared when the outcome is recorded:
    /// while it lies in the future, another dispatcher of the same (alert, channel) does not send.
    /// </summary>
    public DateTimeOffset? SendingUntil { get; set; }

    /// <summary>
    /// For a command: what the sandbox controller reported (<c>done</c>, <c>failed</c> or <c>rejected</c>, its detail and
    /// time), or null until it reports.
    /// </summary>
    public string? Outcome { get; set; }

    /// <summary>
    /// For a command that was issued: its nonce. A controller's outcome is recorded only when it answers this nonce
    /// (see <c>CommandOutcomeRecorder</c>), so an outcome for an older or forged command is refused.
    /// </summary>
    public string? CommandNonce { get; set; }

    /// <summary>True when a failure is final (not retryable, or the last attempt); it stays visible on the alert.</summary>
    public bool GaveUp { get; set; }

    /// <summary>The key a redelivered or retried send is recognised by: alert id and channel.</summary>
    public string IdempotencyKey(string alertId) => alertId + ":" + Channel;

    /// <summary>True once no further attempt should be made.</summary>
    public bool IsSettled(int maxAttempts) => Status is ActionStatus.Sent or ActionStatus.DryRun or ActionStatus.Skipped or ActionStatus.Printed or ActionStatus.Suppressed or ActionStatus.AwaitingApproval
        || (Status == ActionStatus.Failed && (GaveUp || Attempts >= maxAttempts));
}
