using System.Globalization;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond.Incidents;

namespace AlertPipeline.Cli.Replay;

/// <summary>
/// The JSON line printed per incident by <c>replay --output json</c> (after the alert lines) and by
/// <c>incidents list|show --output json</c>; stable field names for scripts and golden files. An incident line is told
/// from an alert line by its <c>incidentId</c>. Summaries are cleaned, and the JSON writer escapes what is left.
/// </summary>
internal sealed record IncidentLine(
    string IncidentId,
    string SandboxId,
    string Status,
    string Level,
    IReadOnlyList<string> LevelReasons,
    IReadOnlyList<string> Techniques,
    IReadOnlyList<string> AlertIds,
    IReadOnlyList<string> RunIds,
    IReadOnlyList<string> EpisodeIds,
    string FirstSeen,
    string LastSeen,
    IReadOnlyList<IncidentLine.Entry> Timeline)
{
    public static IncidentLine From(Incident incident) => new(
        incident.IncidentId,
        IncidentStory.Clean(incident.SandboxId, 128),
        IncidentStory.Text(incident.Status),
        incident.Level.ToSigma(),
        [.. incident.LevelReasons.Select(r => IncidentStory.Clean(r, 256))],
        [.. incident.Techniques.Select(t => IncidentStory.Clean(t, 32))],
        incident.AlertIds,
        [.. incident.RunIds.Select(r => IncidentStory.Clean(r, 128))],
        [.. incident.EpisodeIds.Select(e => IncidentStory.Clean(e, 128))],
        Format(incident.FirstSeen),
        Format(incident.LastSeen),
        [.. incident.Timeline.OrderBy(e => e.Time).Select(e => new Entry(Format(e.Time), IncidentStory.Clean(e.Kind, 16), IncidentStory.Clean(e.Summary, Core.Respond.SafeText.DefaultMaxLength), e.AlertId))]);

    private static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>One timeline entry.</summary>
    public sealed record Entry(string Time, string Kind, string Summary, string? AlertId);
}
