using System.Globalization;
using AlertPipeline.Adapters.Storage;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;

namespace AlertPipeline.Adapters.Ingest;

/// <summary>
/// The dead-letter store on Azure Storage: table <c>deadletters</c>, PartitionKey = UTC day the message was enqueued
/// (<c>yyyyMMdd</c>, the day a redelivery shares, so it overwrites), RowKey = the dead letter's id
/// (<see cref="DeadLetterIds"/>). Columns: Stream, Sequence, Record, Hub, PartitionId, Offset, EnqueuedTime,
/// ReceivedTime, Format, Reason, Detail, Excerpt, FormatGuess, Payload (binary: the whole payload, or when larger than
/// <see cref="MaxInlinePayloadBytes"/> its prefix cut between UTF-8 characters), PayloadLength, PayloadBlob (the blob in
/// container <c>deadletters</c> that holds the whole payload when the row cannot), PayloadComplete, ReplayedAt, ReplayCount.
/// Writes are merges, so a redelivered batch overwrites its rows and keeps their replay marks. Table and container are
/// created on first use.
/// </summary>
public sealed class TableDeadLetterStore : IDeadLetterStore
{
    /// <summary>Most payload bytes kept in the row (a binary property holds 64 KiB; half leaves room for the text columns).</summary>
    public const int MaxInlinePayloadBytes = 32 * 1024;

    /// <summary>Most actions in one entity-group transaction (a service limit).</summary>
    private const int MaxBatch = 100;

    // A transaction's payload may not exceed 4 MiB; rows are grouped under this estimate of their JSON size.
    private const int MaxTransactionBytes = 3 * 1024 * 1024;

    private const int MaxStream = 512;
    private const int MaxShort = 256;
    private const int MaxText = 2048;
    private const int MaxUpdateRetries = 8;

    private readonly TableClient _table;
    private readonly BlobContainerClient? _blobs;
    private readonly CreateOnce _created;
    private readonly CreateOnce? _containerCreated;
    private readonly TimeProvider _time;

    /// <summary>Uses table <paramref name="tableName"/> of <paramref name="service"/> and, for large payloads, <paramref name="payloads"/>.</summary>
    /// <param name="service">The Table service.</param>
    /// <param name="payloads">Blob container for payloads larger than a row holds; when null such payloads keep only their prefix.</param>
    /// <param name="tableName">The table.</param>
    /// <param name="time">Clock for the received time; <see cref="TimeProvider.System"/> when null.</param>
    public TableDeadLetterStore(TableServiceClient service, BlobContainerClient? payloads, string tableName = StorageNames.DeadLettersTable, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = service.GetTableClient(tableName);
        _created = new CreateOnce(ct => _table.CreateIfNotExistsAsync(ct));
        _blobs = payloads;
        _containerCreated = payloads is null ? null : new CreateOnce(ct => payloads.CreateIfNotExistsAsync(cancellationToken: ct));
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public async Task WriteAsync(IReadOnlyList<RejectedEvent> rejects, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rejects);
        if (rejects.Count == 0)
        {
            return;
        }

        var now = _time.GetUtcNow();

        // A transaction may not touch one entity twice; the last reject of an id wins, as in memory.
        var rows = new Dictionary<string, (TableEntity Entity, RejectedEvent Reject)>(StringComparer.Ordinal);
        foreach (var reject in rejects)
        {
            var id = DeadLetterIds.For(reject, now);
            rows.Remove(id);
            rows[id] = (ToEntity(id, reject, now), reject);
        }

        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);

        // Blobs first: a row never names a blob that is not there (a crash in between leaves a blob the retry overwrites).
        foreach (var (entity, reject) in rows.Values.Where(r => r.Entity.ContainsKey("PayloadBlob")))
        {
            await _containerCreated!.EnsureAsync(cancellationToken).ConfigureAwait(false);
            await _blobs!.GetBlobClient(entity.GetString("PayloadBlob")).UploadAsync(BinaryData.FromBytes(reject.Payload), overwrite: true, cancellationToken).ConfigureAwait(false);
        }

