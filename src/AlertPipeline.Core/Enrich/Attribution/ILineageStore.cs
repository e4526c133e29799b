namespace AlertPipeline.Core.Enrich.Attribution;

/// <summary>
/// The lineage of each sandbox's own activity (tool calls, process starts, connections), kept so that an event a
/// firewall or IDS saw can be traced to the process and tool call behind it (Table <c>lineage</c> in Azure). Writes are
/// upserts under <see cref="LineageKeys"/>, so a redelivered batch changes nothing.
/// </summary>
public interface ILineageStore
{
    /// <summary>Writes one batch's lineage.</summary>
    Task RecordAsync(LineageBatch batch, CancellationToken cancellationToken);

    /// <summary>The sandbox's connections to one destination from <paramref name="from"/> (inclusive) to <paramref name="to"/> (exclusive), oldest first.</summary>
    Task<IReadOnlyList<ConnectionRecord>> FindConnectionsAsync(
        string sandboxId, string destinationIp, long destinationPort, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken);

    /// <summary>Every record of one pid in the sandbox, oldest start first.</summary>
    Task<IReadOnlyList<ProcessRecord>> FindProcessesAsync(string sandboxId, long pid, CancellationToken cancellationToken);

    /// <summary>The sandbox's tool calls from <paramref name="from"/> (inclusive) to <paramref name="to"/> (exclusive), oldest first.</summary>
    Task<IReadOnlyList<ToolCallRecord>> FindToolCallsAsync(string sandboxId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken);

    /// <summary>One tool call by id, or null.</summary>
    Task<ToolCallRecord?> GetToolCallAsync(string sandboxId, string callId, CancellationToken cancellationToken);

    /// <summary>Deletes records older than <paramref name="before"/> (by their event time); returns how many.</summary>
    Task<int> PurgeAsync(DateTimeOffset before, CancellationToken cancellationToken);
}
