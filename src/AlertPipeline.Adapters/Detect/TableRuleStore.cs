using AlertPipeline.Adapters.Storage;
using AlertPipeline.Core.Detect;
using Azure;
using Azure.Data.Tables;

namespace AlertPipeline.Adapters.Detect;

/// <summary>
/// The rule store on Azure Table Storage: table <c>rules</c>, PartitionKey = pack, RowKey = rule id, columns
/// Title, Level, Enabled, Mode (<c>enforce</c>/<c>dry-run</c>), Yaml and UpdatedAt. The table is created on first use.
/// </summary>
public sealed class TableRuleStore : IRuleStore
{
    private readonly TableClient _table;
    private readonly CreateOnce _created;

    /// <summary>Uses table <paramref name="tableName"/> (default <see cref="StorageNames.RulesTable"/>) of <paramref name="service"/>.</summary>
    public TableRuleStore(TableServiceClient service, string tableName = StorageNames.RulesTable)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = service.GetTableClient(tableName);
        _created = new CreateOnce(ct => _table.CreateIfNotExistsAsync(ct));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RuleRecord>> ListAsync(string? pack, CancellationToken cancellationToken)
    {
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var filter = pack is null ? null : TableClient.CreateQueryFilter($"PartitionKey eq {pack}");
        var rules = new List<RuleRecord>();
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            rules.Add(ToRecord(entity));
        }

        // The service already returns PartitionKey/RowKey order; sort anyway so the contract does not rest on that.
        rules.Sort((a, b) =>
        {
            var byPack = string.CompareOrdinal(a.Pack, b.Pack);
            return byPack != 0 ? byPack : string.CompareOrdinal(a.Id, b.Id);
        });
        return rules;
    }

    /// <inheritdoc />
    public async Task<RuleRecord?> GetAsync(string pack, string id, CancellationToken cancellationToken)
    {
        TableKeys.Require(pack, nameof(pack));
        TableKeys.Require(id, nameof(id));
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(pack, id, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? ToRecord(response.Value!) : null;
    }

    /// <inheritdoc />
    public async Task<RuleRecord> UpsertAsync(RuleRecord rule, CancellationToken cancellationToken)
    {
        var entity = ToEntity(rule);
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);

        // Replace, not merge: a rule is one document and stale columns must not survive an edit.
        var response = await _table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        return rule with { ETag = response.Headers.ETag?.ToString() };
    }

    /// <inheritdoc />
    public async Task<bool> DeleteAsync(string pack, string id, CancellationToken cancellationToken)
        => (await DeleteIfAsync(pack, id, ETag.All, cancellationToken).ConfigureAwait(false)).Succeeded;

    /// <inheritdoc />
    public async Task<RuleWriteResult> CreateAsync(RuleRecord rule, CancellationToken cancellationToken)
    {
        var entity = ToEntity(rule);
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var response = await _table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
            return RuleWriteResult.Stored(rule with { ETag = response.Headers.ETag?.ToString() });
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return RuleWriteResult.Exists;
        }
    }

    /// <inheritdoc />
    public async Task<RuleWriteResult> ReplaceAsync(RuleRecord rule, string ifMatch, CancellationToken cancellationToken)
    {
        RuleWriteResult.RequireETag(ifMatch);
        var entity = ToEntity(rule);
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var response = await _table.UpdateEntityAsync(entity, new ETag(ifMatch), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return RuleWriteResult.Stored(rule with { ETag = response.Headers.ETag?.ToString() });
        }
        catch (RequestFailedException e) when (Refusal(e.Status) is { } refused)
        {
            return refused;
        }
    }

    /// <inheritdoc />
    public Task<RuleWriteResult> DeleteAsync(string pack, string id, string ifMatch, CancellationToken cancellationToken)
        => DeleteIfAsync(pack, id, new ETag(RuleWriteResult.RequireETag(ifMatch)), cancellationToken);

    private async Task<RuleWriteResult> DeleteIfAsync(string pack, string id, ETag ifMatch, CancellationToken cancellationToken)
    {
        TableKeys.Require(pack, nameof(pack));
        TableKeys.Require(id, nameof(id));
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // DeleteEntity treats a missing entity as success; only the status tells the two apart.
            var response = await _table.DeleteEntityAsync(pack, id, ifMatch, cancellationToken).ConfigureAwait(false);
            return response.Status == 404 ? RuleWriteResult.Missing : RuleWriteResult.Deleted;
        }
        catch (RequestFailedException e) when (Refusal(e.Status) is { } refused)
        {
            return refused;
        }
    }

    /// <summary>The service's answers to a conditional write that are outcomes, not failures.</summary>
    private static RuleWriteResult? Refusal(int status) => status switch
    {
        412 => RuleWriteResult.StaleETag,
        404 => RuleWriteResult.Missing,
        _ => null,
    };

    private static TableEntity ToEntity(RuleRecord rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return new TableEntity(TableKeys.Require(rule.Pack, "rule pack"), TableKeys.Require(rule.Id, "rule id"))
        {
            ["Title"] = rule.Title,
            ["Level"] = rule.Level,
            ["Enabled"] = rule.Enabled,
            ["Mode"] = rule.Mode.ToText(),
            ["Yaml"] = RequireFits(rule.Yaml, rule),
            ["UpdatedAt"] = rule.UpdatedAt,
        };
    }

    /// <inheritdoc />
    /// <remarks>
    /// The incremental read filters on the service's <c>Timestamp</c>, which every write sets, so rows edited by hand
    /// in Storage Explorer are seen too. Deletions show as keys missing from a key-only projection of the table.
    /// </remarks>
    public async Task<RuleChanges> ListChangesAsync(DateTimeOffset? since, CancellationToken cancellationToken)
    {
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var filter = since is { } from ? TableClient.CreateQueryFilter($"Timestamp ge {from}") : null;
        var changed = new List<RuleRecord>();
        DateTimeOffset? highWater = since;
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            changed.Add(ToRecord(entity));
            if (entity.Timestamp is { } written && (highWater is null || written > highWater))
            {
                highWater = written;
            }
        }

        var keys = new HashSet<(string, string)>();
        if (since is null)
        {
            keys.UnionWith(changed.Select(r => (r.Pack, r.Id)));
        }
        else
        {
            await foreach (var entity in _table.QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                keys.Add((entity.PartitionKey, entity.RowKey));
            }
        }

        return new RuleChanges(changed, keys, highWater);
    }

    private static string RequireFits(string yaml, RuleRecord rule)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        if (yaml.Length > TableKeys.MaxStringLength)
        {
            throw new ArgumentException($"Rule {rule.Pack}/{rule.Id}: YAML of {yaml.Length} characters exceeds the Table property limit of {TableKeys.MaxStringLength}.", nameof(rule));
        }

        return yaml;
    }

    private static RuleRecord ToRecord(TableEntity entity)
    {
        // An unreadable mode falls back to dry-run: a hand-edited row must never start taking automatic actions.
        var mode = RuleModes.TryParse(entity.GetString("Mode"), out var parsed) ? parsed : RuleMode.DryRun;
        return new RuleRecord(
            entity.PartitionKey,
            entity.RowKey,
            entity.GetString("Title") ?? entity.RowKey,
            entity.GetString("Level") ?? string.Empty,
            entity.GetBoolean("Enabled") ?? false,
            mode,
            entity.GetString("Yaml") ?? string.Empty,
            entity.GetDateTimeOffset("UpdatedAt") ?? entity.Timestamp ?? DateTimeOffset.MinValue)
        {
            ETag = entity.ETag.ToString(),
        };
    }
}
