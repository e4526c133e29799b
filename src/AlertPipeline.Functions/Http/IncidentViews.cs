using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Incidents;

namespace AlertPipeline.Functions.Http;

/// <summary>
/// One incident as <c>GET incidents/{id}</c> shows it, written with <see cref="AlertJson.Options"/> (enums as
/// kebab-case text: <c>open</c>, <c>critical</c>). Timeline text is attacker-controlled: it is cleaned again here, and
/// the JSON writer escapes what is left (control characters, HTML-sensitive characters).
/// </summary>
public sealed record IncidentView(
    string IncidentId,
    string SandboxId,
    int Sequence,
    IncidentStatus Status,
    string? StatusBy,
    DateTimeOffset? StatusAt,
    AlertLevel Level,
    AlertLevel HighestAlertLevel,
    IReadOnlyList<string> LevelReasons,
    IReadOnlyList<string> Techniques,
    IReadOnlyList<string> AlertIds,
    IReadOnlyList<string> RunIds,
    IReadOnlyList<string> EpisodeIds,
    IReadOnlyList<IncidentCommand> Commands,
    IReadOnlyList<IncidentNotification> Notifications,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<TimelineEntryView> Timeline)
{
    /// <summary>The view of <paramref name="incident"/>, timeline in time order.</summary>
    public static IncidentView Of(Incident incident)
    {
        ArgumentNullException.ThrowIfNull(incident);
        return new(
            incident.IncidentId,
            SafeText.Clean(incident.SandboxId, 128),
            incident.Sequence,
            incident.Status,
            incident.StatusBy is null ? null : SafeText.Clean(incident.StatusBy, 128),
            incident.StatusAt,
            incident.Level,
            incident.HighestAlertLevel,
            [.. incident.LevelReasons.Select(r => SafeText.Clean(r, 256))],
            [.. incident.Techniques.Select(t => SafeText.Clean(t, 32))],
            incident.AlertIds,
            [.. incident.RunIds.Select(r => SafeText.Clean(r, 128))],
            [.. incident.EpisodeIds.Select(e => SafeText.Clean(e, 128))],
            incident.Commands,
            incident.Notifications,
            incident.FirstSeen,
            incident.LastSeen,
            incident.CreatedAt,
            incident.UpdatedAt,
            [.. IncidentViews.InTimeOrder(incident.Timeline).Select(e => TimelineEntryView.Of(e, null))]);
    }
}

/// <summary>One incident in a list: everything but the timeline, commands and notifications (counted instead).</summary>
public sealed record IncidentSummaryView(
    string IncidentId,
    string SandboxId,
    IncidentStatus Status,
    AlertLevel Level,
    IReadOnlyList<string> LevelReasons,
    IReadOnlyList<string> Techniques,
    int AlertCount,
    int CommandCount,
    int NotificationCount,
    IReadOnlyList<string> RunIds,
    IReadOnlyList<string> EpisodeIds,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    DateTimeOffset UpdatedAt)
{
    /// <summary>The summary of <paramref name="incident"/>.</summary>
    public static IncidentSummaryView Of(Incident incident)
    {
        ArgumentNullException.ThrowIfNull(incident);
        return new(
            incident.IncidentId,
            SafeText.Clean(incident.SandboxId, 128),
            incident.Status,
            incident.Level,
            [.. incident.LevelReasons.Select(r => SafeText.Clean(r, 256))],
            [.. incident.Techniques.Select(t => SafeText.Clean(t, 32))],
            incident.AlertIds.Count,
            incident.Commands.Count,
            incident.Notifications.Count,
            [.. incident.RunIds.Select(r => SafeText.Clean(r, 128))],
            [.. incident.EpisodeIds.Select(e => SafeText.Clean(e, 128))],
            incident.FirstSeen,
            incident.LastSeen,
            incident.UpdatedAt);
    }
}

/// <summary>The answer of <c>GET incidents</c>: latest evidence first, and whether <c>max</c> cut the list.</summary>
public sealed record IncidentListView(IReadOnlyList<IncidentSummaryView> Incidents, bool Truncated);

/// <summary>One timeline entry; <see cref="IncidentId"/> is set where entries of several incidents are merged.</summary>
public sealed record TimelineEntryView(DateTimeOffset Time, string Kind, string Summary, string? IncidentId, string? AlertId, AlertLevel? Level)
{
    /// <summary>The view of <paramref name="entry"/>, naming <paramref name="incidentId"/> when given.</summary>
    public static TimelineEntryView Of(IncidentTimelineEntry entry, string? incidentId)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new(entry.Time, SafeText.Clean(entry.Kind, 32), SafeText.Clean(entry.Summary), incidentId, entry.AlertId, entry.Level);
    }
}

/// <summary>The answer of <c>GET sandboxes/{id}/timeline</c>: the sandbox's incidents' entries in time order.</summary>
public sealed record SandboxTimelineView(string SandboxId, IReadOnlyList<TimelineEntryView> Entries, bool Truncated);

/// <summary>The body of <c>POST incidents/{id}/status</c>.</summary>
/// <param name="Status"><c>acknowledged</c>, <c>contained</c>, <c>resolved</c> or <c>open</c>.</param>
/// <param name="By">Who, for the timeline; the caller's principal (or <c>function-key</c>) when absent.</param>
/// <param name="Note">Why, for the timeline.</param>
/// <param name="Force">Allow moving back (reopening); without it status only moves forward.</param>
public sealed record IncidentStatusRequest(string? Status, string? By, string? Note, bool Force);

/// <summary>Checks on what a request names, shared by the incident functions.</summary>
public static class IncidentViews
{
    /// <summary>Longest sandbox id accepted in a route or query.</summary>
    public const int MaxSandboxIdLength = 128;


    /// <summary>Whether <paramref name="id"/> can be a sandbox id: 1 to 128 characters, no control characters.</summary>
    public static bool IsSandboxId(string? id)
        => !string.IsNullOrWhiteSpace(id) && id.Length <= MaxSandboxIdLength && !id.Any(char.IsControl);

    /// <summary>The entries in time order; entries at one instant keep their recorded order.</summary>
    public static IEnumerable<IncidentTimelineEntry> InTimeOrder(IEnumerable<IncidentTimelineEntry> timeline) => timeline.OrderBy(e => e.Time);
}
