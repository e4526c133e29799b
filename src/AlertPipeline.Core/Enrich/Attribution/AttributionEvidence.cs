namespace AlertPipeline.Core.Enrich.Attribution;

/// <summary>
/// The evidence keys an alert carries when its event was linked to the agent action behind it: the process and tool
/// call that opened a connection a firewall, Suricata or Zeek saw, or that started a process a sensor reported. The
/// incident timeline and the notifications read these keys; values are cleaned and truncated like all evidence.
/// </summary>
public static class AttributionEvidence
{
    /// <summary>How the link was made: one of <see cref="AttributionMethods"/>.</summary>
    public const string Method = "attribution.method";

    /// <summary>How sure the link is, 0 to 1 with two decimals (<c>0.95</c>): a 5-tuple match is surer than destination and time.</summary>
    public const string Confidence = "attribution.confidence";

    /// <summary>The sandbox's own event the link was made through, as one line (<c>tcp 10.40.77.31:43122 -&gt; 203.0.113.66:22 at 03:12:41.180Z</c>).</summary>
    public const string Connection = "attribution.connection";

    /// <summary>Milliseconds between the sensor's or firewall's event and the sandbox's own event.</summary>
    public const string TimeDeltaMs = "attribution.time_delta_ms";

    /// <summary>The process behind the event: its pid.</summary>
    public const string ProcessPid = "attribution.process.pid";

    /// <summary>The process behind the event: its name.</summary>
    public const string ProcessName = "attribution.process.name";

    /// <summary>The process behind the event: its command line.</summary>
    public const string ProcessCommandLine = "attribution.process.command_line";

    /// <summary>The agent tool call behind the process: its id.</summary>
    public const string ToolCallId = "attribution.tool.call_id";

    /// <summary>The agent tool call behind the process: the tool's name (<c>bash</c>).</summary>
    public const string ToolName = "attribution.tool.name";

    /// <summary>The agent tool call behind the process: its input (the command the agent asked for).</summary>
    public const string ToolInput = "attribution.tool.input";

    /// <summary>The agent tool call behind the process: when it was made (ISO 8601).</summary>
    public const string ToolTime = "attribution.tool.time";

    /// <summary>The run the tool call belongs to.</summary>
    public const string RunId = "attribution.run_id";

    /// <summary>The episode the tool call belongs to.</summary>
    public const string EpisodeId = "attribution.episode_id";

    /// <summary>Why a network event was not linked (no own connection near it, or two processes equally close).</summary>
    public const string Note = "attribution.note";
}

/// <summary>Values of <see cref="AttributionEvidence.Method"/>.</summary>
public static class AttributionMethods
{
    /// <summary>The event itself carried the tool call (<c>tool.call_id</c>): nothing to infer.</summary>
    public const string Telemetry = "telemetry";

    /// <summary>Same transport, source and destination address and port as a connection the sandbox reported.</summary>
    public const string FiveTuple = "5-tuple";

    /// <summary>Same destination address and port within the time tolerance (source port translated or not reported).</summary>
    public const string DestinationTime = "destination-time";

    /// <summary>The event named a process (pid) the sandbox reported starting.</summary>
    public const string Process = "process";
}
