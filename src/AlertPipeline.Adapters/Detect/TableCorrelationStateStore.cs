using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using AlertPipeline.Adapters.Storage;
using AlertPipeline.Core.Detect.Correlation;
using Azure;
using Azure.Data.Tables;

namespace AlertPipeline.Adapters.Detect;

/// <summary>
/// Correlation state on Azure Table Storage: table <c>correlationstate</c>, PartitionKey = correlation rule id,
/// RowKey = group key (a hash, so any group value is a safe key). Entries are packed into binary columns
/// Entries0..N (64 KiB each); the rest are plain columns an operator can read. Writes are conditional on the
/// entity ETag (insert for a new group), which is what lets several Function instances share one group safely.
/// </summary>
public sealed class TableCorrelationStateStore : ICorrelationStateStore
{
    /// <summary>Bytes per binary column: a whole number of entries within the 64 KiB property limit.</summary>
    internal const int ChunkBytes = CorrelationState.EntryBytes * 2600;

    /// <summary>Most entry columns: 14 × 65,000 bytes stay under the 1 MiB entity limit with the other columns.</summary>
    internal const int MaxChunks = 14;

    private readonly TableClient _table;
    private readonly CreateOnce _created;

    /// <summary>Uses table <paramref name="tableName"/> (default <see cref="StorageNames.CorrelationStateTable"/>) of <paramref name="service"/>.</summary>
    public TableCorrelationStateStore(TableServiceClient service, string tableName = StorageNames.CorrelationStateTable)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = service.GetTableClient(tableName);
        _created = new CreateOnce(ct => _table.CreateIfNotExistsAsync(ct));
    }

    /// <inheritdoc />
    public async Task<CorrelationState?> GetAsync(string ruleId, string groupKey, CancellationToken cancellationToken)
    {
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(PartitionOf(ruleId), TableKeys.Require(groupKey, "group key"), cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? FromEntity(response.Value!) : null;
    }

    /// <inheritdoc />
    public async Task<bool> TryWriteAsync(CorrelationState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var entity = ToEntity(state);
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var response = state.ETag is null
                ? await _table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false)
                : await _table.UpdateEntityAsync(entity, new ETag(state.ETag), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            state.ETag = response.Headers.ETag?.ToString();
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412 or 404)
        {
            // 409: another instance inserted the group first; 412: it changed since we read it; 404: it was swept.
            return false;
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<CorrelationState> ListAsync(string ruleId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {PartitionOf(ruleId)}");
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return FromEntity(entity);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<CorrelationState> ListExpiredAsync(DateTimeOffset now, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"ExpiresAt lt {now}");
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return FromEntity(entity);
        }
    }

    /// <inheritdoc />
    public async Task<bool> TryDeleteAsync(CorrelationState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.ETag is null)
        {
            return false;
        }

        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var response = await _table.DeleteEntityAsync(PartitionOf(state.RuleId), state.GroupKey, new ETag(state.ETag), cancellationToken).ConfigureAwait(false);
            return response.Status != 404;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return false;
        }
    }

    /// <summary>The rule id as a PartitionKey; an id the service would refuse is replaced by its hash.</summary>
    internal static string PartitionOf(string ruleId)
    {
        ArgumentException.ThrowIfNullOrEmpty(ruleId);
        if (ruleId.Length <= 200 && !ruleId.Any(TableKeys.IsForbidden))
        {
            return ruleId;
        }

        return "h-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ruleId))[..16]);
    }

    private static TableEntity ToEntity(CorrelationState state)
    {
        var entity = new TableEntity(PartitionOf(state.RuleId), TableKeys.Require(state.GroupKey, "group key"))
        {
            ["RuleId"] = state.RuleId,
            ["GroupText"] = TableKeys.Truncate(state.GroupText, 4096),
            ["Fingerprint"] = unchecked((long)state.Fingerprint),
            ["MaxTicks"] = state.MaxTicks,
            ["EvictedThroughTicks"] = state.EvictedThroughTicks,
            ["ClosedThroughTicks"] = state.ClosedThroughTicks,
            ["EpisodeKeyTicks"] = state.EpisodeKeyTicks,
            ["EpisodeStartTicks"] = state.EpisodeStartTicks,
            ["EpisodeEndTicks"] = state.EpisodeEndTicks,
            ["EpisodeMax"] = state.EpisodeMax,
            ["EntryCount"] = state.Entries.Count,
            ["ExpiresAt"] = state.ExpiresAt,
        };
        var bytes = CorrelationState.EncodeEntries(state.Entries);
        var chunks = (bytes.Length + ChunkBytes - 1) / ChunkBytes;
        if (chunks > MaxChunks)
        {
            throw new InvalidOperationException(
                $"Correlation {state.RuleId}: {state.Entries.Count} entries exceed what one Table row holds ({MaxChunks * ChunkBytes / CorrelationState.EntryBytes}); lower Correlation:MaxEntriesPerGroup.");
        }

        for (var i = 0; i < chunks; i++)
        {
            var start = i * ChunkBytes;
            entity["Entries" + i] = bytes[start..Math.Min(bytes.Length, start + ChunkBytes)];
        }

        return entity;
    }

    private static CorrelationState FromEntity(TableEntity entity)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < MaxChunks && entity.GetBinary("Entries" + i) is { } chunk; i++)
        {
            bytes.AddRange(chunk);
        }

        return new CorrelationState
        {
            RuleId = entity.GetString("RuleId") ?? entity.PartitionKey,
            GroupKey = entity.RowKey,
            GroupText = entity.GetString("GroupText") ?? string.Empty,
            Fingerprint = unchecked((ulong)(entity.GetInt64("Fingerprint") ?? 0)),
            Entries = CorrelationState.DecodeEntries(bytes.ToArray()),
            MaxTicks = entity.GetInt64("MaxTicks") ?? 0,
            EvictedThroughTicks = entity.GetInt64("EvictedThroughTicks") ?? 0,
            ClosedThroughTicks = entity.GetInt64("ClosedThroughTicks") ?? 0,
            EpisodeKeyTicks = entity.GetInt64("EpisodeKeyTicks") ?? 0,
            EpisodeStartTicks = entity.GetInt64("EpisodeStartTicks") ?? 0,
            EpisodeEndTicks = entity.GetInt64("EpisodeEndTicks") ?? 0,
            EpisodeMax = entity.GetInt64("EpisodeMax") ?? 0,
            ExpiresAt = entity.GetDateTimeOffset("ExpiresAt") ?? DateTimeOffset.MinValue,
            ETag = entity.ETag.ToString(),
        };
    }
}
