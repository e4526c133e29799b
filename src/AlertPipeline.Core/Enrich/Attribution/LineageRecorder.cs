using System.Globalization;
using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Enrich.Attribution;

/// <summary>
/// Picks a batch's lineage out of its enriched events, once per batch and outside the per-event hot path: events that
/// are not the sandbox's own tool calls, process starts or connections are passed over without allocating.
/// </summary>
/// <remarks>
/// Only a sandbox's own sensors count (<see cref="IsOwnSensor"/>): Falco and Tetragon, and native ECS telemetry of the
/// <c>sandbox.*</c> datasets that names no network observer. Firewall, Suricata, Zeek and DCGM records never do: the
/// first three are what lineage explains, and none of them sees a process.
/// </remarks>
public static class LineageRecorder
{
    /// <summary>The batch's lineage, or null when it has none.</summary>
    public static LineageBatch? Collect(EventBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        LineageBatch? lineage = null;
        for (var i = 0; i < batch.Count; i++)
        {
            if (!batch.Has(i, EcsField.SandboxId) || !IsOwnSensor(batch, i))
            {
                continue;
            }

            if (batch.Has(i, EcsField.ToolCallId) && !batch.Has(i, EcsField.ProcessPid) && (batch.Has(i, EcsField.ToolInput) || batch.Has(i, EcsField.ToolName)))
            {
                (lineage ??= new()).ToolCalls.Add(new ToolCallRecord(
                    Sandbox(batch, i), batch.GetString(i, EcsField.ToolCallId)!, batch.GetString(i, EcsField.ToolName),
                    LineageKeys.Cut(batch.GetString(i, EcsField.ToolInput)), batch.Timestamp(i),
                    batch.GetString(i, EcsField.SandboxRunId), batch.GetString(i, EcsField.SandboxEpisodeId)));
            }
            else if (IsProcessStart(batch, i) && TryLong(batch, i, EcsField.ProcessPid, out var pid))
            {
                lineage ??= new();
                AddProcess(batch, i, pid, lineage);
            }
            else if (TryConnection(batch, i) is { } connection)
            {
                (lineage ??= new()).Connections.Add(connection);
            }
        }

        return lineage;
    }

    /// <summary>
    /// Whether an event comes from the sandbox's own sensors: Falco or Tetragon, or native ECS telemetry whose
    /// <c>event.dataset</c> starts with <c>sandbox.</c> and whose <c>observer.type</c> is absent or <c>host</c>.
    /// </summary>
    public static bool IsOwnSensor(EventBatch batch, int index)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var format = batch.FormatOf(index);
        if (format is "falco" or "tetragon")
        {
            return true;
        }

        if (format != "ecs")
        {
            return false;
        }

        if (batch.Has(index, EcsField.ObserverType) && !batch.Get(index, EcsField.ObserverType).Equals("host", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return batch.Get(index, EcsField.EventDataset).StartsWith("sandbox.", StringComparison.Ordinal);
    }

    private static void AddProcess(EventBatch batch, int i, long pid, LineageBatch lineage)
    {
        var sandbox = Sandbox(batch, i);
        var start = batch.Timestamp(i);
        var run = batch.GetString(i, EcsField.SandboxRunId);
        var episode = batch.GetString(i, EcsField.SandboxEpisodeId);
        long? parentPid = TryLong(batch, i, EcsField.ProcessParentPid, out var ppid) ? ppid : null;
        var name = batch.GetString(i, EcsField.ProcessName);
        lineage.Processes.Add(new ProcessRecord(
            sandbox, pid, parentPid, name, LineageKeys.Cut(batch.GetString(i, EcsField.ProcessCommandLine)) ?? name, start,
            batch.GetString(i, EcsField.ToolCallId), run, episode));

        // The parent as the child saw it: often the shell the agent runtime started, whose own start no sensor sent.
        if (parentPid is { } parent && (batch.Has(i, EcsField.ProcessParentCommandLine) || batch.Has(i, EcsField.ProcessParentName)))
        {
            var parentName = batch.GetString(i, EcsField.ProcessParentName);
            lineage.Processes.Add(new ProcessRecord(
                sandbox, parent, null, parentName, LineageKeys.Cut(batch.GetString(i, EcsField.ProcessParentCommandLine)) ?? parentName, start,
                null, run, episode, FromParent: true));
        }
    }

    private static ConnectionRecord? TryConnection(EventBatch batch, int i)
    {
        if (!batch.Has(i, EcsField.SourceIp) || !batch.Has(i, EcsField.DestinationIp)
            || !TryLong(batch, i, EcsField.SourcePort, out var sourcePort) || !TryLong(batch, i, EcsField.DestinationPort, out var destinationPort)
            || sourcePort is < 0 or > 65535 || destinationPort is < 0 or > 65535)
        {
            return null;
        }

        return new ConnectionRecord(
            Sandbox(batch, i), (batch.GetString(i, EcsField.NetworkTransport) ?? string.Empty).ToLowerInvariant(),
            batch.GetString(i, EcsField.SourceIp)!, sourcePort, batch.GetString(i, EcsField.DestinationIp)!, destinationPort,
            batch.Timestamp(i), TryLong(batch, i, EcsField.ProcessPid, out var pid) ? pid : null, batch.GetString(i, EcsField.ProcessName));
    }

    private static bool IsProcessStart(EventBatch batch, int i) =>
        batch.Get(i, EcsField.EventCategory).Equals("process", StringComparison.Ordinal)
        && batch.Get(i, EcsField.EventType).Equals("start", StringComparison.Ordinal);

    private static string Sandbox(EventBatch batch, int i) => batch.GetString(i, EcsField.SandboxId)!;

    /// <summary>A numeric field (pid, port) as a long; false when absent, not a number, or negative.</summary>
    internal static bool TryLong(EventBatch batch, int i, EcsField field, out long value)
    {
        value = 0;
        return batch.Has(i, field) && long.TryParse(batch.Get(i, field), NumberStyles.Integer, CultureInfo.InvariantCulture, out value) && value >= 0;
    }
}
