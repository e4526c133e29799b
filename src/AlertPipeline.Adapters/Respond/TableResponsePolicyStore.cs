using AlertPipeline.Adapters.Storage;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Policy;
using Azure;
using Azure.Data.Tables;

namespace AlertPipeline.Adapters.Respond;

/// <summary>
/// The response policy on Azure Table Storage: table <c>responsepolicy</c>, PartitionKey = <c>policy</c> (the policy is
/// read whole on every refresh, so one partition makes that a single range scan), RowKey = entry id. Columns Level,
/// RuleId, Team, Environment, Shutdown, TemplateId, and Channels and Recipients as comma-separated text, so a row stays
/// editable by hand in a table explorer (and a hand edit gone wrong is caught when read). Created on first use.
/// </summary>
public sealed class TableResponsePolicyStore : IResponsePolicyStore
{
    /// <summary>The one partition of the policy.</summary>
    public const string Partition = "policy";

    private readonly TableClient _table;
    private readonly CreateOnce _created;

    /// <summary>Uses table <paramref name="tableName"/> (default <see cref="StorageNames.ResponsePolicyTable"/>) of <paramref name="service"/>.</summary>
    public TableResponsePolicyStore(TableServiceClient service, string tableName = StorageNames.ResponsePolicyTable)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = service.GetTableClient(tableName);
        _created = new CreateOnce(ct => _table.CreateIfNotExistsAsync(ct));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ResponsePolicyEntry>> ListAsync(CancellationToken cancellationToken)
    {
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var entries = new List<ResponsePolicyEntry>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition}");
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            entries.Add(ToEntry(entity));
        }

        return [.. entries.OrderBy(e => e.Id, StringComparer.Ordinal)];
    }

    /// <inheritdoc />
    public async Task<ResponsePolicyEntry> PutAsync(ResponsePolicyEntry entry, CancellationToken cancellationToken)
    {
        ResponsePolicyWrites.RequireValid(entry);
        var entity = new TableEntity(Partition, TableKeys.Require(entry.Id, "policy entry id"))
        {
            ["Level"] = entry.Level,
            ["RuleId"] = entry.RuleId,
            ["Team"] = entry.Team,
            ["Environment"] = entry.Environment,
            ["Channels"] = string.Join(',', entry.Channels),
            ["Recipients"] = entry.Recipients.Count == 0 ? null : string.Join(',', entry.Recipients),
            ["TemplateId"] = entry.TemplateId,
            ["Shutdown"] = entry.Shutdown,
        };
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);

        // Replace: a field cleared in the entry must disappear from the row too.
        var response = await _table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        return entry with { Channels = [.. entry.Channels], Recipients = [.. entry.Recipients], ETag = response.Headers.ETag?.ToString() };
    }

    /// <inheritdoc />
    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (id.Length == 0 || id.Any(TableKeys.IsForbidden))
        {
            return false; // no such row can exist
        }

        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        // DeleteEntity treats a missing entity as success; only the status tells the two apart.
        var response = await _table.DeleteEntityAsync(Partition, id, ETag.All, cancellationToken).ConfigureAwait(false);
        return response.Status != 404;
    }

    private static ResponsePolicyEntry ToEntry(TableEntity entity) => new()
    {
        Id = entity.RowKey,

        // A missing or mistyped column reads as empty text: the provider reports the row instead of the read failing.
        Level = Text(entity, "Level") ?? string.Empty,
        RuleId = Text(entity, "RuleId"),
        Team = Text(entity, "Team"),
        Environment = Text(entity, "Environment"),
        Channels = List(Text(entity, "Channels")),
        Recipients = List(Text(entity, "Recipients")),
        TemplateId = Text(entity, "TemplateId"),
        Shutdown = Text(entity, "Shutdown"),
        ETag = entity.ETag.ToString(),
    };

    // Any column type reads as its text, so a column typed wrongly by hand makes one invalid row, not a failed read.
    private static string? Text(TableEntity entity, string column)
        => entity.TryGetValue(column, out var value) ? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) : null;

    private static string[] List(string? text)
        => string.IsNullOrWhiteSpace(text) ? [] : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
