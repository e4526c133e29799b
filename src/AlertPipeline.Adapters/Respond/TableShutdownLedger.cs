using System.Globalization;
using AlertPipeline.Adapters.Storage;
using AlertPipeline.Core.Respond.Shutdown;
using Azure;
using Azure.Data.Tables;

namespace AlertPipeline.Adapters.Respond;

/// <summary>
/// The shutdown ledger on Table Storage (table <see cref="StorageNames.ShutdownLedgerTable"/>), shared by every instance:
/// PartitionKey <c>sandbox</c> / RowKey sandbox id holds the standing order; PartitionKey <c>window</c> / RowKey the
/// window's start (UTC ticks, 19 digits) holds the count. Both are changed only under their ETag, so two instances
/// racing for the last place under the cap, or for one sandbox, cannot both win.
/// </summary>
public sealed class TableShutdownLedger : IShutdownLedger
{
    private const string SandboxPartition = "sandbox";
    private const string WindowPartition = "window";
    private const int MaxConflicts = 16;

    private readonly TableClient _table;
    private readonly CreateOnce _created;

    /// <summary>Uses table <paramref name="tableName"/> of <paramref name="service"/>.</summary>
    public TableShutdownLedger(TableServiceClient service, string tableName = StorageNames.ShutdownLedgerTable)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = service.GetTableClient(tableName);
        _created = new CreateOnce(ct => _table.CreateIfNotExistsAsync(ct));
    }

    /// <inheritdoc />
    public async Task<LedgerDecision> TryReserveAsync(ShutdownOrder order, int cap, TimeSpan window, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(order);
        TableKeys.Require(order.SandboxId, "sandbox id");
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var windowKey = WindowKey(order.IssuedAt, window);

        // 1. The sandbox's standing order: taken if absent or expired.
        for (var attempt = 0; ; attempt++)
        {
            var row = await _table.GetEntityIfExistsAsync<TableEntity>(SandboxPartition, order.SandboxId, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (row.HasValue && ToOrder(row.Value!) is { } standing && standing.ExpiresAt > order.IssuedAt)
            {
                return new LedgerDecision(ShutdownReservation.AlreadyOrdered, standing, await CountAsync(windowKey, cancellationToken).ConfigureAwait(false));
            }

            var entity = ToEntity(order);
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

                break;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412 && attempt < MaxConflicts)
            {
                // Another instance took or changed it meanwhile: read again.
            }
        }

        // 2. A place under the fleet cap; without one the standing order is given back.
        for (var attempt = 0; ; attempt++)
        {
            var row = await _table.GetEntityIfExistsAsync<TableEntity>(WindowPartition, windowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            var count = row.HasValue ? row.Value!.GetInt32("Count") ?? 0 : 0;
            if (count >= cap)
            {
                await DeleteStandingAsync(order, cancellationToken).ConfigureAwait(false);
                return new LedgerDecision(ShutdownReservation.CapReached, null, count);
            }

            var entity = new TableEntity(WindowPartition, windowKey) { ["Count"] = count + 1 };
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

                return new LedgerDecision(ShutdownReservation.Reserved, null, count + 1);
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412 && attempt < MaxConflicts)
            {
                // Another instance counted meanwhile: read again.
            }
        }
    }

    /// <inheritdoc />
    public async Task ReleaseAsync(ShutdownOrder order, TimeSpan window, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(order);
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var windowKey = WindowKey(order.IssuedAt, window);
        for (var attempt = 0; attempt < MaxConflicts; attempt++)
        {
            var row = await _table.GetEntityIfExistsAsync<TableEntity>(WindowPartition, windowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            var count = row.HasValue ? row.Value!.GetInt32("Count") ?? 0 : 0;
            if (count <= 0)
            {
                break;
            }

            try
            {
                await _table.UpdateEntityAsync(new TableEntity(WindowPartition, windowKey) { ["Count"] = count - 1 }, row.Value!.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (RequestFailedException e) when (e.Status is 412)
            {
                // Counted meanwhile: read again.
            }
        }

        await DeleteStandingAsync(order, cancellationToken).ConfigureAwait(false);
    }

    private async Task DeleteStandingAsync(ShutdownOrder order, CancellationToken cancellationToken)
    {
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(SandboxPartition, order.SandboxId, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (row.HasValue && row.Value!.GetString("CommandId") == order.CommandId)
        {
            try
            {
                await _table.DeleteEntityAsync(SandboxPartition, order.SandboxId, row.Value.ETag, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (e.Status is 404 or 412)
            {
                // Replaced or gone meanwhile: it is no longer ours to delete.
            }
        }
    }

    private async Task<int> CountAsync(string windowKey, CancellationToken cancellationToken)
    {
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(WindowPartition, windowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? row.Value!.GetInt32("Count") ?? 0 : 0;
    }

    private static string WindowKey(DateTimeOffset at, TimeSpan window)
        => InMemoryShutdownLedger.WindowOf(at, window).ToString("D19", CultureInfo.InvariantCulture);

    private static TableEntity ToEntity(ShutdownOrder order) => new(SandboxPartition, order.SandboxId)
    {
        ["AlertId"] = order.AlertId,
        ["CommandId"] = order.CommandId,
        ["IssuedAt"] = order.IssuedAt,
        ["ExpiresAt"] = order.ExpiresAt,
    };

    private static ShutdownOrder? ToOrder(TableEntity entity)
        => entity.GetDateTimeOffset("ExpiresAt") is { } expires
            ? new ShutdownOrder(entity.RowKey, entity.GetString("AlertId") ?? string.Empty, entity.GetString("CommandId") ?? string.Empty,
                entity.GetDateTimeOffset("IssuedAt") ?? expires, expires)
            : null;
}
