using System.Globalization;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Enrich.Attribution;

namespace AlertPipeline.Core.Respond.Incidents;

/// <summary>
/// Turns an alert's evidence into timeline entries and keeps a timeline in order: one entry per key, sorted by time
/// (ties: tool call, process, network, alert, escalation, notification, command, status, so a story reads cause first;
/// then the order they were added in),
/// evidence entries bounded by <see cref="IncidentOptions.MaxTimelineEntries"/>. Every summary is built from cleaned,
/// truncated evidence (<see cref="SafeText"/>); renderers escape it again for their format.
/// </summary>
public static class IncidentTimeline
{
    /// <summary>Most characters of one summary.</summary>
    public const int MaxSummaryLength = 400;

    /// <summary>Key of the entry that says evidence entries were cut.</summary>
    public const string CutKey = "timeline:cut";

    private static readonly string[] KindOrder =
    [
        TimelineKinds.ToolCall, TimelineKinds.Process, TimelineKinds.Network, TimelineKinds.Alert,
        TimelineKinds.Escalation, TimelineKinds.Notification, TimelineKinds.Command, TimelineKinds.Status,
    ];

    /// <summary>The evidence entries of <paramref name="alert"/>: the tool call and process behind it when known, and the alert itself.</summary>
    public static IReadOnlyList<IncidentTimelineEntry> EntriesFor(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var entries = new List<IncidentTimelineEntry>(3);
        var evidence = alert.Evidence;
        var attributed = evidence.ContainsKey(AttributionEvidence.ToolCallId) || evidence.ContainsKey(AttributionEvidence.ProcessPid)
            || evidence.ContainsKey(AttributionEvidence.ProcessCommandLine);

        // The agent action: from attribution (a firewall line linked to it) or carried by the event itself.
        var callId = Value(evidence, attributed ? AttributionEvidence.ToolCallId : "tool.call_id");
        var toolTime = attributed && Value(evidence, AttributionEvidence.ToolTime) is { } t
            && DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : alert.FirstSeen;
        var tool = Value(evidence, attributed ? AttributionEvidence.ToolName : "tool.name");
        var input = Value(evidence, attributed ? AttributionEvidence.ToolInput : "tool.input");

        // An event that only names its call id (a process the call started) tells the call through its process entry;
        // the call's own entry comes from the evidence that says what the agent asked.
        if (callId is not null && (tool is not null || input is not null))
        {
            var run = Value(evidence, attributed ? AttributionEvidence.RunId : "sandbox.run_id") ?? Value(evidence, "sandbox.run_id");
            var episode = Value(evidence, attributed ? AttributionEvidence.EpisodeId : "sandbox.episode_id") ?? Value(evidence, "sandbox.episode_id");
            var summary = (tool is null ? $"agent's tool call {callId}" : $"agent's {tool} tool call {callId}") + (input is null ? string.Empty : $" ran: {input}")
                + (run is null && episode is null ? string.Empty : $" (run {run ?? "?"}, episode {episode ?? "?"})");
            entries.Add(new IncidentTimelineEntry(toolTime, TimelineKinds.ToolCall, Clean(summary), "tool:" + Key(callId)) { AlertId = alert.AlertId });
        }

        // The process behind it, when the evidence names one and an agent action or attribution points at it.
        if (attributed || callId is not null)
        {
            var pid = Value(evidence, attributed ? AttributionEvidence.ProcessPid : "process.pid");
            var name = Value(evidence, attributed ? AttributionEvidence.ProcessName : "process.name");
            var commandLine = Value(evidence, attributed ? AttributionEvidence.ProcessCommandLine : "process.command_line");
            if (pid is not null || commandLine is not null)
            {
                var summary = $"process {name ?? "?"}" + (pid is null ? string.Empty : $" (pid {pid})") + " started"
                    + (commandLine is null ? string.Empty : $": {commandLine}") + (callId is null ? string.Empty : $" by tool call {callId}");
                var key = "process:" + Key(pid ?? string.Empty) + ":" + Key(name ?? commandLine ?? string.Empty);
                entries.Add(new IncidentTimelineEntry(toolTime, TimelineKinds.Process, Clean(summary), key) { AlertId = alert.AlertId });
            }
        }

        entries.Add(new IncidentTimelineEntry(alert.FirstSeen, TimelineKinds.Alert, Clean(AlertSummary(alert)), "alert:" + alert.AlertId)
        {
            AlertId = alert.AlertId,
            Level = alert.Level,
        });
        return entries;
    }

    /// <summary>
    /// Adds <paramref name="entry"/> unless its key is known; evidence entries past <paramref name="maxEvidenceEntries"/>
    /// are replaced by one <see cref="CutKey"/> entry. An alert's entry is rewritten when the alert grew (earlier first
    /// event, more events). Returns true when the timeline changed.
    /// </summary>
    public static bool Add(List<IncidentTimelineEntry> timeline, IncidentTimelineEntry entry, int maxEvidenceEntries)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        ArgumentNullException.ThrowIfNull(entry);
        var known = timeline.FindIndex(e => e.Key == entry.Key);
        if (known >= 0)
        {
            var existing = timeline[known];
            if (entry.Kind != TimelineKinds.Alert || (existing.Time == entry.Time && existing.Summary == entry.Summary))
            {
                return false;
            }

            timeline.RemoveAt(known);
            Insert(timeline, entry);
            return true;
        }

