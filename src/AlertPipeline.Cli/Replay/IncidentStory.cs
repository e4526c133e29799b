using System.Globalization;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Incidents;

namespace AlertPipeline.Cli.Replay;

/// <summary>
/// An incident as a story for the terminal: a header (who, how bad, what, when, what was done) and then the timeline,
/// one line per entry. <c>incidents show</c> and <c>replay</c> both print through here. Every value that came from
/// telemetry is cleaned (no newline, no escape sequence), so one entry is one line and cannot forge another.
/// </summary>
internal static class IncidentStory
{
    private const string TimeOfDay = "HH:mm:ss.fff'Z'";
    private const string Instant = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    /// <summary>Writes the story of <paramref name="incident"/>.</summary>
    public static async Task WriteAsync(TextWriter writer, Incident incident)
    {
        foreach (var line in Lines(incident))
        {
            await writer.WriteLineAsync(line).ConfigureAwait(false);
        }
    }

    /// <summary>The story's lines, none containing a line break.</summary>
    public static IEnumerable<string> Lines(Incident incident)
    {
        ArgumentNullException.ThrowIfNull(incident);
        var status = Text(incident.Status) + (incident.StatusBy is null ? string.Empty : $" by {Clean(incident.StatusBy, 128)}")
            + (incident.StatusAt is { } at ? $" at {Format(at, Instant)}" : string.Empty);
        yield return $"Incident {Clean(incident.IncidentId, 64)}  sandbox {Clean(incident.SandboxId, 128)}  status {status}";
        var why = incident.LevelReasons.Count == 0 ? string.Empty : $" ({string.Join("; ", incident.LevelReasons.Select(r => Clean(r, 256)))})";
        yield return Field("level", incident.Level.ToSigma() + why);
        yield return Field("techniques", List(incident.Techniques, 32));
        yield return Field("runs", List(incident.RunIds, 128));
        yield return Field("episodes", List(incident.EpisodeIds, 128));
        yield return Field("seen", $"{Format(incident.FirstSeen, Instant)} .. {Format(incident.LastSeen, Instant)}");
        yield return Field("alerts", incident.AlertIds.Count.ToString(CultureInfo.InvariantCulture));
        yield return Field("commands", incident.Commands.Count == 0 ? "none"
            : string.Join("; ", incident.Commands.Select(c => $"{Clean(c.Status, 64)} at {Format(c.At, Instant)} (alert {Clean(c.AlertId, 64)})")));
        yield return Field("notifications", incident.Notifications.Count == 0 ? "none"
            : string.Join("; ", incident.Notifications.Select(n => $"{Clean(n.Reason, 128)} [{n.Level.ToSigma()}] at {Format(n.At, Instant)}")));
        yield return "timeline:";
        if (incident.Timeline.Count == 0)
        {
            yield return "  (empty)";
            yield break;
        }

        // Times of day per line, the date whenever it changes: a story that crosses midnight stays unambiguous.
        DateTime? day = null;
        foreach (var entry in incident.Timeline.OrderBy(e => e.Time))
        {
            var utc = entry.Time.UtcDateTime;
            if (day != utc.Date)
            {
                day = utc.Date;
                yield return $"  -- {utc.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)} --";
            }

            var level = entry.Level is { } l ? $"[{l.ToSigma()}] " : string.Empty;
            yield return $"  {utc.ToString(TimeOfDay, CultureInfo.InvariantCulture)}  {Clean(entry.Kind, 16),-12} {level}{Clean(entry.Summary, SafeText.DefaultMaxLength)}";
        }
    }

    /// <summary>An incident's status as the CLI and the JSON lines spell it (<c>open</c>, <c>acknowledged</c>, ...).</summary>
    public static string Text(IncidentStatus status) => status.ToText();

    /// <summary>Attacker-controlled text made one bounded line (SafeText).</summary>
    public static string Clean(string? text, int max) => SafeText.Clean(text, max);

    private static string Field(string name, string value) => $"  {name,-14}{value}";

    private static string List(IReadOnlyList<string> values, int max) => values.Count == 0 ? "-" : string.Join(", ", values.Select(v => Clean(v, max)));

    private static string Format(DateTimeOffset time, string format) => time.UtcDateTime.ToString(format, CultureInfo.InvariantCulture);
}
