using System.Security.Cryptography;
using System.Text;
using AlertPipeline.Adapters.Storage;
using AlertPipeline.Core.Detect.Heartbeat;
using Azure;
using Azure.Data.Tables;

namespace AlertPipeline.Adapters.Detect;

/// <summary>
/// Sandbox activity on Azure Table Storage: table <c>heartbeats</c>, PartitionKey <c>sandbox</c>, RowKey = 32 hex
/// digits of SHA-256 of the sandbox id (ids may hold characters keys forbid). Columns SandboxId, LastTelemetry,
/// LastNetwork, NetworkSinceTelemetry, NetworkSince. Each update is a read, <see cref="SandboxActivity.Merge"/> and a
/// write under the row's ETag, retried when another instance (the other hub's function) wrote meanwhile.
/// The table is created on first use.
/// </summary>
public sealed class TableSandboxActivityStore : ISandboxActivityStore
{
    private const string Partition = "sandbox";
    private const int MaxConcurrencyRetries = 8;

    private readonly TableClient _table;
    private readonly CreateOnce _created;

    /// <summary>Uses table <paramref name="tableName"/> of <paramref name="service"/>.</summary>
    public TableSandboxActivityStore(TableServiceClient service, string tableName = StorageNames.HeartbeatsTable)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = service.GetTableClient(tableName);
        _created = new CreateOnce(ct => _table.CreateIfNotExistsAsync(ct));
    }

    /// <inheritdoc />
    public async Task RecordAsync(IReadOnlyList<SandboxActivityUpdate> updates, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(updates);
        if (updates.Count == 0)
        {
            return;
        }

        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        foreach (var update in updates)
        {
            await RecordAsync(update, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SandboxActivity>> ListAsync(CancellationToken cancellationToken)
    {
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<SandboxActivity>();
        await foreach (var entity in _table.QueryAsync<TableEntity>(e => e.PartitionKey == Partition, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            list.Add(FromEntity(entity));
        }

        return [.. list.OrderBy(a => a.SandboxId, StringComparer.Ordinal)];
    }

    private async Task RecordAsync(SandboxActivityUpdate update, CancellationToken cancellationToken)
    {
        var rowKey = RowKeyOf(update.SandboxId);
        for (var attempt = 0; ; attempt++)
        {
            var existing = await _table.GetEntityIfExistsAsync<TableEntity>(Partition, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            var old = existing.HasValue ? existing.Value : null;
            var merged = SandboxActivity.Merge(old is null ? null : FromEntity(old), update);
            var entity = ToEntity(rowKey, merged);
            try
            {
                if (old is null)
                {
                    await _table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await _table.UpdateEntityAsync(entity, old.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                }

                return;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412 && attempt < MaxConcurrencyRetries)
            {
                // Another instance added or changed the row meanwhile: merge into its version.
            }
        }
    }

    internal static string RowKeyOf(string sandboxId) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sandboxId)).AsSpan(0, 16));

    private static TableEntity ToEntity(string rowKey, SandboxActivity activity) => new(Partition, rowKey)
    {
        ["SandboxId"] = activity.SandboxId,
        ["LastTelemetry"] = activity.LastTelemetry,
        ["LastNetwork"] = activity.LastNetwork,
        ["NetworkSinceTelemetry"] = activity.NetworkSinceTelemetry,
        ["NetworkSince"] = activity.NetworkSince,
    };

    private static SandboxActivity FromEntity(TableEntity e) => new(
        e.GetString("SandboxId") ?? string.Empty, e.GetDateTimeOffset("LastTelemetry"), e.GetDateTimeOffset("LastNetwork"),
        e.GetInt64("NetworkSinceTelemetry") ?? 0, e.GetDateTimeOffset("NetworkSince"));
}
