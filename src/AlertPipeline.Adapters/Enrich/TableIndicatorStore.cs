using AlertPipeline.Adapters.Storage;
using AlertPipeline.Core.Enrich;
using Azure.Data.Tables;

namespace AlertPipeline.Adapters.Enrich;

/// <summary>
/// Threat indicators on Azure Table Storage: table <c>indicators</c>, PartitionKey = source (a feed is imported and
/// read together), RowKey = the canonical value with <c>/</c> written as <c>_</c> (a CIDR's slash cannot be in a key),
/// columns Value, Kind, Description and Expires. The whole table is read on each refresh, in the background; expired
/// rows are skipped on read (Table filters cannot test a missing column). The table is created on first use.
/// </summary>
public sealed class TableIndicatorStore : IIndicatorStore
{
    private static readonly string[] Columns = ["PartitionKey", "Value", "Kind", "Description", "Expires"];

    private readonly TableClient _table;
    private readonly CreateOnce _created;

    /// <summary>Uses table <paramref name="tableName"/> (default <see cref="StorageNames.IndicatorsTable"/>) of <paramref name="service"/>.</summary>
    public TableIndicatorStore(TableServiceClient service, string tableName = StorageNames.IndicatorsTable)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = service.GetTableClient(tableName);
        _created = new CreateOnce(ct => _table.CreateIfNotExistsAsync(ct));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ThreatIndicator>> ListAsync(DateTimeOffset asOf, CancellationToken cancellationToken)
    {
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var indicators = new List<ThreatIndicator>();
        await foreach (var entity in _table.QueryAsync<TableEntity>(select: Columns, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            // A row written by hand without a value or kind is not an indicator we can explain; skip it.
            if (entity.GetString("Value") is not { Length: > 0 } value || entity.GetString("Kind") is not { Length: > 0 } kind)
            {
                continue;
            }

            var indicator = new ThreatIndicator
            {
                Value = value,
                Source = entity.PartitionKey,
                Kind = kind,
                Description = entity.GetString("Description"),
                Expires = entity.GetDateTimeOffset("Expires"),
            };
            if (indicator.IsLiveAt(asOf))
            {
                indicators.Add(indicator);
            }
        }

        return indicators;
    }

    /// <summary>Creates or replaces the row of <paramref name="indicator"/> (same source and value); used by the CLI's import.</summary>
    /// <exception cref="ArgumentException">The source or value cannot be a Table key.</exception>
    public async Task UpsertAsync(ThreatIndicator indicator, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(indicator);
        var entity = new TableEntity(TableKeys.Require(indicator.Source, "indicator source"), TableKeys.Require(RowKeyOf(indicator.Value), "indicator value"))
        {
            ["Value"] = indicator.Value,
            ["Kind"] = indicator.Kind,
            ["Description"] = indicator.Description is null ? null : TableKeys.Truncate(indicator.Description, TableKeys.MaxStringLength),
            ["Expires"] = indicator.Expires,
        };
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);

        // Replace: a description or expiry cleared in the feed must disappear from the row too.
        await _table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The RowKey of a canonical indicator value.</summary>
    public static string RowKeyOf(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Replace('/', '_');
    }
}
