using AlertPipeline.Core.Detect;

namespace AlertPipeline.Core.Respond.Incidents;

/// <summary>
/// One story per sandbox: the alerts of one sandbox that arrived within the incident window of each other
/// (default 30 minutes, extended while new evidence arrives), with a timeline, the highest level (raised further by
/// combinations such as mining plus a tunnel), the ATT&amp;CK techniques seen, and links to every alert, command and
/// notification. Its id is deterministic (<see cref="IncidentIds"/>), so redelivered alerts land in the same incident.
/// Text in the timeline comes from telemetry and is attacker-controlled: it is cleaned and truncated when written and
/// escaped again by every renderer.
/// </summary>
public sealed class Incident
{
    /// <summary>Deterministic id: <see cref="IncidentIds.For"/> of the sandbox and <see cref="Sequence"/>.</summary>
    public required string IncidentId { get; init; }

    /// <summary>The sandbox the incident is about.</summary>
    public required string SandboxId { get; init; }

    /// <summary>The sandbox's nth incident, from 1: two instances opening an incident at once race for the same id.</summary>
    public required int Sequence { get; init; }

    /// <summary>Where the incident stands.</summary>
    public IncidentStatus Status { get; set; } = IncidentStatus.Open;

    /// <summary>Who last changed <see cref="Status"/>; null while open.</summary>
    public string? StatusBy { get; set; }

    /// <summary>When <see cref="Status"/> last changed; null while open.</summary>
    public DateTimeOffset? StatusAt { get; set; }

    /// <summary>The incident's level: the highest alert level, raised when a combination rule holds (<see cref="LevelReasons"/>).</summary>
    public AlertLevel Level { get; set; }

    /// <summary>The highest level among the incident's alerts.</summary>
    public AlertLevel HighestAlertLevel { get; set; }

    /// <summary>Why <see cref="Level"/> is above <see cref="HighestAlertLevel"/> (e.g. <c>combination: resource hijacking + protocol tunneling</c>); empty when it is not.</summary>
    public List<string> LevelReasons { get; set; } = [];

    /// <summary>ATT&amp;CK technique ids seen in the alerts' tags, upper case, sorted (<c>T1496</c>, <c>T1572</c>).</summary>
    public List<string> Techniques { get; set; } = [];

    /// <summary>Every alert of the incident, in the order they joined.</summary>
    public List<string> AlertIds { get; set; } = [];

    /// <summary>Runs seen in the alerts' evidence (<c>sandbox.run_id</c>).</summary>
    public List<string> RunIds { get; set; } = [];

    /// <summary>Episodes seen in the alerts' evidence (<c>sandbox.episode_id</c>).</summary>
    public List<string> EpisodeIds { get; set; } = [];

    /// <summary>Shutdown commands issued or held for the incident's alerts.</summary>
    public List<IncidentCommand> Commands { get; set; } = [];

    /// <summary>Notifications sent for the incident: the first, then one per escalation.</summary>
    public List<IncidentNotification> Notifications { get; set; } = [];

    /// <summary>Event time of the earliest evidence.</summary>
    public DateTimeOffset FirstSeen { get; set; }

    /// <summary>Event time of the latest evidence; the incident takes alerts up to <c>LastSeen + window</c>.</summary>
    public DateTimeOffset LastSeen { get; set; }

    /// <summary>When the incident was opened (processing time).</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When the incident was last written (processing time).</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>What happened, in time order; one entry per key, so a redelivery adds nothing.</summary>
    public List<IncidentTimelineEntry> Timeline { get; set; } = [];

    /// <summary>The store's concurrency token; null until stored.</summary>
    public string? ETag { get; set; }

    /// <summary>
    /// The level the response policy is resolved with for <paramref name="alert"/>: its own, or its incident's when higher
    /// (a combination-critical incident acts as critical does). With no incident, the alert's own.
    /// </summary>
    public static AlertLevel PolicyLevel(Alert alert, Incident? incident)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return incident is not null && incident.Level > alert.Level ? incident.Level : alert.Level;
    }
}

/// <summary>Where an incident stands.</summary>
public enum IncidentStatus
{
    /// <summary>Nobody has acted on it yet.</summary>
    Open,

    /// <summary>A human has seen it and owns it.</summary>
    Acknowledged,

    /// <summary>The sandbox's controller confirmed a shutdown: the agent is stopped, the story is still being read.</summary>
    Contained,

    /// <summary>Handled and closed; new evidence from the sandbox opens a new incident.</summary>
    Resolved,
}

/// <summary>
/// One line of an incident's story.
/// </summary>
/// <param name="Time">When it happened: event time for telemetry, processing time for commands and notifications.</param>
/// <param name="Kind">One of <see cref="TimelineKinds"/>.</param>
/// <param name="Summary">One cleaned, truncated line for a human.</param>
/// <param name="Key">Identity of the entry (e.g. <c>alert:{id}</c>, <c>tool:{call id}</c>): an entry with a known key is not added again.</param>
public sealed record IncidentTimelineEntry(DateTimeOffset Time, string Kind, string Summary, string Key)
{
    /// <summary>The alert the entry came from, if any.</summary>
    public string? AlertId { get; init; }

    /// <summary>The alert's level, for alert entries.</summary>
    public AlertLevel? Level { get; init; }
}

/// <summary>The kinds of timeline entries.</summary>
public static class TimelineKinds
{
    /// <summary>An agent tool call (<c>tool.call_id</c>, <c>tool.name</c>, <c>tool.input</c>).</summary>
    public const string ToolCall = "tool_call";

    /// <summary>A process the sandbox started.</summary>
    public const string Process = "process";

    /// <summary>A connection a sensor or firewall saw.</summary>
    public const string Network = "network";

    /// <summary>An alert joined the incident.</summary>
    public const string Alert = "alert";

    /// <summary>The incident's level rose (an alert or a combination).</summary>
    public const string Escalation = "escalation";

    /// <summary>A shutdown command was issued, held, or reported on by the controller.</summary>
    public const string Command = "command";

    /// <summary>A notification was sent.</summary>
    public const string Notification = "notification";

    /// <summary>The incident's status changed.</summary>
    public const string Status = "status";
}

/// <summary>A command of the incident: the alert whose shutdown action it is, and what became of it.</summary>
/// <param name="AlertId">The alert carrying the command's action record.</param>
/// <param name="Status">The action's status when last seen (<c>sent</c>, <c>awaiting-approval</c>, ...), or the controller's outcome.</param>
/// <param name="At">When that status was recorded.</param>
public sealed record IncidentCommand(string AlertId, string Status, DateTimeOffset At);

/// <summary>
/// A notification of the incident. It is sent through the alert it names (the alert's email and Teams actions),
/// so its delivery status is that alert's action status.
/// </summary>
/// <param name="AlertId">The alert the notification went out with.</param>
/// <param name="Reason">Why: <c>opened</c>, <c>level raised to critical</c>, <c>new technique T1572</c>.</param>
/// <param name="Level">The incident's level it announced.</param>
/// <param name="Techniques">The incident's techniques it announced.</param>
/// <param name="At">When it was decided.</param>
public sealed record IncidentNotification(string AlertId, string Reason, AlertLevel Level, IReadOnlyList<string> Techniques, DateTimeOffset At);
