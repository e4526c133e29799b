using System.Globalization;
using System.Text;
using AlertPipeline.Adapters.Storage;
using AlertPipeline.Core.Respond.Audit;
using Azure;
using Azure.Data.Tables;

namespace AlertPipeline.Adapters.Respond;

/// <summary>
/// The audit trail on Table Storage (table <see cref="StorageNames.AuditTable"/>). Each entry is written as four rows
/// with the same columns, so both queries are single range scans and recording is idempotent on the entry id:
/// <list type="bullet">
/// <item>PartitionKey <c>id~&lt;hash[0..2]&gt;</c>, RowKey a hash of <see cref="AuditEntry.EntryId"/>: the entry itself, added
/// first; a second recording of the same id finds it (409) and keeps the first, as the in-memory log does;</item>
/// <item>PartitionKey <c>alert~&lt;alert id&gt;</c>: an alert's entries in one partition;</item>
/// <item>PartitionKey <c>sandbox~&lt;sandbox id&gt;~&lt;yyyyMMdd&gt;</c>: a sandbox's entries by UTC day, so a busy sandbox's
/// partitions stay small and "since" reads only the days it needs (one range over consecutive partition keys).</item>
/// <item>PartitionKey <c>time~&lt;yyyyMMddHH&gt;</c>: the whole fleet's entries by UTC hour, for reads by time alone (the digest).</item>
/// </list>
/// Index RowKeys are the entry time (UTC ticks, 19 digits) then the id hash: time-ordered, oldest first. The index rows
/// are upserts from the stored entry row, so a retry after a crash between the rows completes them with the first values.
/// Ids are escaped for keys (<c>/ \ # ? ~ %</c> and control characters as <c>%XX</c>; long ids cut and suffixed with a hash).
/// </summary>
public sealed class TableAuditLog : IAuditLog, IAuditTimeline
{
    private const int MaxIdInKey = 180;
    private const int MaxText = 4096;

    private readonly TableClient _table;
    private readonly CreateOnce _created;

