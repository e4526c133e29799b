using System.Globalization;
using System.Text;
using AlertPipeline.Adapters.Storage;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Management;
using Azure.Data.Tables;

namespace AlertPipeline.Adapters.Detect;

/// <summary>
/// The rule history on Azure Table Storage: table <c>rulehistory</c>, one partition per rule (PartitionKey =
/// <see cref="PartitionKeyOf"/>), RowKey = inverted UTC ticks and a unique suffix so a query returns the newest change
/// first and two changes in one tick both survive. Columns: Pack, RuleId, At, Who, Action, and per side
/// (<c>Before</c>/<c>After</c>, absent for a create's before and a delete's after) Yaml, Enabled and Mode.
/// The table is created on first use.
/// </summary>
public sealed class TableRuleHistory : IRuleHistory
{
    private const char Separator = '|';

    private readonly TableClient _table;
    private readonly CreateOnce _created;

    /// <summary>Uses table <paramref name="tableName"/> (default <see cref="StorageNames.RuleHistoryTable"/>) of <paramref name="service"/>.</summary>
    public TableRuleHistory(TableServiceClient service, string tableName = StorageNames.RuleHistoryTable)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = service.GetTableClient(tableName);
        _created = new CreateOnce(ct => _table.CreateIfNotExistsAsync(ct));
    }

    /// <summary>
    /// The partition of one rule: pack and id with <c>%</c>, the separator <c>|</c> and every character the service
    /// forbids in keys written as <c>%XX</c>, joined by <c>|</c>. Escaping keeps (<c>a|b</c>, <c>c</c>) and
    /// (<c>a</c>, <c>b|c</c>) apart and lets any pack or id become a key.
    /// </summary>
    /// <exception cref="ArgumentException">The escaped key is longer than the service accepts.</exception>
    public static string PartitionKeyOf(string pack, string id)
    {
        ArgumentNullException.ThrowIfNull(pack);
        ArgumentNullException.ThrowIfNull(id);
        var builder = new StringBuilder(pack.Length + id.Length + 1);
        Escape(builder, pack);
        builder.Append(Separator);
        Escape(builder, id);
        if (builder.Length > TableKeys.MaxKeyLength)
        {
            throw new ArgumentException($"Rule {pack}/{id} is too long for a history key ({builder.Length} > {TableKeys.MaxKeyLength} characters escaped).", nameof(id));
        }

        return builder.ToString();
    }

    /// <inheritdoc />
    public async Task AppendAsync(RuleChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        var inverted = DateTime.MaxValue.Ticks - change.At.UtcTicks;
        var rowKey = string.Create(CultureInfo.InvariantCulture, $"{inverted:D19}-{Guid.NewGuid():N}");
        var entity = new TableEntity(PartitionKeyOf(change.Pack, change.Id), rowKey)
        {
            ["Pack"] = change.Pack,
            ["RuleId"] = change.Id,
            ["At"] = change.At,
            ["Who"] = TableKeys.Truncate(change.Who, 256),
            ["Action"] = change.Action.ToText(),
        };
        Put(entity, "Before", change.Before);
        Put(entity, "After", change.After);
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);

        // Add, never upsert: the key is unique, and history must not be able to overwrite itself.
        await _table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RuleChange>> ListAsync(string pack, string id, int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        var partition = PartitionKeyOf(pack, id);
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var changes = new List<RuleChange>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition}");
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(max, 1000), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            changes.Add(ToChange(entity));
            if (changes.Count == max)
            {
                break;
            }
        }

        return changes;
    }

    private static void Escape(StringBuilder builder, string value)
    {
        foreach (var c in value)
        {
            if (c is '%' or Separator || TableKeys.IsForbidden(c))
            {
                // Every forbidden character is below U+0100 (the ASCII ones and the C0/C1 controls), so two hex digits do.
                builder.Append('%').Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }
    }

    private static void Put(TableEntity entity, string side, RuleState? state)
    {
        if (state is null)
        {
            return;
        }

        // A string property holds at most 32K characters; the rule store enforces the same bound, so whatever it
        // stored fits here, and a larger YAML fails loudly instead of being recorded cut.
        if (state.Yaml.Length > TableKeys.MaxStringLength)
        {
            throw new ArgumentException($"{side} YAML of {state.Yaml.Length} characters exceeds the Table property limit of {TableKeys.MaxStringLength}.", nameof(state));
        }

        entity[side + "Yaml"] = state.Yaml;
        entity[side + "Enabled"] = state.Enabled;
        entity[side + "Mode"] = state.Mode.ToText();
    }

    private static RuleState? Read(TableEntity entity, string side)
    {
        if (entity.GetString(side + "Yaml") is not { } yaml)
        {
            return null;
        }

        // As in the rule store: an unreadable mode reads as dry-run, the one that takes no action.
        var mode = RuleModes.TryParse(entity.GetString(side + "Mode"), out var parsed) ? parsed : RuleMode.DryRun;
        return new RuleState(yaml, entity.GetBoolean(side + "Enabled") ?? false, mode);
    }

    private static RuleChange ToChange(TableEntity entity)
    {
        // An unknown action (a hand-edited row) still shows, as a replace, rather than hiding the entry.
        var action = RuleChangeActions.TryParse(entity.GetString("Action"), out var parsed) ? parsed : RuleChangeAction.Replace;
        return new RuleChange(
            entity.GetString("Pack") ?? string.Empty,
            entity.GetString("RuleId") ?? string.Empty,
            entity.GetDateTimeOffset("At") ?? entity.Timestamp ?? DateTimeOffset.MinValue,
            entity.GetString("Who") ?? string.Empty,
            action,
            Read(entity, "Before"),
            Read(entity, "After"));
    }
}
