using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AlertPipeline.Adapters.Storage;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;
using Azure.Data.Tables;

namespace AlertPipeline.Adapters.Ingest;

/// <summary>
/// The dead-letter store on Azure Table Storage: table <c>deadletters</c>, PartitionKey = UTC date of the write
/// (<c>yyyyMMdd</c>, so a day's rejects are one partition and old days can be dropped whole), RowKey = a key derived from
/// stream, sequence, record and reason. Columns Stream, Sequence, Record, Format, Reason, Detail, Excerpt, FormatGuess
/// (the format an unreadable body resembled, when any).
/// Writes are upserts, so a batch redelivered the same day overwrites its rows instead of duplicating them
/// (a redelivery on a later day lands in that day's partition). The table is created on first use.
/// </summary>
public sealed class TableDeadLetterStore : IDeadLetterStore
{
    /// <summary>Most actions in one entity-group transaction (a service limit).</summary>
    private const int MaxBatch = 100;

    // Column caps keep 100 rows well inside the 4 MiB transaction payload even if every character is escaped
    // (about 5K characters x 6 bytes x 100 = 3 MB). Excerpts are at most ~1K characters by construction.
    private const int MaxStream = 512;
    private const int MaxShort = 256;
    private const int MaxText = 2048;

    private readonly TableClient _table;
    private readonly CreateOnce _created;
    private readonly TimeProvider _time;

    /// <summary>Uses table <paramref name="tableName"/> (default <see cref="StorageNames.DeadLettersTable"/>) of <paramref name="service"/>.</summary>
    /// <param name="service">The Table service.</param>
    /// <param name="tableName">The table.</param>
    /// <param name="time">Clock for the date partition; <see cref="TimeProvider.System"/> when null.</param>
    public TableDeadLetterStore(TableServiceClient service, string tableName = StorageNames.DeadLettersTable, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = service.GetTableClient(tableName);
        _created = new CreateOnce(ct => _table.CreateIfNotExistsAsync(ct));
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

        // One date for the whole call, so every row shares a partition and can go in transactions.
        var partition = _time.GetUtcNow().UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

        // A transaction may not touch one entity twice; the last reject of a position and reason wins, as in memory.
        var rows = new Dictionary<string, TableEntity>(StringComparer.Ordinal);
        foreach (var reject in rejects)
        {
            var entity = ToEntity(partition, reject);
            rows.Remove(entity.RowKey);
            rows[entity.RowKey] = entity;
        }

        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        foreach (var chunk in rows.Values.Chunk(MaxBatch))
        {
            var actions = chunk.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e));
            await _table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The RowKey of a reject: a readable prefix (stream with forbidden characters replaced, zero-padded sequence and
    /// record, reason) so rows sort by position, then a hash of the exact values so two positions that only differ in
    /// replaced or cut characters never share a row.
    /// </summary>
    internal static string RowKeyOf(SourcePosition position, string reason)
    {
        var exact = string.Create(CultureInfo.InvariantCulture, $"{position.Stream}\n{position.Sequence}\n{position.Record}\n{reason}");
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(exact)).AsSpan(0, 8));
        return string.Create(CultureInfo.InvariantCulture,
            $"{Safe(position.Stream, 200)}~{position.Sequence:D20}~{position.Record:D10}~{Safe(reason, 64)}~{hash}");
    }

    private static string Safe(string value, int max)
    {
        var builder = new StringBuilder(Math.Min(value.Length, max));
        foreach (var c in value)
        {
            if (builder.Length == max)
            {
                break;
            }

            // Surrogates are replaced too, so a cut can never leave half a pair in the key.
            builder.Append(TableKeys.IsForbidden(c) || char.IsSurrogate(c) ? '_' : c);
        }

        return builder.ToString();
    }

    private static TableEntity ToEntity(string partition, RejectedEvent reject) => new(partition, RowKeyOf(reject.Position, reject.Reason))
    {
        ["Stream"] = TableKeys.Truncate(reject.Position.Stream, MaxStream),
        ["Sequence"] = reject.Position.Sequence,
        ["Record"] = reject.Position.Record,
        ["Format"] = TableKeys.Truncate(reject.Format, MaxShort),
        ["Reason"] = TableKeys.Truncate(reject.Reason, MaxShort),
        ["Detail"] = TableKeys.Truncate(reject.Detail, MaxText),
        ["Excerpt"] = TableKeys.Truncate(reject.Excerpt, MaxText),
        ["FormatGuess"] = reject.FormatGuess is null ? null : TableKeys.Truncate(reject.FormatGuess, MaxShort),
    };
}
