namespace AlertPipeline.Core.Enrich.Attribution;

/// <summary>The embedded-mode twin of the lineage store: per sandbox, records in key order under the same keys as the Table one.</summary>
public sealed class InMemoryLineageStore : ILineageStore
{
    private readonly Dictionary<string, SortedDictionary<string, object>> _partitions = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public Task RecordAsync(LineageBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        lock (_partitions)
        {
            foreach (var t in batch.ToolCalls)
            {
                Partition(t.SandboxId)[LineageKeys.Of(t)] = t;
                Partition(t.SandboxId)[LineageKeys.ToolCallById(t.CallId)] = t;
            }

            foreach (var p in batch.Processes)
            {
                Partition(p.SandboxId)[LineageKeys.Of(p)] = p;
            }

            foreach (var c in batch.Connections)
            {
                Partition(c.SandboxId)[LineageKeys.Of(c)] = c;
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ConnectionRecord>> FindConnectionsAsync(
        string sandboxId, string destinationIp, long destinationPort, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var (lower, upper) = LineageKeys.Connections(destinationIp, destinationPort, from, to);
        return Task.FromResult<IReadOnlyList<ConnectionRecord>>(Range<ConnectionRecord>(sandboxId, lower, upper));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ProcessRecord>> FindProcessesAsync(string sandboxId, long pid, CancellationToken cancellationToken)
    {
        var (lower, upper) = LineageKeys.Processes(pid);
        return Task.FromResult<IReadOnlyList<ProcessRecord>>(Range<ProcessRecord>(sandboxId, lower, upper));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ToolCallRecord>> FindToolCallsAsync(string sandboxId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var (lower, upper) = LineageKeys.ToolCalls(from, to);
        return Task.FromResult<IReadOnlyList<ToolCallRecord>>(Range<ToolCallRecord>(sandboxId, lower, upper));
    }

    /// <inheritdoc />
    public Task<ToolCallRecord?> GetToolCallAsync(string sandboxId, string callId, CancellationToken cancellationToken)
    {
        lock (_partitions)
        {
            return Task.FromResult(
                _partitions.TryGetValue(LineageKeys.Partition(sandboxId), out var partition)
                && partition.TryGetValue(LineageKeys.ToolCallById(callId), out var found) ? found as ToolCallRecord : null);
        }
    }

    /// <inheritdoc />
    public Task<int> PurgeAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        var removed = 0;
        lock (_partitions)
        {
            foreach (var partition in _partitions.Values)
            {
                foreach (var key in partition.Where(kv => TimeOf(kv.Value) < before).Select(kv => kv.Key).ToList())
                {
                    partition.Remove(key);
                    removed++;
                }
            }
        }

        return Task.FromResult(removed);
    }

    private static DateTimeOffset TimeOf(object record) => record switch
    {
        ToolCallRecord t => t.Time,
        ProcessRecord p => p.Start,
        ConnectionRecord c => c.Time,
        _ => DateTimeOffset.MaxValue,
    };

    private SortedDictionary<string, object> Partition(string sandboxId)
    {
        var key = LineageKeys.Partition(sandboxId);
        if (!_partitions.TryGetValue(key, out var partition))
        {
            partition = new SortedDictionary<string, object>(StringComparer.Ordinal);
            _partitions[key] = partition;
        }

        return partition;
    }

    private List<T> Range<T>(string sandboxId, string lower, string upper)
    {
        lock (_partitions)
        {
            if (!_partitions.TryGetValue(LineageKeys.Partition(sandboxId), out var partition))
            {
                return [];
            }

            return [.. partition
                .Where(kv => string.CompareOrdinal(kv.Key, lower) >= 0 && string.CompareOrdinal(kv.Key, upper) < 0)
                .Select(kv => kv.Value).OfType<T>()];
        }
    }
}
