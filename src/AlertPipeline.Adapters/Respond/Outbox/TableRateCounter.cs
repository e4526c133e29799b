using System.Globalization;
using AlertPipeline.Adapters.Storage;
using AlertPipeline.Core.Respond.Outbox;
using Azure;
using Azure.Data.Tables;

namespace AlertPipeline.Adapters.Respond.Outbox;

/// <summary>
/// The rate counter on Table Storage (table <see cref="StorageNames.RateCountersTable"/>): PartitionKey = scope (the
/// channel), RowKey = the window's start in UTC ticks (19 digits), column Count, changed only under its ETag so racing
/// instances cannot both take the last place.
/// </summary>
public sealed class TableRateCounter : IRateCounter
{
    private const int MaxConflicts = 16;

    private readonly TableClient _table;
    private readonly CreateOnce _created;

    /// <summary>Uses table <paramref name="tableName"/> of <paramref name="service"/>.</summary>
    public TableRateCounter(TableServiceClient service, string tableName = StorageNames.RateCountersTable)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = service.GetTableClient(tableName);
        _created = new CreateOnce(ct => _table.CreateIfNotExistsAsync(ct));
    }

    /// <inheritdoc />
    public async Task<bool> TryTakeAsync(string scope, DateTimeOffset at, TimeSpan window, int cap, CancellationToken cancellationToken)
    {
        TableKeys.Require(scope, "scope");
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var windowKey = (at.UtcTicks - (at.UtcTicks % Math.Max(1, window.Ticks))).ToString("D19", CultureInfo.InvariantCulture);
        for (var attempt = 0; ; attempt++)
        {
            var row = await _table.GetEntityIfExistsAsync<TableEntity>(scope, windowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            var count = row.HasValue ? row.Value!.GetInt32("Count") ?? 0 : 0;
            if (count >= cap)
            {
                return false;
            }

            var entity = new TableEntity(scope, windowKey) { ["Count"] = count + 1 };
            try
            {
                if (row.HasValue)
                {
                    await _table.UpdateEntityAsync(entity, row.Value!.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await _table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
                }

                return true;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412 && attempt < MaxConflicts)
            {
                // Another instance counted meanwhile: read again.
            }
        }
    }
}
