namespace AlertPipeline.Core.Respond.Audit;

/// <summary>What an audit entry records.</summary>
public enum AuditKind
{
    /// <summary>A notification's outcome on one channel (sent, failed, suppressed, dry-run...).</summary>
    Notification,

    /// <summary>A shutdown command's decision: issued, or held or blocked by a guardrail, with the reason.</summary>
    Command,

    /// <summary>A human's decision through a signed link or the API: acknowledge, approve, dismiss.</summary>
    Approval,

    /// <summary>What a sandbox controller reported after running (or rejecting) a command.</summary>
    ControllerOutcome,
}

/// <summary>
/// One line of the audit trail: who or what acted on which alert and sandbox, when, and with what result. Entries are
/// append-only; <see cref="EntryId"/> is deterministic for one event (e.g. alert, channel and attempt), so recording
/// it twice under at-least-once delivery keeps one entry. Text fields may hold attacker-controlled telemetry and are
/// stored as given; renderers escape them.
/// </summary>
public sealed record AuditEntry
{
    /// <summary>Idempotency key of the entry: the same event recorded twice keeps one entry.</summary>
    public required string EntryId { get; init; }

    /// <summary>When it happened.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>What kind of action it was.</summary>
    public required AuditKind Kind { get; init; }

    /// <summary>The alert acted on.</summary>
    public required string AlertId { get; init; }

    /// <summary>The sandbox concerned.</summary>
    public required string SandboxId { get; init; }

    /// <summary>The channel or action (<c>email</c>, <c>teams</c>, <c>shutdown</c>, <c>approve</c>, ...).</summary>
    public required string Action { get; init; }

    /// <summary>The result (<c>sent</c>, <c>failed</c>, <c>awaitingapproval</c>, <c>done</c>, <c>rejected</c>, ...).</summary>
    public required string Outcome { get; init; }

    /// <summary>Who acted: <c>pipeline</c>, a controller's host, or the human named by a signed link.</summary>
    public string Actor { get; init; } = "pipeline";

    /// <summary>The reason or delivery reference.</summary>
    public string? Detail { get; init; }
}