        if (IsEvidence(entry.Kind) && timeline.Count(e => IsEvidence(e.Kind)) >= maxEvidenceEntries)
        {
            if (timeline.Exists(e => e.Key == CutKey))
            {
                return false;
            }

            entry = new IncidentTimelineEntry(entry.Time, TimelineKinds.Alert,
                $"timeline cut at {maxEvidenceEntries.ToString(CultureInfo.InvariantCulture)} evidence entries; later alerts are listed in the incident's alert ids", CutKey);
        }

        Insert(timeline, entry);
        return true;
    }

    // After every entry that sorts with it or before it: ties keep the order they happened in.
    private static void Insert(List<IncidentTimelineEntry> timeline, IncidentTimelineEntry entry)
    {
        var at = timeline.FindIndex(e => Compare(e, entry) > 0);
        timeline.Insert(at < 0 ? timeline.Count : at, entry);
    }

    /// <summary>The order of a timeline: time, then kind (cause before effect); entries equal in both keep the order they were added in.</summary>
    public static int Compare(IncidentTimelineEntry? a, IncidentTimelineEntry? b)
    {
        if (a is null || b is null)
        {
            return a is null ? (b is null ? 0 : -1) : 1;
        }

        var byTime = a.Time.CompareTo(b.Time);
        if (byTime != 0)
        {
            return byTime;
        }

        return Rank(a.Kind).CompareTo(Rank(b.Kind));
    }

    /// <summary>
    /// One line of what the alert's event was: the rule (its level is on the entry), then action, connection or process,
    /// who saw it, and the process and tool call it was linked to when the event did not name them itself.
    /// </summary>
    public static string AlertSummary(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var evidence = alert.Evidence;
        var parts = new List<string>(5) { $"alert \"{alert.Title}\"" };
        var connection = Connection(evidence);
        if (Value(evidence, "event.action") is { } action)
        {
            parts.Add(connection is null ? action : $"{action} {connection}");
        }
        else if (connection is not null)
        {
            parts.Add(connection);
        }
        else if (Value(evidence, "process.command_line") is { } commandLine)
        {
            parts.Add("process: " + commandLine);
        }

        if (Value(evidence, "observer.name") is { } observer)
        {
            parts.Add("seen by " + observer);
        }
        else if (Value(evidence, "event.format") is { } format)
        {
            parts.Add($"from {format} telemetry");
        }

        if (Link(evidence) is { } link)
        {
            parts.Add(link);
        }

        if (alert.EventCount > 1)
        {
            parts.Add($"{alert.EventCount.ToString(CultureInfo.InvariantCulture)} events");
        }

        return string.Join("; ", parts);
    }

    /// <summary>
    /// "linked to xmrig (pid 7131) and tool call call_88123_09 by 5-tuple, confidence 0.95": what attribution found, for
    /// every method but <c>telemetry</c> (that event is the tool call, already on the timeline).
    /// </summary>
    private static string? Link(IReadOnlyDictionary<string, string> evidence)
    {
        var method = Value(evidence, AttributionEvidence.Method);
        var callId = Value(evidence, AttributionEvidence.ToolCallId);
        if (method is null || method == AttributionMethods.Telemetry || callId is null)
        {
            return null;
        }

        var process = Value(evidence, AttributionEvidence.ProcessName);
        var pid = Value(evidence, AttributionEvidence.ProcessPid);
        var who = process is null ? string.Empty : process + (pid is null ? string.Empty : $" (pid {pid})") + " and ";
        var confidence = Value(evidence, AttributionEvidence.Confidence);
        return $"linked to {who}tool call {callId} by {method}" + (confidence is null ? string.Empty : ", confidence " + confidence);
    }

    private static string? Connection(IReadOnlyDictionary<string, string> evidence)
    {
        var source = Value(evidence, "source.ip");
        var destination = Value(evidence, "destination.ip") ?? Value(evidence, "destination.domain");
        if (source is null && destination is null)
        {
            return null;
        }

        var transport = Value(evidence, "network.transport");
        var sourcePort = Value(evidence, "source.port");
        var destinationPort = Value(evidence, "destination.port");
        return (transport is null ? string.Empty : transport + " ")
            + (source ?? "?") + (sourcePort is null ? string.Empty : ":" + sourcePort)
            + " -> " + (destination ?? "?") + (destinationPort is null ? string.Empty : ":" + destinationPort);
    }

    private static bool IsEvidence(string kind) => kind is TimelineKinds.Alert or TimelineKinds.ToolCall or TimelineKinds.Process or TimelineKinds.Network;

    private static int Rank(string kind)
    {
        var index = Array.IndexOf(KindOrder, kind);
        return index < 0 ? KindOrder.Length : index;
    }

    private static string? Value(IReadOnlyDictionary<string, string> evidence, string key)
        => evidence.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value) ? SafeText.Clean(value, 300) : null;

    private static string Key(string value) => SafeText.Clean(value, 128);

    private static string Clean(string summary) => SafeText.Clean(summary, MaxSummaryLength);
}
