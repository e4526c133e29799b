namespace AlertPipeline.Core.Enrich.Attribution;

/// <summary>An agent tool call a sandbox reported (<c>tool.call_id</c>, <c>tool.name</c>, <c>tool.input</c>).</summary>
/// <param name="SandboxId">The sandbox that reported it.</param>
/// <param name="CallId">The runtime's id of the call.</param>
/// <param name="Name">The tool (<c>bash</c>), when reported.</param>
/// <param name="Input">What the agent asked the tool to do (truncated to <see cref="LineageKeys.MaxText"/>).</param>
/// <param name="Time">When the call was made.</param>
/// <param name="RunId">The run, when reported.</param>
/// <param name="EpisodeId">The episode, when reported.</param>
public sealed record ToolCallRecord(string SandboxId, string CallId, string? Name, string? Input, DateTimeOffset Time, string? RunId, string? EpisodeId);

/// <summary>
/// A process start a sandbox's own sensor reported. A start also tells of its parent (pid, name, command line): the
/// parent is recorded as a process seen at the child's start (<see cref="FromParent"/>) when its own start was not reported.
/// </summary>
/// <param name="SandboxId">The sandbox.</param>
/// <param name="Pid">The process id.</param>
/// <param name="ParentPid">The parent's process id, when reported.</param>
/// <param name="Name">The process name.</param>
/// <param name="CommandLine">The command line (truncated to <see cref="LineageKeys.MaxText"/>).</param>
/// <param name="Start">When it started (for a parent known only from a child: when the child started).</param>
/// <param name="ToolCallId">The tool call the event itself named (<c>tool.call_id</c>), if any.</param>
/// <param name="RunId">The run, when reported.</param>
/// <param name="EpisodeId">The episode, when reported.</param>
/// <param name="FromParent">True when this record was derived from a child's <c>process.parent.*</c> fields.</param>
public sealed record ProcessRecord(
    string SandboxId, long Pid, long? ParentPid, string? Name, string? CommandLine, DateTimeOffset Start,
    string? ToolCallId, string? RunId, string? EpisodeId, bool FromParent = false);

/// <summary>A connection a sandbox's own sensor reported (the sandbox's side of what a firewall sees).</summary>
/// <param name="SandboxId">The sandbox.</param>
/// <param name="Transport">tcp, udp, … (lower case; empty when not reported).</param>
/// <param name="SourceIp">Source address.</param>
/// <param name="SourcePort">Source port.</param>
/// <param name="DestinationIp">Destination address.</param>
/// <param name="DestinationPort">Destination port.</param>
/// <param name="Time">When the sensor saw it.</param>
/// <param name="Pid">The process that opened it, when reported.</param>
/// <param name="ProcessName">Its name, when reported.</param>
public sealed record ConnectionRecord(
    string SandboxId, string Transport, string SourceIp, long SourcePort, string DestinationIp, long DestinationPort,
    DateTimeOffset Time, long? Pid, string? ProcessName);

/// <summary>One batch's lineage: what the sandboxes' own sensors reported in it.</summary>
public sealed class LineageBatch
{
    /// <summary>Tool calls.</summary>
    public List<ToolCallRecord> ToolCalls { get; } = [];

    /// <summary>Process starts (and parents known from them).</summary>
    public List<ProcessRecord> Processes { get; } = [];

    /// <summary>Connections.</summary>
    public List<ConnectionRecord> Connections { get; } = [];

    /// <summary>Whether the batch holds nothing.</summary>
    public bool IsEmpty => ToolCalls.Count == 0 && Processes.Count == 0 && Connections.Count == 0;
}
