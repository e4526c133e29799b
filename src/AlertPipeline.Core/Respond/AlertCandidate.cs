using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Respond;

/// <summary>One matching event, as much of it as an alert keeps.</summary>
public readonly record struct MatchedEvent(SourcePosition Position, DateTimeOffset Timestamp);

/// <summary>
/// Detections of one batch that belong to one alert (same rule, sandbox and time bucket), ready to be merged
/// into the stored alert. Built outside the hot path: only matches allocate.
/// </summary>
public sealed class AlertCandidate
{
    /// <summary>Creates a candidate.</summary>
    public AlertCandidate(string alertId, ActiveRule rule, string sandboxId, IReadOnlyDictionary<string, string> evidence)
    {
        AlertId = alertId;
        Rule = rule;
        SandboxId = sandboxId;
        Evidence = evidence;
    }

    /// <summary>The deterministic alert id.</summary>
    public string AlertId { get; }

    /// <summary>The rule that matched.</summary>
    public ActiveRule Rule { get; }

    /// <summary>The sandbox, or <c>unattributed</c>.</summary>
    public string SandboxId { get; }

    /// <summary>Field values of the first matching event (cleaned and truncated).</summary>
    public IReadOnlyDictionary<string, string> Evidence { get; }

    /// <summary>The matching events of this batch.</summary>
    public List<MatchedEvent> Events { get; } = [];

    /// <summary>For a correlation rule: the count and window that held; the alert then counts this, not events.</summary>
    public CorrelationSummary? Correlation { get; init; }
}

/// <summary>
/// What a correlation alert carries instead of per-event counts: the highest count of the episode (or the fixed
/// window) and the window's bounds. Merging keeps the maximum, so any order or repetition of firings converges.
/// </summary>
public sealed record CorrelationSummary(long Count, DateTimeOffset WindowStart, DateTimeOffset WindowEnd);
