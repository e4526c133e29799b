using System.Text.Json;
using System.Text.Json.Nodes;
using AlertPipeline.Adapters.Storage;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;
using Azure;
using Azure.Data.Tables;

namespace AlertPipeline.Adapters.Respond;

/// <summary>
/// The alert store on Azure Table Storage: table <c>alerts</c>, PartitionKey = the first two characters of the alert id
/// (ids are hex, so this spreads alerts over 256 partitions), RowKey = alert id. Scalar columns (RuleId, RulePack, Level,
/// SandboxId, FirstSeen, LastSeen, EventCount, Mode, Title) are copies for querying in Storage Explorer or OData; the full
/// alert is the <see cref="AlertJson"/> document in columns Json0..JsonN, split because one string property holds at most
/// 32K characters. Concurrency is the entity ETag. The table is created on first use.
/// </summary>
public sealed class TableAlertStore : IAlertStore
{
    private const int MaxParallelReads = 16;

    private readonly TableClient _table;
    private readonly CreateOnce _created;

    /// <summary>Uses table <paramref name="tableName"/> (default <see cref="StorageNames.AlertsTable"/>) of <paramref name="service"/>.</summary>
    public TableAlertStore(TableServiceClient service, string tableName = StorageNames.AlertsTable)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = service.GetTableClient(tableName);
        _created = new CreateOnce(ct => _table.CreateIfNotExistsAsync(ct));
    }

    /// <inheritdoc />
    public async Task<Alert?> GetAsync(string alertId, CancellationToken cancellationToken)
    {
        var partition = PartitionOf(alertId);
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(partition, alertId, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? FromEntity(response.Value!) : null;
    }

    /// <inheritdoc />
    public async Task<bool> TryAddAsync(Alert alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var entity = ToEntity(alert);
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var response = await _table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
            alert.ETag = response.Headers.ETag?.ToString();
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public async Task<bool> TryUpdateAsync(Alert alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (alert.ETag is null)
        {
            // Never stored (or read) by this caller: there is nothing to compare against, as in the in-memory twin.
            return false;
        }

        var entity = ToEntity(alert);
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var response = await _table.UpdateEntityAsync(entity, new ETag(alert.ETag), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            alert.ETag = response.Headers.ETag?.ToString();
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            // 412: someone else updated first. 404: the alert is gone. Either way the caller's copy is stale.
            return false;
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Scans the whole table, projecting only the keys and LastSeen, then reads the newest <paramref name="max"/> in full.
    /// Fine for an operator's listing of a table that retention keeps small; a dashboard over a large history would need
    /// an index table keyed by inverted time instead.
    /// </remarks>
    public async Task<IReadOnlyList<Alert>> ListAsync(int max, CancellationToken cancellationToken)
    {
        if (max <= 0)
        {
            return [];
        }

        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var heads = new List<(string Partition, string Id, DateTimeOffset LastSeen)>();
        await foreach (var entity in _table.QueryAsync<TableEntity>(
            filter: (string?)null, select: ["PartitionKey", "RowKey", "LastSeen"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            heads.Add((entity.PartitionKey, entity.RowKey, entity.GetDateTimeOffset("LastSeen") ?? DateTimeOffset.MinValue));
        }

        var newest = heads
            .OrderByDescending(h => h.LastSeen).ThenBy(h => h.Id, StringComparer.Ordinal)
            .Take(max).ToList();
        var alerts = new Alert?[newest.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, newest.Count),
            new ParallelOptions { MaxDegreeOfParallelism = MaxParallelReads, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var response = await _table.GetEntityIfExistsAsync<TableEntity>(newest[i].Partition, newest[i].Id, cancellationToken: ct).ConfigureAwait(false);
                alerts[i] = response.HasValue ? FromEntity(response.Value!) : null;
            }).ConfigureAwait(false);

        // Re-sort: an alert updated between the scan and the read may have moved.
        return alerts.OfType<Alert>()
            .OrderByDescending(a => a.LastSeen).ThenBy(a => a.AlertId, StringComparer.Ordinal)
            .ToList();
    }

    private static string PartitionOf(string alertId)
    {
        TableKeys.Require(alertId, "alert id");
        return alertId.Length >= 2 ? alertId[..2] : alertId;
    }

    private static TableEntity ToEntity(Alert alert)
    {
        var entity = new TableEntity(PartitionOf(alert.AlertId), alert.AlertId)
        {
            ["RuleId"] = Column(alert.RuleId),
            ["RulePack"] = Column(alert.RulePack),
            ["Level"] = alert.Level.ToSigma(),
            ["SandboxId"] = Column(alert.SandboxId),
            ["FirstSeen"] = alert.FirstSeen,
            ["LastSeen"] = alert.LastSeen,
            ["EventCount"] = alert.EventCount,
            ["Mode"] = alert.Mode.ToText(),
            ["Title"] = Column(alert.Title),
        };

        TableJsonColumns.Write(entity, SerializeWithinLimit(alert));
        return entity;
    }

    /// <summary>
    /// The alert's JSON, trimmed if it would not fit the entity: evidence values are cut, then evidence dropped.
    /// Evidence is the only unbounded, attacker-influenced part; everything else is needed to respond correctly.
    /// </summary>
    private static string SerializeWithinLimit(Alert alert)
    {
        const int limit = TableJsonColumns.MaxLength;
        var json = JsonSerializer.Serialize(alert, AlertJson.Options);
        if (json.Length <= limit)
        {
            return json;
        }

        // Trim a copy (as a JSON tree) so the caller's alert is never touched, even briefly.
        var tree = JsonNode.Parse(json)!.AsObject();
        var evidence = new JsonObject();
        foreach (var (key, value) in alert.Evidence)
        {
            evidence[key] = TableKeys.Truncate(value, 256);
        }

        tree["evidence"] = evidence;
        json = tree.ToJsonString(AlertJson.Options);
        if (json.Length > limit)
        {
            tree["evidence"] = new JsonObject { ["trimmed"] = "evidence dropped: alert exceeded the storage limit" };
            json = tree.ToJsonString(AlertJson.Options);
        }

        return json.Length <= limit
            ? json
            : throw new InvalidOperationException($"Alert {alert.AlertId} is {json.Length} characters of JSON even without evidence; the Table entity limit is {limit}.");
    }

    private static Alert FromEntity(TableEntity entity)
    {
        var alert = JsonSerializer.Deserialize<Alert>(TableJsonColumns.Read(entity), AlertJson.Options)
            ?? throw new InvalidOperationException($"Alert row {entity.PartitionKey}/{entity.RowKey} holds no alert JSON.");
        alert.ETag = entity.ETag.ToString();
        return alert;
    }

    // Query copies only: the JSON has the full value, so a cut copy is harmless and keeps the write from failing.
    private static string Column(string value) => TableKeys.Truncate(value, 1024);
}
