using AlertPipeline.Adapters.Storage;
using AlertPipeline.Core.Enrich.Attribution;
using Azure;
using Azure.Data.Tables;

namespace AlertPipeline.Adapters.Enrich;

/// <summary>
/// Lineage on Azure Table Storage: table <c>lineage</c>, PartitionKey = the escaped sandbox id, RowKey = the
/// kind-prefixed keys of <see cref="LineageKeys"/> (so a 5-tuple or destination-and-time lookup, a pid's records and a
/// time range of tool calls are one range query each). Writes are upserts in entity-group transactions of up to 100
/// rows per sandbox: a redelivered batch writes the same rows again. Every row has a <c>Time</c> column (its event
/// time) that <see cref="PurgeAsync"/> deletes by. The table is created on first use.
/// </summary>
public sealed class TableLineageStore : ILineageStore
{
    private const int MaxPerTransaction = 100;

    private readonly TableClient _table;
    private readonly CreateOnce _created;

    /// <summary>Uses table <paramref name="tableName"/> of <paramref name="service"/>.</summary>
    public TableLineageStore(TableServiceClient service, string tableName = StorageNames.LineageTable)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = service.GetTableClient(tableName);
        _created = new CreateOnce(ct => _table.CreateIfNotExistsAsync(ct));
    }

    /// <inheritdoc />
    public async Task RecordAsync(LineageBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.IsEmpty)
        {
            return;
        }

        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var entities = new List<TableEntity>();
        foreach (var t in batch.ToolCalls)
        {
            entities.Add(ToolCallEntity(t, LineageKeys.Of(t)));
            entities.Add(ToolCallEntity(t, LineageKeys.ToolCallById(t.CallId)));
        }

        entities.AddRange(batch.Processes.Select(ProcessEntity));
        entities.AddRange(batch.Connections.Select(ConnectionEntity));

        // One transaction per sandbox and 100 rows; the last of equal keys wins, as in a sequence of upserts.
        foreach (var partition in entities.GroupBy(e => e.PartitionKey, StringComparer.Ordinal))
        {
            var unique = partition.GroupBy(e => e.RowKey, StringComparer.Ordinal).Select(g => g.Last());
            foreach (var chunk in unique.Chunk(MaxPerTransaction))
            {
                await _table.SubmitTransactionAsync(
                    chunk.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ConnectionRecord>> FindConnectionsAsync(
        string sandboxId, string destinationIp, long destinationPort, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var (lower, upper) = LineageKeys.Connections(destinationIp, destinationPort, from, to);
        return await RangeAsync(sandboxId, lower, upper, ToConnection, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ProcessRecord>> FindProcessesAsync(string sandboxId, long pid, CancellationToken cancellationToken)
    {
        var (lower, upper) = LineageKeys.Processes(pid);
        return await RangeAsync(sandboxId, lower, upper, ToProcess, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ToolCallRecord>> FindToolCallsAsync(string sandboxId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var (lower, upper) = LineageKeys.ToolCalls(from, to);
        return await RangeAsync(sandboxId, lower, upper, ToToolCall, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<ToolCallRecord?> GetToolCallAsync(string sandboxId, string callId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sandboxId);
        ArgumentNullException.ThrowIfNull(callId);
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var found = await _table.GetEntityIfExistsAsync<TableEntity>(
            LineageKeys.Partition(sandboxId), LineageKeys.ToolCallById(callId), cancellationToken: cancellationToken).ConfigureAwait(false);
        return found.HasValue && found.Value is { } entity ? ToToolCall(entity) : null;
    }

    /// <inheritdoc />
    public async Task<int> PurgeAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var old = new List<TableEntity>();
        await foreach (var entity in _table.QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"Time lt {before}"), select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            old.Add(entity);
        }

        foreach (var partition in old.GroupBy(e => e.PartitionKey, StringComparer.Ordinal))
        {
            foreach (var chunk in partition.Chunk(MaxPerTransaction))
            {
                try
                {
                    await _table.SubmitTransactionAsync(
                        chunk.Select(e => new TableTransactionAction(TableTransactionActionType.Delete, e, ETag.All)), cancellationToken).ConfigureAwait(false);
                }
                catch (TableTransactionFailedException e) when (e.Status == 404)
                {
                    // Another sweep deleted some of them first; what is left goes next time.
                }
            }
        }

        return old.Count;
    }

    private async Task<List<T>> RangeAsync<T>(string sandboxId, string lower, string upper, Func<TableEntity, T> map, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sandboxId);
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var partition = LineageKeys.Partition(sandboxId);
        var list = new List<T>();
        await foreach (var entity in _table.QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {lower} and RowKey lt {upper}"),
            cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            list.Add(map(entity));
        }

        return list;
    }

    private static TableEntity ToolCallEntity(ToolCallRecord t, string rowKey) => new(LineageKeys.Partition(t.SandboxId), rowKey)
    {
        ["Kind"] = "toolcall",
        ["SandboxId"] = t.SandboxId,
        ["Time"] = t.Time,
        ["CallId"] = t.CallId,
        ["Name"] = t.Name,
        ["Input"] = t.Input,
        ["RunId"] = t.RunId,
        ["EpisodeId"] = t.EpisodeId,
    };

    private static TableEntity ProcessEntity(ProcessRecord p) => new(LineageKeys.Partition(p.SandboxId), LineageKeys.Of(p))
    {
        ["Kind"] = "process",
        ["SandboxId"] = p.SandboxId,
        ["Time"] = p.Start,
        ["Pid"] = p.Pid,
        ["ParentPid"] = p.ParentPid,
        ["Name"] = p.Name,
        ["CommandLine"] = p.CommandLine,
        ["ToolCallId"] = p.ToolCallId,
        ["RunId"] = p.RunId,
        ["EpisodeId"] = p.EpisodeId,
        ["FromParent"] = p.FromParent,
    };

    private static TableEntity ConnectionEntity(ConnectionRecord c) => new(LineageKeys.Partition(c.SandboxId), LineageKeys.Of(c))
    {
        ["Kind"] = "connection",
        ["SandboxId"] = c.SandboxId,
        ["Time"] = c.Time,
        ["Transport"] = c.Transport,
        ["SourceIp"] = c.SourceIp,
        ["SourcePort"] = c.SourcePort,
        ["DestinationIp"] = c.DestinationIp,
        ["DestinationPort"] = c.DestinationPort,
        ["Pid"] = c.Pid,
        ["ProcessName"] = c.ProcessName,
    };

    private static ToolCallRecord ToToolCall(TableEntity e) => new(
        e.GetString("SandboxId") ?? string.Empty, e.GetString("CallId") ?? string.Empty, e.GetString("Name"), e.GetString("Input"),
        e.GetDateTimeOffset("Time") ?? DateTimeOffset.MinValue, e.GetString("RunId"), e.GetString("EpisodeId"));

    private static ProcessRecord ToProcess(TableEntity e) => new(
        e.GetString("SandboxId") ?? string.Empty, e.GetInt64("Pid") ?? 0, e.GetInt64("ParentPid"), e.GetString("Name"), e.GetString("CommandLine"),
        e.GetDateTimeOffset("Time") ?? DateTimeOffset.MinValue, e.GetString("ToolCallId"), e.GetString("RunId"), e.GetString("EpisodeId"),
        e.GetBoolean("FromParent") ?? false);

    private static ConnectionRecord ToConnection(TableEntity e) => new(
        e.GetString("SandboxId") ?? string.Empty, e.GetString("Transport") ?? string.Empty, e.GetString("SourceIp") ?? string.Empty,
        e.GetInt64("SourcePort") ?? 0, e.GetString("DestinationIp") ?? string.Empty, e.GetInt64("DestinationPort") ?? 0,
        e.GetDateTimeOffset("Time") ?? DateTimeOffset.MinValue, e.GetInt64("Pid"), e.GetString("ProcessName"));
}
