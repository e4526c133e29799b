using AlertPipeline.Adapters.Detect;
using AlertPipeline.Adapters.Tests.Storage;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Management;
using Azure.Data.Tables;

namespace AlertPipeline.Adapters.Tests.Detect;

/// <summary>What every <see cref="IRuleHistory"/> must do; run against the in-memory twin and against Table Storage.</summary>
public abstract class RuleHistoryContract
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 4, 5, 6, 7, 123, TimeSpan.Zero);

    /// <summary>A fresh, empty history.</summary>
    protected abstract IRuleHistory History { get; }

    private static RuleState State(string text, bool enabled = true, RuleMode mode = RuleMode.Enforce) =>
        new($"title: {text}\ndetection:\n  sel:\n    process.name: 'ünïcode — {text}'\n  condition: sel\n", enabled, mode);

    private static RuleChange Change(string pack, string id, int minute, RuleChangeAction action, string who = "alice@example.com") => new(
        pack, id, T0.AddMinutes(minute), who, action,
        action == RuleChangeAction.Create ? null : State($"before {minute}"),
        action == RuleChangeAction.Delete ? null : State($"after {minute}", action != RuleChangeAction.Disable, RuleMode.DryRun));

    [Fact]
    public async Task Every_field_round_trips_and_the_newest_change_comes_first()
    {
        RuleChange[] changes =
        [
            Change("core", "r1", 0, RuleChangeAction.Create),
            Change("core", "r1", 1, RuleChangeAction.Replace, who: "bob"),
            Change("core", "r1", 2, RuleChangeAction.Disable),
            Change("core", "r1", 3, RuleChangeAction.Enable),
            Change("core", "r1", 4, RuleChangeAction.Delete, who: "function-key"),
        ];

        // Appended out of time order: the order read back must come from the time, not the append.
        foreach (var change in changes.Reverse().Skip(1).Append(changes[^1]))
        {
            await History.AppendAsync(change, CancellationToken.None);
        }

        var read = await History.ListAsync("core", "r1", 100, CancellationToken.None);

        Assert.Equal(changes.Reverse(), read);
        Assert.Null(read[^1].Before);
        Assert.Null(read[0].After);
    }

    [Fact]
    public async Task Max_returns_only_the_newest_changes()
    {
        for (var minute = 0; minute < 7; minute++)
        {
            await History.AppendAsync(Change("core", "r1", minute, RuleChangeAction.Replace), CancellationToken.None);
        }

        var read = await History.ListAsync("core", "r1", 3, CancellationToken.None);

        Assert.Equal([6, 5, 4], read.Select(c => (int)(c.At - T0).TotalMinutes));
    }

    [Fact]
    public async Task Rules_whose_names_would_collide_unescaped_keep_separate_histories()
    {
        (string Pack, string Id)[] rules = [("a|b", "c"), ("a", "b|c"), ("a%7Cb", "c"), ("pack", "x/y#z?\\1"), ("pack", "x")];
        for (var i = 0; i < rules.Length; i++)
        {
            await History.AppendAsync(Change(rules[i].Pack, rules[i].Id, i, RuleChangeAction.Create, who: $"op{i}"), CancellationToken.None);
        }

        for (var i = 0; i < rules.Length; i++)
        {
            var read = Assert.Single(await History.ListAsync(rules[i].Pack, rules[i].Id, 10, CancellationToken.None));
            Assert.Equal($"op{i}", read.Who);
            Assert.Equal((rules[i].Pack, rules[i].Id), (read.Pack, read.Id));
        }

        Assert.Empty(await History.ListAsync("a", "c", 10, CancellationToken.None));
    }

    [Fact]
    public async Task Two_changes_in_the_same_instant_are_both_kept()
    {
        await History.AppendAsync(Change("core", "r1", 0, RuleChangeAction.Replace, who: "alice"), CancellationToken.None);
        await History.AppendAsync(Change("core", "r1", 0, RuleChangeAction.Replace, who: "bob"), CancellationToken.None);

        var read = await History.ListAsync("core", "r1", 10, CancellationToken.None);

        Assert.Equal(["alice", "bob"], read.Select(c => c.Who).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Yaml_at_the_table_property_limit_is_kept_whole_on_both_sides()
    {
        // 32K characters, non-ASCII included: the most the rule store keeps, in both the before and the after.
        var before = new string('é', 32 * 1024);
        var after = new string('x', 32 * 1024);
        var change = new RuleChange("core", "big", T0, "alice", RuleChangeAction.Replace,
            new RuleState(before, true, RuleMode.Enforce), new RuleState(after, false, RuleMode.DryRun));

        await History.AppendAsync(change, CancellationToken.None);

        Assert.Equal(change, Assert.Single(await History.ListAsync("core", "big", 10, CancellationToken.None)));
    }

    [Fact]
    public async Task A_rule_without_changes_has_an_empty_history()
    {
        Assert.Empty(await History.ListAsync("core", "never", 10, CancellationToken.None));
    }
}

/// <summary>The contract against <see cref="InMemoryRuleHistory"/>.</summary>
public sealed class InMemoryRuleHistoryTests : RuleHistoryContract
{
    protected override IRuleHistory History { get; } = new InMemoryRuleHistory();
}

/// <summary>The contract against <see cref="TableRuleHistory"/> on Azurite, plus what only the table form has.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class TableRuleHistoryTests(AzuriteFixture azurite) : RuleHistoryContract
{
    private readonly string _tableName = AzuriteFixture.UniqueTableName("rulehistory");
    private TableRuleHistory? _history;

    protected override IRuleHistory History => _history ??= new TableRuleHistory(azurite.TableService, _tableName);

    [Theory]
    [InlineData("default", "3d0b8c55-9c43-4f5e-8f43-5d0b7a2e1f01", "default|3d0b8c55-9c43-4f5e-8f43-5d0b7a2e1f01")]
    [InlineData("a|b", "c", "a%7Cb|c")]
    [InlineData("a", "b|c", "a|b%7Cc")]
    [InlineData("p%", "x/y#z?\\\u0001", "p%25|x%2Fy%23z%3F%5C%01")]
    public void Partition_keys_escape_the_separator_the_escape_and_forbidden_characters(string pack, string id, string expected)
    {
        Assert.Equal(expected, TableRuleHistory.PartitionKeyOf(pack, id));
    }

    [Fact]
    public async Task Rows_sort_newest_first_by_their_keys_and_carry_the_documented_columns()
    {
        var older = new RuleChange("core", "r1", DateTimeOffset.UnixEpoch.AddYears(55), "alice", RuleChangeAction.Create, null, new RuleState("y1", true, RuleMode.DryRun));
        var newer = older with { At = older.At.AddTicks(1), Action = RuleChangeAction.Disable, Before = older.After, After = new RuleState("y1", false, RuleMode.DryRun) };
        await History.AppendAsync(older, CancellationToken.None);
        await History.AppendAsync(newer, CancellationToken.None);

        var rows = new List<TableEntity>();
        await foreach (var row in azurite.TableService.GetTableClient(_tableName).QueryAsync<TableEntity>())
        {
            rows.Add(row);
        }

        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal("core|r1", r.PartitionKey));
        Assert.Equal(["disable", "create"], rows.Select(r => r.GetString("Action")));
        Assert.True(string.CompareOrdinal(rows[0].RowKey, rows[1].RowKey) < 0);
        Assert.Null(rows[1].GetString("BeforeYaml"));
        Assert.Equal("y1", rows[1].GetString("AfterYaml"));
        Assert.Equal("dry-run", rows[1].GetString("AfterMode"));
        Assert.Equal(false, rows[0].GetBoolean("AfterEnabled"));
        Assert.Equal("alice", rows[0].GetString("Who"));
    }

    [Fact]
    public async Task Yaml_beyond_the_property_limit_fails_loudly_instead_of_being_cut()
    {
        var change = new RuleChange("core", "huge", DateTimeOffset.UnixEpoch, "alice", RuleChangeAction.Create, null,
            new RuleState(new string('x', (32 * 1024) + 1), true, RuleMode.Enforce));

        await Assert.ThrowsAsync<ArgumentException>(() => History.AppendAsync(change, CancellationToken.None));
    }
}
