using AlertPipeline.Adapters.Storage;
using AlertPipeline.Core.Respond.Outbox;
using Azure.Data.Tables;

namespace AlertPipeline.Adapters.Respond.Outbox;

/// <summary>
/// Notifications given up on, in table <see cref="StorageNames.NotificationPoisonTable"/>: PartitionKey = alert id,
/// RowKey = channel, so an alert's failures are one partition query. Columns Message (the queue message JSON), Reason, At.
/// </summary>
public sealed class TableNotificationPoisonStore : INotificationPoisonStore
{
    private readonly TableClient _table;
    private readonly CreateOnce _created;

    /// <summary>Uses table <paramref name="tableName"/> of <paramref name="service"/>.</summary>
    public TableNotificationPoisonStore(TableServiceClient service, string tableName = StorageNames.NotificationPoisonTable)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = service.GetTableClient(tableName);
        _created = new CreateOnce(ct => _table.CreateIfNotExistsAsync(ct));
    }

    /// <inheritdoc />
    public async Task AddAsync(PoisonedNotification poisoned, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(poisoned);
        var entity = new TableEntity(TableKeys.Require(poisoned.Message.AlertId, "alert id"), TableKeys.Require(poisoned.Message.Channel, "channel"))
        {
            ["Message"] = poisoned.Message.ToJson(),
            ["Reason"] = TableKeys.Truncate(poisoned.Reason, 4096),
            ["At"] = poisoned.At,
        };
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        await _table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<PoisonedNotification>> ListAsync(string alertId, CancellationToken cancellationToken)
    {
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<PoisonedNotification>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {TableKeys.Require(alertId, "alert id")}");
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var message = NotificationMessage.TryParse(entity.GetString("Message"), out _)
                ?? new NotificationMessage(entity.PartitionKey, entity.RowKey);
            list.Add(new PoisonedNotification(message, entity.GetString("Reason") ?? string.Empty, entity.GetDateTimeOffset("At") ?? entity.Timestamp ?? DateTimeOffset.MinValue));
        }

        return list;
    }
}
