namespace AlertPipeline.Core.Detect.Management;

/// <summary>One thing wrong with a rule, located in its YAML (line and column 1-based, 0 when unknown).</summary>
/// <param name="RuleId">The rule's id, if it could be read.</param>
/// <param name="Line">1-based line, or 0.</param>
/// <param name="Column">1-based column, or 0.</param>
/// <param name="Message">What is wrong.</param>
public sealed record RuleProblem(string? RuleId, int Line, int Column, string Message);

/// <summary>The verdict on a rule's YAML: its problems, or what it is.</summary>
/// <param name="Problems">Everything wrong; empty when valid.</param>
/// <param name="Id">The rule's id when valid.</param>
/// <param name="Title">The rule's title when valid.</param>
/// <param name="Level">The rule's level (Sigma spelling) when valid.</param>
public sealed record RuleValidation(IReadOnlyList<RuleProblem> Problems, string? Id = null, string? Title = null, string? Level = null)
{
    /// <summary>True when there is no problem.</summary>
    public bool IsValid => Problems.Count == 0;
}

/// <summary>What a write must find in the store before it happens.</summary>
public readonly record struct RulePrecondition
{
    private RulePrecondition(string? ifMatch, bool createOnly)
    {
        IfMatch = ifMatch;
        CreateOnly = createOnly;
    }

    /// <summary>The ETag the caller read; the write happens only if the rule still has it.</summary>
    public string? IfMatch { get; }

    /// <summary>The write happens only if no rule has the pack and id yet.</summary>
    public bool CreateOnly { get; }

    /// <summary>True when neither condition is set.</summary>
    public bool IsNone => IfMatch is null && !CreateOnly;

    /// <summary>No condition (allowed only where the change cannot clobber another: enable and disable).</summary>
    public static RulePrecondition None => default;

    /// <summary>Create-only (HTTP <c>If-None-Match: *</c>).</summary>
    public static RulePrecondition Create { get; } = new(null, true);

    /// <summary>Replace or delete the version read (HTTP <c>If-Match</c>).</summary>
    /// <exception cref="ArgumentException"><paramref name="etag"/> is empty or <c>*</c>.</exception>
    public static RulePrecondition Match(string etag) => new(RuleWriteResult.RequireETag(etag), false);
}

/// <summary>How a management call ended.</summary>
public enum RuleChangeStatus
{
    /// <summary>The rule was changed and the change recorded; see <see cref="RuleChangeResult.Action"/>.</summary>
    Changed,

    /// <summary>The rule already was as asked; nothing was written or recorded.</summary>
    Unchanged,

    /// <summary>The YAML is not a valid rule, or its id is not the one asked for; see <see cref="RuleChangeResult.Problems"/>.</summary>
    Invalid,

    /// <summary>The pack or id cannot name a rule; see <see cref="RuleChangeResult.Detail"/>.</summary>
    BadKey,

    /// <summary>No such rule.</summary>
    NotFound,

    /// <summary>The rule changed since the caller read it (stale ETag); nothing was written.</summary>
    Stale,

    /// <summary>Create-only, but the rule exists; nothing was written.</summary>
    AlreadyExists,
}

/// <summary>The outcome of a put, delete, enable or disable.</summary>
/// <param name="Status">How it ended.</param>
/// <param name="Action">What was done, for <see cref="RuleChangeStatus.Changed"/>.</param>
/// <param name="Rule">The rule as now stored (with its ETag) after a change or when unchanged; null after a delete or a refusal.</param>
/// <param name="Problems">Why the YAML was refused, for <see cref="RuleChangeStatus.Invalid"/>.</param>
/// <param name="Detail">A sentence for the other refusals.</param>
public sealed record RuleChangeResult(
    RuleChangeStatus Status,
    RuleChangeAction? Action = null,
    RuleRecord? Rule = null,
    IReadOnlyList<RuleProblem>? Problems = null,
    string? Detail = null);

/// <summary>One sample event a rule matched.</summary>
/// <param name="Index">The event's index among the sample's accepted events (0-based).</param>
/// <param name="Timestamp">The event's time.</param>
/// <param name="Fields">The values of the fields the rule reads, by ECS name, cleaned for display (<see cref="Respond.SafeText"/>).</param>
public sealed record RuleTestMatch(int Index, DateTimeOffset Timestamp, IReadOnlyDictionary<string, string> Fields);

/// <summary>A sample record the ingestor could not accept, cleaned for display.</summary>
/// <param name="Position">Where in the sample (<c>stream#message.record</c>).</param>
/// <param name="Reason">The reason code, e.g. <c>malformed-json</c>.</param>
/// <param name="Detail">The detail.</param>
public sealed record RuleTestReject(string Position, string Reason, string Detail);

/// <summary>What a rule does to sample telemetry.</summary>
/// <param name="Problems">Why the rule is invalid; when not empty nothing was evaluated.</param>
/// <param name="RuleId">The rule's id when it compiled.</param>
/// <param name="Events">How many sample events were accepted and evaluated.</param>
/// <param name="MatchCount">How many of them matched (may exceed the matches listed).</param>
/// <param name="Matches">The first matches, in event order.</param>
/// <param name="Rejected">Sample records that were not events (not evaluated).</param>
public sealed record RuleTestResult(
    IReadOnlyList<RuleProblem> Problems,
    string? RuleId,
    int Events,
    int MatchCount,
    IReadOnlyList<RuleTestMatch> Matches,
    IReadOnlyList<RuleTestReject> Rejected)
{
    /// <summary>True when the rule compiled.</summary>
    public bool IsValid => Problems.Count == 0;
}