        foreach (var partition in rows.Values.Select(r => r.Entity).GroupBy(e => e.PartitionKey, StringComparer.Ordinal))
        {
            foreach (var chunk in Chunks(partition))
            {
                var actions = chunk.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertMerge, e));
                await _table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<DeadLetter>> ListAsync(DeadLetterQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var filters = new List<string>();
        if (query.Since is { } since)
        {
            filters.Add(TableClient.CreateQueryFilter($"PartitionKey ge {since.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture)}"));
        }

        if (query.Reason is { } reason)
        {
            filters.Add(TableClient.CreateQueryFilter($"Reason eq {reason}"));
        }

        // The payload column is left out: a listing should not move every payload over the wire.
        var letters = new List<DeadLetter>();
        await foreach (var entity in _table.QueryAsync<TableEntity>(filters.Count == 0 ? null : string.Join(" and ", filters), select: ListColumns, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var letter = FromEntity(entity);
            if (query.Matches(letter))
            {
                letters.Add(letter);
            }
        }

        return [.. letters.OrderBy(DeadLetterIds.TimeOf).ThenBy(l => l.Id, StringComparer.Ordinal).Take(query.Max)];
    }

    /// <inheritdoc />
    public async Task<DeadLetter?> GetAsync(string id, CancellationToken cancellationToken)
    {
        var entity = await GetEntityAsync(id, cancellationToken).ConfigureAwait(false);
        return entity is null ? null : FromEntity(entity);
    }

    /// <inheritdoc />
    public async Task<byte[]?> ReadPayloadAsync(string id, CancellationToken cancellationToken)
    {
        var entity = await GetEntityAsync(id, cancellationToken).ConfigureAwait(false);
        if (entity is null || entity.GetBoolean("PayloadComplete") != true)
        {
            return null;
        }

        if (entity.GetString("PayloadBlob") is { } blob)
        {
            if (_blobs is null)
            {
                return null;
            }

            var content = await _blobs.GetBlobClient(blob).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return content.Value.Content.ToArray();
        }

        return entity.GetBinary("Payload") ?? [];
    }

    /// <inheritdoc />
    public async Task<bool> MarkReplayedAsync(string id, DateTimeOffset at, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var entity = await GetEntityAsync(id, cancellationToken).ConfigureAwait(false);
            if (entity is null)
            {
                return false;
            }

            var update = new TableEntity(entity.PartitionKey, entity.RowKey)
            {
                ["ReplayedAt"] = at,
                ["ReplayCount"] = (entity.GetInt32("ReplayCount") ?? 0) + 1,
            };
            try
            {
                // Under the ETag: two replays at once must both be counted, not one overwrite the other.
                await _table.UpdateEntityAsync(update, entity.ETag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (RequestFailedException e) when (e.Status == 412 && attempt < MaxUpdateRetries)
            {
                // Changed meanwhile: read again.
            }
        }
    }

    private static readonly string[] ListColumns =
    [
        "PartitionKey", "RowKey", "Stream", "Sequence", "Record", "Hub", "PartitionId", "Offset", "EnqueuedTime", "ReceivedTime",
        "Format", "Reason", "Detail", "Excerpt", "FormatGuess", "PayloadLength", "PayloadBlob", "PayloadComplete", "ReplayedAt", "ReplayCount",
    ];

    private async Task<TableEntity?> GetEntityAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (DeadLetterIds.DayOf(id) is not { } day)
        {
            return null;
        }

        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(day, id, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value : null;
    }

    /// <summary>Groups of at most <see cref="MaxBatch"/> rows whose estimated JSON stays under <see cref="MaxTransactionBytes"/>.</summary>
    private static IEnumerable<List<TableEntity>> Chunks(IEnumerable<TableEntity> entities)
    {
        var chunk = new List<TableEntity>();
        var bytes = 0L;
        foreach (var entity in entities)
        {
            var size = EstimatedBytes(entity);
            if (chunk.Count == MaxBatch || (chunk.Count > 0 && bytes + size > MaxTransactionBytes))
            {
                yield return chunk;
                chunk = [];
                bytes = 0;
            }

            chunk.Add(entity);
            bytes += size;
        }

        if (chunk.Count > 0)
        {
            yield return chunk;
        }
    }

    // Every character escaped (\uXXXX, 6 bytes) and base64 for binary: an upper bound, not a measurement.
    private static long EstimatedBytes(TableEntity entity) => 1024 + ((IDictionary<string, object>)entity).Values.Sum(v => v switch
    {
        string s => 6L * s.Length,
        byte[] b => ((b.Length + 2) / 3 * 4) + 64,
        _ => 64L,
    });

    private TableEntity ToEntity(string id, RejectedEvent reject, DateTimeOffset now)
    {
        var payload = reject.Payload.Span;
        var inline = Utf8Cut.Prefix(payload, MaxInlinePayloadBytes);
        var fits = inline.Length == payload.Length;
        var entity = new TableEntity(DeadLetterIds.DayOf(id)!, id)
        {
            ["Stream"] = TableKeys.Truncate(reject.Position.Stream, MaxStream),
            ["Sequence"] = reject.Position.Sequence,
            ["Record"] = reject.Position.Record,
            ["Format"] = TableKeys.Truncate(reject.Format, MaxShort),
            ["Reason"] = TableKeys.Truncate(reject.Reason, MaxShort),
            ["Detail"] = TableKeys.Truncate(reject.Detail, MaxText),
            ["Excerpt"] = TableKeys.Truncate(reject.Excerpt, MaxText),
            ["ReceivedTime"] = now,
            ["Payload"] = inline.ToArray(),
            ["PayloadLength"] = payload.Length,
            ["PayloadComplete"] = fits || _blobs is not null,
        };
        Optional("FormatGuess", reject.FormatGuess, MaxShort);
        Optional("Hub", reject.Hub, MaxShort);
        Optional("PartitionId", reject.PartitionId, MaxShort);
        Optional("Offset", reject.Offset, MaxShort);
        if (reject.EnqueuedTime is { } enqueued)
        {
            entity["EnqueuedTime"] = enqueued;
        }

        if (!fits && _blobs is not null)
        {
            entity["PayloadBlob"] = id;
        }

        return entity;

        void Optional(string column, string? value, int max)
        {
            if (value is not null)
            {
                entity[column] = TableKeys.Truncate(value, max);
            }
        }
    }

    private static DeadLetter FromEntity(TableEntity e)
    {
        var rejected = new RejectedEvent(
            new SourcePosition(e.GetString("Stream") ?? string.Empty, e.GetInt64("Sequence") ?? 0, e.GetInt32("Record") ?? 0),
            e.GetString("Format") ?? string.Empty, e.GetString("Reason") ?? string.Empty, e.GetString("Detail") ?? string.Empty,
            e.GetString("Excerpt") ?? string.Empty, e.GetString("FormatGuess"))
        {
            Hub = e.GetString("Hub"),
            PartitionId = e.GetString("PartitionId"),
            Offset = e.GetString("Offset"),
            EnqueuedTime = e.GetDateTimeOffset("EnqueuedTime"),
        };
        return new DeadLetter(e.RowKey, rejected, e.GetDateTimeOffset("ReceivedTime") ?? DateTimeOffset.MinValue,
            e.GetInt32("PayloadLength") ?? 0, e.GetBoolean("PayloadComplete") ?? false)
        {
            PayloadBlob = e.GetString("PayloadBlob"),
            ReplayedAt = e.GetDateTimeOffset("ReplayedAt"),
            ReplayCount = e.GetInt32("ReplayCount") ?? 0,
        };
    }
}