    /// <summary>Uses table <paramref name="tableName"/> of <paramref name="service"/>.</summary>
    public TableAuditLog(TableServiceClient service, string tableName = StorageNames.AuditTable)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = service.GetTableClient(tableName);
        _created = new CreateOnce(ct => _table.CreateIfNotExistsAsync(ct));
    }

    /// <inheritdoc />
    public async Task RecordAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        entry = entry with { At = Storable(entry.At) };
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var hash = AuditTrail.HashId(entry.EntryId);
        var canonical = ToEntity("id~" + hash[..2], hash, entry);
        try
        {
            await _table.AddEntityAsync(canonical, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // Recorded before: keep the first values, and (re)write its index rows in case that writer stopped halfway.
            var stored = await _table.GetEntityAsync<TableEntity>(canonical.PartitionKey, canonical.RowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            entry = FromEntity(stored.Value);
        }

        // The index rows are independent upserts (different partitions, no transaction possible): written together.
        var rowKey = RowKeyOf(entry.At, hash);
        await Task.WhenAll(
            _table.UpsertEntityAsync(ToEntity(AlertPartition(entry.AlertId), rowKey, entry), TableUpdateMode.Replace, cancellationToken),
            _table.UpsertEntityAsync(ToEntity(SandboxPartition(entry.SandboxId, entry.At), rowKey, entry), TableUpdateMode.Replace, cancellationToken),
            _table.UpsertEntityAsync(ToEntity(TimePartition(entry.At), rowKey, entry), TableUpdateMode.Replace, cancellationToken)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditEntry>> ListBetweenAsync(DateTimeOffset from, DateTimeOffset to, int max, CancellationToken cancellationToken)
    {
        // Hour partitions are consecutive keys; row keys grow with time, so two RowKey bounds cut the first and last hour.
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey ge {TimePartition(from)} and PartitionKey le {TimePartition(to)} and RowKey ge {Ticks(from)} and RowKey lt {Ticks(to)}");
        return QueryAsync(filter, max, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditEntry>> ListByAlertAsync(string alertId, int max, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alertId);
        return QueryAsync(TableClient.CreateQueryFilter($"PartitionKey eq {AlertPartition(alertId)}"), max, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditEntry>> ListBySandboxAsync(string sandboxId, DateTimeOffset since, int max, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sandboxId);

        // Day partitions of one sandbox are consecutive keys ("~" sorts after the digits, so the prefix + "~~" ends them),
        // and row keys grow with time across days, so one RowKey bound trims the first day and keeps the rest.
        var prefix = "sandbox~" + EscapeId(sandboxId) + "~";
        var from = SandboxPartition(sandboxId, since);
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {from} and PartitionKey lt {prefix + "~"} and RowKey ge {Ticks(since)}");
        return QueryAsync(filter, max, cancellationToken);
    }

    private async Task<IReadOnlyList<AuditEntry>> QueryAsync(string filter, int max, CancellationToken cancellationToken)
    {
        var list = new List<AuditEntry>();
        if (max <= 0)
        {
            return list;
        }

        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(max, 1000), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            list.Add(FromEntity(entity));
            if (list.Count == max)
            {
                break;
            }
        }

        return list;
    }

    /// <summary>The alert index partition of <paramref name="alertId"/>.</summary>
    internal static string AlertPartition(string alertId) => "alert~" + EscapeId(alertId);

    /// <summary>The sandbox index partition of <paramref name="sandboxId"/> on the UTC day of <paramref name="at"/>.</summary>
    internal static string SandboxPartition(string sandboxId, DateTimeOffset at)
        => "sandbox~" + EscapeId(sandboxId) + "~" + at.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    private static string TimePartition(DateTimeOffset at) => "time~" + at.UtcDateTime.ToString("yyyyMMddHH", CultureInfo.InvariantCulture);

    private static string RowKeyOf(DateTimeOffset at, string hash) => Ticks(at) + "~" + hash;

    private static string Ticks(DateTimeOffset at) => at.UtcTicks.ToString("D19", CultureInfo.InvariantCulture);

    /// <summary>
    /// An id as a key part (public for its tests): characters a key may not hold, the separator and the escape itself become <c>%XX</c> (UTF-16
    /// units as 4 hex digits for those beyond Latin-1), so two different ids never share a key; cut with a hash past the limit.
    /// </summary>
    public static string EscapeId(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        var builder = new StringBuilder(id.Length);
        foreach (var c in id)
        {
            if (TableKeys.IsForbidden(c) || c is '~' or '%' || char.IsSurrogate(c))
            {
                builder.Append(c <= 0xFF ? string.Create(CultureInfo.InvariantCulture, $"%{(int)c:X2}") : string.Create(CultureInfo.InvariantCulture, $"%u{(int)c:X4}"));
            }
            else
            {
                builder.Append(c);
            }
        }

        if (builder.Length == 0)
        {
            return "%";
        }

        return builder.Length <= MaxIdInKey ? builder.ToString() : string.Concat(builder.ToString(0, MaxIdInKey - 33), "%", AuditTrail.HashId(id));
    }

    private static TableEntity ToEntity(string partition, string rowKey, AuditEntry entry) => new(partition, rowKey)
    {
        ["EntryId"] = TableKeys.Truncate(entry.EntryId, 1024),
        ["At"] = entry.At,
        ["Kind"] = entry.Kind.ToString(),
        ["AlertId"] = TableKeys.Truncate(entry.AlertId, 1024),
        ["SandboxId"] = TableKeys.Truncate(entry.SandboxId, 1024),
        ["Action"] = TableKeys.Truncate(entry.Action, 256),
        ["Outcome"] = TableKeys.Truncate(entry.Outcome, 256),
        ["Actor"] = TableKeys.Truncate(entry.Actor, 512),
        ["Detail"] = entry.Detail is null ? null : TableKeys.Truncate(entry.Detail, MaxText),
    };

    // Table Storage keeps dates from 1601 on; an earlier (default) time is stored as the Unix epoch.
    private static DateTimeOffset Storable(DateTimeOffset at) => at.UtcDateTime.Year < 1601 ? DateTimeOffset.UnixEpoch : at.ToUniversalTime();

    private static AuditEntry FromEntity(TableEntity entity) => new()
    {
        EntryId = entity.GetString("EntryId") ?? entity.RowKey,
        At = entity.GetDateTimeOffset("At") ?? entity.Timestamp ?? DateTimeOffset.UnixEpoch,
        Kind = Enum.TryParse<AuditKind>(entity.GetString("Kind"), out var kind) ? kind : AuditKind.Notification,
        AlertId = entity.GetString("AlertId") ?? string.Empty,
        SandboxId = entity.GetString("SandboxId") ?? string.Empty,
        Action = entity.GetString("Action") ?? string.Empty,
        Outcome = entity.GetString("Outcome") ?? string.Empty,
        Actor = entity.GetString("Actor") ?? string.Empty,
        Detail = entity.GetString("Detail"),
    };
}
