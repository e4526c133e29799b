using AlertPipeline.Adapters.Storage;
using AlertPipeline.Core.Respond.Approvals;
using Azure;
using Azure.Data.Tables;

namespace AlertPipeline.Adapters.Respond;

/// <summary>
/// The used action-link nonces on Table Storage (table <see cref="StorageNames.ActionNoncesTable"/>): PartitionKey =
/// alert id, RowKey = nonce, columns Action, UsedAt, ExpiresAt. Adding a row that exists fails with 409, so of two
/// instances spending one link at once exactly one wins. Rows are small and are kept (a row past ExpiresAt could be
/// deleted; its link is refused as expired anyway).
/// </summary>
public sealed class TableActionNonceStore : IActionNonceStore
{
    private readonly TableClient _table;
    private readonly CreateOnce _created;

    /// <summary>Uses table <paramref name="tableName"/> of <paramref name="service"/>.</summary>
    public TableActionNonceStore(TableServiceClient service, string tableName = StorageNames.ActionNoncesTable)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = service.GetTableClient(tableName);
        _created = new CreateOnce(ct => _table.CreateIfNotExistsAsync(ct));
    }

    /// <inheritdoc />
    public async Task<bool> TryConsumeAsync(ActionLink link, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(link);
        var entity = new TableEntity(TableKeys.Require(link.AlertId, "alert id"), TableKeys.Require(link.Nonce, "nonce"))
        {
            ["Action"] = link.Action.ToText(),
            ["UsedAt"] = at,
            ["ExpiresAt"] = link.ExpiresAt,
        };
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public async Task<bool> IsUsedAsync(ActionLink link, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(link);
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(
            TableKeys.Require(link.AlertId, "alert id"), TableKeys.Require(link.Nonce, "nonce"), select: ["PartitionKey"], cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue;
    }
}
